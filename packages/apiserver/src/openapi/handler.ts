/**
 * /openapi/v2 and /openapi/v3 as kube-openapi's handlers serve them: v3 as JSON only, v2 as JSON
 * or as gnostic protobuf (what kubectl asks for first); 406 otherwise; quoted uppercase-sha512
 * ETags (v2's protobuf shares its JSON's, as Go's does) with 304 on If-None-Match; and for v3
 * group-version documents the `?hash=` protocol (stale hash → 301 to the current URL; matching →
 * immutable for a year).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newNotAcceptable } from '@kapi/apimachinery';
import { sha512Hex } from '../discovery/handler.js';
import { parseAccept } from '../http/accept.js';
import { requestInfoOf, requestQueryOf } from '../http/request-info.js';
import { methodNotAllowedError, notFoundError, sendBody, writeStatus } from '../http/responses.js';
import type { RequestHandler, Route } from '../http/routes.js';
import type { DynamicGroupVersion } from '../endpoints/dynamic.js';
import type { SchemeLike } from '../scheme/scheme-like.js';
import type { KindDefinition } from '../scheme/kind.js';
import { buildSwagger } from './v2.js';
import { OPENAPI_V2_PROTOBUF_CONTENT_TYPE, OPENAPI_V2_PROTOBUF_MEDIA_TYPE, encodeOpenAPIV2Protobuf } from './v2-protobuf.js';
import { buildGroupVersionDocuments, buildV3Root, type GroupVersionDocument, type OpenApiInfo } from './v3.js';

export type { OpenApiInfo };

interface Rendered {
  json: string;
  hash: string;
}

interface OpenApiCache {
  kinds: readonly KindDefinition[];
  count: number;
  v2: Rendered;
  /** The v2 document as gnostic protobuf, made on first ask. */
  v2Protobuf?: Uint8Array;
  v3Root: Rendered;
  groupVersions: Map<string, Rendered>;
}

function render(value: unknown): Rendered {
  const json = JSON.stringify(value);
  return { json, hash: sha512Hex(json) };
}

/**
 * The rendered documents, rebuilt only when the scheme's kinds change; the documents of
 * the `dynamic` group versions that publish one come after the scheme's (made once).
 */
export function createOpenApiDocuments(scheme: SchemeLike, info: OpenApiInfo = {}, dynamic: readonly DynamicGroupVersion[] = []): () => OpenApiCache {
  let cache: OpenApiCache | undefined;
  let dynamicDocs: GroupVersionDocument[] | undefined;
  return () => {
    const kinds = scheme.kinds;
    if (cache && cache.kinds === kinds && cache.count === kinds.length) return cache;
    const extra = (dynamicDocs ??= dynamic.flatMap((gv) => (gv.openapi ? [{ group: gv.group, version: gv.version, document: gv.openapi() }] : [])));
    const docs = [...buildGroupVersionDocuments(kinds, info), ...extra];
    const groupVersions = new Map<string, Rendered>();
    for (const d of docs) groupVersions.set(`${d.group}/${d.version}`, render(d.document));
    const v3Root = render(
      buildV3Root(docs.map((d) => ({ group: d.group, version: d.version, hash: groupVersions.get(`${d.group}/${d.version}`)!.hash }))),
    );
    cache = { kinds, count: kinds.length, v2: render(buildSwagger(docs.map((d) => d.document), info)), v3Root, groupVersions };
    return cache;
  };
}

/** The media types /openapi/v2 serves, in kube-openapi's order (the first fitting the first clause wins). */
const V2_FORMATS: ReadonlyArray<{ subtype: string; format: 'json' | 'protobuf' }> = [
  { subtype: 'json', format: 'json' },
  { subtype: OPENAPI_V2_PROTOBUF_MEDIA_TYPE.slice('application/'.length), format: 'protobuf' },
  { subtype: OPENAPI_V2_PROTOBUF_CONTENT_TYPE.slice('application/'.length), format: 'protobuf' },
];

