/**
 * The /apis route: discovery and resources, as a handler of node's request and response. A resource request is served by what its one RequestInfo says
 * (http/request-info.ts): the verb authorized is the verb served.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newMethodNotSupported } from '@kapi/apimachinery';
import { createDiscoveryHandler } from '../discovery/handler.js';
import { requestInfoOf, requestQueryOf, type RequestInfo } from '../http/request-info.js';
import { requestSignal } from '../http/request-signal.js';
import { notFoundError, writeStatus } from '../http/responses.js';
import type { Route } from '../http/routes.js';
import type { RestStorage } from '../registry/interfaces.js';
import type { SchemeLike } from '../scheme/scheme-like.js';
import type { RequestContext } from '../registry/rest.js';
import { verbsOf, type KindDefinition, type ResourceVerb } from '../scheme/kind.js';
import { auditAnnotationsOf } from '../audit/filter.js';
import { requestUser } from '../security/authn.js';
import { DEFAULT_MAX_REQUEST_BODY_BYTES } from './body.js';
import { isUpgradeRequest, serveConnect } from './connect.js';
import {
  handleAction,
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
import type { ResourceContext } from './resource-context.js';
import type { DynamicGroupVersion } from './dynamic.js';

/** Finds the storage of a resource: a function, or a Map keyed "<group>/<plural>". */
export type StorageLookup =
  | ((group: string, version: string, plural: string) => RestStorage | undefined)
  | ReadonlyMap<string, RestStorage>;

export interface ApisRouteOptions {
  scheme: SchemeLike;
  storages: StorageLookup;
  /** Request bodies over this are refused with 413 (default 3 MiB). */
  maxRequestBodyBytes?: number;
  /** A watch without timeoutSeconds lasts random [min, 2×min) seconds (default 1800). */
  minRequestTimeoutSeconds?: number;
  /** Group versions served by their own handlers (discovery lists them after the scheme's groups). */
  groupVersions?: readonly DynamicGroupVersion[];
}

export function storageLookupOf(storages: StorageLookup): (group: string, version: string, plural: string) => RestStorage | undefined {
  if (typeof storages === 'function') return storages;
  return (group, _version, plural) => storages.get(`${group}/${plural}`);
}

/** What a subresource of `kind` is: stored (status, scale), an action, a connect stream; undefined when it has none of that name. */
export type SubresourceShape = 'stored' | 'action' | 'connect';

function subresourceShape(kind: KindDefinition, name: string): SubresourceShape | undefined {
  const sub = kind.subresources;
  if ((name === 'status' && sub?.status) || (name === 'scale' && sub?.scale)) return 'stored';
  if (sub?.actions && Object.hasOwn(sub.actions, name)) return 'action';
  if (sub?.connect && Object.hasOwn(sub.connect, name)) return 'connect';
  return undefined;
}

const METHOD_OF: Readonly<Record<ResourceVerb, string>> = {
  get: 'GET',
  list: 'GET',
  watch: 'GET',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETE',
};

/** The verbs a URL shape serves for `kind` (another verb is 405, with these verbs' methods in Allow). */
function servedVerbs(info: RequestInfo, kind: KindDefinition, shape: SubresourceShape | undefined): ResourceVerb[] {
  const offered = verbsOf(kind);
  if (info.verbViaPath) return offered.includes('watch') ? ['watch'] : [];
  if (shape === 'stored') return ['get', 'update', 'patch'];
  if (shape === 'action') return ['create'];
  // A namespaced kind without a namespace: only lists and watches across all namespaces.
  if (kind.namespaced && info.namespace === '') return offered.filter((v) => v === 'list' || v === 'watch');
  const ofShape: ResourceVerb[] = info.parts.length >= 2 ? ['get', 'update', 'patch', 'delete'] : ['list', 'watch', 'create', 'deletecollection'];
  return ofShape.filter((v) => offered.includes(v));
}

/** The route of /apis: discovery documents and every resource request. */
export function apisRoute(options: ApisRouteOptions): Route {
  return { prefix: '/apis', handler: createApisHandler(options) };
}

