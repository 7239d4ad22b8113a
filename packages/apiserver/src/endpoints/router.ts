/**
 * createApiRouter: everything under /apis (discovery and resources) and /openapi, on express 5.
 * Mount it at the root of the app, after authentication and authorization, and before any body
 * parser (bodies are read here, with their size limit).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { StatusError, newMethodNotSupported } from '@kapi/apimachinery';
import { createDiscoveryHandler } from '../discovery/handler.js';
import { createOpenApiRouter, type OpenApiInfo } from '../openapi/handler.js';
import type { RestStorage, SchemeLike } from '../registry/interfaces.js';
import type { RequestContext, UserInfo } from '../registry/rest.js';
import { DEFAULT_MAX_REQUEST_BODY_BYTES } from './body.js';
import {
  handleCreate,
  handleDelete,
  handleDeleteCollection,
  handleGet,
  handleList,
  handlePatch,
  handleUpdate,
  handleWatch,
} from './handlers.js';
import { negotiateOutput } from './negotiation.js';
import { requestUser } from '../security/authn.js';
import { requestQueryOf, requestURLOf } from '../server/request-info.js';
import { resourceRequestOf, type ResourceRequestInfo, type Verb } from './request-info.js';
import type { ResourceContext } from './resource-context.js';
import { writeError, type EndpointLogger } from './responses.js';

/** Finds the storage of a resource: a function, or a Map keyed "<group>/<plural>". */
export type StorageLookup =
  | ((group: string, version: string, plural: string) => RestStorage | undefined)
  | ReadonlyMap<string, RestStorage>;

/** One finished resource request, for apiserver_request_total / _duration_seconds. */
export interface RequestMetric {
  /** As Go labels it: GET, LIST, WATCH, POST, PUT, PATCH, DELETE, DELETECOLLECTION. */
  verb: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  /** "resource" (one object), "namespace" or "cluster". */
  scope: 'resource' | 'namespace' | 'cluster';
  code: number;
  durationSeconds: number;
  dryRun: boolean;
}

export type RequestMetricsHook = (metric: RequestMetric) => void;

export interface ApiRouterDeps {
  scheme: SchemeLike;
  storages: StorageLookup;
  metrics?: RequestMetricsHook;
  logger?: EndpointLogger;
  /** Request bodies over this are refused with 413 (default 3 MiB). */
  maxRequestBodyBytes?: number;
  /** A watch without timeoutSeconds lasts random [min, 2×min) seconds (default 1800). */
  minRequestTimeoutSeconds?: number;
  /** The authenticated user (default: what the server's authentication filter found, else `res.locals.user`). */
  userOf?: (req: Request, res: Response) => UserInfo | undefined;
  /** info.title / info.version of the OpenAPI documents. */
  openapi?: OpenApiInfo;
}

/** Go's metric verb labels: the REST verb upper-cased, except create → POST and update → PUT. */
function metricVerb(verb: Verb): string {
  return verb === 'create' ? 'POST' : verb === 'update' ? 'PUT' : verb.toUpperCase();
}

export function storageLookupOf(storages: StorageLookup): (group: string, version: string, plural: string) => RestStorage | undefined {
  if (typeof storages === 'function') return storages;
  return (group, _version, plural) => storages.get(`${group}/${plural}`);
}

