import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import request from 'supertest';
import type { KubeObject } from '@kapi/apimachinery';
import { SqliteStorage, type Storage } from '@kapi/storage';
import { Scheme } from '../scheme/scheme.js';
import { widgetKind } from '../scheme/test-kinds.js';
import type { KindDefinition } from '../scheme/kind.js';
import { Store } from '../registry/store.js';
import type { RestStorage } from '../registry/interfaces.js';
import { apisRoute } from './router.js';
import { routesHandler } from '../http/routes.js';

const KUBECTL_ACCEPT =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const ALPHA = '/apis/test.example.com/v1alpha1';
const BETA = '/apis/test.example.com/v1beta1';

function gadgetKind(): KindDefinition {
  return {
    group: 'test.example.com',
    kind: 'Gadget',
    plural: 'gadgets',
    namespaced: false,
    hubVersion: 'v1beta1',
    versions: [
      {
        name: 'v1beta1',
        schema: { type: 'object', properties: { spec: { type: 'object', properties: { color: { type: 'string' }, count: { type: 'integer' } } } } },
        printerColumns: [
          { name: 'Color', type: 'string', jsonPath: '.spec.color' },
          { name: 'Count', type: 'integer', jsonPath: '.spec.count', priority: 1 },
          { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
        ],
      },
    ],
  };
}

let storage: SqliteStorage;
let app: RequestListener;

beforeEach(() => {
  storage = SqliteStorage.open({ path: ':memory:', compactionIntervalMs: 0 });
  const scheme = new Scheme().addKind(widgetKind()).addKind(gadgetKind());
  const stores = new Map<string, RestStorage>();
  for (const kind of scheme.kinds) stores.set(`${kind.group}/${kind.plural}`, new Store({ kind, storage }));
  app = routesHandler([apisRoute({ scheme, storages: stores, maxRequestBodyBytes: 64 * 1024 })]);
});
afterEach(() => storage.close());

const widget = (name: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'test.example.com/v1alpha1',
  kind: 'Widget',
  metadata: { name },
  spec: { referenceType: 'Flunder', ref: 'abc', ...extra },
});

async function createWidget(name: string, ns = 'default', extra: Record<string, unknown> = {}) {
  return request(app).post(`${ALPHA}/namespaces/${ns}/widgets`).send(widget(name, extra)).expect(201);
}

describe('create and get', () => {
  it('creates in one version and reads in another', async () => {
    const created = await createWidget('w1');
    expect(created.headers['content-type']).toMatch(/^application\/json/);
    expect(created.body).toMatchObject({ apiVersion: 'test.example.com/v1alpha1', kind: 'Widget', spec: { ref: 'abc', size: 'small' } });
    expect(created.body.metadata).toMatchObject({ name: 'w1', namespace: 'default', generation: 1 });
    const got = await request(app).get(`${BETA}/namespaces/default/widgets/w1`).expect(200);
    expect(got.body).toMatchObject({ apiVersion: 'test.example.com/v1beta1', spec: { reference: 'abc' } });
    expect(got.headers['etag']).toBeUndefined();
  });

  it('accepts YAML bodies', async () => {
    const yaml = 'apiVersion: test.example.com/v1alpha1\nkind: Widget\nmetadata:\n  name: y1\nspec:\n  referenceType: Fischer\n';
    const res = await request(app).post(`${ALPHA}/namespaces/default/widgets`).set('Content-Type', 'application/yaml').send(yaml);
    expect(res.status).toBe(201);
    expect(res.body.spec.referenceType).toBe('Fischer');
  });

  it('answers malformed JSON and YAML with 400 Status', async () => {
    const bad = await request(app).post(`${ALPHA}/namespaces/default/widgets`).set('Content-Type', 'application/json').send('{"a":');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
    const badYaml = await request(app).post(`${ALPHA}/namespaces/default/widgets`).set('Content-Type', 'application/yaml').send('a: [1,\n');
    expect(badYaml.status).toBe(400);
  });

  it('refuses oversized bodies with 413 and unknown content types with 415', async () => {
    const big = widget('big', { size: 'x'.repeat(70 * 1024) });
    const res = await request(app).post(`${ALPHA}/namespaces/default/widgets`).send(big);
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ reason: 'RequestEntityTooLarge', code: 413 });
    const proto = await request(app).post(`${ALPHA}/namespaces/default/widgets`).set('Content-Type', 'application/vnd.kubernetes.protobuf').send('x');
    expect(proto.status).toBe(415);
  });

  it('refuses a namespace that differs from the URL', async () => {
    const body = { ...widget('w2'), metadata: { name: 'w2', namespace: 'other' } };
    const res = await request(app).post(`${ALPHA}/namespaces/default/widgets`).send(body);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('does not match the namespace');
  });

  it('maps unknown resources to 404 and wrong methods to 405', async () => {
    const missing = await request(app).get(`${ALPHA}/namespaces/default/nothings`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ kind: 'Status', reason: 'NotFound', message: 'the server could not find the requested resource' });
    expect((await request(app).get(`${ALPHA}/widgets/w1`)).status).toBe(404);
    expect((await request(app).get(`${BETA}/namespaces/default/gadgets`)).status).toBe(404);
    expect((await request(app).get(`${ALPHA}/namespaces/default/widgets/w1/nope`)).status).toBe(404);
    const notAllowed = await request(app).post(`${ALPHA}/namespaces/default/widgets/w1`).send(widget('w1'));
    expect(notAllowed.status).toBe(405);
    expect(notAllowed.body.reason).toBe('MethodNotAllowed');
    expect((await request(app).post(`${ALPHA}/widgets`).send(widget('w1'))).status).toBe(405);
  });

  it('answers NotFound for a missing object', async () => {
    const res = await request(app).get(`${ALPHA}/namespaces/default/widgets/none`).expect(404);
    expect(res.body.message).toBe('widgets.test.example.com "none" not found');
  });
});