function createApisHandler(options: ApisRouteOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const lookupStorage = storageLookupOf(options.storages);
  const maxRequestBodyBytes = options.maxRequestBodyBytes ?? DEFAULT_MAX_REQUEST_BODY_BYTES;
  const minRequestTimeoutSeconds = options.minRequestTimeoutSeconds ?? 1800;
  const groupVersions = options.groupVersions ?? [];
  const discovery = createDiscoveryHandler(options.scheme, groupVersions);

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      const info = requestInfoOf(req);
      if (!info.isResourceRequest) {
        // /apis, /apis/<group>, /apis/<group>/<version>
        const [, group, version, ...rest] = info.segments;
        if (rest.length > 0) throw notFoundError();
        discovery(req, res, { group, version });
        return;
      }
      const dynamic = groupVersions.length && info.apiPrefix === 'apis' ? groupVersions.find((gv) => gv.group === info.apiGroup && gv.version === info.apiVersion) : undefined;
      if (dynamic) return await dynamic.serve(req, res, info);
      if (info.apiPrefix !== 'apis' || info.resource === '' || info.parts.length > 3) throw notFoundError();
      const served = options.scheme.lookup(info.apiGroup, info.apiVersion, info.resource);
      const storage = served ? lookupStorage(info.apiGroup, info.apiVersion, info.resource) : undefined;
      if (!served || !storage) throw notFoundError();
      const kind = served.kind;
      const named = info.parts.length >= 2;
      if (!kind.namespaced && info.namespace !== '') throw notFoundError();
      if (kind.namespaced && info.namespace === '' && named && !info.verbViaPath) throw notFoundError();
      const shape = info.subresource === '' ? undefined : subresourceShape(kind, info.subresource);
      if (info.subresource !== '' && !shape) throw notFoundError();
      // A connect subresource (the WebSocket upgrade, endpoints/connect.ts); any other upgrade is refused there.
      if ((shape === 'connect' && !info.verbViaPath) || isUpgradeRequest(req)) return await serveConnect(req, res, { info, served, storage });
      const method = (req.method ?? 'GET').toUpperCase();
      const verbs = servedVerbs(info, kind, shape);
      // The legacy /watch/ prefix names the verb whatever the method: only a GET is one.
      const viaPathMismatch = info.verbViaPath && method !== 'GET' && method !== 'HEAD';
      if (viaPathMismatch || !verbs.includes(info.verb as ResourceVerb)) {
        res.setHeader('Allow', [...new Set(verbs.map((v) => METHOD_OF[v]))].join(', '));
        throw newMethodNotSupported({ group: info.apiGroup, resource: info.resource }, info.verb || method);
      }
      // body.ts closes the connection after an oversized body through req.res.
      (req as { res?: ServerResponse }).res ??= res;

      const ctx: RequestContext = {
        warnings: [],
        // Made (with its listener) only when something asks for it, which most requests never do.
        get signal() {
          return requestSignal(req);
        },
      };
      if (kind.namespaced && info.namespace !== '') ctx.namespace = info.namespace;
      ctx.version = info.apiVersion;
      const userAgent = req.headers['user-agent'];
      if (userAgent) ctx.userAgent = userAgent;
      const auditAnnotations = auditAnnotationsOf(req);
      if (auditAnnotations) ctx.auditAnnotations = auditAnnotations;
      const user = requestUser(req);
      if (user) ctx.user = user;

      const rc: ResourceContext = {
        req,
        info,
        served,
        storage,
        scheme: options.scheme,
        ctx,
        query: requestQueryOf(req),
        output: negotiateOutput(req.headers.accept, info.subresource !== 'scale'),
        maxRequestBodyBytes,
      };
      if (served.version.deprecationWarning) ctx.warnings.push(served.version.deprecationWarning);
      if (shape === 'action') return await handleAction(rc, res);
      switch (info.verb) {
        case 'get':
          return await handleGet(rc, res);
        case 'list':
          return await handleList(rc, res);
        case 'watch':
          return await handleWatch(rc, res, minRequestTimeoutSeconds);
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
      throw notFoundError();
    } catch (err) {
      writeStatus(res, err);
    }
  };
}
