/** Store.delete with a propagationPolicy: the garbage collector's finalizers, as Go's generic store sets them. */
import { StatusError, type KubeObject } from '@kapi/apimachinery';
import { SqliteStorage } from '@kapi/storage';
import { widgetKind, type WidgetHub } from '../scheme/test-kinds.js';
import type { RequestContext } from './rest.js';
import { Store } from './store.js';

const NOW = new Date('2026-01-02T03:04:05.678Z');
const HUB = 'test.example.com/v1beta1';

let storage: SqliteStorage;
beforeEach(() => {
  storage = SqliteStorage.open({ path: ':memory:', compactionIntervalMs: 0 });
});
afterEach(() => storage.close());

const store = (): Store<WidgetHub> => new Store<WidgetHub>({ kind: widgetKind(), storage, now: () => NOW });
const ctx: RequestContext = { namespace: 'default', warnings: [] };
const widget = (name: string, meta: KubeObject['metadata'] = {}): WidgetHub => ({ apiVersion: HUB, kind: 'Widget', metadata: { name, ...meta }, spec: { referenceType: 'Flunder' } });

async function status(p: Promise<unknown>): Promise<number> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StatusError) return err.code;
    throw err;
  }
  return 200;
}

describe('Store.delete with propagationPolicy', () => {
  it('Foreground keeps the object with foregroundDeletion; the update that removes it (the garbage collector’s patch) deletes it', async () => {
    const s = store();
    await s.create(ctx, widget('w1'), {});
    const res = await s.delete(ctx, 'w1', { propagationPolicy: 'Foreground' });
    expect(res.deleted).toBe(false);
    expect(res.object.metadata).toMatchObject({ finalizers: ['foregroundDeletion'], deletionTimestamp: '2026-01-02T03:04:05Z', deletionGracePeriodSeconds: 0 });
    const stored = await s.get(ctx, 'w1', {});
    expect(stored.metadata.finalizers).toEqual(['foregroundDeletion']);

    // Deleting again without a policy keeps what is there (no write).
    const again = await s.delete(ctx, 'w1', {});
    expect(again.object.metadata.resourceVersion).toBe(stored.metadata.resourceVersion);

    await s.update(ctx, 'w1', () => ({ ...stored, metadata: { ...stored.metadata, finalizers: [] } }), {});
    expect(await status(s.get(ctx, 'w1', {}))).toBe(404);
  });

  it('Orphan sets orphan after the object’s own finalizers', async () => {
    const s = store();
    await s.create(ctx, widget('w1', { finalizers: ['example.com/hold'] }), {});
    const res = await s.delete(ctx, 'w1', { propagationPolicy: 'Orphan' });
    expect(res.object.metadata.finalizers).toEqual(['example.com/hold', 'orphan']);
  });

  it('changes the policy of an object already being deleted', async () => {
    const s = store();
    await s.create(ctx, widget('w1', { finalizers: ['example.com/hold'] }), {});
    const first = await s.delete(ctx, 'w1', { propagationPolicy: 'Foreground' });
    const second = await s.delete(ctx, 'w1', { propagationPolicy: 'Orphan' });
    expect(second.object.metadata.finalizers).toEqual(['example.com/hold', 'orphan']);
    expect(second.object.metadata.deletionTimestamp).toBe(first.object.metadata.deletionTimestamp);
  });

  it('Background on an object whose only finalizer is orphan deletes it at once', async () => {
    const s = store();
    await s.create(ctx, widget('w1', { finalizers: ['orphan'] }), {});
    const res = await s.delete(ctx, 'w1', { propagationPolicy: 'Background' });
    expect(res.deleted).toBe(true);
    expect(await status(s.get(ctx, 'w1', {}))).toBe(404);
  });

  it('Background and no policy on an object without finalizers delete it at once', async () => {
    const s = store();
    await s.create(ctx, widget('a'), {});
    await s.create(ctx, widget('b'), {});
    expect((await s.delete(ctx, 'a', { propagationPolicy: 'Background' })).deleted).toBe(true);
    expect((await s.delete(ctx, 'b', {})).deleted).toBe(true);
  });

  it('dryRun shows the finalizers and writes nothing', async () => {
    const s = store();
    const created = await s.create(ctx, widget('w1'), {});
    const res = await s.delete(ctx, 'w1', { propagationPolicy: 'Foreground', dryRun: true });
    expect(res.deleted).toBe(false);
    expect(res.object.metadata.finalizers).toEqual(['foregroundDeletion']);
    expect(await s.get(ctx, 'w1', {})).toEqual(created);
  });

  it('deleteCollection applies the policy to each item', async () => {
    const s = store();
    await s.create(ctx, widget('a'), {});
    await s.create(ctx, widget('b', { finalizers: ['example.com/hold'] }), {});
    const deleted = await s.deleteCollection(ctx, { propagationPolicy: 'Foreground' }, {});
    expect(deleted.items.map((o) => [o.metadata.name, o.metadata.finalizers])).toEqual([
      ['a', ['foregroundDeletion']],
      ['b', ['example.com/hold', 'foregroundDeletion']],
    ]);
  });

  it('without a garbage collector (enableGarbageCollection false, Go\'s --enable-garbage-collector=false) ignores the policy: deleted at once, or kept by the object\'s own finalizers only', async () => {
    const s = new Store<WidgetHub>({ kind: widgetKind(), storage, now: () => NOW, enableGarbageCollection: false });
    for (const policy of ['Foreground', 'Orphan'] as const) {
      await s.create(ctx, widget(policy.toLowerCase()), {});
      const res = await s.delete(ctx, policy.toLowerCase(), { propagationPolicy: policy });
      expect([policy, res.deleted, res.object.metadata.finalizers]).toEqual([policy, true, undefined]);
      expect(await status(s.get(ctx, policy.toLowerCase(), {}))).toBe(404);
    }
    await s.create(ctx, widget('held', { finalizers: ['example.com/hold'] }), {});
    const held = await s.delete(ctx, 'held', { propagationPolicy: 'Foreground' });
    expect(held.deleted).toBe(false);
    expect(held.object.metadata.finalizers).toEqual(['example.com/hold']);
    // Finalizers it already has stay exactly as they are (Go: deletionFinalizersForGarbageCollection makes no change).
    await s.create(ctx, widget('both', { finalizers: ['foregroundDeletion', 'orphan'] }), {});
    expect((await s.delete(ctx, 'both', { propagationPolicy: 'Background' })).object.metadata.finalizers).toEqual(['foregroundDeletion', 'orphan']);
  });
});