describe('write options', () => {
  it('validates dryRun, fieldManager and fieldValidation as Go does', async () => {
    const dry = await request(app).post(`${ALPHA}/namespaces/default/widgets?dryRun=Some`).send(widget('d1'));
    expect(dry.status).toBe(422);
    expect(dry.body.details).toMatchObject({ kind: 'CreateOptions', group: 'meta.k8s.io' });
    const fm = await request(app).post(`${ALPHA}/namespaces/default/widgets?fieldManager=${'m'.repeat(129)}`).send(widget('d1'));
    expect(fm.status).toBe(422);
    const fv = await request(app).post(`${ALPHA}/namespaces/default/widgets?fieldValidation=Loose`).send(widget('d1'));
    expect(fv.status).toBe(422);
  });

  it('dryRun=All writes nothing', async () => {
    await request(app).post(`${ALPHA}/namespaces/default/widgets?dryRun=All`).send(widget('d2')).expect(201);
    await request(app).get(`${ALPHA}/namespaces/default/widgets/d2`).expect(404);
  });

  it('warns about unknown fields by default and refuses them under Strict', async () => {
    const warn = await request(app).post(`${ALPHA}/namespaces/default/widgets`).send(widget('u1', { bogus: 1 })).expect(201);
    expect(String(warn.headers['warning'])).toMatch(/^299 - "unknown field \\"spec.bogus\\""/);
    const strict = await request(app).post(`${ALPHA}/namespaces/default/widgets?fieldValidation=Strict`).send(widget('u2', { bogus: 1 }));
    expect(strict.status).toBe(400);
  });
});

