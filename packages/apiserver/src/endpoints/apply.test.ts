/**
 * Server-side apply and managedFields through the endpoints and the Store (real SQLite storage,
 * the real router): which entry each verb records, in which version and subresource; apply's
 * create, conflicts, force, field removal, fieldValidation and refusals.
 */
import type { RequestListener } from 'node:http';
import request from 'supertest';
import { SqliteStorage } from '@kapi/storage';
import { Scheme } from '../scheme/scheme.js';
import { widgetKind } from '../scheme/test-kinds.js';
import { Store } from '../registry/store.js';
import type { RestStorage } from '../registry/interfaces.js';
import type { AdmissionPlugin } from '../registry/rest.js';
import { apisRoute } from './router.js';
import { routesHandler } from '../http/routes.js';

const ALPHA = '/apis/test.example.com/v1alpha1/namespaces/default/widgets';
const BETA = '/apis/test.example.com/v1beta1/namespaces/default/widgets';
const APPLY = 'application/apply-patch+yaml';
const NOW = new Date('2026-01-02T03:04:05Z');

let storage: SqliteStorage;
let app: RequestListener;

beforeEach(() => {
  storage = SqliteStorage.open({ path: ':memory:', compactionIntervalMs: 0 });
  const scheme = new Scheme().addKind(widgetKind());
  const stores = new Map<string, RestStorage>();
  for (const kind of scheme.kinds) stores.set(`${kind.group}/${kind.plural}`, new Store({ kind, storage, now: () => NOW }));
  app = routesHandler([apisRoute({ scheme, storages: stores, maxRequestBodyBytes: 64 * 1024 })]);
});
afterEach(() => storage.close());

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  time: string;
  fieldsType: string;
  fieldsV1: Record<string, unknown>;
  subresource?: string;
}
const entries = (body: { metadata: { managedFields?: Entry[] } }): Entry[] => body.metadata.managedFields ?? [];
const summary = (body: { metadata: { managedFields?: Entry[] } }): string[] =>
  entries(body).map((e) => `${e.manager}/${e.operation}/${e.apiVersion}${e.subresource ? `/${e.subresource}` : ''}`);

const applyYaml = (name: string, spec: string): string =>
  `apiVersion: test.example.com/v1alpha1\nkind: Widget\nmetadata:\n  name: ${name}\nspec:\n${spec}`;

function apply(name: string, body: string, query: string) {
  return request(app).patch(`${ALPHA}/${name}?${query}`).set('Content-Type', APPLY).send(body);
}

