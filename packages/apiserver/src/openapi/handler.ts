/**
 * /openapi/v2 and /openapi/v3 as kube-openapi's handlers serve them: JSON only (406 otherwise),
 * quoted uppercase-sha512 ETags with 304 on If-None-Match, and for v3 group-version documents
 * the `?hash=` protocol (stale hash → 301 to the current URL; matching → immutable for a year).
 */
import { Router, type Request, type Response } from 'express';
import { StatusError, newNotAcceptable } from '@kapi/apimachinery';
import { sha512Hex } from '../discovery/handler.js';
import { parseAccept } from '../endpoints/negotiation.js';
import { writeError, type EndpointLogger } from '../endpoints/responses.js';
import type { SchemeLike } from '../registry/interfaces.js';
import type { KindDefinition } from '../scheme/kind.js';
import { buildSwagger } from './v2.js';
import { buildGroupVersionDocuments, buildV3Root, type OpenApiInfo } from './v3.js';

export type { OpenApiInfo };

interface Rendered {
  json: string;
  hash: string;
}

interface OpenApiCache {
  kinds: readonly KindDefinition[];
  count: number;
  v2: Rendered;
  v3Root: Rendered;
  groupVersions: Map<string, Rendered>;
}

function render(value: unknown): Rendered {
  const json = JSON.stringify(value);
  return { json, hash: sha512Hex(json) };
}

/** The rendered documents, rebuilt only when the scheme's kinds change. */
export function createOpenApiDocuments(scheme: SchemeLike, info: OpenApiInfo = {}): () => OpenApiCache {
  let cache: OpenApiCache | undefined;
  return () => {
    const kinds = scheme.kinds;
    if (cache && cache.kinds === kinds && cache.count === kinds.length) return cache;
    const docs = buildGroupVersionDocuments(kinds, info);
    const groupVersions = new Map<string, Rendered>();
    for (const d of docs) groupVersions.set(`${d.group}/${d.version}`, render(d.document));
    const v3Root = render(
      buildV3Root(docs.map((d) => ({ group: d.group, version: d.version, hash: groupVersions.get(`${d.group}/${d.version}`)!.hash }))),
    );
    cache = { kinds, count: kinds.length, v2: render(buildSwagger(docs.map((d) => d.document), info)), v3Root, groupVersions };
    return cache;
  };
}

/** JSON (or anything) is acceptable; protobuf and the rest are not. An empty Accept means JSON. */
function acceptsJson(accept: string | undefined): boolean {
  const clauses = parseAccept(accept);
  if (clauses.length === 0) return true;
  return clauses.some(
    (c) => (c.type === '*' && c.subtype === '*') || (c.type === 'application' && (c.subtype === 'json' || c.subtype === '*')),
  );
}

function notAcceptable(): StatusError {
  return newNotAcceptable('only the following media types are accepted: application/json');
}

/** Writes a document with its ETag, or 304 when the client already has it. */
function serveJson(req: Request, res: Response, doc: Rendered): void {
  const etag = JSON.stringify(doc.hash);
  res.setHeader('ETag', etag);
  if (req.headers['if-none-match'] === etag) {
    res.status(304).end();
    return;
  }
  const body = Buffer.from(doc.json);
  res.status(200).setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', String(body.length));
  res.end(req.method === 'HEAD' ? undefined : body);
}

export function createOpenApiRouter(scheme: SchemeLike, info: OpenApiInfo = {}, logger?: EndpointLogger): Router {
  const documents = createOpenApiDocuments(scheme, info);
  const router = Router();

  router.get('/v2', (req, res) => {
    try {
      res.setHeader('Vary', 'Accept');
      if (!acceptsJson(req.headers.accept)) throw notAcceptable();
      serveJson(req, res, documents().v2);
    } catch (err) {
      writeError(res, err, logger);
    }
  });

  router.get('/v3', (req, res) => {
    try {
      serveJson(req, res, documents().v3Root);
    } catch (err) {
      writeError(res, err, logger);
    }
  });

  router.get('/v3/apis/:group/:version', (req, res) => {
    try {
      const group = req.params['group']!;
      const version = req.params['version']!;
      const doc = documents().groupVersions.get(`${group}/${version}`);
      if (!doc) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
      if (!acceptsJson(req.headers.accept)) throw notAcceptable();
      const asked = typeof req.query['hash'] === 'string' ? req.query['hash'] : '';
      if (asked !== '') {
        if (asked !== doc.hash) {
          res.setHeader('ETag', JSON.stringify(doc.hash));
          res.redirect(301, `/openapi/v3/apis/${group}/${version}?hash=${doc.hash}`);
          return;
        }
        res.setHeader('Vary', 'Accept');
        res.setHeader('Cache-Control', 'public, immutable');
        const expires = new Date();
        expires.setUTCFullYear(expires.getUTCFullYear() + 1);
        res.setHeader('Expires', expires.toUTCString());
      }
      serveJson(req, res, doc);
    } catch (err) {
      writeError(res, err, logger);
    }
  });

  return router;
}
