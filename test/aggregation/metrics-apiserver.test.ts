/**
 * cmd/metrics-apiserver through a real kube-apiserver: aggregated as external.metrics.k8s.io/v1beta1
 * beside the sample server (wardle.example.com), its metric `flunders` is the number of Flunders of
 * a namespace that a label selector matches, read through the cluster at each request: kubectl
 * sees it rise as Flunders are made and fall as they are deleted. Discovery, errors and delegated
 * authorization are asked through kube-apiserver; and the same requests go straight to kapi's
 * server and to a Go external metrics API made with sigs.k8s.io/custom-metrics-apiserver
 * (test/aggregation/metrics-adapter, its test-adapter's provider) as the control.
 */
import { startGoServer } from '../e2e/go-sample-server.js';
import { Kubectl } from '../e2e/kubectl.js';
import { startAggregated, type Aggregated, type HttpsResult } from './aggregated.js';
import { buildGoProgram } from './go-program.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';

jest.setTimeout(120_000);

const NS = 'metrics';
const BASE = '/apis/external.metrics.k8s.io/v1beta1';

let env: Aggregated;
let metrics: MetricsServer;
let kubectl: Kubectl;

beforeAll(async () => {
  env = await startAggregated();
  metrics = await startMetricsServer(env.cluster);
  kubectl = new Kubectl(env.cluster.kubeconfig);
  kubectl.ok(['create', 'namespace', NS]);
  kubectl.ok(['create', 'namespace', `${NS}-other`]);
}, 15 * 60_000);

afterAll(async () => {
  await metrics?.stop();
  await env?.stop();
});

interface ValueList {
  kind: string;
  apiVersion: string;
  metadata: Record<string, unknown>;
  items: Array<{ metricName: string; metricLabels: Record<string, string> | null; timestamp: string; value: string }>;
}

/** GET …/namespaces/<ns>/<metric>?labelSelector=… through kube-apiserver, as kubectl (and the HPA's client) asks. */
function metric(name: string, namespace = NS, selector?: string): ValueList {
  const query = selector === undefined ? '' : `?labelSelector=${encodeURIComponent(selector)}`;
  return JSON.parse(kubectl.ok(['get', '--raw', `${BASE}/namespaces/${namespace}/${name}${query}`])) as ValueList;
}

const values = (list: ValueList): string[] => list.items.map((i) => i.value);

function flunders(names: string[], labels: Record<string, string>, namespace = NS): void {
  const docs = names.map(
    (name) => `apiVersion: wardle.example.com/v1beta1\nkind: Flunder\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\n  labels:\n${Object.entries(labels).map(([k, v]) => `    ${k}: ${v}\n`).join('')}spec: {}\n`,
  );
  kubectl.ok(['apply', '-f', '-'], { input: docs.join('---\n') });
}

describe('discovery', () => {
  it('lists each metric as a namespaced ExternalMetricValueList with the verb get, through kube-apiserver', () => {
    expect(JSON.parse(kubectl.ok(['get', '--raw', BASE]))).toEqual({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'external.metrics.k8s.io/v1beta1',
      resources: [
        { name: 'flunders', singularName: '', namespaced: true, kind: 'ExternalMetricValueList', verbs: ['get'] },
        { name: 'fischers', singularName: '', namespaced: true, kind: 'ExternalMetricValueList', verbs: ['get'] },
      ],
    });
    expect(kubectl.ok(['api-versions'])).toMatch(/^external\.metrics\.k8s\.io\/v1beta1$/m);
    expect(JSON.parse(kubectl.ok(['get', '--raw', '/apis/external.metrics.k8s.io']))).toMatchObject({ kind: 'APIGroup', preferredVersion: { version: 'v1beta1' } });
    // As with Go's custom-metrics-apiserver, the aggregated discovery document (what kubectl's
    // api-resources reads) has the group but no resources: the metrics are not kinds kubectl could
    // get, and `flunders` stays the wardle.example.com kind.
    expect(kubectl.ok(['api-resources', '--api-group=external.metrics.k8s.io'])).toBe('NAME   SHORTNAMES   APIVERSION   NAMESPACED   KIND\n');
    expect(kubectl.ok(['get', 'flunders', '-n', NS, '-o', 'name'])).toBe('');
  });
});