describe('apply', () => {
  it('creates the object (201) with one Apply entry at the request version, then updates it (200)', async () => {
    const created = await apply('w1', applyYaml('w1', '  referenceType: Flunder\n  ref: abc\n'), 'fieldManager=alice');
    expect(created.status).toBe(201);
    expect(created.body.spec).toEqual({ referenceType: 'Flunder', ref: 'abc', size: 'small' });
    expect(entries(created.body)).toEqual([
      {
        manager: 'alice',
        operation: 'Apply',
        apiVersion: 'test.example.com/v1alpha1',
        time: '2026-01-02T03:04:05Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:ref': {}, 'f:referenceType': {} } },
      },
    ]);
    const updated = await apply('w1', applyYaml('w1', '  referenceType: Flunder\n  ref: abc\n  replicas: 3\n'), 'fieldManager=alice');
    expect(updated.status).toBe(200);
    expect(updated.body.spec.replicas).toBe(3);
    expect(entries(updated.body)[0]!.fieldsV1).toEqual({ 'f:spec': { 'f:ref': {}, 'f:referenceType': {}, 'f:replicas': {} } });
    // Stored in the hub, read in the other version: the entries are kept as recorded.
    const got = await request(app).get(`${BETA}/w1`).expect(200);
    expect(got.body.spec.reference).toBe('abc');
    expect(summary(got.body)).toEqual(['alice/Apply/test.example.com/v1alpha1']);
  });

  it('the same apply again, a second later, writes nothing (the resourceVersion and the time stay)', async () => {
    let seconds = 0;
    const scheme = new Scheme().addKind(widgetKind());
    const stores = new Map<string, RestStorage>();
    for (const kind of scheme.kinds) stores.set(`${kind.group}/${kind.plural}`, new Store({ kind, storage, now: () => new Date(NOW.getTime() + 1000 * seconds++) }));
    const ticking = routesHandler([apisRoute({ scheme, storages: stores, maxRequestBodyBytes: 64 * 1024 })]);
    const body = applyYaml('w1', '  referenceType: Flunder\n  ref: abc\n');
    const send = () => request(ticking).patch(`${ALPHA}/w1?fieldManager=alice`).set('Content-Type', APPLY).send(body);
    const first = await send().expect(201);
    const again = await send().expect(200);
    expect(entries(again.body)[0]!.time).toBe(entries(first.body)[0]!.time);
    expect(again.body.metadata.resourceVersion).toBe(first.body.metadata.resourceVersion);
  });

  it('takes JSON bodies too', async () => {
    const body = JSON.stringify({ apiVersion: 'test.example.com/v1alpha1', kind: 'Widget', metadata: { name: 'j1' }, spec: { referenceType: 'Fischer' } });
    const res = await apply('j1', body, 'fieldManager=alice');
    expect(res.status).toBe(201);
    expect(res.body.spec.referenceType).toBe('Fischer');
  });

  it('requires a fieldManager, and refuses force on other patches', async () => {
    const res = await apply('w1', applyYaml('w1', '  referenceType: Flunder\n'), '');
    expect(res.status).toBe(422);
    expect(res.body.message).toBe('PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch');
    const merge = await request(app).patch(`${ALPHA}/w1?force=true`).set('Content-Type', 'application/merge-patch+json').send('{}');
    expect(merge.status).toBe(422);
    expect(merge.body.message).toContain('force: Forbidden: may not be specified for non-apply patch');
  });

  it('answers a conflict with 409 and the owners; force takes the field over', async () => {
    await apply('w1', applyYaml('w1', '  referenceType: Flunder\n  ref: abc\n'), 'fieldManager=alice').expect(201);
    const conflict = await apply('w1', applyYaml('w1', '  referenceType: Flunder\n  ref: xyz\n'), 'fieldManager=bob');
    expect(conflict.status).toBe(409);
    expect(conflict.body).toMatchObject({ kind: 'Status', reason: 'Conflict', message: 'Apply failed with 1 conflict: conflict with "alice": .spec.ref' });
    expect(conflict.body.details.causes).toEqual([{ reason: 'FieldManagerConflict', message: 'conflict with "alice"', field: '.spec.ref' }]);
    const forced = await apply('w1', applyYaml('w1', '  referenceType: Flunder\n  ref: xyz\n'), 'fieldManager=bob&force=true');
    expect(forced.status).toBe(200);
    expect(forced.body.spec.ref).toBe('xyz');
    const fields = Object.fromEntries(entries(forced.body).map((e) => [e.manager, e.fieldsV1]));
    expect(fields).toEqual({ alice: { 'f:spec': { 'f:referenceType': {} } }, bob: { 'f:spec': { 'f:ref': {}, 'f:referenceType': {} } } });
  });

  it('removes a field its manager alone owned when the manager stops applying it', async () => {
    await apply('w1', applyYaml('w1', '  referenceType: Flunder\n  ref: abc\n  replicas: 2\n'), 'fieldManager=alice').expect(201);
    const res = await apply('w1', applyYaml('w1', '  referenceType: Flunder\n  ref: abc\n'), 'fieldManager=alice').expect(200);
    expect(res.body.spec).toEqual({ referenceType: 'Flunder', ref: 'abc', size: 'small' });
  });

  it('fails on a field the schema does not declare, whatever the fieldValidation (500 without a reason, as Go for a CRD)', async () => {
    const body = applyYaml('w1', '  referenceType: Flunder\n  bogus: 1\n');
    for (const fieldValidation of ['Strict', 'Warn', 'Ignore']) {
      const res = await apply('w1', body, `fieldManager=alice&fieldValidation=${fieldValidation}`);
      expect(res.status).toBe(500);
      expect(res.body.reason).toBeFalsy();
      expect(res.body.message).toBe('failed to create typed patch object (/w1; test.example.com/v1alpha1, Kind=Widget): .spec.bogus: field not declared in schema');
    }
    await request(app).get(`${ALPHA}/w1`).expect(404);
  });

  it('refuses managedFields, another kind and a body that is not an object with 400', async () => {
    const withManaged = `${applyYaml('w1', '  referenceType: Flunder\n').replace('  name: w1\n', '  name: w1\n  managedFields: [{manager: x, operation: Apply}]\n')}`;
    expect((await apply('w1', withManaged, 'fieldManager=alice')).status).toBe(400);
    const otherKind = applyYaml('w1', '  referenceType: Flunder\n').replace('kind: Widget', 'kind: Gadget');
    expect((await apply('w1', otherKind, 'fieldManager=alice')).status).toBe(400);
    const list = await apply('w1', '- a\n- b\n', 'fieldManager=alice');
    expect(list.status).toBe(400);
    expect(list.body.message).toMatch(/^error decoding YAML: /);
  });

  it('with dryRun, answers what it would make and stores nothing', async () => {
    const res = await apply('w1', applyYaml('w1', '  referenceType: Flunder\n'), 'fieldManager=alice&dryRun=All');
    expect(res.status).toBe(201);
    expect(summary(res.body)).toEqual(['alice/Apply/test.example.com/v1alpha1']);
    await request(app).get(`${ALPHA}/w1`).expect(404);
  });

  it('applies status through the status subresource, recorded as such; the resource never records status', async () => {
    await apply('w1', `${applyYaml('w1', '  referenceType: Flunder\n')}status:\n  phase: Ready\n`, 'fieldManager=alice').expect(201);
    const got = await request(app).get(`${ALPHA}/w1`).expect(200);
    expect(got.body.status).toBeUndefined();
    expect(entries(got.body)[0]!.fieldsV1).toEqual({ 'f:spec': { 'f:referenceType': {} } });
    const status = await request(app)
      .patch(`${ALPHA}/w1/status?fieldManager=controller`)
      .set('Content-Type', APPLY)
      .send('apiVersion: test.example.com/v1alpha1\nkind: Widget\nmetadata:\n  name: w1\nstatus:\n  phase: Ready\n');
    expect(status.status).toBe(200);
    expect(status.body.status).toEqual({ phase: 'Ready' });
    expect(summary(status.body)).toEqual(['alice/Apply/test.example.com/v1alpha1', 'controller/Apply/test.example.com/v1alpha1/status']);
    expect(entries(status.body)[1]!.fieldsV1).toEqual({ 'f:status': { 'f:phase': {} } });
  });
});

