import type { RequestListener } from 'node:http';
import request from 'supertest';
import { Type } from '@sinclair/typebox';
import { parseLabelSelector } from '@kapi/apimachinery';
import { SqliteStorage } from '@kapi/storage';
import { apiServer } from '../builder/builder.js';
import { defineKind, defineVersion } from '../builder/define.js';
import { routesHandler } from '../http/routes.js';
import { Scheme } from '../scheme/scheme.js';
import { apiRoutes } from '../server/api-routes.js';
import { externalMetricsProvider, selectorLabels } from './define.js';
import { externalMetricsGroupVersion } from './external.js';
import { formatQuantity } from './quantity.js';
import type { ExternalMetricsProvider } from './types.js';

const BASE = '/apis/external.metrics.k8s.io/v1beta1';
const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';
const AT = new Date('2026-12-01T10:00:00.123Z');

/** Values of queue-depth by its label `queue`; what each call was asked. */
function queues(): { provider: ExternalMetricsProvider; asked: unknown[] } {
  const asked: unknown[] = [];
  const depths: Record<string, number> = { a: 3, b: 1.5 };
  const provider = externalMetricsProvider([
    {
      name: 'queue-depth',
      async get({ namespace, selector, ctx }) {
        asked.push({ namespace, selector: selector.toString(), ctxNamespace: ctx.namespace });
        return Object.entries(depths)
          .filter(([queue]) => selector.matches({ queue }))
          .map(([queue, value]) => ({ metricName: 'queue-depth', metricLabels: { queue }, timestamp: AT, value }));
      },
    },
    { name: 'constant', get: async () => '2Ki' },
    {
      name: 'broken',
      get: async () => {
        throw new Error('the backend is down');
      },
    },
  ]);
  return { provider, asked };
}

function app(provider: ExternalMetricsProvider): RequestListener {
  return routesHandler(apiRoutes({ scheme: new Scheme(), storages: new Map(), groupVersions: [externalMetricsGroupVersion(provider)] }));
}

describe('formatQuantity: a value as resource.Quantity writes it', () => {
  it.each([
    [0, '0'],
    [42, '42'],
    [1500, '1500'],
    [1000, '1k'],
    [2_000_000, '2M'],
    [1.5, '1500m'],
    [0.001, '1m'],
    [0.05, '50m'],
    [-0.5, '-500m'],
    [1e-10, '1n'],
    [123456789n, '123456789'],
    ['1.5Gi', '1536Mi'],
    ['2048Ki', '2Mi'],
    ['512', '512'],
    ['0.5Ki', '512'],
    ['1e3', '1e3'],
    ['1e4', '10e3'],
    ['100m', '100m'],
    ['1.0', '1'],
  ] as const)('%p → %s', (value, text) => {
    expect(formatQuantity(value)).toBe(text);
  });

  it('refuses what is not a quantity', () => {
    expect(() => formatQuantity('ten')).toThrow("quantities must match the regular expression");
    expect(() => formatQuantity(Number.NaN)).toThrow('NaN is not a quantity');
  });
});

describe('selectorLabels', () => {
  it('keeps the exact matches of a selector', () => {
    expect(selectorLabels(parseLabelSelector('app=web,tier in (db),env!=prod,x'))).toEqual({ app: 'web', tier: 'db' });
  });
});