describe('the flunders metric', () => {
  it('counts the Flunders of the namespace that the selector matches: up as they are made, down as they are deleted', () => {
    expect(metric('flunders', NS, 'app=web')).toEqual({
      kind: 'ExternalMetricValueList',
      apiVersion: 'external.metrics.k8s.io/v1beta1',
      metadata: {},
      items: [{ metricName: 'flunders', metricLabels: { app: 'web' }, timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), value: '0' }],
    });
    flunders(['web-1', 'web-2', 'web-3'], { app: 'web' });
    expect(values(metric('flunders', NS, 'app=web'))).toEqual(['3']);
    flunders(['db-1'], { app: 'db', tier: 'data' });
    flunders(['web-elsewhere'], { app: 'web' }, `${NS}-other`);
    expect(values(metric('flunders', NS, 'app=web'))).toEqual(['3']);
    expect(values(metric('flunders', NS))).toEqual(['4']);
    expect(values(metric('flunders', NS, 'app in (web,db)'))).toEqual(['4']);
    expect(values(metric('flunders', NS, 'app=db,tier=data')).concat(metric('flunders', NS, 'app=db,tier=data').items.map((i) => JSON.stringify(i.metricLabels)))).toEqual([
      '1',
      '{"app":"db","tier":"data"}',
    ]);
    expect(values(metric('flunders', `${NS}-other`, 'app=web'))).toEqual(['1']);

    kubectl.ok(['delete', 'flunder', '-n', NS, 'web-1', 'web-2']);
    expect(values(metric('flunders', NS, 'app=web'))).toEqual(['1']);
    kubectl.ok(['delete', 'flunders', '-n', NS, '-l', 'app']);
    expect(values(metric('flunders', NS))).toEqual(['0']);
  });

  it('fischers counts the cluster-scoped Fischers the selector matches, whatever the namespace', () => {
    kubectl.ok(['apply', '-f', '-'], { input: 'apiVersion: wardle.example.com/v1alpha1\nkind: Fischer\nmetadata:\n  name: counted\n  labels:\n    app: web\n' });
    expect(values(metric('fischers', NS, 'app=web'))).toEqual(['1']);
    expect(values(metric('fischers', 'anywhere', 'app=web'))).toEqual(['1']);
    kubectl.ok(['delete', 'fischer', 'counted']);
    expect(values(metric('fischers', NS, 'app=web'))).toEqual(['0']);
  });
});

