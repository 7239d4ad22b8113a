/**
 * What a request asks for in API terms, read from its method and URL alone (Go's
 * RequestInfoFactory): the filters need it before any route runs — max-in-flight for the verb,
 * authorization for the attributes, metrics for the labels.
 *
 * The URL is split once per request (requestInfoOf caches the result on the request); the
 * endpoints resolve their resource request from the same split (endpoints/request-info.ts).
 */
import type { IncomingMessage } from 'node:http';

export interface RequestInfo {
  isResourceRequest: boolean;
  /** The URL path as sent (percent-encoded, without the query). */
  path: string;
  /** Lowercase: get, list, watch, create, update, patch, delete, deletecollection; the HTTP method for non-resource paths. */
  verb: string;
  apiPrefix: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

/** The URL of a request split once: what both request-info views (the filters' and the endpoints') read. */
export interface SplitURL {
  /** The path as sent (percent-encoded), without the query. */
  path: string;
  /** The path's segments between slashes, still percent-encoded (empty ones kept, as Go's strings.Split leaves them). */
  segments: string[];
  /** The query string without '?' ("" when none). */
  rawQuery: string;
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

function isTruthyWatchParam(value: string | null): boolean {
  if (value === null) return false;
  const lower = value.toLowerCase();
  return lower !== 'false' && lower !== '0';
}

/** metadata.name=<x> (or ==) alone in a field selector names one object, as Go reads it. */
function nameFromFieldSelector(selector: string | null): string {
  if (!selector) return '';
  const terms = selector.split(',');
  for (const term of terms) {
    const match = /^\s*metadata\.name\s*==?\s*(.+?)\s*$/.exec(term);
    if (match && !match[1]!.includes('/') && match[1] !== '.' && match[1] !== '..') return match[1]!;
  }
  return '';
}

/** A path segment percent-decoded, as Go's req.URL.Path has it; one that does not decode stays as sent. */
function decodedSegment(segment: string): string {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Splits a request target: origin-form ("/path?query", the usual) directly; anything else
 * (absolute-form, "*") through the WHATWG URL parser, as before.
 */
export function splitURL(url: string): SplitURL {
  let path: string;
  let rawQuery: string;
  if (url.startsWith('/') && !url.startsWith('//')) {
    const q = url.indexOf('?');
    path = q < 0 ? url : url.slice(0, q);
    rawQuery = q < 0 ? '' : url.slice(q + 1);
    const hash = rawQuery.indexOf('#');
    if (hash >= 0) rawQuery = rawQuery.slice(0, hash);
    const pathHash = path.indexOf('#');
    if (pathHash >= 0) path = path.slice(0, pathHash);
  } else {
    const parsed = new URL(url, 'http://request.invalid');
    path = parsed.pathname;
    rawQuery = parsed.search.slice(1);
  }
  let start = 0;
  let end = path.length;
  while (start < end && path.charCodeAt(start) === 47) start++;
  while (end > start && path.charCodeAt(end - 1) === 47) end--;
  const segments = start === end ? [] : path.slice(start, end).split('/');
  return { path, segments, rawQuery };
}

/** Go's RequestInfoFactory.NewRequestInfo over a split URL; `query` is read only for a GET of a collection. */
function resolveSplit(method: string, split: SplitURL, query: () => URLSearchParams): RequestInfo {
  const info: RequestInfo = {
    isResourceRequest: false,
    path: split.path,
    verb: method.toLowerCase(),
    apiPrefix: '',
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
  if (split.segments.length < 3 || !API_PREFIXES.has(split.segments[0]!)) return info;
  const all = split.segments.map(decodedSegment);
  let i = 1;
  info.apiPrefix = all[0]!;
  if (!GROUPLESS_PREFIXES.has(info.apiPrefix)) {
    if (all.length - i < 3) return info;
    info.apiGroup = all[i++]!;
  }
  info.isResourceRequest = true;
  info.apiVersion = all[i++]!;

  if (SPECIAL_VERBS.has(all[i]!)) {
    if (all.length - i < 2) return info;
    info.verb = all[i++]!;
  } else {
    info.verb = METHOD_VERBS[method.toUpperCase()] ?? '';
  }

  if (all[i] === 'namespaces') {
    if (all.length - i > 1) {
      info.namespace = all[i + 1]!;
      if (all.length - i > 2 && !NAMESPACE_SUBRESOURCES.has(all[i + 2]!)) i += 2;
    }
  }
  const left = all.length - i;
  if (left >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(info.verb)) info.subresource = all[i + 2]!;
  if (left >= 2) info.name = all[i + 1]!;
  if (left >= 1) info.resource = all[i]!;

  if (!info.name && info.verb === 'get') {
    const params = query();
    info.verb = isTruthyWatchParam(params.get('watch')) ? 'watch' : 'list';
    info.name = nameFromFieldSelector(params.get('fieldSelector'));
  }
  if (!info.name && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}

export function resolveRequestInfo(method: string, url: string): RequestInfo {
  const split = splitURL(url);
  return resolveSplit(method, split, () => new URLSearchParams(split.rawQuery));
}

const LONG_RUNNING_VERBS = new Set(['watch', 'proxy']);

/** Go's BasicLongRunningRequestCheck for the sample server: watches (no long-running subresources). */
export function isLongRunning(info: RequestInfo): boolean {
  return info.isResourceRequest && LONG_RUNNING_VERBS.has(info.verb);
}

const READ_ONLY_VERBS = new Set(['get', 'list', 'watch']);

export function isMutating(info: RequestInfo): boolean {
  return !READ_ONLY_VERBS.has(info.verb);
}

/** What is worked out once per request and read by every filter and by the endpoints. */
interface Parsed {
  split: SplitURL;
  info: RequestInfo;
  query: URLSearchParams | undefined;
}

/** On the request object itself: cheaper than a WeakMap entry per request (no ephemeron for the GC). */
const PARSED = Symbol('kapi.requestInfo');
type WithParsed = IncomingMessage & { [PARSED]?: Parsed; originalUrl?: string };

function parsedOf(req: IncomingMessage): Parsed {
  const r = req as WithParsed;
  let parsed = r[PARSED];
  if (!parsed) {
    // express rewrites req.url under a mount point; originalUrl keeps what was sent.
    const split = splitURL(r.originalUrl ?? req.url ?? '/');
    const state: Parsed = { split, info: undefined as unknown as RequestInfo, query: undefined };
    state.info = resolveSplit(req.method ?? 'GET', split, () => (state.query ??= new URLSearchParams(split.rawQuery)));
    parsed = r[PARSED] = state;
  }
  return parsed;
}

/** The RequestInfo the server resolved for this request (worked out once, by its first filter). */
export function requestInfoOf(req: IncomingMessage): RequestInfo {
  return parsedOf(req).info;
}

/** The request's URL as split for its RequestInfo. */
export function requestURLOf(req: IncomingMessage): SplitURL {
  return parsedOf(req).split;
}

/** The request's query parameters, parsed once. Shared by every reader: do not change it. */
export function requestQueryOf(req: IncomingMessage): URLSearchParams {
  const parsed = parsedOf(req);
  return (parsed.query ??= new URLSearchParams(parsed.split.rawQuery));
}
