/**
 * Prometheus metrics with the names and labels kube-apiserver uses, so existing dashboards and
 * alerts read a kapi server unchanged. One Registry per server: prom-client's global registry
 * refuses a second registration of a name (two servers in one process, tests).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { requestInfoOf, requestQueryOf, type RequestInfo } from '../http/request-info.js';
import { sendBody } from '../http/responses.js';
import type { Route } from '../http/routes.js';

const COMPONENT = 'apiserver';
/** kube-apiserver's apiserver_request_duration_seconds buckets. */
const DURATION_BUCKETS = [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
const LABELS = ['verb', 'dry_run', 'group', 'version', 'resource', 'subresource', 'scope', 'component'] as const;
type Label = (typeof LABELS)[number];
type Labels = Record<Label, string>;

/** Non-resource paths reported by name; anything else is "other" (keeps label cardinality bounded). */
const REPORTED_PATHS = new Set(['/healthz', '/livez', '/readyz', '/metrics', '/version', '/api', '/apis', '/openapi/v2', '/openapi/v3']);

const API_VERBS: Record<string, string> = {
  get: 'GET',
  list: 'LIST',
  watch: 'WATCH',
  create: 'POST',
  update: 'PUT',
  patch: 'PATCH',
  delete: 'DELETE',
  deletecollection: 'DELETECOLLECTION',
  proxy: 'PROXY',
};
const VALID_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'CONNECT']);
/** Subresources Go reports as CONNECT, by name (validConnectRequests). */
const CONNECT_SUBRESOURCES = new Set(['log', 'exec', 'portforward', 'attach', 'proxy']);

/** Go's CleanScope. */
export function metricScope(info: RequestInfo): string {
  if (info.name !== '' || info.verb === 'create') return 'resource';
  if (info.namespace !== '') return 'namespace';
  return info.isResourceRequest ? 'cluster' : '';
}

/** Go's CleanVerb over the canonical verb: LIST vs GET, WATCH, APPLY for server-side apply, CONNECT for exec-like subresources. */
export function metricVerb(info: RequestInfo, method: string, contentType: string | undefined): string {
  if (!info.isResourceRequest) {
    const upper = method.toUpperCase();
    return VALID_METHODS.has(upper) ? upper : 'other';
  }
  if (CONNECT_SUBRESOURCES.has(info.subresource)) return 'CONNECT';
  if (info.verb === 'patch' && contentType?.split(';')[0]?.trim() === 'application/apply-patch+yaml') return 'APPLY';
  return API_VERBS[info.verb] ?? 'other';
}

/** Go's cleanDryRun: "" when absent, the sorted distinct values, "invalid" for anything but All. */
function dryRunLabel(query: URLSearchParams): string {
  const values = query.getAll('dryRun');
  if (values.length === 0) return '';
  if (values.some((v) => v !== 'All')) return 'invalid';
  return [...new Set(values)].sort().join(',');
}

export function requestLabels(req: IncomingMessage): Labels {
  const info = requestInfoOf(req);
  const resource = info.isResourceRequest;
  // In Go's label order, so the exposition reads like kube-apiserver's.
  return {
    verb: metricVerb(info, req.method ?? 'GET', req.headers['content-type']),
    dry_run: dryRunLabel(requestQueryOf(req)),
    group: resource ? info.apiGroup : '',
    version: resource ? info.apiVersion : '',
    resource: resource ? info.resource : '',
    subresource: resource ? info.subresource : REPORTED_PATHS.has(info.path) ? info.path : 'other',
    scope: metricScope(info),
    component: COMPONENT,
  };
}

export interface ApiServerMetricsOptions {
  /** Also collect prom-client's default process and Node.js metrics; default true. */
  collectDefaultMetrics?: boolean;
}

export class ApiServerMetrics {
  readonly registry = new Registry();
  readonly requestTotal: Counter<Label | 'code'>;
  readonly requestDuration: Histogram<Label>;

  constructor(options: ApiServerMetricsOptions = {}) {
    this.requestTotal = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.',
      labelNames: [...LABELS, 'code'],
      registers: [this.registry],
    });
    this.requestDuration = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.',
      labelNames: [...LABELS],
      buckets: DURATION_BUCKETS,
      registers: [this.registry],
    });
    if (options.collectDefaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * The counter and histogram children of each label set seen (bounded: the labels are), so a
   * request costs a lookup instead of prom-client validating and hashing two label objects.
   */
  private readonly children = new Map<string, { total: { inc(): void }; duration: { observe(value: number): void } }>();

  /** Records one finished (or aborted) request. */
  observe(req: IncomingMessage, res: ServerResponse, seconds: number): void {
    const labels = requestLabels(req);
    const code = String(res.statusCode);
    // Values from the URL may hold the key's separator (%00): such label sets are not cached.
    if (labels.group.includes('\0') || labels.version.includes('\0') || labels.resource.includes('\0') || labels.subresource.includes('\0')) {
      this.requestTotal.inc({ ...labels, code });
      this.requestDuration.observe(labels, seconds);
      return;
    }
    const key = `${labels.verb}\0${labels.dry_run}\0${labels.group}\0${labels.version}\0${labels.resource}\0${labels.subresource}\0${labels.scope}\0${code}`;
    let child = this.children.get(key);
    if (!child) {
      child = { total: this.requestTotal.labels({ ...labels, code }), duration: this.requestDuration.labels(labels) };
      this.children.set(key, child);
    }
    child.total.inc();
    child.duration.observe(seconds);
  }

  /** GET /metrics in the Prometheus text format. */
  route(): Route {
    return {
      prefix: '/metrics',
      handler: async (_req, res) => sendBody(res, 200, this.registry.contentType, await this.registry.metrics()),
    };
  }
}