describe('errors and authorization, through kube-apiserver', () => {
  it('answers an unknown metric with NotFound and a bad selector with BadRequest, in Go\'s words', () => {
    expect(kubectl.fails(['get', '--raw', `${BASE}/namespaces/${NS}/nope`])).toContain('Error from server (NotFound): the server could not find the metric nope for nope.external.metrics.k8s.io');
    expect(kubectl.fails(['get', '--raw', `${BASE}/namespaces/${NS}/flunders?labelSelector=a%3D%3D%3Db`])).toContain("Error from server (BadRequest): unable to parse requirement: found '=', expected: identifier");
  });

  it('authorizes each request with the cluster (SubjectAccessReview, verb list on the metric)', async () => {
    const asNobody = ['--as=nobody', 'get', '--raw', `${BASE}/namespaces/${NS}/flunders`];
    expect(kubectl.fails(asNobody)).toContain(
      'Error from server (Forbidden): flunders.external.metrics.k8s.io is forbidden: User "nobody" cannot list resource "flunders" in API group "external.metrics.k8s.io" in the namespace "metrics"',
    );
    // (`kubectl create role --resource` would look the metric up in discovery, where, as with Go, it is not.)
    kubectl.ok(['apply', '-f', '-'], {
      input: `apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: metric-reader, namespace: ${NS}}
rules: [{apiGroups: [external.metrics.k8s.io], resources: [flunders], verbs: [get, list]}]
`,
    });
    kubectl.ok(['create', 'rolebinding', 'metric-reader', '-n', NS, '--role=metric-reader', '--user=nobody']);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const result = kubectl.run(asNobody);
      if (result.code === 0) {
        expect((JSON.parse(result.stdout) as ValueList).kind).toBe('ExternalMetricValueList');
        break;
      }
      // The server caches SubjectAccessReview answers for a while, as Go's delegating authorizer does.
      if (Date.now() > deadline) throw new Error(`still refused after the RoleBinding: ${result.stderr}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  });
});

describe('kapi and Go\'s custom-metrics-apiserver, asked the same', () => {
  let go: { ask(path: string, opts?: { method?: string; headers?: Record<string, string> }): Promise<HttpsResult>; stop(): Promise<void> };

  beforeAll(async () => {
    go = await startGoMetricsAdapter();
  }, 12 * 60_000);
  afterAll(async () => go?.stop());

  const kapiAsk = (path: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<HttpsResult> => metrics.ask(path, opts);
  const body = (res: HttpsResult): unknown => (res.body ? JSON.parse(res.body) : undefined);

  it('serve the group and its resource lists alike', async () => {
    const [k, g] = await Promise.all([kapiAsk('/apis/external.metrics.k8s.io'), go.ask('/apis/external.metrics.k8s.io')]);
    expect(body(k)).toEqual(body(g));
    const aggregated = { headers: { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' } };
    const [ka, ga] = await Promise.all([kapiAsk('/apis', aggregated), go.ask('/apis', aggregated)]);
    expect([ka.status, body(ka)]).toEqual([ga.status, body(ga)]);
    const [kr, gr] = await Promise.all([kapiAsk(BASE), go.ask(BASE)]);
    // Go's lister is its test-adapter's default (one resource, "externalmetrics"); the shape is what compares.
    const shape = (res: HttpsResult) => {
      const list = body(res) as { resources: Array<Record<string, unknown>> };
      return { ...list, resources: list.resources.map(({ name: _name, ...rest }) => rest) };
    };
    expect(shape(kr).resources[0]).toEqual(shape(gr).resources[0]);
    expect({ ...shape(kr), resources: [] }).toEqual({ ...shape(gr), resources: [] });
  });

  it('answer a metric as the same ExternalMetricValueList', async () => {
    flunders(['compared'], { foo: 'bar' });
    const k = body(await kapiAsk(`${BASE}/namespaces/${NS}/flunders?labelSelector=foo%3Dbar`)) as ValueList;
    const g = body(await go.ask(`${BASE}/namespaces/${NS}/my-external-metric?labelSelector=foo%3Dbar`)) as ValueList;
    const strip = (list: ValueList) => ({ ...list, items: list.items.map(({ metricName: _n, value: _v, timestamp, ...rest }) => ({ ...rest, timestamp: timestamp.replace(/\d/g, '0') })) });
    expect(strip(k)).toEqual(strip(g));
    expect([k.items[0]?.value, g.items[0]?.value]).toEqual(['1', '42']);
  });

  it.each([
    ['a bad label selector', 'GET', `${BASE}/namespaces/${NS}/flunders?labelSelector=a%3D%3D%3Db`],
    ['a bad field selector', 'GET', `${BASE}/namespaces/${NS}/flunders?fieldSelector=a%3Cb`],
    ['invalid ListOptions', 'GET', `${BASE}/namespaces/${NS}/flunders?resourceVersionMatch=Exact`],
    ['a watch', 'GET', `${BASE}/namespaces/${NS}/flunders?watch=true`],
    ['a metric without a namespace', 'GET', `${BASE}/flunders`],
    ['a path below a metric', 'GET', `${BASE}/namespaces/${NS}/flunders/x`],
    ['the legacy watch prefix', 'GET', `${BASE}/watch/namespaces/${NS}/flunders`],
    ['an unknown version', 'GET', '/apis/external.metrics.k8s.io/v1beta2'],
    ['a POST', 'POST', `${BASE}/namespaces/${NS}/flunders`],
    ['a DELETE', 'DELETE', `${BASE}/namespaces/${NS}/flunders`],
    ['a HEAD', 'HEAD', `${BASE}/namespaces/${NS}/flunders`],
  ])('refuse %s alike', async (_what, method, path) => {
    const [k, g] = await Promise.all([kapiAsk(path, { method }), go.ask(path, { method })]);
    expect([k.status, body(k), k.headers['allow']]).toEqual([g.status, body(g), g.headers['allow']]);
  });

  it('publish the route under the same OpenAPI operation', async () => {
    const doc = async (ask: (p: string) => Promise<HttpsResult>) => body(await ask('/openapi/v3/apis/external.metrics.k8s.io/v1beta1')) as { paths: Record<string, { get: { operationId: string; tags: string[] } }> };
    const [k, g] = await Promise.all([doc(kapiAsk), doc(go.ask)]);
    const operations = (d: typeof k) => Object.entries(d.paths).map(([path, item]) => [path, item.get.operationId, item.get.tags]);
    expect(operations(k)).toEqual(operations(g));
  });
});

/** The Go control (test/aggregation/metrics-adapter), started against the suite's cluster and asked straight as the front proxy. */
async function startGoMetricsAdapter(): Promise<{ ask(path: string, opts?: { method?: string; headers?: Record<string, string> }): Promise<HttpsResult>; stop(): Promise<void> }> {
  const kc = env.cluster.kubeconfig;
  const adapter = await startGoServer(env.cluster, {
    name: 'the Go metrics adapter',
    binary: await buildGoProgram('metrics-adapter'),
    args: [`--lister-kubeconfig=${kc}`, `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`],
    readyPath: BASE,
  });
  return {
    ask: (path, opts = {}) => adapter.asUser(path, 'admin', ['system:masters'], { ...(opts.method ? { method: opts.method } : {}), ...(opts.headers ? { headers: opts.headers } : {}) }),
    stop: () => adapter.stop(),
  };
}
