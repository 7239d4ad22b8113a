/**
 * An external metric of the project (`kapi create metric <name>`): src/metrics/<name>.ts, its test,
 * and src/metrics/index.ts, the provider that lists them all (made with the first metric; each
 * later one is added at its markers), served by main.ts's `.withExternalMetrics(externalMetrics)`.
 */
import { markerLine } from '../../project/writer.js';

export const METRICS_INDEX_PATH = 'src/metrics/index.ts';

/** "queue-depth" → "queueDepth". */
function camel(name: string): string {
  return name.replace(/[-_.]+([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

export interface MetricNames {
  /** The metric's factory, e.g. configmapsMetric. */
  fn: string;
  module: string;
  test: string;
}

export function metricNames(name: string): MetricNames {
  return { fn: `${camel(name)}Metric`, module: `src/metrics/${name}.ts`, test: `src/metrics/${name}.test.ts` };
}

/** The import line of a metric in src/metrics/index.ts. */
export function metricImport(name: string): string {
  return `import { ${metricNames(name).fn} } from './${name}.js';`;
}

/** Its entry in the provider's table. */
export function metricEntry(name: string): string {
  return `${metricNames(name).fn}(api),`;
}

/** src/metrics/index.ts with the project's metrics. */
export function metricsIndex(names: readonly string[]): string {
  return `/**
 * The project's external metrics (external.metrics.k8s.io/v1beta1), as kube-apiserver's aggregator
 * and a HorizontalPodAutoscaler's External metric read them:
 *   GET /apis/external.metrics.k8s.io/v1beta1/namespaces/<namespace>/<metric>?labelSelector=<selector>
 * Discovery (/apis/external.metrics.k8s.io/v1beta1) lists each one; an unknown name is a NotFound.
 * \`kapi create metric <name>\` adds a metric at the markers.
 */
import type { BuiltAPI } from '@kapi/apiserver';
import { externalMetricsProvider, type ExternalMetricsProvider } from '@kapi/apiserver/metrics';
${names.map((n) => `${metricImport(n)}\n`).join('')}${markerLine('metric-imports')}

export function externalMetrics(api: BuiltAPI): ExternalMetricsProvider {
  return externalMetricsProvider([
${names.map((n) => `    ${metricEntry(n)}\n`).join('')}    ${markerLine('metrics')}
  ]);
}
`;
}

/** src/metrics/<name>.ts: as generated, the number of ConfigMaps the selector matches in the namespace. */
export function metricModule(name: string): string {
  const n = metricNames(name);
  return `/**
 * The external metric "${name}": its value for
 *   GET /apis/external.metrics.k8s.io/v1beta1/namespaces/<namespace>/${name}?labelSelector=<selector>
 *
 * As generated it is the number of ConfigMaps in <namespace> that <selector> matches, read from
 * the host cluster (the server's --kubeconfig, as \`kapi run local --aggregated\` gives it; deployed,
 * its ServiceAccount needs list on configmaps). Change get() to measure what your metric is about:
 * return a number (or a quantity such as '1500m'), or an array of samples for several series.
 */
import type { BuiltAPI } from '@kapi/apiserver';
import type { ExternalMetric } from '@kapi/apiserver/metrics';

export function ${n.fn}(api: BuiltAPI): ExternalMetric {
  return {
    name: '${name}',
    async get({ namespace, selector }) {
      const host = await api.host();
      const list = await host.get<{ items: unknown[] }>(\`/api/v1/namespaces/\${encodeURIComponent(namespace)}/configmaps\`, { labelSelector: selector.toString() });
      return list.items.length;
    },
  };
}
`;
}

/** src/metrics/<name>.test.ts: the metric through the project's provider, the host cluster faked. */
export function metricTest(name: string): string {
  return `import { parseLabelSelector } from '@kapi/apimachinery';
import type { BuiltAPI } from '@kapi/apiserver';
import { externalMetrics } from './index.js';

describe('the external metric ${name}', () => {
  // The host cluster as the metric sees it: two ConfigMaps labelled app=web in "default".
  const asked: Array<{ path: string; query: unknown }> = [];
  const api = {
    store: () => {
      throw new Error('no stored kinds here');
    },
    host: async () => ({
      get: async (path: string, query: unknown) => {
        asked.push({ path, query });
        return { items: [{}, {}] };
      },
    }),
  } as unknown as BuiltAPI;

  it('is listed, and its value is what get() measures, for the namespace and selector asked', async () => {
    const provider = externalMetrics(api);
    expect(provider.listAllExternalMetrics()).toContainEqual({ metric: '${name}' });
    const samples = await provider.getExternalMetric('default', parseLabelSelector('app=web'), { metric: '${name}' }, { warnings: [] });
    expect(samples).toEqual([{ metricName: '${name}', metricLabels: { app: 'web' }, value: 2 }]);
    expect(asked).toEqual([{ path: '/api/v1/namespaces/default/configmaps', query: { labelSelector: 'app=web' } }]);
  });

  it('answers NotFound for a metric it does not have, as Go\\'s custom-metrics-apiserver words it', async () => {
    await expect(externalMetrics(api).getExternalMetric('default', parseLabelSelector(''), { metric: 'nope' }, { warnings: [] })).rejects.toMatchObject({
      status: { code: 404, reason: 'NotFound', message: 'the server could not find the metric nope for nope.external.metrics.k8s.io' },
    });
  });
});
`;
}

