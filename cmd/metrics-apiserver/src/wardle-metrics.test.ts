import { parseLabelSelector } from '@kapi/apimachinery';
import { wardleMetrics, type HostClient } from './wardle-metrics.js';

/** A host cluster that holds `counts[path]` objects at each path, and what it was asked. */
function host(counts: Record<string, number>): { client: () => Promise<HostClient>; asked: unknown[] } {
  const asked: unknown[] = [];
  const client: HostClient = {
    async get<T>(path: string, query?: Record<string, unknown>): Promise<T> {
      asked.push({ path, query });
      if (!(path in counts)) throw new Error(`GET ${path}: 404 the server could not find the requested resource`);
      return { items: Array.from({ length: counts[path]! }, () => ({})) } as T;
    },
  };
  return { client: async () => client, asked };
}

describe('the wardle metrics', () => {
  const ctx = { warnings: [] };

  it('lists flunders and fischers', () => {
    expect(wardleMetrics(host({}).client).listAllExternalMetrics()).toEqual([{ metric: 'flunders' }, { metric: 'fischers' }]);
  });

  it('flunders: the Flunders of the namespace the selector matches, asked of the host', async () => {
    const h = host({ '/apis/wardle.example.com/v1beta1/namespaces/team-a/flunders': 3 });
    const samples = await wardleMetrics(h.client).getExternalMetric('team-a', parseLabelSelector('app=web,tier!=db'), { metric: 'flunders' }, ctx);
    expect(samples).toEqual([{ metricName: 'flunders', metricLabels: { app: 'web' }, value: 3 }]);
    expect(h.asked).toEqual([{ path: '/apis/wardle.example.com/v1beta1/namespaces/team-a/flunders', query: { labelSelector: 'app=web,tier!=db' } }]);
  });

  it('fischers: cluster scoped, whatever the namespace', async () => {
    const h = host({ '/apis/wardle.example.com/v1alpha1/fischers': 2 });
    expect(await wardleMetrics(h.client).getExternalMetric('any', parseLabelSelector(''), { metric: 'fischers' }, ctx)).toEqual([{ metricName: 'fischers', metricLabels: {}, value: 2 }]);
  });

  it('answers NotFound for another metric, and 500 when the host cannot answer', async () => {
    const provider = wardleMetrics(host({}).client);
    await expect(provider.getExternalMetric('a', parseLabelSelector(''), { metric: 'widgets' }, ctx)).rejects.toMatchObject({ status: { code: 404, message: 'the server could not find the metric widgets for widgets.external.metrics.k8s.io' } });
    await expect(provider.getExternalMetric('a', parseLabelSelector(''), { metric: 'flunders' }, ctx)).rejects.toMatchObject({
      status: { code: 500, message: 'Internal error occurred: unable to fetch metrics: GET /apis/wardle.example.com/v1beta1/namespaces/a/flunders: 404 the server could not find the requested resource' },
    });
  });
});
