import { StatusError, newForbidden, type KubeObject } from '@kapi/apimachinery';
import { SqliteStorage } from '@kapi/storage';
import type { KindDefinition } from '../scheme/kind.js';
import { widgetKind, type WidgetHub } from '../scheme/test-kinds.js';
import type { AdmissionAttributes, AdmissionPlugin, RequestContext } from './rest.js';
import { getScale, updateScale } from './scale.js';
import { Store, type StoreOptions } from './store.js';

const NOW = new Date('2026-01-02T03:04:05.678Z');
const HUB = 'test.example.com/v1beta1';

let storage: SqliteStorage;
beforeEach(() => {
  storage = SqliteStorage.open({ path: ':memory:', compactionIntervalMs: 0 });
});
afterEach(() => storage.close());

function store(opts: Partial<StoreOptions<WidgetHub>> = {}): Store<WidgetHub> {
  return new Store<WidgetHub>({ kind: widgetKind(), storage, now: () => NOW, ...opts });
}

const ctx = (namespace = 'default'): RequestContext => ({ namespace, warnings: [] });

function widget(name: string, spec: WidgetHub['spec'] = { referenceType: 'Flunder' }, meta: KubeObject['metadata'] = {}): WidgetHub {
  return { apiVersion: HUB, kind: 'Widget', metadata: { name, ...meta }, spec };
}

async function failure(p: Promise<unknown>): Promise<StatusError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
  throw new Error('expected a StatusError');
}

const put = (obj: KubeObject) => () => obj;

describe('Store.create', () => {
  it('fills system fields and stores the object', async () => {
    const s = store();
    const created = await s.create(ctx(), { ...widget('w1'), status: { phase: 'x' } }, {});
    expect(created.metadata).toMatchObject({
      name: 'w1',
      namespace: 'default',
      generation: 1,
      creationTimestamp: '2026-01-02T03:04:05Z',
    });
    expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.metadata.resourceVersion).toMatch(/^\d+$/);
    expect(created.status).toBeUndefined();
    expect(await s.get(ctx(), 'w1', {})).toEqual(created);
  });

  it('answers AlreadyExists naming the resource', async () => {
    const s = store();
    await s.create(ctx(), widget('w1'), {});
    const err = await failure(s.create(ctx(), widget('w1'), {}));
    expect(err.code).toBe(409);
    expect(err.message).toBe('widgets.test.example.com "w1" already exists');
  });

  it('generates names from generateName', async () => {
    const s = store();
    const long = 'x'.repeat(70);
    const a = await s.create(ctx(), { apiVersion: HUB, kind: 'Widget', metadata: { generateName: 'w-' }, spec: { referenceType: 'Flunder' } }, {});
    const b = await s.create(ctx(), { apiVersion: HUB, kind: 'Widget', metadata: { generateName: long }, spec: { referenceType: 'Flunder' } }, {});
    expect(a.metadata.name).toMatch(/^w-[a-z0-9]{5}$/);
    expect(b.metadata.name).toHaveLength(63);
    expect(b.metadata.name?.startsWith('x'.repeat(58))).toBe(true);
  });

  it('validates the name (422) and the namespace (400)', async () => {
    const s = store();
    const bad = await failure(s.create(ctx(), widget('Bad_Name'), {}));
    expect(bad.code).toBe(422);
    expect(bad.status.details?.causes?.[0]?.field).toBe('metadata.name');
    expect(bad.message).toMatch(/^Widget\.test\.example\.com "Bad_Name" is invalid: metadata\.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/);
    const missing = await failure(s.create(ctx(), widget(''), {}));
    expect(missing.status.details?.causes).toEqual([
      { reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' },
    ]);
    const ns = await failure(s.create(ctx('default'), widget('w1', undefined, { namespace: 'other' }), {}));
    expect(ns.code).toBe(400);
    expect(ns.message).toBe('the namespace of the provided object does not match the namespace sent on the request');
  });

  it('runs the strategy: prepareForCreate and validate', async () => {
    const kind: KindDefinition<WidgetHub> = widgetKind({
      strategy: {
        prepareForCreate: (obj) => {
          obj.metadata.labels = { prepared: 'yes' };
        },
        validate: (obj) =>
          obj.spec?.reference === 'bad' ? [{ type: 'FieldValueInvalid', field: 'spec.reference', message: 'Invalid value: "bad": nope' }] : [],
      },
    });
    const s = store({ kind });
    expect((await s.create(ctx(), widget('w1'), {})).metadata.labels).toEqual({ prepared: 'yes' });
    const err = await failure(s.create(ctx(), widget('w2', { referenceType: 'Flunder', reference: 'bad' }), {}));
    expect(err.code).toBe(422);
    expect(err.message).toBe('Widget.test.example.com "w2" is invalid: spec.reference: Invalid value: "bad": nope');
  });

  it('dryRun returns what would be stored and writes nothing', async () => {
    const s = store();
    const would = await s.create(ctx(), widget('w1'), { dryRun: true });
    expect(would.metadata.uid).toBeDefined();
    expect(would.metadata.resourceVersion).toBeUndefined();
    expect((await failure(s.get(ctx(), 'w1', {}))).code).toBe(404);
  });

  it('cluster-scoped kinds drop the namespace', async () => {
    const s = store({ kind: widgetKind({ namespaced: false }) });
    const created = await s.create({ warnings: [] }, widget('c1', undefined, { namespace: 'x' }), {});
    expect(created.metadata.namespace).toBeUndefined();
    expect((await s.get({ warnings: [] }, 'c1', {})).metadata.name).toBe('c1');
  });
});

