/**
 * external.metrics.k8s.io/v1beta1 as k8s.io/metrics defines it (pkg/apis/external_metrics/v1beta1),
 * and the provider a server author writes, after sigs.k8s.io/custom-metrics-apiserver's
 * provider.ExternalMetricsProvider.
 */
import type { LabelSelector } from '@kapi/apimachinery';
import type { RequestContext } from '../registry/rest.js';
import type { QuantityInput } from './quantity.js';

export const EXTERNAL_METRICS_GROUP = 'external.metrics.k8s.io';
export const EXTERNAL_METRICS_VERSION = 'v1beta1';

/** ExternalMetricValue on the wire: a value of one series of a metric. */
export interface ExternalMetricValue {
  /** The name of the metric. */
  metricName: string;
  /** The labels that identify a single time series of the metric (Go writes null for none). */
  metricLabels: Record<string, string> | null;
  /** When the value was produced (RFC 3339, seconds). */
  timestamp: string;
  /** Seconds of the window [timestamp - window, timestamp] a rate was calculated over. */
  window?: number;
  /** The value, a Quantity's canonical text ("3", "1500m"). */
  value: string;
}

/** ExternalMetricValueList, the answer to GET …/namespaces/<ns>/<metric>. */
export interface ExternalMetricValueList {
  kind: 'ExternalMetricValueList';
  apiVersion: 'external.metrics.k8s.io/v1beta1';
  metadata: Record<string, never>;
  items: ExternalMetricValue[];
}

/** provider.ExternalMetricInfo: a metric the provider serves. */
export interface ExternalMetricInfo {
  metric: string;
}

/** One value as a provider gives it: the value as a number, bigint or quantity text; the timestamp defaults to now. */
export interface ExternalMetricSample {
  metricName: string;
  metricLabels?: Record<string, string> | null;
  timestamp?: Date | string;
  /** The window, in seconds, of a rate (the wire's `window`). */
  windowSeconds?: number;
  value: QuantityInput;
}

/**
 * A source of external metrics (provider.ExternalMetricsProvider). A metric is identified by its
 * name and its series by labels: how `metricSelector` picks series is the provider's to decide, as
 * is what `namespace` means (identification, access control, or nothing).
 */
export interface ExternalMetricsProvider {
  /**
   * The values of `info.metric` in `namespace` whose series `metricSelector` matches. Called for any
   * metric name asked for, listed or not (as Go's): throw newMetricNotFoundError for one it does not
   * know; any other StatusError is answered as it is, other errors as 500.
   */
  getExternalMetric(namespace: string, metricSelector: LabelSelector, info: ExternalMetricInfo, ctx: RequestContext): Promise<readonly ExternalMetricSample[]>;
  /** The metrics discovery lists, asked at each discovery request (it may change over time). */
  listAllExternalMetrics(): readonly ExternalMetricInfo[];
}
