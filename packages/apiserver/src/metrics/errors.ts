/** The NotFound errors of sigs.k8s.io/custom-metrics-apiserver (pkg/provider/errors.go), in its words. */
import { StatusError, type LabelSelector } from '@kapi/apimachinery';
import { EXTERNAL_METRICS_GROUP } from './types.js';

export interface GroupResource {
  group: string;
  resource: string;
}

/** schema.GroupResource.String(): resource.group, or the resource alone in the core group. */
function groupResourceString(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

/** The external metric `metric` as a group resource (Go's external_metrics.Resource(metric)). */
export function externalMetricResource(metric: string): GroupResource {
  return { group: EXTERNAL_METRICS_GROUP, resource: metric };
}

// Go builds these Status values by hand: no details, as here.
/** NewMetricNotFoundError: 404 "the server could not find the metric <metric> for <resource>". */
export function newMetricNotFoundError(resource: GroupResource, metricName: string): StatusError {
  return new StatusError(404, 'NotFound', `the server could not find the metric ${metricName} for ${groupResourceString(resource)}`);
}

/** NewMetricNotFoundForError: the metric of one named object. */
export function newMetricNotFoundForError(resource: GroupResource, metricName: string, resourceName: string): StatusError {
  return new StatusError(404, 'NotFound', `the server could not find the metric ${metricName} for ${groupResourceString(resource)} ${resourceName}`);
}

/** NewMetricNotFoundForSelectorError: the metric of one named object and a selector. */
export function newMetricNotFoundForSelectorError(resource: GroupResource, metricName: string, resourceName: string, selector: LabelSelector): StatusError {
  return new StatusError(404, 'NotFound', `the server could not find the metric ${metricName} for ${groupResourceString(resource)} ${resourceName} with selector ${selector.toString()}`);
}
