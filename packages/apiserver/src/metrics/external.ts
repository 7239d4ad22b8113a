/**
 * external.metrics.k8s.io/v1beta1 served from an ExternalMetricsProvider, as
 * sigs.k8s.io/custom-metrics-apiserver serves it (pkg/apiserver/emapis.go, installer/emhandlers.go,
 * registry/external_metrics/reststorage.go, provider/resource_lister.go):
 *
 *  - discovery: the group in /apis (legacy form only, as Go's), /apis/external.metrics.k8s.io, and
 *    /apis/external.metrics.k8s.io/v1beta1 listing each metric the provider knows as a namespaced
 *    resource of kind ExternalMetricValueList with the verb get;
 *  - GET /apis/external.metrics.k8s.io/v1beta1/namespaces/<namespace>/<metric>?labelSelector=…:
 *    the provider's values as an ExternalMetricValueList, for any metric name (the provider says
 *    NotFound); ListOptions validated and selectors parsed as Go's ListResource does (400 on a bad
 *    selector), a watch refused with 405 as Go refuses it (the storage is no Watcher);
 *  - every other path under the group version: 404; another method: 405.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StatusError, newBadRequest, newMethodNotSupported, parseFieldSelector, parseLabelSelector, rfc3339, type LabelSelector } from '@kapi/apimachinery';
import type { APIResource } from '../discovery/documents.js';
import type { DynamicGroupVersion } from '../endpoints/dynamic.js';
import { negotiateOutput } from '../endpoints/negotiation.js';
import { parseListOptions } from '../endpoints/options.js';
import { requestQueryOf, type RequestInfo } from '../http/request-info.js';
import { requestSignal } from '../http/request-signal.js';
import { notFoundError, setWarnings, writeObject } from '../http/responses.js';
import type { RequestContext } from '../registry/rest.js';
import { requestUser } from '../security/authn.js';
import { externalMetricsOpenAPI } from './openapi.js';
import { formatQuantity } from './quantity.js';
import {
  EXTERNAL_METRICS_GROUP,
  EXTERNAL_METRICS_VERSION,
  type ExternalMetricSample,
  type ExternalMetricValue,
  type ExternalMetricValueList,
  type ExternalMetricsProvider,
} from './types.js';

/** The group version a builder serves for `provider` (APIServerBuilder.withExternalMetrics). */
export function externalMetricsGroupVersion(provider: ExternalMetricsProvider): DynamicGroupVersion {
  return {
    group: EXTERNAL_METRICS_GROUP,
    version: EXTERNAL_METRICS_VERSION,
    // Go's InstallExternalMetricsAPI adds the group to the legacy DiscoveryGroupManager only.
    aggregatedDiscovery: false,
    resources: () => externalMetricResources(provider),
    serve: (req, res, info) => serveExternalMetric(provider, req, res, info),
    openapi: externalMetricsOpenAPI,
  };
}

/** externalMetricsResourceLister.ListAPIResources. */
export function externalMetricResources(provider: ExternalMetricsProvider): APIResource[] {
  return provider.listAllExternalMetrics().map((m) => ({ name: m.metric, singularName: '', namespaced: true, kind: 'ExternalMetricValueList', verbs: ['get'] }));
}

async function serveExternalMetric(provider: ExternalMetricsProvider, req: IncomingMessage, res: ServerResponse, info: RequestInfo): Promise<void> {
  // The one route: namespaces/{namespace}/{resource}.
  if (info.verbViaPath || info.namespace === '' || info.parts.length !== 1 || info.resource === '') throw notFoundError();
  // go-restful's answer to a method the route lacks (HEAD included): no Allow header.
  if (req.method !== 'GET') throw new StatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
  const query = requestQueryOf(req);
  const watch = info.verb === 'watch';
  const opts = parseListOptions(query, watch);
  const metricSelector = labelSelectorOf(opts.labelSelector ?? '');
  if (opts.fieldSelector !== undefined) parseFieldSelector(opts.fieldSelector);
  if (watch) throw newMethodNotSupported({ group: EXTERNAL_METRICS_GROUP, resource: '*' }, 'watch');
  // Go's handler has no table convertor: Table and metadata transforms are not offered.
  const output = negotiateOutput(req.headers.accept, false);

  const ctx: RequestContext = {
    namespace: info.namespace,
    version: info.apiVersion,
    warnings: [],
    get signal() {
      return requestSignal(req);
    },
  };
  const user = requestUser(req);
  if (user) ctx.user = user;
  const samples = await provider.getExternalMetric(info.namespace, metricSelector, { metric: info.resource }, ctx);
  const list: ExternalMetricValueList = {
    kind: 'ExternalMetricValueList',
    apiVersion: `${EXTERNAL_METRICS_GROUP}/${EXTERNAL_METRICS_VERSION}`,
    metadata: {},
    items: samples.map(toWire),
  };
  setWarnings(res, ctx.warnings);
  writeObject(res, 200, list, output.format, output.contentType);
}

/** The labelSelector as Go's parameter codec parses it: its 400 says labels.Parse's error alone. */
function labelSelectorOf(text: string): LabelSelector {
  try {
    return parseLabelSelector(text);
  } catch (err) {
    if (err instanceof StatusError && err.code === 400) throw newBadRequest(err.message.replace(/; found in label selector ".*"$/s, ''));
    throw err;
  }
}

/** A sample's timestamp as metav1.Time (now when it has none). */
function sampleTime(time: Date | string | undefined): string {
  const date = time === undefined ? new Date() : typeof time === 'string' ? new Date(time) : time;
  if (Number.isNaN(date.getTime())) throw new Error(`the metric's timestamp ${String(time)} is not a time`);
  return rfc3339(date);
}

/** An ExternalMetricValue as Go writes it (metricLabels null when there are none given). */
export function toWire(sample: ExternalMetricSample): ExternalMetricValue {
  return {
    metricName: sample.metricName,
    metricLabels: sample.metricLabels ?? null,
    timestamp: sampleTime(sample.timestamp),
    ...(sample.windowSeconds !== undefined ? { window: sample.windowSeconds } : {}),
    value: formatQuantity(sample.value),
  };
}
