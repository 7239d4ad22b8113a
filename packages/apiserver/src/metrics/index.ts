/**
 * @kapi/apiserver/metrics: the external metrics API (external.metrics.k8s.io/v1beta1) as
 * sigs.k8s.io/custom-metrics-apiserver serves it, from a provider: served by
 * `apiServer(...).withExternalMetrics(provider)`.
 */
export {
  EXTERNAL_METRICS_GROUP,
  EXTERNAL_METRICS_VERSION,
  type ExternalMetricInfo,
  type ExternalMetricSample,
  type ExternalMetricValue,
  type ExternalMetricValueList,
  type ExternalMetricsProvider,
} from './types.js';
export { externalMetricsProvider, selectorLabels, type ExternalMetric, type ExternalMetricRequest } from './define.js';
export { externalMetricResource, newMetricNotFoundError, newMetricNotFoundForError, newMetricNotFoundForSelectorError, type GroupResource } from './errors.js';
export { externalMetricResources, externalMetricsGroupVersion, toWire } from './external.js';
export { formatQuantity, type QuantityInput } from './quantity.js';
