import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { StatusError } from '@kapi/apimachinery';
import { SqliteStorage } from '@kapi/storage';
import { loadClientNode } from '../../kube/index.js';
import { KubeRestClient } from '../../kube/index.js';
import { Store } from '../../registry/store.js';
import type { RequestContext } from '../../registry/rest.js';
import { widgetKind, type WidgetHub } from '../../scheme/test-kinds.js';
import { createCA, createServingCert } from '../../security/certs.js';
import { HostNamespaces } from '../host-namespaces.js';
import { WebhookClient } from './call.js';
import { accessorOf, type WebhookAccessor, type WebhookSpec } from './configurations.js';
import { mutatingWebhooks, validatingWebhooks, type WebhookDispatchOptions } from './dispatch.js';

type Review = { apiVersion: string; request: { uid: string; object: WidgetHub | null; kind: { version: string } } };
type Responder = (review: Review) => Record<string, unknown>;

const ca = createCA('dispatch-test-ca');
const serving = createServingCert(ca, { hosts: ['127.0.0.1'] });
const caBundle = Buffer.from(ca.cert).toString('base64');

let server: Server;
let port: number;
const responders = new Map<string, Responder>();
const calls: Array<{ path: string; review: Review }> = [];
let storage: SqliteStorage;
let host: KubeRestClient;
let client: WebhookClient;

beforeAll(async () => {
  server = createServer({ cert: serving.cert, key: serving.key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = new URL(req.url ?? '/', 'https://x').pathname;
      const review = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Review;
      calls.push({ path, review });
      const response = responders.get(path)!(review);
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ apiVersion: review.apiVersion, kind: 'AdmissionReview', response: { uid: review.request.uid, ...response } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
  const k8s = await loadClientNode();
  const kc = new k8s.KubeConfig();
  // The host is never asked: the webhooks here name URLs and select every namespace.
  kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'c', cluster: 'c', user: 'u' }], currentContext: 'c' });
  host = new KubeRestClient(kc);
  client = new WebhookClient(host);
});
afterAll(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  storage = SqliteStorage.open({ path: ':memory:', compactionIntervalMs: 0 });
  responders.clear();
  calls.length = 0;
});
afterEach(() => storage.close());

const patchOf = (ops: unknown[]): Record<string, unknown> => ({ allowed: true, patchType: 'JSONPatch', patch: Buffer.from(JSON.stringify(ops)).toString('base64') });

function hook(name: string, path: string, spec: Partial<WebhookSpec> = {}): WebhookAccessor {
  return accessorOf('config', {
    name,
    clientConfig: { url: `https://127.0.0.1:${port}${path}`, caBundle },
    rules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['test.example.com'], apiVersions: ['*'], resources: ['widgets'], scope: '*' }],
    sideEffects: 'None',
    admissionReviewVersions: ['v1'],
    failurePolicy: 'Fail',
    matchPolicy: 'Equivalent',
    ...spec,
  }, 0);
}

function storeWith(mutating: WebhookAccessor[], validating: WebhookAccessor[] = []): Store<WidgetHub> {
  const base: Omit<WebhookDispatchOptions, 'configurations'> = { namespaces: new HostNamespaces(host), client };
  return new Store<WidgetHub>({
    kind: widgetKind(),
    storage,
    admission: [mutatingWebhooks({ ...base, configurations: { webhooks: () => mutating } }), validatingWebhooks({ ...base, configurations: { webhooks: () => validating } })],
  });
}

const ctx = (version = 'v1beta1'): RequestContext => ({ namespace: 'default', version, warnings: [] });
const widget = (name: string, labels?: Record<string, string>): WidgetHub => ({
  apiVersion: 'test.example.com/v1beta1',
  kind: 'Widget',
  metadata: { name, ...(labels ? { labels } : {}) },
  spec: { referenceType: 'Flunder', reference: 'r' },
});

