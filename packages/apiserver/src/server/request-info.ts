/**
 * What a request asks for in API terms, read from its method and URL alone (Go's
 * RequestInfoFactory): the filters need it before any route runs — max-in-flight for the verb,
 * authorization for the attributes, metrics for the labels.
 */
import type { IncomingMessage } from 'node:http';

export interface RequestInfo {
  isResourceRequest: boolean;
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

export function resolveRequestInfo(method: string, url: string): RequestInfo {
  const parsed = new URL(url, 'http://request.invalid');
  const path = parsed.pathname;
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
  };
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  let parts = trimmed === '' ? [] : trimmed.split('/');
  if (parts.length < 3 || !API_PREFIXES.has(parts[0]!)) return info;
  info.apiPrefix = parts[0]!;
  parts = parts.slice(1);
  if (!GROUPLESS_PREFIXES.has(info.apiPrefix)) {
    if (parts.length < 3) return info;
    info.apiGroup = parts[0]!;
    parts = parts.slice(1);
  }
  info.isResourceRequest = true;
  info.apiVersion = parts[0]!;
  parts = parts.slice(1);

  if (SPECIAL_VERBS.has(parts[0]!)) {
    if (parts.length < 2) return info;
    info.verb = parts[0]!;
    parts = parts.slice(1);
  } else {
    info.verb = METHOD_VERBS[method.toUpperCase()] ?? '';
  }

  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1]!;
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
    }
  }
  if (parts.length >= 3 && !SPECIAL_VERBS_NO_SUBRESOURCES.has(info.verb)) info.subresource = parts[2]!;
  if (parts.length >= 2) info.name = parts[1]!;
  if (parts.length >= 1) info.resource = parts[0]!;

  if (!info.name && info.verb === 'get') {
    info.verb = isTruthyWatchParam(parsed.searchParams.get('watch')) ? 'watch' : 'list';
    info.name = nameFromFieldSelector(parsed.searchParams.get('fieldSelector'));
  }
  if (!info.name && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
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

const requestInfos = new WeakMap<IncomingMessage, RequestInfo>();

/** The RequestInfo the server resolved for this request (set by its first filter). */
export function requestInfoOf(req: IncomingMessage): RequestInfo {
  let info = requestInfos.get(req);
  if (!info) {
    info = resolveRequestInfo(req.method ?? 'GET', req.url ?? '/');
    requestInfos.set(req, info);
  }
  return info;
}
