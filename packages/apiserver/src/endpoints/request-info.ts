/**
 * What a request under /apis asks for, after k8s.io/apiserver/pkg/endpoints/request/requestinfo.go:
 * /apis/<group>/<version>[/watch][/namespaces/<ns>]/<resource>[/<name>[/<subresource>]].
 */
import { newBadRequest } from '@kapi/apimachinery';
import { splitURL } from '../server/request-info.js';

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

export interface ResourceRequestInfo {
  group: string;
  version: string;
  /** Set when the URL has a /namespaces/<ns>/ segment. */
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  verb: Verb;
  /** The legacy /watch/ path prefix was used. */
  legacyWatch: boolean;
}

/** A path under /apis that is not a resource: /apis, /apis/<g>, /apis/<g>/<v>. */
export interface DiscoveryRequestInfo {
  group?: string;
  version?: string;
}

export type ParsedRequestInfo =
  | { kind: 'resource'; info: ResourceRequestInfo }
  | { kind: 'discovery'; info: DiscoveryRequestInfo }
  /** Too many segments, or a method the API does not know: nothing serves it. */
  | { kind: 'unknown' };

const METHOD_VERBS: Record<string, Verb> = {
  GET: 'get',
  HEAD: 'get',
  POST: 'create',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** Go's strconv.ParseBool, which the query parameter codec uses. */
export function parseBoolParam(name: string, value: string): boolean {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value)) return false;
  throw newBadRequest(`invalid value for ${name}: strconv.ParseBool: parsing "${value}": invalid syntax`);
}

function decodeSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw newBadRequest(`invalid path segment: ${segment}`);
  }
}

/**
 * @param path the URL path starting with /apis (percent-encoded, as on the wire)
 * @param query the parsed query string
 */
export function parseRequestInfo(method: string, path: string, query: URLSearchParams): ParsedRequestInfo {
  return resourceRequestOf(method, splitURL(path).segments, query);
}

/**
 * The endpoints' view of a URL split once for the request (server/request-info.ts splitURL): the
 * segments are decoded here (an undecodable one is a 400) and empty ones skipped.
 */
export function resourceRequestOf(method: string, segments: readonly string[], query: URLSearchParams): ParsedRequestInfo {
  const parts: string[] = [];
  for (const segment of segments) if (segment !== '') parts.push(decodeSegment(segment));
  if (parts[0] !== 'apis') return { kind: 'unknown' };
  if (parts.length <= 3) {
    return { kind: 'discovery', info: { group: parts[1], version: parts[2] } };
  }
  let verb = METHOD_VERBS[method.toUpperCase()];
  if (!verb) return { kind: 'unknown' };
  const group = parts[1]!;
  const version = parts[2]!;
  let i = 3;

  let legacyWatch = false;
  if (parts[i] === 'watch') {
    if (verb !== 'get') return { kind: 'unknown' };
    verb = 'watch';
    legacyWatch = true;
    i++;
  }

  let namespace: string | undefined;
  if (parts[i] === 'namespaces' && parts.length - i > 2) {
    namespace = parts[i + 1];
    i += 2;
  }
  const left = parts.length - i;
  if (left === 0 || left > 3) return { kind: 'unknown' };
  const resource = parts[i]!;
  const name = parts[i + 1];
  const subresource = parts[i + 2];

  if (!name && verb === 'get') {
    const watch = query.get('watch');
    verb = watch !== null && watch !== '' && parseBoolParam('watch', watch) ? 'watch' : 'list';
  }
  if (!name && verb === 'delete') verb = 'deletecollection';

  const info: ResourceRequestInfo = { group, version, resource, verb, legacyWatch };
  if (namespace !== undefined) info.namespace = namespace;
  if (name !== undefined) info.name = name;
  if (subresource !== undefined) info.subresource = subresource;
  return { kind: 'resource', info };
}