describe('external.metrics.k8s.io/v1beta1, as Go custom-metrics-apiserver serves it', () => {
  it('lists the group in /apis (not in the aggregated form, as Go), and each metric as a resource', async () => {
    const server = app(queues().provider);
    const groups = await request(server).get('/apis').expect(200);
    expect(groups.body.groups).toEqual([
      {
        name: 'external.metrics.k8s.io',
        versions: [{ groupVersion: 'external.metrics.k8s.io/v1beta1', version: 'v1beta1' }],
        preferredVersion: { groupVersion: 'external.metrics.k8s.io/v1beta1', version: 'v1beta1' },
      },
    ]);
    expect((await request(server).get('/apis').set('Accept', AGGREGATED).expect(200)).body.items).toEqual([]);
    expect((await request(server).get('/apis/external.metrics.k8s.io').expect(200)).body).toMatchObject({ kind: 'APIGroup', name: 'external.metrics.k8s.io' });
    // Go's externalMetricsResourceLister, in the provider's order.
    const resource = (name: string) => ({ name, singularName: '', namespaced: true, kind: 'ExternalMetricValueList', verbs: ['get'] });
    expect((await request(server).get(BASE).expect(200)).text).toBe(
      JSON.stringify({ kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'external.metrics.k8s.io/v1beta1', resources: [resource('queue-depth'), resource('constant'), resource('broken')] }),
    );
    await request(server).get('/apis/external.metrics.k8s.io/v1beta2').expect(404);
  });

  it('answers an ExternalMetricValueList for a metric, a namespace and a label selector', async () => {
    const { provider, asked } = queues();
    const res = await request(app(provider)).get(`${BASE}/namespaces/ns1/queue-depth`).query({ labelSelector: 'queue in (a,b)' }).expect(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.text).toBe(
      JSON.stringify({
        kind: 'ExternalMetricValueList',
        apiVersion: 'external.metrics.k8s.io/v1beta1',
        metadata: {},
        items: [
          { metricName: 'queue-depth', metricLabels: { queue: 'a' }, timestamp: '2026-12-01T10:00:00Z', value: '3' },
          { metricName: 'queue-depth', metricLabels: { queue: 'b' }, timestamp: '2026-12-01T10:00:00Z', value: '1500m' },
        ],
      }),
    );
    expect(asked).toEqual([{ namespace: 'ns1', selector: 'queue in (a,b)', ctxNamespace: 'ns1' }]);
    const one = await request(app(provider)).get(`${BASE}/namespaces/ns1/queue-depth?labelSelector=queue%3Db`).expect(200);
    expect(one.body.items.map((i: { value: string }) => i.value)).toEqual(['1500m']);
    // One value: labelled with the selector's exact matches, timestamped now.
    const constant = await request(app(provider)).get(`${BASE}/namespaces/ns1/constant?labelSelector=app%3Dweb`).expect(200);
    expect(constant.body.items).toEqual([{ metricName: 'constant', metricLabels: { app: 'web' }, timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), value: '2Ki' }]);
  });

  it('answers in YAML, and plain JSON when a Table is asked for (Go has no table convertor here)', async () => {
    const server = app(queues().provider);
    const yaml = await request(server).get(`${BASE}/namespaces/ns1/queue-depth`).set('Accept', 'application/yaml').expect(200);
    expect(yaml.headers['content-type']).toBe('application/yaml');
    expect(yaml.text).toContain('kind: ExternalMetricValueList');
    const table = await request(server).get(`${BASE}/namespaces/ns1/queue-depth`).set('Accept', 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json').expect(200);
    expect(table.body.kind).toBe('ExternalMetricValueList');
  });

  it('words its errors as Go does', async () => {
    const server = app(queues().provider);
    const status = async (path: string, method: 'get' | 'post' | 'delete' | 'head' = 'get') => {
      const res = await request(server)[method](path);
      return { code: res.status, body: res.body as Record<string, unknown>, allow: res.headers['allow'] };
    };
    expect((await status(`${BASE}/namespaces/ns1/nope`)).body).toEqual({
      kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the metric nope for nope.external.metrics.k8s.io', reason: 'NotFound', code: 404,
    });
    expect((await status(`${BASE}/namespaces/ns1/queue-depth?labelSelector=a%3D%3D%3Db`)).body).toMatchObject({ code: 400, reason: 'BadRequest', message: "unable to parse requirement: found '=', expected: identifier" });
    expect((await status(`${BASE}/namespaces/ns1/queue-depth?fieldSelector=a%3Cb`)).body).toMatchObject({ code: 400, message: "invalid selector: 'a<b'; can't understand 'a<b'" });
    expect((await status(`${BASE}/namespaces/ns1/queue-depth?resourceVersionMatch=Exact`)).body).toMatchObject({ code: 422, reason: 'Invalid' });
    expect((await status(`${BASE}/namespaces/ns1/queue-depth?watch=true`)).body).toMatchObject({
      code: 405, reason: 'MethodNotAllowed', message: 'watch is not supported on resources of kind "*.external.metrics.k8s.io"', details: { group: 'external.metrics.k8s.io', kind: '*' },
    });
    for (const path of [`${BASE}/queue-depth`, `${BASE}/namespaces/ns1`, `${BASE}/namespaces/ns1/queue-depth/x`, `${BASE}/watch/namespaces/ns1/queue-depth`]) {
      expect([path, (await status(path)).body]).toEqual([path, expect.objectContaining({ code: 404, reason: 'NotFound', message: 'the server could not find the requested resource', details: {} })]);
    }
    for (const method of ['post', 'delete', 'head'] as const) {
      const answer = await status(`${BASE}/namespaces/ns1/queue-depth`, method);
      expect([method, answer.code, answer.allow]).toEqual([method, 405, undefined]);
    }
    expect((await status(`${BASE}/namespaces/ns1/broken`)).body).toMatchObject({ code: 500, reason: 'InternalError', message: 'Internal error occurred: the backend is down' });
  });

  it('publishes its OpenAPI as Go names it', async () => {
    const server = app(queues().provider);
    const root = (await request(server).get('/openapi/v3').expect(200)).body as { paths: Record<string, unknown> };
    expect(Object.keys(root.paths)).toEqual(['apis/external.metrics.k8s.io/v1beta1']);
    const doc = (await request(server).get('/openapi/v3/apis/external.metrics.k8s.io/v1beta1').expect(200)).body as {
      paths: Record<string, { get: { operationId: string; tags: string[] } }>;
      components: { schemas: Record<string, { required?: string[] }> };
    };
    expect(Object.entries(doc.paths).map(([path, item]) => [path, item.get.operationId, item.get.tags])).toEqual([
      ['/apis/external.metrics.k8s.io/v1beta1/', 'getExternalMetricsV1beta1APIResources', ['externalMetrics_v1beta1']],
      ['/apis/external.metrics.k8s.io/v1beta1/namespaces/{namespace}/{resource}', 'listExternalMetricsV1beta1ExternalMetricValue', ['externalMetrics_v1beta1']],
    ]);
    expect(doc.components.schemas['io.k8s.metrics.pkg.apis.external_metrics.v1beta1.ExternalMetricValue']?.required).toEqual(['metricName', 'metricLabels', 'timestamp', 'value']);
    const v2 = (await request(server).get('/openapi/v2').expect(200)).body as { paths: Record<string, unknown>; definitions: Record<string, unknown> };
    expect(Object.keys(v2.paths)).toContain('/apis/external.metrics.k8s.io/v1beta1/namespaces/{namespace}/{resource}');
    expect(Object.keys(v2.definitions)).toContain('io.k8s.metrics.pkg.apis.external_metrics.v1beta1.ExternalMetricValueList');
  });
});

