/**
 * What a request asks for in API terms, read from its method and URL alone: Go's
 * RequestInfoFactory (k8s.io/apiserver pkg/endpoints/request/requestinfo.go). It is worked out
 * once per request and is the only reading of the URL: authorization authorizes, max-in-flight
 * counts, metrics label, audit records and the endpoints serve the same verb, resource and name.
 */
import type { IncomingMessage } from 'node:http';

export interface RequestInfo {
  isResourceRequest: boolean;
  /** The URL path as sent (percent-encoded, without the query). */
  path: string;
  /**
   * Lowercase: get, list, watch, create, update, patch, delete, deletecollection, proxy; "" for a
   * method the API has no verb for; the HTTP method for non-resource paths.
   */
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  /** From the path, or for list/watch from a `metadata.name=` field selector (authorization reads it as Go does). */
  name: string;
  /** The decoded path segments after the prefix, group, version, verb and namespace (Go's Parts). */
  parts: string[];
  /** The verb came from a path segment (the legacy /watch/ and /proxy/ prefixes). */
  verbViaPath: boolean;
  /** The path's segments, percent-decoded, as Go's splitPath gives them (empty ones kept). */
  segments: string[];
  /** A path segment that does not percent-decode: Go's server refuses such a URL with 400. */
  badSegment?: string;
}

const API_PREFIXES = new Set(['api', 'apis']);
const GROUPLESS_PREFIXES = new Set(['api']);
/** Legacy verbs carried as a path segment: /apis/g/v/watch/... */
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const SPECIAL_VERBS_NO_SUBRESOURCES = new Set(['proxy']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

const METHOD_VERBS: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/**
 * A boolean query parameter as Go's query-parameter codec reads it
 * (k8s.io/apimachinery runtime.Convert_Slice_string_To_bool): undefined when absent; the first
 * value decides; only "0" and "false" (any case) are false, anything else — "", "yes", "f" — is
 * true. The watch verb and every boolean option are read by this one rule.
 */
export function queryBool(query: URLSearchParams, name: string): boolean | undefined {
  const value = query.get(name);
  if (value === null) return undefined;
  return !(value === '0' || value.toLowerCase() === 'false');
}

/** Go's content.IsPathSegmentName: a name that may stand in a URL path. */
function isPathSegmentName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}

/** metadata.name=<x> (or ==) as one term of a field selector names one object, as Go's RequiresExactMatch reads it. */
function nameFromFieldSelector(selector: string | null): string {
  if (!selector) return '';
  for (const term of selector.split(',')) {
    const match = /^\s*metadata\.name\s*==?\s*(.+?)\s*$/.exec(term);
    if (match && isPathSegmentName(match[1]!)) return match[1]!;
  }
  return '';
}

/** The request target split into its path (as sent) and its query (without '?'). */
function splitTarget(url: string): { path: string; rawQuery: string } {
  if (url.startsWith('/') && !url.startsWith('//')) {
    const hash = url.indexOf('#');
    const target = hash < 0 ? url : url.slice(0, hash);
    const q = target.indexOf('?');
    return q < 0 ? { path: target, rawQuery: '' } : { path: target.slice(0, q), rawQuery: target.slice(q + 1) };
  }
  // absolute-form, "*" and the like: the WHATWG parser knows them.
  const parsed = new URL(url, 'http://request.invalid');
  return { path: parsed.pathname, rawQuery: parsed.search.slice(1) };
}

/** Go's splitPath: the path trimmed of slashes, split on '/'; "" → no segments. */
function splitPath(path: string): string[] {
  let start = 0;
  let end = path.length;
  while (start < end && path.charCodeAt(start) === 47) start++;
  while (end > start && path.charCodeAt(end - 1) === 47) end--;
  return start === end ? [] : path.slice(start, end).split('/');
}

/**
 * Go's NewRequestInfo for a method and a split target. `query` is parsed only when needed: the
 * verb of a GET on a collection depends on `watch`.
 */