describe('managedFields on the other writes', () => {
  const widget = (name: string, spec: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'test.example.com/v1beta1',
    kind: 'Widget',
    metadata: { name, ...extra },
    spec,
  });

  it('records a create under the User-Agent prefix, a PUT and a merge patch under their managers', async () => {
    const created = await request(app).post(BETA).set('User-Agent', 'kubectl-create/v1.33.0 (linux/amd64) kubernetes/abc').send(widget('w1', { referenceType: 'Flunder', reference: 'a' }));
    expect(created.status).toBe(201);
    expect(entries(created.body)).toEqual([
      {
        manager: 'kubectl-create',
        operation: 'Update',
        apiVersion: 'test.example.com/v1beta1',
        time: '2026-01-02T03:04:05Z',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { '.': {}, 'f:reference': {}, 'f:referenceType': {}, 'f:replicas': {} } },
      },
    ]);
    const put = await request(app)
      .put(`${BETA}/w1?fieldManager=editor`)
      .send(widget('w1', { ...created.body.spec, size: 'big' }, { resourceVersion: created.body.metadata.resourceVersion, managedFields: created.body.metadata.managedFields }));
    expect(put.status).toBe(200);
    // Sorted as Go sorts them: operation, time, then manager (the clock is pinned: all one time).
    expect(summary(put.body)).toEqual(['editor/Update/test.example.com/v1beta1', 'kubectl-create/Update/test.example.com/v1beta1']);
    expect(entries(put.body)[0]!.fieldsV1).toEqual({ 'f:spec': { 'f:size': {} } });
    const patched = await request(app)
      .patch(`${ALPHA}/w1?fieldManager=patcher`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { labels: { a: 'b' } } });
    expect(patched.status).toBe(200);
    expect(summary(patched.body)).toEqual(['editor/Update/test.example.com/v1beta1', 'kubectl-create/Update/test.example.com/v1beta1', 'patcher/Update/test.example.com/v1alpha1']);
    expect(entries(patched.body)[2]!.fieldsV1).toEqual({ 'f:metadata': { 'f:labels': { '.': {}, 'f:a': {} } } });
  });

  it('a merge patch that takes a field over removes it from its applier, and an empty list resets the entries', async () => {
    await apply('w1', applyYaml('w1', '  referenceType: Flunder\n  ref: abc\n'), 'fieldManager=alice').expect(201);
    const patched = await request(app).patch(`${ALPHA}/w1?fieldManager=patcher`).set('Content-Type', 'application/merge-patch+json').send({ spec: { ref: 'new' } });
    expect(Object.fromEntries(entries(patched.body).map((e) => [e.manager, e.fieldsV1]))).toEqual({
      alice: { 'f:spec': { 'f:referenceType': {} } },
      patcher: { 'f:spec': { 'f:ref': {} } },
    });
    const reset = await request(app).patch(`${ALPHA}/w1`).set('Content-Type', 'application/merge-patch+json').send({ metadata: { managedFields: [{}] } });
    expect(reset.body.metadata.managedFields).toBeUndefined();
  });

  it('records /status and /scale writes under their subresource', async () => {
    await request(app).post(BETA).send(widget('w1', { referenceType: 'Flunder', reference: 'a' })).expect(201);
    const status = await request(app).patch(`${BETA}/w1/status?fieldManager=ctl`).set('Content-Type', 'application/merge-patch+json').send({ status: { phase: 'Up' } });
    expect(status.status).toBe(200);
    expect(entries(status.body).find((e) => e.manager === 'ctl')).toMatchObject({ operation: 'Update', subresource: 'status', fieldsV1: { 'f:status': { '.': {}, 'f:phase': {} } } });
    const scale = await request(app).patch(`${BETA}/w1/scale?fieldManager=scaler`).set('Content-Type', 'application/merge-patch+json').send({ spec: { replicas: 4 } });
    expect(scale.status).toBe(200);
    const got = await request(app).get(`${BETA}/w1`).expect(200);
    expect(got.body.spec.replicas).toBe(4);
    expect(entries(got.body).find((e) => e.manager === 'scaler')).toMatchObject({ operation: 'Update', subresource: 'scale', fieldsV1: { 'f:spec': { 'f:replicas': {} } } });
  });
});

