/**
 * A resource request resolved against the scheme and the storages: what every verb handler
 * works with, plus the encoders from hub objects to what the client asked for.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KubeList, KubeObject } from '@kapi/apimachinery';
import { apiVersionOf, newBadRequest, newMethodNotSupported } from '@kapi/apimachinery';
import type { RestStorage } from '../registry/interfaces.js';
import type { SchemeLike, ServedVersion } from '../scheme/scheme-like.js';
import type { RequestContext } from '../registry/rest.js';
import type { OutputTarget } from './negotiation.js';
import type { RequestInfo } from '../http/request-info.js';
import {
  asPartialObjectMetadata,
  asPartialObjectMetadataList,
  buildTable,
  isAList,
  listMetaOf,
  notAList,
  parseIncludeObject,
} from './table.js';

export interface ResourceContext {
  req: IncomingMessage & { res?: ServerResponse };
  /** The request's one RequestInfo (for list and watch, `name` is the one a metadata.name field selector names, as Go has it). */
  info: RequestInfo;
  served: ServedVersion;
  storage: RestStorage;
  scheme: SchemeLike;
  ctx: RequestContext;
  query: URLSearchParams;
  output: OutputTarget;
  maxRequestBodyBytes: number;
}

type StorageMethod = Exclude<keyof RestStorage, 'kind'>;

/** The resource's implementation of `method`, bound to it; 405 when the resource does not offer it. */
export function storageMethod<M extends StorageMethod>(rc: ResourceContext, method: M): NonNullable<RestStorage[M]> {
  const fn = rc.storage[method] as ((...args: never[]) => unknown) | undefined;
  if (typeof fn !== 'function') throw newMethodNotSupported(groupResource(rc), rc.info.verb);
  return fn.bind(rc.storage) as NonNullable<RestStorage[M]>;
}

export function apiVersionOfRequest(rc: ResourceContext): string {
  return apiVersionOf(rc.info.apiGroup, rc.info.apiVersion);
}

export function groupResource(rc: ResourceContext): { group: string; resource: string } {
  return { group: rc.info.apiGroup, resource: rc.info.resource };
}

/** Hub → the request's version. */
export function encodeObject(rc: ResourceContext, hub: KubeObject): KubeObject {
  return rc.scheme.encode(rc.served.kind, hub, rc.info.apiVersion);
}

/** A single object as the client asked for it (itself, a one-row Table, or its metadata). */
export function renderObject(rc: ResourceContext, hub: KubeObject, opts: { noHeaders?: boolean } = {}): unknown {
  const obj = encodeObject(rc, hub);
  const transform = rc.output.transform;
  if (!transform) return obj;
  switch (transform.kind) {
    case 'Table':
      return buildTable(rc.served.version, [obj], listMetaOf(undefined, obj), {
        includeObject: parseIncludeObject(rc.query.get('includeObject')),
        metaVersion: transform.version,
        ...(opts.noHeaders ? { noHeaders: true } : {}),
      });
    case 'PartialObjectMetadata':
      return asPartialObjectMetadata(obj, transform.version);
    case 'PartialObjectMetadataList':
      throw notAList('PartialObjectMetadata');
  }
}

/** A list as the client asked for it (`<Kind>List`, a Table, or PartialObjectMetadataList). */
export function renderList(rc: ResourceContext, list: KubeList): unknown {
  const items = list.items.map((item) => encodeObject(rc, item));
  const encoded: KubeList = {
    apiVersion: apiVersionOfRequest(rc),
    kind: `${rc.served.kind.kind}List`,
    metadata: listMetaOf(list),
    items,
  };
  const transform = rc.output.transform;
  if (!transform) return encoded;
  switch (transform.kind) {
    case 'Table':
      return buildTable(rc.served.version, items, encoded.metadata, {
        includeObject: parseIncludeObject(rc.query.get('includeObject')),
        metaVersion: transform.version,
      });
    case 'PartialObjectMetadataList':
      return asPartialObjectMetadataList(encoded, transform.version);
    case 'PartialObjectMetadata':
      throw isAList('PartialObjectMetadata');
  }
}

/**
 * rest.EnsureObjectNamespaceMatchesRequestNamespace: fills in the URL's namespace, clears it for
 * cluster-scoped kinds, refuses a different one.
 */
export function ensureNamespace(rc: ResourceContext, obj: KubeObject): void {
  const requestNamespace = rc.served.kind.namespaced ? rc.info.namespace : '';
  const objNamespace = obj.metadata.namespace ?? '';
  if (objNamespace === requestNamespace) return;
  if (objNamespace === '') obj.metadata.namespace = requestNamespace;
  else if (requestNamespace === '') delete obj.metadata.namespace;
  else throw newBadRequest('the namespace of the provided object does not match the namespace sent on the request');
}

/** The name in an update's body must be the URL's (handlers/rest.go checkName). */
export function checkName(rc: ResourceContext, obj: KubeObject): void {
  const name = rc.info.name;
  const objName = obj.metadata.name ?? '';
  if (objName !== name) {
    throw newBadRequest(`the name of the object (${objName}) does not match the name on the URL (${name})`);
  }
  const objNamespace = obj.metadata.namespace ?? '';
  const namespace = rc.info.namespace;
  if (objNamespace !== '' && rc.served.kind.namespaced && objNamespace !== namespace) {
    throw newBadRequest(`the namespace of the object (${objNamespace}) does not match the namespace on the URL (${namespace})`);
  }
}
