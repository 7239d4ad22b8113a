/**
 * The metrics this server serves, each read from the host cluster at each request (through
 * kube-apiserver, so from whatever serves wardle.example.com there: the sample server, aggregated):
 *
 *  - flunders: the number of Flunders in the request's namespace that the labelSelector matches;
 *  - fischers: the number of Fischers (cluster scoped) the labelSelector matches, whatever the namespace.
 *
 * One series each, labelled with the selector's exact matches (`app=web` → {app: web}). What an
 * HPA's External metric `{name: flunders, selector: {matchLabels: {app: web}}}` reads.
 */
import { newInternalError, type LabelSelector } from '@kapi/apimachinery';
import type { KubeRestClient } from '@kapi/apiserver/kube';
import { externalMetricsProvider, type ExternalMetric, type ExternalMetricsProvider } from '@kapi/apiserver/metrics';

/** What the metrics need of the host cluster's client. */
export type HostClient = Pick<KubeRestClient, 'get'>;

/** The wardle.example.com resources counted, by metric name. */
export const COUNTED = {
  flunders: { path: (namespace: string) => `/apis/wardle.example.com/v1beta1/namespaces/${encodeURIComponent(namespace)}/flunders` },
  fischers: { path: () => '/apis/wardle.example.com/v1alpha1/fischers' },
} as const;

/** How many objects of `path` the host lists for `selector`. */
async function count(host: () => Promise<HostClient>, path: string, selector: LabelSelector): Promise<number> {
  let list: { items?: unknown[] };
  try {
    list = await (await host()).get<{ items?: unknown[] }>(path, { labelSelector: selector.toString() });
  } catch (err) {
    // As Go's adapters do: a backend failure is the metric's 500 (its cause goes to the request's log line).
    throw newInternalError(new Error(`unable to fetch metrics: ${err instanceof Error ? err.message : String(err)}`));
  }
  return list.items?.length ?? 0;
}

export function wardleMetrics(host: () => Promise<HostClient>): ExternalMetricsProvider {
  const metrics: ExternalMetric[] = [
    { name: 'flunders', get: ({ namespace, selector }) => count(host, COUNTED.flunders.path(namespace), selector) },
    { name: 'fischers', get: ({ selector }) => count(host, COUNTED.fischers.path(), selector) },
  ];
  return externalMetricsProvider(metrics);
}
