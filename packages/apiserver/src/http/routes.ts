/**
 * The server's path table: each route owns a path and everything below it (Go's PathRecorderMux
 * HandlePrefix). Health, version, metrics, the API and OpenAPI are all routes; what no route
 * owns goes to the server author's own handler (an express app or router, as Go's
 * NonGoRestfulMux), then to the one 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { requestInfoOf } from './request-info.js';
import { notFoundError, writeStatus } from './responses.js';

/** A handler of node's request and response; a returned promise is awaited for its error. */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/**
 * A step of the filter chain, with the signature of express middleware (an express app or router
 * is one): answer the request, or call `next()` to pass it on, or `next(err)` to answer with
 * err's Status.
 */
export type Filter = {
  // Method syntax, so that handlers typed on express's Request and Response (subtypes) fit.
  filter(req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void;
}['filter'];

export interface Route {
  /** "/healthz" owns /healthz and /healthz/…; "/" owns nothing more than "/". */
  prefix: string;
  handler: RequestHandler;
}

/** The route owning `path`, if any: the longest matching prefix. */
export function routeFor(routes: readonly Route[], path: string): Route | undefined {
  let found: Route | undefined;
  for (const route of routes) {
    const p = route.prefix;
    const owns = path === p || (path.startsWith(p) && path.charCodeAt(p.length) === 47);
    if (owns && (!found || p.length > found.prefix.length)) found = route;
  }
  return found;
}

/**
 * Serves `routes`: the route owning the request's path, else `otherwise` (the author's handler;
 * its next() is the 404), else the 404. What a handler throws or rejects with is its Status.
 */
export function routesHandler(routes: readonly Route[], otherwise?: Filter): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    try {
      const route = routeFor(routes, requestInfoOf(req).path);
      if (route) {
        const done = route.handler(req, res);
        if (done) done.catch((err: unknown) => writeStatus(res, err));
      } else if (otherwise) {
        otherwise(req, res, (err) => writeStatus(res, err ?? notFoundError()));
      } else {
        writeStatus(res, notFoundError());
      }
    } catch (err) {
      writeStatus(res, err);
    }
  };
}