describe('Store.admission', () => {
  it('runs admit then validate, and a refusal stops the write', async () => {
    const seen: string[] = [];
    const plugin: AdmissionPlugin = {
      name: 'test',
      admit(attrs: AdmissionAttributes) {
        seen.push(`admit ${attrs.operation}`);
        if (attrs.object) attrs.object.metadata.annotations = { admitted: 'true' };
      },
      validate(attrs: AdmissionAttributes) {
        seen.push(`validate ${attrs.operation}`);
        if (attrs.name === 'forbidden') throw newForbidden({ group: attrs.group, resource: attrs.resource }, attrs.name, 'not this one');
        if (attrs.name === 'plain') throw new Error('plain error');
      },
    };
    const s = store({ admission: [plugin] });
    const created = await s.create(ctx(), widget('ok'), {});
    expect(created.metadata.annotations).toEqual({ admitted: 'true' });
    expect(seen).toEqual(['admit CREATE', 'validate CREATE']);
    const refused = await failure(s.create(ctx(), widget('forbidden'), {}));
    expect(refused.code).toBe(403);
    expect(refused.message).toBe('widgets.test.example.com "forbidden" is forbidden: not this one');
    expect((await failure(s.create(ctx(), widget('plain'), {}))).code).toBe(403);
    expect((await failure(s.get(ctx(), 'forbidden', {}))).code).toBe(404);
  });
});