function resolve(method: string, path: string, query: () => URLSearchParams): RequestInfo {
  const segments: string[] = [];
  let badSegment: string | undefined;
  for (const raw of splitPath(path)) {
    if (!raw.includes('%')) {
      segments.push(raw);
      continue;
    }
    try {
      segments.push(decodeURIComponent(raw));
    } catch {
      badSegment ??= raw;
      segments.push(raw);
    }
  }
  const info: RequestInfo = {
    isResourceRequest: false,
    path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
    parts: [],
    verbViaPath: false,
    segments,
  };
  if (badSegment !== undefined) info.badSegment = badSegment;
  if (segments.length < 3 || !API_PREFIXES.has(segments[0]!)) return info;
  let i = 1;
  info.apiPrefix = segments[0]!;
  if (!GROUPLESS_PREFIXES.has(info.apiPrefix)) {
    if (segments.length - i < 3) return info;
    info.apiGroup = segments[i++]!;
  }
  info.isResourceRequest = true;
  info.apiVersion = segments[i++]!;

  if (SPECIAL_VERBS.has(segments[i]!)) {
    // Go fails the request here ("unable to determine kind and namespace"); kapi leaves it a
    // resource request without a resource, which nothing serves (404).
    if (segments.length - i < 2) return info;
    info.verb = segments[i++]!;
    info.verbViaPath = true;
  } else {
    info.verb = METHOD_VERBS[method.toUpperCase()] ?? '';
  }

  if (segments[i] === 'namespaces' && segments.length - i > 1) {
    info.namespace = segments[i + 1]!;
    if (segments.length - i > 2 && !NAMESPACE_SUBRESOURCES.has(segments[i + 2]!)) i += 2;
  }
  const parts = (info.parts = segments.slice(i));
  if (parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(info.verb)) info.subresource = parts[2]!;
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;

  if (info.name === '' && info.verb === 'get') {
    const params = query();
    info.verb = queryBool(params, 'watch') ? 'watch' : 'list';
    info.name = nameFromFieldSelector(params.get('fieldSelector'));
  }
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}

/** The RequestInfo of a method and a request target ("/path?query"), without a request object. */
export function newRequestInfo(method: string, url: string): RequestInfo {
  const { path, rawQuery } = splitTarget(url);
  return resolve(method, path, () => new URLSearchParams(rawQuery));
}

const LONG_RUNNING_VERBS = new Set(['watch', 'proxy']);

/** Go's BasicLongRunningRequestCheck: watches and proxies (no long-running subresources here). */
export function isLongRunning(info: RequestInfo): boolean {
  return info.isResourceRequest && LONG_RUNNING_VERBS.has(info.verb);
}

const READ_ONLY_VERBS = new Set(['get', 'list', 'watch']);

export function isMutating(info: RequestInfo): boolean {
  return !READ_ONLY_VERBS.has(info.verb);
}

/** What is worked out once per request and read by every filter and by the endpoints. */
interface Parsed {
  info: RequestInfo;
  rawQuery: string;
  query: URLSearchParams | undefined;
}

/** On the request object itself: cheaper than a WeakMap entry per request (no ephemeron for the GC). */
const PARSED = Symbol('kapi.requestInfo');
type WithParsed = IncomingMessage & { [PARSED]?: Parsed };

function parsedOf(req: IncomingMessage): Parsed {
  const r = req as WithParsed;
  let parsed = r[PARSED];
  if (!parsed) {
    const { path, rawQuery } = splitTarget(req.url ?? '/');
    const state: Parsed = { info: undefined as unknown as RequestInfo, rawQuery, query: undefined };
    state.info = resolve(req.method ?? 'GET', path, () => (state.query ??= new URLSearchParams(rawQuery)));
    parsed = r[PARSED] = state;
  }
  return parsed;
}

/** The request's RequestInfo, worked out on first use and the same object after. */
export function requestInfoOf(req: IncomingMessage): RequestInfo {
  return parsedOf(req).info;
}

/** The request's query parameters, parsed once. Shared by every reader: do not change it. */
export function requestQueryOf(req: IncomingMessage): URLSearchParams {
  const parsed = parsedOf(req);
  return (parsed.query ??= new URLSearchParams(parsed.rawQuery));
}