describe('list', () => {
  it('lists as <Kind>List in the request version, and validates ListOptions', async () => {
    await createWidget('a');
    await createWidget('b', 'other');
    const list = await request(app).get(`${BETA}/widgets`).expect(200);
    expect(list.body).toMatchObject({ apiVersion: 'test.example.com/v1beta1', kind: 'WidgetList' });
    expect(list.body.items.map((i: { metadata: { name: string } }) => i.metadata.name).sort()).toEqual(['a', 'b']);
    expect(list.body.metadata.resourceVersion).toMatch(/^\d+$/);
    const ns = await request(app).get(`${BETA}/namespaces/other/widgets`).expect(200);
    expect(ns.body.items).toHaveLength(1);
    const bad = await request(app).get(`${BETA}/widgets?resourceVersionMatch=Exact`);
    expect(bad.status).toBe(422);
    expect(bad.body.details).toMatchObject({ kind: 'ListOptions', group: 'meta.k8s.io' });
    expect((await request(app).get(`${BETA}/widgets?limit=abc`)).status).toBe(400);
  });

  it('serves kubectl Tables with the default columns', async () => {
    await createWidget('t1');
    const res = await request(app).get(`${BETA}/namespaces/default/widgets`).set('Accept', KUBECTL_ACCEPT).expect(200);
    expect(res.headers['content-type']).toContain('as=Table');
    expect(res.body).toMatchObject({ apiVersion: 'meta.k8s.io/v1', kind: 'Table' });
    expect(res.body.columnDefinitions.map((c: { name: string; format: string }) => [c.name, c.format])).toEqual([
      ['Name', 'name'],
      ['Created At', ''],
    ]);
    expect(res.body.rows[0].cells[0]).toBe('t1');
    expect(res.body.rows[0].cells[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(res.body.rows[0].object).toMatchObject({ apiVersion: 'meta.k8s.io/v1', kind: 'PartialObjectMetadata', metadata: { name: 't1' } });
    const none = await request(app).get(`${BETA}/namespaces/default/widgets/t1?includeObject=None`).set('Accept', KUBECTL_ACCEPT).expect(200);
    expect(none.body.rows[0].object).toBeUndefined();
  });

  it('builds Table cells from printer columns, including priority > 0', async () => {
    await request(app).post(`${BETA}/gadgets`).send({ apiVersion: 'test.example.com/v1beta1', kind: 'Gadget', metadata: { name: 'g1' }, spec: { color: 'red', count: 3 } }).expect(201);
    const res = await request(app).get(`${BETA}/gadgets`).set('Accept', 'application/json;as=Table;v=v1beta1;g=meta.k8s.io').expect(200);
    expect(res.body.apiVersion).toBe('meta.k8s.io/v1beta1');
    expect(res.body.columnDefinitions.map((c: { name: string; priority: number }) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Color', 0],
      ['Count', 1],
      ['Age', 0],
    ]);
    expect(res.body.rows[0].cells.slice(0, 3)).toEqual(['g1', 'red', 3]);
  });

  it('serves PartialObjectMetadataList and refuses what cannot be had', async () => {
    await createWidget('p1');
    const res = await request(app)
      .get(`${BETA}/namespaces/default/widgets`)
      .set('Accept', 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io')
      .expect(200);
    expect(res.body).toMatchObject({ kind: 'PartialObjectMetadataList', apiVersion: 'meta.k8s.io/v1' });
    expect(res.body.items[0]).toMatchObject({ kind: 'PartialObjectMetadata', metadata: { name: 'p1' } });
    expect(res.body.items[0].spec).toBeUndefined();
    const single = await request(app).get(`${BETA}/namespaces/default/widgets/p1`).set('Accept', 'application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io');
    expect(single.status).toBe(406);
    const proto = await request(app).get(`${BETA}/namespaces/default/widgets`).set('Accept', 'application/vnd.kubernetes.protobuf');
    expect(proto.status).toBe(406);
    expect(proto.body.reason).toBe('NotAcceptable');
  });
});

describe('update and patch', () => {
  it('updates with PUT and checks the name', async () => {
    const created = await createWidget('w1');
    const body = { ...created.body, spec: { ...created.body.spec, ref: 'xyz' } };
    const res = await request(app).put(`${ALPHA}/namespaces/default/widgets/w1`).send(body).expect(200);
    expect(res.body.spec.ref).toBe('xyz');
    expect(res.body.metadata.generation).toBe(2);
    const stale = await request(app).put(`${ALPHA}/namespaces/default/widgets/w1`).send(body);
    expect(stale.status).toBe(409);
    const renamed = await request(app).put(`${ALPHA}/namespaces/default/widgets/w1`).send({ ...body, metadata: { ...body.metadata, name: 'w9' } });
    expect(renamed.status).toBe(400);
  });

  it('applies merge and JSON patches in the request version', async () => {
    await createWidget('w1');
    const merge = await request(app)
      .patch(`${ALPHA}/namespaces/default/widgets/w1`)
      .set('Content-Type', 'application/merge-patch+json')
      .send(JSON.stringify({ metadata: { labels: { a: 'b' } }, spec: { ref: 'merged' } }))
      .expect(200);
    expect(merge.body.metadata.labels).toEqual({ a: 'b' });
    expect(merge.body.spec.ref).toBe('merged');
    const json = await request(app)
      .patch(`${BETA}/namespaces/default/widgets/w1`)
      .set('Content-Type', 'application/json-patch+json')
      .send(JSON.stringify([{ op: 'replace', path: '/spec/reference', value: 'jp' }]))
      .expect(200);
    expect(json.body.spec.reference).toBe('jp');
  });

  it('maps patch failures to Go codes', async () => {
    await createWidget('w1');
    const url = `${ALPHA}/namespaces/default/widgets/w1`;
    const failedTest = await request(app)
      .patch(url)
      .set('Content-Type', 'application/json-patch+json')
      .send(JSON.stringify([{ op: 'test', path: '/spec/ref', value: 'nope' }]));
    expect(failedTest.status).toBe(422);
    const smp = await request(app).patch(url).set('Content-Type', 'application/strategic-merge-patch+json').send('{}');
    expect(smp.status).toBe(415);
    expect(smp.body.reason).toBe('UnsupportedMediaType');
    const tooMany = Array.from({ length: 10001 }, () => ({ op: 'test', path: '/kind', value: 'Widget' }));
    const big = await request(app).patch(url).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(tooMany));
    expect(big.status).toBe(413);
    const badJson = await request(app).patch(url).set('Content-Type', 'application/merge-patch+json').send('{');
    expect(badJson.status).toBe(400);
    const missing = await request(app)
      .patch(`${ALPHA}/namespaces/default/widgets/none`)
      .set('Content-Type', 'application/merge-patch+json')
      .send('{}');
    expect(missing.status).toBe(404);
  });

  it('updates status and scale through their subresources', async () => {
    const created = await createWidget('w1', 'default', { replicas: 2 });
    const status = await request(app)
      .put(`${ALPHA}/namespaces/default/widgets/w1/status`)
      .send({ ...created.body, status: { phase: 'Ready', replicas: 2 }, spec: { referenceType: 'Fischer' } })
      .expect(200);
    expect(status.body.status).toEqual({ phase: 'Ready', replicas: 2 });
    expect(status.body.spec.referenceType).toBe('Flunder');
    const scale = await request(app).get(`${BETA}/namespaces/default/widgets/w1/scale`).set('Accept', KUBECTL_ACCEPT).expect(200);
    expect(scale.body).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 2 }, status: { replicas: 2 } });
    const scaled = await request(app)
      .patch(`${BETA}/namespaces/default/widgets/w1/scale`)
      .set('Content-Type', 'application/merge-patch+json')
      .send(JSON.stringify({ spec: { replicas: 5 } }))
      .expect(200);
    expect(scaled.body.spec.replicas).toBe(5);
    const obj = await request(app).get(`${BETA}/namespaces/default/widgets/w1`).expect(200);
    expect(obj.body.spec.replicas).toBe(5);
  });
});