async function failure(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

describe('mutating webhooks', () => {
  it('applies each JSONPatch in order, and converts a webhook of another version back to the hub', async () => {
    responders.set('/a', () => patchOf([{ op: 'add', path: '/metadata/labels', value: { a: '1' } }]));
    // v1alpha1 names spec.reference spec.ref: a patch there lands in the hub's spec.reference.
    responders.set('/alpha', () => patchOf([{ op: 'replace', path: '/spec/ref', value: 'from-alpha' }]));
    const alphaOnly = { rules: [{ operations: ['CREATE'], apiGroups: ['test.example.com'], apiVersions: ['v1alpha1'], resources: ['widgets'] }] };
    const store = storeWith([hook('a', '/a'), hook('alpha', '/alpha', alphaOnly)]);
    const created = (await store.create(ctx(), widget('w1'), {})) as WidgetHub;
    expect(created.metadata.labels).toEqual({ a: '1' });
    expect(created.spec?.reference).toBe('from-alpha');
    expect(calls.map((c) => [c.path, c.review.request.kind.version])).toEqual([
      ['/a', 'v1beta1'],
      ['/alpha', 'v1alpha1'],
    ]);
  });

  it('calls an IfNeeded webhook again once when a later one changed the object; a Never one once', async () => {
    responders.set('/first', () => ({ allowed: true }));
    responders.set('/never', () => ({ allowed: true }));
    responders.set('/change', (r) => (r.request.object?.metadata.labels?.['changed'] ? { allowed: true } : patchOf([{ op: 'add', path: '/metadata/labels', value: { changed: 'yes' } }])));
    const store = storeWith([hook('first', '/first', { reinvocationPolicy: 'IfNeeded' }), hook('never', '/never', { reinvocationPolicy: 'Never' }), hook('change', '/change')]);
    await store.create(ctx(), widget('w1'), {});
    expect(calls.map((c) => c.path)).toEqual(['/first', '/never', '/change', '/first']);
    // The second call of /first sees the object as /change left it.
    expect(calls[3]!.review.request.object?.metadata.labels).toEqual({ changed: 'yes' });
  });

  it('refuses a patch that leaves the object invalid for its schema (422), as the object is decoded again', async () => {
    responders.set('/bad', () => patchOf([{ op: 'replace', path: '/spec/referenceType', value: 'Nope' }]));
    const err = await failure(storeWith([hook('bad', '/bad')]).create(ctx(), widget('w1'), {}));
    expect(err.code).toBe(422);
  });

  it('refuses an answer for another request (uid) as a failed call: 500, or nothing with failurePolicy Ignore', async () => {
    responders.set('/uid', () => ({ uid: 'someone-else', allowed: true }));
    const err = await failure(storeWith([hook('uid', '/uid')]).create(ctx(), widget('w1'), {}));
    expect(err.code).toBe(500);
    expect(err.message).toMatch(/^Internal error occurred: failed calling webhook "uid": received invalid webhook response: expected response.uid="[0-9a-f-]+", got "someone-else"$/);
    await storeWith([hook('uid', '/uid', { failurePolicy: 'Ignore' })]).create(ctx(), widget('w2'), {});
  });

  it('speaks AdmissionReview v1beta1 to a webhook that accepts only it (patchType implied)', async () => {
    responders.set('/beta', (r) => ({ allowed: true, patch: Buffer.from(JSON.stringify([{ op: 'add', path: '/metadata/annotations', value: { v: r.apiVersion } }])).toString('base64') }));
    const created = (await storeWith([hook('beta', '/beta', { admissionReviewVersions: ['v1beta1'] })]).create(ctx(), widget('w1'), {})) as WidgetHub;
    expect(created.metadata.annotations).toEqual({ v: 'admission.k8s.io/v1beta1' });
  });
});

describe('matchConditions', () => {
  it('skips a webhook when a condition is false, calls it when all are true', async () => {
    responders.set('/deny', () => ({ allowed: false, status: { message: 'no' } }));
    const conditions = { matchConditions: [{ name: 'named-cel', expression: 'object.metadata.name.startsWith("cel-")' }, { name: 'create', expression: "request.operation == 'CREATE'" }] };
    const store = storeWith([], [hook('deny', '/deny', conditions)]);
    await store.create(ctx(), widget('plain'), {});
    const err = await failure(store.create(ctx(), widget('cel-1'), {}));
    expect([err.code, err.message]).toEqual([400, 'admission webhook "deny" denied the request: no']);
  });

  it('an expression that fails to evaluate refuses the request (Forbidden), unless failurePolicy is Ignore', async () => {
    responders.set('/allow', () => ({ allowed: true }));
    const conditions = { matchConditions: [{ name: 'missing', expression: 'object.spec.nothere == "x"' }] };
    const err = await failure(storeWith([], [hook('allow', '/allow', conditions)]).create(ctx(), widget('w1'), {}));
    expect([err.code, err.message]).toEqual([403, `widgets.test.example.com "w1" is forbidden: expression 'object.spec.nothere == "x"' resulted in error: no such key: nothere`]);
    await storeWith([], [hook('allow', '/allow', { ...conditions, failurePolicy: 'Ignore' })]).create(ctx(), widget('w2'), {});
    expect(calls).toEqual([]);
  });
});

describe('the review', () => {
  it('of an update carries the old object and UpdateOptions; of a status update the subresource; of a delete only the old object', async () => {
    responders.set('/see', () => ({ allowed: true }));
    const everything = { rules: [{ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['widgets', 'widgets/status'] }] };
    const kind = widgetKind({ subresources: { status: true } });
    const base: Omit<WebhookDispatchOptions, 'configurations'> = { namespaces: new HostNamespaces(host), client };
    const store = new Store<WidgetHub>({ kind, storage, admission: [validatingWebhooks({ ...base, configurations: { webhooks: () => [hook('see', '/see', everything)] } })] });
    const created = await store.create(ctx(), widget('w1'), { fieldManager: 'tester' });
    await store.update(ctx(), 'w1', (cur) => ({ ...cur!, metadata: { ...cur!.metadata, labels: { x: 'y' } } }), { fieldManager: 'tester' });
    await store.update(ctx(), 'w1', (cur) => ({ ...cur!, status: { phase: 'Ready' } }), { subresource: 'status' });
    await store.delete(ctx(), 'w1', { dryRun: true });
    const requests = calls.map((c) => c.review.request as unknown as Record<string, unknown>);
    expect(requests.map((r) => [r['operation'], r['subResource'] ?? '', (r['options'] as { kind: string }).kind])).toEqual([
      ['CREATE', '', 'CreateOptions'],
      ['UPDATE', '', 'UpdateOptions'],
      ['UPDATE', 'status', 'UpdateOptions'],
      ['DELETE', '', 'DeleteOptions'],
    ]);
    expect(requests[0]).toMatchObject({ oldObject: null, options: { fieldManager: 'tester' } });
    expect(requests[1]).toMatchObject({ object: { metadata: { labels: { x: 'y' } } }, oldObject: { metadata: { name: 'w1', uid: created.metadata.uid } } });
    expect(requests[3]).toMatchObject({ object: null, oldObject: { metadata: { name: 'w1' } }, dryRun: true, options: { dryRun: ['All'] } });
  });
});

describe('validating webhooks', () => {
  it('run all at once; a denial of any refuses the request with its Status', async () => {
    responders.set('/ok', () => ({ allowed: true, warnings: ['looked at it'] }));
    responders.set('/no', () => ({ allowed: false, status: { code: 422, reason: 'Invalid', message: 'spec is wrong' } }));
    const c = ctx();
    const err = await failure(storeWith([], [hook('ok', '/ok'), hook('no', '/no')]).create(c, widget('w1'), {}));
    expect([err.code, err.reason, err.message]).toEqual([422, 'Invalid', 'admission webhook "no" denied the request: spec is wrong']);
    expect(c.warnings).toEqual(['looked at it']);
    expect(calls.map((x) => x.path).sort()).toEqual(['/no', '/ok']);
  });

  it('a dry run does not call a webhook whose sideEffects are unknown: 400', async () => {
    responders.set('/ok', () => ({ allowed: true }));
    const err = await failure(storeWith([], [hook('some', '/ok', { sideEffects: 'Some' })]).create(ctx(), widget('w1'), { dryRun: true }));
    expect([err.code, err.message]).toEqual([400, 'admission webhook "some" does not support dry run']);
    expect(calls).toEqual([]);
  });
});