describe('Store.update', () => {
  it('checks the resourceVersion: stale → Conflict, empty → unconditional', async () => {
    const s = store();
    const created = await s.create(ctx(), widget('w1'), {});
    const stale = { ...created, metadata: { ...created.metadata, resourceVersion: '1' } };
    const err = await failure(s.update(ctx(), 'w1', put({ ...stale, spec: { referenceType: 'Fischer' } }), {}));
    expect(err.code).toBe(409);
    expect(err.message).toBe(
      'Operation cannot be fulfilled on widgets.test.example.com "w1": the object has been modified; please apply your changes to the latest version and try again',
    );
    const noRV = { ...created, metadata: { ...created.metadata, resourceVersion: undefined }, spec: { referenceType: 'Fischer' } };
    const { object } = await s.update(ctx(), 'w1', put(noRV), {});
    expect(object.spec).toEqual({ referenceType: 'Fischer' });
  });

  it('reads the resourceVersion as a number: "0" is unset, one that is not a number is a 400', async () => {
    const s = store();
    const created = await s.create(ctx(), widget('w1'), {});
    const withRV = (resourceVersion: string, referenceType: string) => put({ ...created, metadata: { ...created.metadata, resourceVersion }, spec: { referenceType } });
    expect((await s.update(ctx(), 'w1', withRV('0', 'Fischer'), {})).object.spec).toEqual({ referenceType: 'Fischer' });
    const strict = await failure(store({ allowUnconditionalUpdate: false }).update(ctx(), 'w1', withRV('0', 'Flunder'), {}));
    expect(strict.code).toBe(422);
    const junk = await failure(s.update(ctx(), 'w1', withRV('abc', 'Flunder'), {}));
    expect(junk.code).toBe(400);
    expect(junk.message).toBe('invalid resource version "abc": must be a non-negative integer');
  });

  it('updates only the object with the uid a PUT names, as Go\'s preconditions (409)', async () => {
    const s = store({ allowCreateOnUpdate: true });
    const created = await s.create(ctx(), widget('w1'), {});
    const other = { ...created, metadata: { ...created.metadata, uid: 'other-uid' }, spec: { referenceType: 'Fischer' } };
    for (const dryRun of [false, true]) {
      const err = await failure(s.update(ctx(), 'w1', put(other), { dryRun, preconditions: { uid: 'other-uid' } }));
      expect(err.code).toBe(409);
      expect(err.message).toBe(
        `Operation cannot be fulfilled on widgets.test.example.com "w1": StorageError: invalid object, Code: 4, Key: /registry/test.example.com/widgets/default/w1, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: other-uid, UID in object meta: ${created.metadata.uid}`,
      );
    }
    // A PUT that would create: the missing object has no uid, so it is not the one named.
    const missing = await failure(s.update(ctx(), 'w2', put({ ...widget('w2'), metadata: { name: 'w2', uid: 'u2' } }), { preconditions: { uid: 'u2' } }));
    expect(missing.code).toBe(409);
    expect((await failure(s.get(ctx(), 'w2', {}))).code).toBe(404);
    const same = { ...created, spec: { referenceType: 'Fischer' } };
    expect((await s.update(ctx(), 'w1', put(same), { preconditions: { uid: created.metadata.uid! } })).object.spec).toEqual({ referenceType: 'Fischer' });
  });

  it('checks the resourceVersion a server-side apply configuration carries, on the merged object', async () => {
    const s = store();
    const created = await s.create(ctx(), widget('w1'), { fieldManager: 'creator' });
    const config = (resourceVersion: string) => () => ({
      apiVersion: created.apiVersion,
      kind: created.kind,
      metadata: { name: 'w1', resourceVersion },
      spec: { referenceType: 'Fischer' },
    });
    const stale = await failure(s.update(ctx(), 'w1', config('1'), { fieldManager: 'applier', apply: { force: true } }));
    expect(stale.code).toBe(409);
    expect(stale.message).toContain('the object has been modified');
    const { object } = await s.update(ctx(), 'w1', config(created.metadata.resourceVersion!), { fieldManager: 'applier', apply: { force: true } });
    expect(object.spec).toMatchObject({ referenceType: 'Fischer' });
    expect(object.metadata.managedFields?.map((e) => e.manager)).toEqual(['applier', 'creator']);
  });

  it('refuses an empty resourceVersion when unconditional updates are not allowed', async () => {
    const s = store({ allowUnconditionalUpdate: false });
    const created = await s.create(ctx(), widget('w1'), {});
    const err = await failure(s.update(ctx(), 'w1', put({ ...created, metadata: { name: 'w1' } }), {}));
    expect(err.code).toBe(422);
    expect(err.message).toBe(
      'widgets.test.example.com "w1" is invalid: metadata.resourceVersion: Invalid value: 0: must be specified for an update',
    );
  });

  it('bumps generation only when something outside metadata changes; a no-op keeps the RV', async () => {
    const s = store();
    const created = await s.create(ctx(), widget('w1'), {});
    const relabeled = (await s.update(ctx(), 'w1', put({ ...created, metadata: { ...created.metadata, labels: { a: 'b' } } }), {})).object;
    expect(relabeled.metadata.generation).toBe(1);
    expect(relabeled.metadata.resourceVersion).not.toBe(created.metadata.resourceVersion);
    const noop = (await s.update(ctx(), 'w1', put(relabeled), {})).object;
    expect(noop.metadata.resourceVersion).toBe(relabeled.metadata.resourceVersion);
    const changed = (await s.update(ctx(), 'w1', put({ ...relabeled, spec: { referenceType: 'Fischer' } }), {})).object;
    expect(changed.metadata.generation).toBe(2);
  });

  it('keeps system fields and refuses changing immutable ones', async () => {
    const s = store();
    const created = await s.create(ctx(), widget('w1'), {});
    const updated = (
      await s.update(ctx(), 'w1', put({ ...created, metadata: { ...created.metadata, uid: undefined, creationTimestamp: 'x', generation: 9 } }), {})
    ).object;
    expect(updated.metadata.uid).toBe(created.metadata.uid);
    expect(updated.metadata.creationTimestamp).toBe(created.metadata.creationTimestamp);
    expect(updated.metadata.generation).toBe(1);
    const err = await failure(s.update(ctx(), 'w1', put({ ...created, metadata: { ...created.metadata, uid: 'other' } }), {}));
    expect(err.code).toBe(422);
    expect(err.status.details?.causes?.[0]).toEqual({ reason: 'FieldValueInvalid', field: 'metadata.uid', message: 'Invalid value: "other": field is immutable' });
    const nameErr = await failure(s.update(ctx(), 'w1', put({ ...created, metadata: { ...created.metadata, name: 'w2' } }), {}));
    expect(nameErr.code).toBe(400);
  });

  it('PUT on a missing object is NotFound unless create is allowed', async () => {
    const s = store();
    const err = await failure(s.update(ctx(), 'nope', put(widget('nope')), {}));
    expect(err.code).toBe(404);
    expect(err.message).toBe('widgets.test.example.com "nope" not found');
    const res = await s.update(ctx(), 'nope', put(widget('nope')), { forceAllowCreate: true });
    expect(res.created).toBe(true);
    expect(res.object.metadata.generation).toBe(1);
    expect(res.object.metadata.uid).toBeDefined();
  });

  it('separates the main resource and the status subresource', async () => {
    const s = store();
    const created = await s.create(ctx(), widget('w1'), {});
    const main = (await s.update(ctx(), 'w1', put({ ...created, status: { phase: 'ignored' } }), {})).object;
    expect(main.status).toBeUndefined();
    expect(main.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    const status = (
      await s.update(ctx(), 'w1', put({ ...created, spec: { referenceType: 'Fischer' }, metadata: { ...created.metadata, labels: { x: 'y' } }, status: { phase: 'Ready' } }), {
        subresource: 'status',
      })
    ).object;
    expect(status.status).toEqual({ phase: 'Ready' });
    expect(status.spec).toEqual({ referenceType: 'Flunder' });
    expect(status.metadata.labels).toBeUndefined();
    expect(status.metadata.generation).toBe(1);
  });

  it('dryRun computes the update without writing it', async () => {
    const s = store();
    const created = await s.create(ctx(), widget('w1'), {});
    const { object } = await s.update(ctx(), 'w1', put({ ...created, spec: { referenceType: 'Fischer' } }), { dryRun: true });
    expect(object.spec).toEqual({ referenceType: 'Fischer' });
    expect((await s.get(ctx(), 'w1', {})).spec).toEqual({ referenceType: 'Flunder' });
  });

  it('runs admission with the old object', async () => {
    const olds: (string | undefined)[] = [];
    const s = store({
      admission: [
        {
          name: 'old',
          validate: (attrs) => {
            olds.push((attrs.oldObject?.spec as WidgetHub['spec'])?.referenceType);
            if ((attrs.object?.spec as WidgetHub['spec'])?.reference === 'refused') throw newForbidden({ group: '', resource: 'widgets' }, 'w1', 'no');
          },
        },
      ],
    });
    const created = await s.create(ctx(), widget('w1'), {});
    await s.update(ctx(), 'w1', put({ ...created, spec: { referenceType: 'Fischer' } }), {});
    expect(olds).toEqual([undefined, 'Flunder']);
    expect((await failure(s.update(ctx(), 'w1', put({ ...created, metadata: { name: 'w1' }, spec: { referenceType: 'Fischer', reference: 'refused' } }), {}))).code).toBe(403);
  });
});

describe('Store finalizers and delete', () => {
  it('deletes an object without finalizers', async () => {
    const s = store();
    const created = await s.create(ctx(), widget('w1'), {});
    const res = await s.delete(ctx(), 'w1', {});
    expect(res.deleted).toBe(true);
    expect(res.object.metadata.uid).toBe(created.metadata.uid);
    expect((await failure(s.get(ctx(), 'w1', {}))).code).toBe(404);
    expect((await failure(s.delete(ctx(), 'w1', {}))).message).toBe('widgets.test.example.com "w1" not found');
  });

  it('checks preconditions', async () => {
    const s = store();
    await s.create(ctx(), widget('w1'), {});
    const err = await failure(s.delete(ctx(), 'w1', { preconditions: { uid: 'x' } }));
    expect(err.code).toBe(409);
    expect(err.message).toMatch(/the UID in the precondition \(x\) does not match/);
  });

  it('marks an object with finalizers as deleting; the update that empties them deletes it', async () => {
    const s = store();
    await s.create(ctx(), widget('w1', undefined, { finalizers: ['example.com/hold'] }), {});
    const res = await s.delete(ctx(), 'w1', {});
    expect(res.deleted).toBe(false);
    expect(res.object.metadata.deletionTimestamp).toBe('2026-01-02T03:04:05Z');
    expect(res.object.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(res.object.metadata.generation).toBe(2);
    const again = await s.delete(ctx(), 'w1', {});
    expect(again.deleted).toBe(false);
    expect(again.object.metadata.resourceVersion).toBe(res.object.metadata.resourceVersion);

    const deleting = await s.get(ctx(), 'w1', {});
    const added = await failure(
      s.update(ctx(), 'w1', put({ ...deleting, metadata: { ...deleting.metadata, finalizers: ['example.com/hold', 'example.com/more'] } }), {}),
    );
    expect(added.code).toBe(422);
    expect(added.status.details?.causes?.[0]).toEqual({
      reason: 'FieldValueForbidden',
      field: 'metadata.finalizers',
      message: 'Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/more"}',
    });

    const emptied = await s.update(ctx(), 'w1', put({ ...deleting, metadata: { ...deleting.metadata, finalizers: [] } }), {});
    expect(emptied.created).toBe(false);
    expect((await failure(s.get(ctx(), 'w1', {}))).code).toBe(404);
  });

  it('dryRun delete leaves the object', async () => {
    const s = store();
    await s.create(ctx(), widget('w1'), {});
    expect((await s.delete(ctx(), 'w1', { dryRun: true })).deleted).toBe(true);
    await s.get(ctx(), 'w1', {});
  });

  it('runs DELETE admission', async () => {
    const s = store({ admission: [{ name: 'no-delete', validate: (a) => { if (a.operation === 'DELETE') throw new Error('kept'); } }] });
    await s.create(ctx(), widget('w1'), {});
    expect((await failure(s.delete(ctx(), 'w1', {}))).code).toBe(403);
  });

  it('deleteCollection deletes what the list selects', async () => {
    const s = store();
    await s.create(ctx(), widget('a', undefined, { labels: { app: 'x' } }), {});
    await s.create(ctx(), widget('b', undefined, { labels: { app: 'x' } }), {});
    await s.create(ctx(), widget('c', undefined, { labels: { app: 'y' } }), {});
    await s.create(ctx('other'), widget('d', undefined, { labels: { app: 'x' } }), {});
    const deleted = await s.deleteCollection(ctx(), {}, { labelSelector: 'app=x' });
    expect(deleted.items.map((o) => o.metadata.name).sort()).toEqual(['a', 'b']);
    expect((await s.list(ctx(), {})).items.map((o) => o.metadata.name)).toEqual(['c']);
    expect((await s.list(ctx('other'), {})).items).toHaveLength(1);
  });
});

describe('Store.list and watch', () => {
  async function seed(s: Store<WidgetHub>): Promise<void> {
    await s.create(ctx(), widget('a', { referenceType: 'Flunder' }, { labels: { tier: 'front' } }), {});
    await s.create(ctx(), widget('b', { referenceType: 'Fischer' }, { labels: { tier: 'back' } }), {});
    await s.create(ctx('other'), widget('c', { referenceType: 'Fischer' }), {});
  }

  it('scopes to the namespace, or lists all', async () => {
    const s = store();
    await seed(s);
    const list = await s.list(ctx(), {});
    expect(list.items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(list.metadata.resourceVersion).toMatch(/^\d+$/);
    expect((await s.list({ warnings: [] }, {})).items).toHaveLength(3);
  });

  it('filters by labels and fields, including selectable fields', async () => {
    const s = store();
    await seed(s);
    const names = async (opts: Parameters<Store['list']>[1], c = ctx()) => (await s.list(c, opts)).items.map((o) => o.metadata.name);
    expect(await names({ labelSelector: 'tier=front' })).toEqual(['a']);
    expect(await names({ labelSelector: 'tier notin (front)' })).toEqual(['b']);
    expect(await names({ fieldSelector: 'metadata.name=b' })).toEqual(['b']);
    expect(await names({ fieldSelector: 'spec.referenceType=Fischer' }, { warnings: [] })).toEqual(['b', 'c']);
    expect(await names({ fieldSelector: 'metadata.namespace=other' }, { warnings: [] })).toEqual(['c']);
  });

  it('refuses bad selectors and unsupported field labels with 400', async () => {
    const s = store();
    expect((await failure(s.list(ctx(), { labelSelector: 'a in (' }))).code).toBe(400);
    const field = await failure(s.list(ctx(), { fieldSelector: 'spec.reference=x' }));
    expect(field.code).toBe(400);
    expect(field.message).toBe('field label not supported: spec.reference');
  });

  it('validates list option combinations', async () => {
    const s = store();
    const noRV = await failure(s.list(ctx(), { resourceVersionMatch: 'NotOlderThan' }));
    expect(noRV.code).toBe(422);
    expect(noRV.status.details).toMatchObject({ kind: 'ListOptions', group: 'meta.k8s.io' });
    expect((await failure(s.list(ctx(), { resourceVersion: '0', resourceVersionMatch: 'Exact' }))).code).toBe(422);
    expect((await failure(s.list(ctx(), { sendInitialEvents: true }))).code).toBe(422);
    const cont = await failure(s.list(ctx(), { continue: 'abc', resourceVersion: '5' }));
    expect(cont.code).toBe(400);
    expect((await failure(s.watch(ctx(), { sendInitialEvents: true }))).code).toBe(422);
    expect((await failure(s.watch(ctx(), { resourceVersion: '1', resourceVersionMatch: 'NotOlderThan' }))).code).toBe(422);
  });

  it('pages with limit and continue', async () => {
    const s = store();
    await seed(s);
    const first = await s.list({ warnings: [] }, { limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.metadata.continue).toBeTruthy();
    expect(first.metadata.remainingItemCount).toBe(1);
    const second = await s.list({ warnings: [] }, { limit: 2, continue: first.metadata.continue });
    expect(second.items.map((o) => o.metadata.name)).toEqual(['c']);
  });

  it('watches with initial events and selectors', async () => {
    const s = store();
    await seed(s);
    const watcher = await s.watch(ctx(), {
      sendInitialEvents: true,
      resourceVersionMatch: 'NotOlderThan',
      allowWatchBookmarks: true,
      fieldSelector: 'spec.referenceType=Fischer',
    });
    const events: string[] = [];
    for await (const event of watcher) {
      events.push(event.type === 'BOOKMARK' ? 'BOOKMARK' : `${event.type} ${(event.object as KubeObject).metadata.name}`);
      if (event.type === 'BOOKMARK') break;
    }
    watcher.stop();
    expect(events).toEqual(['ADDED b', 'BOOKMARK']);
  });
});

describe('scale subresource', () => {
  it('reads and writes replicas through the kind paths', async () => {
    const s = store();
    const kind = widgetKind() as unknown as KindDefinition;
    const created = await s.create(ctx(), widget('w1', { referenceType: 'Flunder', replicas: 2 }), {});
    const scale = getScale(kind, created);
    expect(scale).toMatchObject({ apiVersion: 'autoscaling/v1', kind: 'Scale', spec: { replicas: 2 }, status: { replicas: 0 } });
    expect(scale.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    const { object } = await s.update(ctx(), 'w1', (current) => updateScale(kind, current as KubeObject, { ...scale, spec: { replicas: 5 } }), {});
    expect(getScale(kind, object).spec.replicas).toBe(5);
    expect(object.metadata.generation).toBe(2);
    const stale = await failure(s.update(ctx(), 'w1', (current) => updateScale(kind, current as KubeObject, scale), {}));
    expect(stale.code).toBe(409);
    const negative = await failure(s.update(ctx(), 'w1', (current) => updateScale(kind, current as KubeObject, { spec: { replicas: -1 } }), {}));
    expect(negative.code).toBe(422);
    expect(negative.message).toContain('.spec.replicas: Invalid value: -1: should be a non-negative integer');
  });

  it("writes of /scale go through the Scale's field manager: an apply conflicts with the replicas' owner, forced it takes them over", async () => {
    const s = store();
    await s.create(ctx(), widget('w1', { referenceType: 'Flunder', replicas: 2 }), { fieldManager: 'creator' });
    const seen: KubeObject[] = [];
    const apply = (replicas: number, force: boolean) =>
      s.update(
        ctx(),
        'w1',
        (oldScale) => {
          seen.push(oldScale!);
          return { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'w1' }, spec: { replicas } };
        },
        { fieldManager: 'scaler', subresource: 'scale', apply: { force } },
      );
    const conflict = await failure(apply(5, false));
    expect(conflict.message).toBe('Apply failed with 1 conflict: conflict with "creator" using autoscaling/v1: .spec.replicas');
    // The Scale sees the creator's entry as one of autoscaling/v1 owning .spec.replicas.
    expect(seen[0]).toMatchObject({ kind: 'Scale', spec: { replicas: 2 }, metadata: { managedFields: [{ manager: 'creator', apiVersion: 'autoscaling/v1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }] } });
    const { object } = await apply(5, true);
    expect(getScale(widgetKind() as unknown as KindDefinition, object).spec.replicas).toBe(5);
    expect(object.metadata.managedFields!.map((e) => [e.manager, e.operation, e.apiVersion, e.subresource, e.fieldsV1])).toEqual([
      ['scaler', 'Apply', HUB, 'scale', { 'f:spec': { 'f:replicas': {} } }],
      ['creator', 'Update', HUB, undefined, { 'f:spec': { '.': {}, 'f:referenceType': {} } }],
    ]);
    expect((await failure(s.update(ctx(), 'missing', () => ({ metadata: {} }), { fieldManager: 'scaler', subresource: 'scale', apply: { force: true }, forceAllowCreate: true }))).code).toBe(404);
  });
});