describe('delete', () => {
  it('answers Status Success with details, or the object while finalizers hold it', async () => {
    const created = await createWidget('w1');
    const res = await request(app).delete(`${ALPHA}/namespaces/default/widgets/w1`).expect(200);
    expect(res.body).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'w1', group: 'test.example.com', kind: 'widgets', uid: created.body.metadata.uid },
    });
    const held = await request(app)
      .post(`${ALPHA}/namespaces/default/widgets`)
      .send({ ...widget('w2'), metadata: { name: 'w2', finalizers: ['example.com/hold'] } })
      .expect(201);
    const pending = await request(app).delete(`${ALPHA}/namespaces/default/widgets/w2`).expect(200);
    expect(pending.body.kind).toBe('Widget');
    expect(pending.body.metadata.deletionTimestamp).toBeDefined();
    expect(held.body.metadata.uid).toBe(pending.body.metadata.uid);
  });

  it('takes DeleteOptions from the body, preconditions included', async () => {
    await createWidget('w1');
    const res = await request(app)
      .delete(`${ALPHA}/namespaces/default/widgets/w1`)
      .send({ kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid: 'not-the-uid' } });
    expect(res.status).toBe(409);
    const bad = await request(app).delete(`${ALPHA}/namespaces/default/widgets/w1?propagationPolicy=Sometimes`);
    expect(bad.status).toBe(422);
    expect(bad.body.details.kind).toBe('DeleteOptions');
    await request(app).delete(`${ALPHA}/namespaces/default/widgets/w1`).send({ dryRun: ['All'] }).expect(200);
    await request(app).get(`${ALPHA}/namespaces/default/widgets/w1`).expect(200);
  });

  it('deletes collections', async () => {
    await createWidget('a');
    await createWidget('b');
    const res = await request(app).delete(`${ALPHA}/namespaces/default/widgets`).expect(200);
    expect(res.body.kind).toBe('WidgetList');
    expect(res.body.items).toHaveLength(2);
    const after = await request(app).get(`${ALPHA}/namespaces/default/widgets`).expect(200);
    expect(after.body.items).toHaveLength(0);
  });
});