export function notFoundStatus(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

function defaultUserOf(req: Request, res: Response): UserInfo | undefined {
  const authenticated = requestUser(req);
  if (authenticated) return authenticated;
  const user: unknown = (res.locals as Record<string, unknown> | undefined)?.['user'];
  return typeof user === 'object' && user !== null && typeof (user as UserInfo).username === 'string' ? (user as UserInfo) : undefined;
}

/** Which verbs a URL shape serves; a known path with another verb is 405. */
function verbAllowed(info: ResourceRequestInfo): boolean {
  if (info.legacyWatch) return info.verb === 'watch';
  if (info.subresource !== undefined) return ['get', 'update', 'patch'].includes(info.verb);
  if (info.name !== undefined) return ['get', 'update', 'patch', 'delete'].includes(info.verb);
  return ['list', 'watch', 'create', 'deletecollection'].includes(info.verb);
}

/**
 * Serves a request under /apis with node's own request and response (no express needed): what
 * the GenericAPIServer calls directly for /apis paths, after its filters, instead of walking the
 * express router. It uses nothing express adds to either object.
 */
export type ApiRequestHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const API_REQUEST_HANDLER = Symbol('kapi.apiRequestHandler');

/** The /apis handler of a router made by createApiRouter, if `router` is one. */
export function apiRequestHandlerOf(router: unknown): ApiRequestHandler | undefined {
  if ((typeof router !== 'function' && typeof router !== 'object') || router === null) return undefined;
  return (router as { [API_REQUEST_HANDLER]?: ApiRequestHandler })[API_REQUEST_HANDLER];
}

export function createApiRouter(deps: ApiRouterDeps): Router {
  const router = Router();
  const handleApis = createApisHandler(deps);
  router.use('/openapi', createOpenApiRouter(deps.scheme, deps.openapi, deps.logger));
  router.use('/apis', (req: Request, res: Response, _next: NextFunction) => handleApis(req, res));
  Object.defineProperty(router, API_REQUEST_HANDLER, { value: handleApis });
  return router;
}

/**
 * A request's AbortSignal, aborted when the client goes away before the response is complete:
 * made (with its 'close' listener) only when something asks for it, which most requests never do.
 */
function lazyAbortSignal(res: ServerResponse): () => AbortSignal {
  let signal: AbortSignal | undefined;
  return () => {
    if (signal) return signal;
    const controller = new AbortController();
    signal = controller.signal;
    if (res.closed) {
      if (!res.writableFinished) controller.abort();
    } else {
      res.once('close', () => {
        if (!res.writableFinished) controller.abort();
      });
    }
    return signal;
  };
}

function createApisHandler(deps: ApiRouterDeps): ApiRequestHandler {
  const lookupStorage = storageLookupOf(deps.storages);
  const maxRequestBodyBytes = deps.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES;
  const minRequestTimeoutSeconds = deps.minRequestTimeoutSeconds ?? 1800;
  const userOf = deps.userOf ?? defaultUserOf;
  const discovery = createDiscoveryHandler(deps.scheme);

  return async (nodeReq: IncomingMessage, nodeRes: ServerResponse): Promise<void> => {
    // Typed as express's for the handlers, which use only what node gives (see ApiRequestHandler).
    const req = nodeReq as Request;
    const res = nodeRes as Response;
    const started = process.hrtime.bigint();
    try {
      const query = requestQueryOf(req);
      const parsed = resourceRequestOf(req.method, requestURLOf(req).segments, query);
      if (parsed.kind === 'unknown') throw notFoundStatus();
      if (parsed.kind === 'discovery') {
        discovery(req, res, parsed.info);
        return;
      }
      const info = parsed.info;
      const served = deps.scheme.lookup(info.group, info.version, info.resource);
      const storage = served ? lookupStorage(info.group, info.version, info.resource) : undefined;
      if (!served || !storage) throw notFoundStatus();
      const kind = served.kind;
      if (!kind.namespaced && info.namespace !== undefined) throw notFoundStatus();
      if (kind.namespaced && info.namespace === undefined && info.name !== undefined && !info.legacyWatch) throw notFoundStatus();
      if (info.subresource !== undefined && !kind.subresources?.[info.subresource as 'status' | 'scale']) throw notFoundStatus();
      if (!verbAllowed(info) || (kind.namespaced && info.namespace === undefined && !['list', 'watch'].includes(info.verb))) {
        throw newMethodNotSupported({ group: info.group, resource: info.resource }, info.verb);
      }
      // body.ts closes the connection after an oversized body through req.res (express sets it, node does not).
      (req as { res?: ServerResponse }).res ??= res;

      const metrics = deps.metrics;
      if (metrics) res.once('close', () => record(res, info, query, started, metrics));
      const signal = lazyAbortSignal(res);
      const ctx: RequestContext = {
        warnings: [],
        get signal() {
          return signal();
        },
      };
      if (kind.namespaced && info.namespace !== undefined) ctx.namespace = info.namespace;
      const user = userOf(req, res);
      if (user) ctx.user = user;

      const rc: ResourceContext = {
        req,
        info,
        served,
        storage,
        scheme: deps.scheme,
        ctx,
        query,
        output: negotiateOutput(req.headers.accept, info.subresource !== 'scale'),
        maxRequestBodyBytes,
      };
      if (served.version.deprecationWarning) ctx.warnings.push(served.version.deprecationWarning);
      switch (info.verb) {
        case 'get':
          return await handleGet(rc, res);
        case 'list':
          return await handleList(rc, res);
        case 'watch':
          return await handleWatch(rc, res, minRequestTimeoutSeconds, deps.logger);
        case 'create':
          return await handleCreate(rc, res);
        case 'update':
          return await handleUpdate(rc, res);
        case 'patch':
          return await handlePatch(rc, res);
        case 'delete':
          return await handleDelete(rc, res);
        case 'deletecollection':
          return await handleDeleteCollection(rc, res);
      }
    } catch (err) {
      writeError(res, err, deps.logger);
    }
  };
}

function record(res: Response, info: ResourceRequestInfo, query: URLSearchParams, started: bigint, hook: RequestMetricsHook): void {
  const scope = info.name !== undefined ? 'resource' : info.namespace !== undefined ? 'namespace' : 'cluster';
  hook({
    verb: metricVerb(info.verb),
    group: info.group,
    version: info.version,
    resource: info.resource,
    subresource: info.subresource ?? '',
    scope,
    code: res.statusCode,
    durationSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    dryRun: query.getAll('dryRun').length > 0,
  });
}