describe('the builder', () => {
  it('serves external metrics as a group version of their own, made with the built API', async () => {
    let host: Promise<unknown> | undefined;
    const definition = apiServer({ name: 'm' })
      .withExternalMetrics((api) => {
        host = api.host();
        host.catch(() => undefined);
        return queues().provider;
      })
      .definition();
    expect(definition.kinds).toEqual([]);
    const backend = SqliteStorage.open({ path: ':memory:', compactionIntervalMs: 0 });
    const installed = await definition.install(backend, { admission: [], enableGarbageCollection: true });
    try {
      expect(installed.groupVersions?.map((gv) => `${gv.group}/${gv.version}`)).toEqual(['external.metrics.k8s.io/v1beta1']);
      expect(installed.groupVersions?.[0]?.resources().map((r) => r.name)).toEqual(['queue-depth', 'constant', 'broken']);
      // Standalone (no host in the install context): the host client is refused, with why.
      await expect(host).rejects.toThrow('this server runs standalone: it reaches a host cluster only when run with --kubeconfig');
    } finally {
      await installed.close();
      await backend.close();
    }
  });

  it('refuses a group served twice, and kinds in a group version of its own', () => {
    const gauge = defineKind({ group: 'external.metrics.k8s.io', kind: 'Gauge', namespaced: true, hubVersion: 'v1', versions: [defineVersion({ name: 'v1', schema: Type.Object({}) })] });
    const provider = queues().provider;
    expect(() => apiServer({ name: 'm' }).withExternalMetrics(provider).withExternalMetrics(provider)).toThrow('external.metrics.k8s.io/v1beta1 is served twice');
    expect(() => apiServer({ name: 'm' }).withExternalMetrics(provider).withKind(gauge)).toThrow('external.metrics.k8s.io is served by a group version of its own');
    expect(() => apiServer({ name: 'm' }).withKind(gauge).withExternalMetrics(provider)).toThrow('external.metrics.k8s.io is the group of the kind Gauge');
  });
});