/** Opens a real connection (supertest buffers): collects watch lines until the stream ends. */
async function watchLines(path: string, headers: Record<string, string>, whileOpen: () => Promise<void>): Promise<{ status: number; contentType: string; lines: Array<{ type: string; object: Record<string, unknown> }> }> {
  const server = http.createServer(app).listen(0);
  try {
    const port = (server.address() as AddressInfo).port;
    return await new Promise((resolve, reject) => {
      const req = http.get({ port, path, headers }, (res) => {
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (buf += chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            contentType: String(res.headers['content-type']),
            lines: buf.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)),
          }),
        );
        whileOpen().catch(reject);
      });
      req.on('error', reject);
    });
  } finally {
    server.close();
  }
}

describe('watch', () => {
  it('streams events in the request version and ends at timeoutSeconds', async () => {
    await createWidget('before');
    const result = await watchLines(`${ALPHA}/namespaces/default/widgets?watch=true&timeoutSeconds=1&resourceVersion=0`, {}, async () => {
      await new Promise((r) => setTimeout(r, 100));
      await createWidget('during');
    });
    expect(result.status).toBe(200);
    expect(result.contentType).toMatch(/^application\/json/);
    expect(result.lines.map((l) => [l.type, (l.object['metadata'] as { name: string }).name])).toEqual([
      ['ADDED', 'before'],
      ['ADDED', 'during'],
    ]);
    expect(result.lines[0]!.object['apiVersion']).toBe('test.example.com/v1alpha1');
  });

  it('sends Table events with column definitions only on the first', async () => {
    await createWidget('one');
    await createWidget('two');
    const result = await watchLines(`${BETA}/namespaces/default/widgets?watch=1&timeoutSeconds=1`, { Accept: KUBECTL_ACCEPT }, async () => undefined);
    expect(result.lines).toHaveLength(2);
    expect((result.lines[0]!.object['columnDefinitions'] as unknown[]).length).toBe(2);
    expect(result.lines[1]!.object['columnDefinitions']).toEqual([]);
    expect(result.lines[1]!.object['kind']).toBe('Table');
  });

  it('supports the legacy /watch/ prefix and sendInitialEvents bookmarks', async () => {
    await createWidget('w1');
    const legacy = await watchLines(`${BETA}/watch/namespaces/default/widgets/w1?timeoutSeconds=1`, {}, async () => undefined);
    expect(legacy.lines.map((l) => l.type)).toEqual(['ADDED']);
    const initial = await watchLines(
      `${BETA}/widgets?watch=true&timeoutSeconds=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true`,
      {},
      async () => undefined,
    );
    expect(initial.lines[0]!.type).toBe('ADDED');
    const bookmark = initial.lines.find((l) => l.type === 'BOOKMARK');
    expect(bookmark?.object).toMatchObject({
      apiVersion: 'test.example.com/v1beta1',
      kind: 'Widget',
      metadata: { annotations: { 'k8s.io/initial-events-end': 'true' } },
    });
    expect(Object.keys(bookmark!.object)).toEqual(['apiVersion', 'kind', 'metadata']);
    const invalid = await request(app).get(`${BETA}/widgets?watch=true&sendInitialEvents=true`);
    expect(invalid.status).toBe(422);
  });
});

/** Freezes every nested object: a write to it throws (test files run in strict mode). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * A storage handing out frozen objects, as a watch cache hands out objects it shares with every
 * reader: any request that changed one in place (instead of a copy) fails with a TypeError (500).
 */
function freezingStorage(inner: Storage): Storage {
  const freezeResult = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null) return value;
    const items = (value as { items?: unknown }).items;
    if (Array.isArray(items)) items.forEach((item) => deepFreeze(item));
    else if ((value as { metadata?: unknown }).metadata) deepFreeze(value);
    return value;
  };
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const member: unknown = Reflect.get(target, prop, receiver);
      if (typeof member !== 'function') return member;
      if (prop === 'watch' || prop === 'close') return member.bind(target);
      if (prop === 'guaranteedUpdate') {
        return (key: string, tryUpdate: (current: KubeObject | undefined) => Promise<KubeObject> | KubeObject, opts?: object) =>
          target.guaranteedUpdate(key, (current) => tryUpdate(current && deepFreeze(current)), opts).then(freezeResult);
      }
      return (...args: unknown[]) => {
        const result: unknown = (member as (...a: unknown[]) => unknown).apply(target, args);
        return result instanceof Promise ? result.then(freezeResult) : freezeResult(result);
      };
    },
  });
}