describe('mutating admission', () => {
  it('managedFields a plugin leaves invalid are put back, with Go’s warning', async () => {
    const scheme = new Scheme().addKind(widgetKind());
    const breaker: AdmissionPlugin = {
      name: 'breaker',
      admit(attrs) {
        attrs.object!.metadata.managedFields = [{ manager: 'x', operation: 'Bogus' } as never];
      },
    };
    const stores = new Map<string, RestStorage>();
    for (const kind of scheme.kinds) stores.set(`${kind.group}/${kind.plural}`, new Store({ kind, storage, now: () => NOW, admission: [breaker] }));
    const admitted = routesHandler([apisRoute({ scheme, storages: stores, maxRequestBodyBytes: 64 * 1024 })]);
    const res = await request(admitted)
      .patch(`${ALPHA}/w1?fieldManager=alice`)
      .set('Content-Type', APPLY)
      .send(applyYaml('w1', '  referenceType: Flunder\n'));
    expect(res.status).toBe(201);
    expect(summary(res.body)).toEqual(['alice/Apply/test.example.com/v1alpha1']);
    expect(res.headers['warning']).toMatch(/^299 - "\.metadata\.managedFields was in an invalid state after admission; this could be caused by an outdated mutating admission controller; please fix your requests: /);
  });
});
