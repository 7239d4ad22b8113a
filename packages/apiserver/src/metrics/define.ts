/**
 * An ExternalMetricsProvider from a table of metrics, each a name and a function: what most
 * providers are (a query per metric). Discovery lists the table; an unknown name is Go's NotFound.
 */
import type { LabelSelector } from '@kapi/apimachinery';
import type { RequestContext } from '../registry/rest.js';
import { externalMetricResource, newMetricNotFoundError } from './errors.js';
import type { QuantityInput } from './quantity.js';
import type { ExternalMetricSample, ExternalMetricsProvider } from './types.js';

/** What a metric's function is asked. */
export interface ExternalMetricRequest {
  /** The namespace of the URL (the HorizontalPodAutoscaler's). */
  namespace: string;
  /** The series asked for: the labelSelector (an HPA's metric.selector). */
  selector: LabelSelector;
  ctx: RequestContext;
}

export interface ExternalMetric {
  /** The metric's name: its resource in discovery and in the URL. */
  name: string;
  /**
   * Its value for a request: one value (one series, labelled with the selector's exact matches,
   * timestamped now), or each series' samples.
   */
  get(request: ExternalMetricRequest): Promise<QuantityInput | readonly ExternalMetricSample[]>;
}

/** The `key=value` (and `key in (value)`) terms of a selector: the labels of the one series it names. */
export function selectorLabels(selector: LabelSelector): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const r of selector.requirements) {
    if ((r.operator === '=' || r.operator === '==' || r.operator === 'in') && r.values.length === 1) labels[r.key] = r.values[0]!;
  }
  return labels;
}

export function externalMetricsProvider(metrics: readonly ExternalMetric[]): ExternalMetricsProvider {
  const byName = new Map(metrics.map((m) => [m.name, m]));
  if (byName.size !== metrics.length) throw new Error('two external metrics have the same name');
  const infos = metrics.map((m) => ({ metric: m.name }));
  return {
    listAllExternalMetrics: () => infos,
    async getExternalMetric(namespace, metricSelector, info, ctx) {
      const metric = byName.get(info.metric);
      if (!metric) throw newMetricNotFoundError(externalMetricResource(info.metric), info.metric);
      const got = await metric.get({ namespace, selector: metricSelector, ctx });
      if (typeof got === 'number' || typeof got === 'bigint' || typeof got === 'string') {
        return [{ metricName: metric.name, metricLabels: selectorLabels(metricSelector), value: got }];
      }
      return got;
    },
  };
}
