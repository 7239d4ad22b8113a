/**
 * createApiRouter: everything under /apis (discovery and resources) and /openapi, on express 5.
 * Mount it at the root of the app, after authentication and authorization, and before any body
 * parser (bodies are read here, with their size limit).
 */
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
import { parseRequestInfo, type ResourceRequestInfo, type Verb } from './request-info.js';
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
  /** The authenticated user (default: `res.locals.user`). */
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

function defaultUserOf(_req: Request, res: Response): UserInfo | undefined {
  const user: unknown = res.locals['user'];
  return typeof user === 'object' && user !== null && typeof (user as UserInfo).username === 'string' ? (user as UserInfo) : undefined;
}

/** Which verbs a URL shape serves; a known path with another verb is 405. */
function verbAllowed(info: ResourceRequestInfo): boolean {
  if (info.legacyWatch) return info.verb === 'watch';
  if (info.subresource !== undefined) return ['get', 'update', 'patch'].includes(info.verb);
  if (info.name !== undefined) return ['get', 'update', 'patch', 'delete'].includes(info.verb);
  return ['list', 'watch', 'create', 'deletecollection'].includes(info.verb);
}

export function createApiRouter(deps: ApiRouterDeps): Router {
  const router = Router();
  const lookupStorage = storageLookupOf(deps.storages);
  const maxRequestBodyBytes = deps.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES;
  const minRequestTimeoutSeconds = deps.minRequestTimeoutSeconds ?? 1800;
  const userOf = deps.userOf ?? defaultUserOf;
  const discovery = createDiscoveryHandler(deps.scheme);

  router.use('/openapi', createOpenApiRouter(deps.scheme, deps.openapi, deps.logger));

  router.use('/apis', async (req: Request, res: Response, _next: NextFunction) => {
    const started = process.hrtime.bigint();
    try {
      const query = new URLSearchParams(req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '');
      const parsed = parseRequestInfo(req.method, `/apis${req.path}`, query);
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

      const abort = new AbortController();
      res.on('close', () => abort.abort());
      const ctx: RequestContext = { warnings: [], signal: abort.signal };
      if (kind.namespaced && info.namespace !== undefined) ctx.namespace = info.namespace;
      const user = userOf(req, res);
      if (user) ctx.user = user;

      if (deps.metrics) recordOnClose(res, info, query, started, deps.metrics);

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
  });

  return router;
}

function recordOnClose(res: Response, info: ResourceRequestInfo, query: URLSearchParams, started: bigint, hook: RequestMetricsHook): void {
  res.once('close', () => {
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
  });
}