describe('objects storage hands out are never changed (the watch cache shares them)', () => {
  let frozenApp: RequestListener;
  beforeEach(() => {
    const scheme = new Scheme().addKind(widgetKind()).addKind(gadgetKind());
    const stores = new Map<string, RestStorage>();
    const frozen = freezingStorage(storage);
    for (const kind of scheme.kinds) stores.set(`${kind.group}/${kind.plural}`, new Store({ kind, storage: frozen }));
    frozenApp = routesHandler([apisRoute({ scheme, storages: stores })]);
  });

  it('serves get, list, tables, patch, update, status and delete from frozen objects', async () => {
    const url = `${ALPHA}/namespaces/default/widgets/w1`;
    await request(frozenApp).post(`${ALPHA}/namespaces/default/widgets`).send(widget('w1')).expect(201);
    for (const base of [ALPHA, BETA]) {
      await request(frozenApp).get(`${base}/namespaces/default/widgets/w1`).expect(200);
      await request(frozenApp).get(`${base}/namespaces/default/widgets`).expect(200);
      await request(frozenApp).get(`${base}/namespaces/default/widgets/w1`).set('Accept', KUBECTL_ACCEPT).expect(200);
      await request(frozenApp).get(`${base}/namespaces/default/widgets`).set('Accept', KUBECTL_ACCEPT).expect(200);
    }
    const merged = await request(frozenApp)
      .patch(url)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ metadata: { labels: { a: 'b' } }, spec: { ref: 'merged' } })
      .expect(200);
    expect(merged.body.spec.ref).toBe('merged');
    const patched = await request(frozenApp)
      .patch(`${BETA}/namespaces/default/widgets/w1`)
      .set('Content-Type', 'application/json-patch+json')
      .send([{ op: 'replace', path: '/spec/reference', value: 'json' }])
      .expect(200);
    expect(patched.body.spec.reference).toBe('json');
    // v1alpha1 has no default replicas: without them the Scale is a 500, as Go's for a custom resource.
    const put = await request(frozenApp).put(url).send({ ...widget('w1'), spec: { referenceType: 'Fischer', ref: 'put', replicas: 2 } }).expect(200);
    expect(put.body.spec).toMatchObject({ referenceType: 'Fischer', ref: 'put' });
    await request(frozenApp)
      .put(`${url}/status`)
      .send({ ...put.body, status: { replicas: 3 } })
      .expect(200);
    const scaled = await request(frozenApp).get(`${url}/scale`).expect(200);
    expect(scaled.body.status.replicas).toBe(3);
    await request(frozenApp).delete(url).expect(200);
  });
});

describe('plain JSON lists', () => {
  it('are exactly the JSON of the list object, and follow changes of their items', async () => {
    await createWidget('a');
    await createWidget('b');
    const first = await request(app).get(`${ALPHA}/namespaces/default/widgets`).buffer(true).parse((res, done) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => done(null, text));
    });
    const text = first.body as string;
    const parsed = JSON.parse(text) as { apiVersion: string; kind: string; metadata: object; items: Array<{ metadata: { name: string }; spec: { ref: string } }> };
    expect(JSON.stringify(parsed)).toBe(text);
    expect(Object.keys(parsed)).toEqual(['apiVersion', 'kind', 'metadata', 'items']);
    expect(parsed.items.map((i) => i.metadata.name)).toEqual(['a', 'b']);
    expect(first.headers['content-length']).toBe(String(Buffer.byteLength(text)));

    await request(app)
      .patch(`${ALPHA}/namespaces/default/widgets/a`)
      .set('Content-Type', 'application/merge-patch+json')
      .send({ spec: { ref: 'changed' } })
      .expect(200);
    const again = await request(app).get(`${ALPHA}/namespaces/default/widgets`).expect(200);
    expect(again.body.items[0].spec.ref).toBe('changed');
    const beta = await request(app).get(`${BETA}/namespaces/default/widgets`).expect(200);
    expect(beta.body.items[0]).toMatchObject({ apiVersion: 'test.example.com/v1beta1', spec: { reference: 'changed' } });
  });
});