/** kube-openapi's negotiation for /openapi/v2: clauses by weight, wildcards allowed; an empty Accept is *\/*. */
function negotiateV2(accept: string | undefined): 'json' | 'protobuf' {
  const clauses = parseAccept(accept);
  if (clauses.length === 0) return 'json';
  for (const c of clauses) {
    if (c.type !== 'application' && c.type !== '*') continue;
    const fit = V2_FORMATS.find((f) => c.subtype === '*' || c.subtype === f.subtype);
    if (fit) return fit.format;
  }
  throw newNotAcceptable(`only the following media types are accepted: application/json, ${OPENAPI_V2_PROTOBUF_CONTENT_TYPE}`);
}

/** JSON (or anything) is acceptable; protobuf and the rest are not. An empty Accept means JSON. */
function acceptsJson(accept: string | undefined): boolean {
  const clauses = parseAccept(accept);
  if (clauses.length === 0) return true;
  return clauses.some(
    (c) => (c.type === '*' && c.subtype === '*') || (c.type === 'application' && (c.subtype === 'json' || c.subtype === '*')),
  );
}

/** Writes a document with its ETag, or 304 when the client already has it. */
function serveDocument(req: IncomingMessage, res: ServerResponse, etagHash: string, contentType: string, body: string | Uint8Array): void {
  const etag = JSON.stringify(etagHash);
  res.setHeader('ETag', etag);
  if (req.headers['if-none-match'] === etag) {
    res.statusCode = 304;
    res.end();
    return;
  }
  sendBody(res, 200, contentType, body);
}

/** GET /openapi/v2, /openapi/v3 and /openapi/v3/apis/<group>/<version>. */
export function createOpenApiHandler(scheme: SchemeLike, info: OpenApiInfo = {}, groupVersions: readonly DynamicGroupVersion[] = []): RequestHandler {
  const documents = createOpenApiDocuments(scheme, info, groupVersions);
  return (req, res) => {
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw methodNotAllowedError(res);
      const [, version, ...rest] = requestInfoOf(req).segments;
      if (version === 'v2' && rest.length === 0) {
        res.setHeader('Vary', 'Accept');
        const cache = documents();
        const format = negotiateV2(req.headers.accept);
        if (format === 'json') serveDocument(req, res, cache.v2.hash, 'application/json', cache.v2.json);
        // The protobuf shares the JSON's ETag, as Go's (the Vary header tells them apart).
        else serveDocument(req, res, cache.v2.hash, OPENAPI_V2_PROTOBUF_CONTENT_TYPE, (cache.v2Protobuf ??= encodeOpenAPIV2Protobuf(JSON.parse(cache.v2.json) as Record<string, unknown>)));
        return;
      }
      if (version !== 'v3') throw notFoundError();
      if (rest.length === 0) {
        const root = documents().v3Root;
        serveDocument(req, res, root.hash, 'application/json', root.json);
        return;
      }
      if (rest.length !== 3 || rest[0] !== 'apis') throw notFoundError();
      const [, group, gv] = rest;
      const doc = documents().groupVersions.get(`${group}/${gv}`);
      if (!doc) throw notFoundError();
      if (!acceptsJson(req.headers.accept)) throw newNotAcceptable('only the following media types are accepted: application/json');
      const asked = requestQueryOf(req).get('hash') ?? '';
      if (asked !== '') {
        if (asked !== doc.hash) {
          const location = `/openapi/v3/apis/${group}/${gv}?hash=${doc.hash}`;
          res.setHeader('ETag', JSON.stringify(doc.hash));
          res.setHeader('Location', location);
          sendBody(res, 301, 'text/html; charset=utf-8', `<a href="${location}">Moved Permanently</a>.\n`);
          return;
        }
        res.setHeader('Vary', 'Accept');
        res.setHeader('Cache-Control', 'public, immutable');
        const expires = new Date();
        expires.setUTCFullYear(expires.getUTCFullYear() + 1);
        res.setHeader('Expires', expires.toUTCString());
      }
      serveDocument(req, res, doc.hash, 'application/json', doc.json);
    } catch (err) {
      writeStatus(res, err);
    }
  };
}

/** The route of /openapi (v2 and v3). */
export function openapiRoute(scheme: SchemeLike, info: OpenApiInfo = {}, groupVersions: readonly DynamicGroupVersion[] = []): Route {
  return { prefix: '/openapi', handler: createOpenApiHandler(scheme, info, groupVersions) };
}
