/**
 * The informer's loop against a small in-memory ListWatch (the layer below): paged lists,
 * watches resumed from the last resourceVersion, a 410 relist that reports a missed delete with the
 * last known state, resync, late handlers, WatchList and its fallback. The same informer against
 * real servers: test/client/informer.test.ts.
 */
import { INITIAL_EVENTS_END_ANNOTATION } from '@kapi/apimachinery';
import { BadRequestError, ResourceExpiredError } from './errors.js';
import { Informer, type ListWatch } from './informer.js';
import { keyOf, ObjectStore } from './store.js';
import { toLabelSelector } from './store.js';
import type { ListOptions, ObjectList, WatchOptions } from './types.js';
import { Watch } from './watch.js';

interface Thing {
  metadata: { name: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> };
  value?: number;
}

class FakeServer implements ListWatch<Thing> {
  rv = 0;
  readonly objects = new Map<string, Thing>();
  readonly history: { rv: number; type: 'ADDED' | 'MODIFIED' | 'DELETED'; object: Thing }[] = [];
  compactedTo = 0;
  watches = new Set<{ watch: Watch<Thing>; from: number; initial: boolean }>();
  lists: ListOptions[] = [];
  watchCalls: WatchOptions[] = [];
  watchList = false;

  write(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: Thing): void {
    const object = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(++this.rv) } };
    if (type === 'DELETED') this.objects.delete(keyOf(object));
    else this.objects.set(keyOf(object), object);
    this.history.push({ rv: this.rv, type, object });
    for (const w of this.watches) w.watch.push({ type, object });
  }

  async list(opts: ListOptions): Promise<ObjectList<Thing>> {
    this.lists.push(opts);
    const all = [...this.objects.values()].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    const start = opts.continue ? Number(opts.continue) : 0;
    const items = opts.limit ? all.slice(start, start + opts.limit) : all;
    const more = opts.limit !== undefined && start + opts.limit < all.length;
    return { metadata: { resourceVersion: String(this.rv), ...(more ? { continue: String(start + (opts.limit ?? 0)) } : {}) }, items };
  }

  async watch(opts: WatchOptions): Promise<Watch<Thing>> {
    this.watchCalls.push(opts);
    const watch = new Watch<Thing>();
    if (opts.sendInitialEvents) {
      if (!this.watchList) throw new BadRequestError(400, 'BadRequest', 'sendInitialEvents is not supported');
      for (const object of this.objects.values()) watch.push({ type: 'ADDED', object });
      watch.push({ type: 'BOOKMARK', object: { metadata: { name: '', resourceVersion: String(this.rv), ...{ annotations: { [INITIAL_EVENTS_END_ANNOTATION]: 'true' } } } } as Thing });
    } else {
      const from = Number(opts.resourceVersion ?? 0);
      if (from < this.compactedTo) throw new ResourceExpiredError(410, 'Expired', `too old resource version: ${from} (${this.compactedTo})`);
      for (const e of this.history) if (e.rv > from) watch.push({ type: e.type, object: e.object });
    }
    const entry = { watch, from: this.rv, initial: opts.sendInitialEvents ?? false };
    this.watches.add(entry);
    watch.started(() => this.watches.delete(entry));
    return watch;
  }

  /** Ends every watch, as a server restart does. */
  closeWatches(err?: Error): void {
    for (const w of [...this.watches]) w.watch.end(err);
    this.watches.clear();
  }

  compact(): void {
    this.compactedTo = this.rv;
  }
}

const thing = (name: string, value = 0, labels: Record<string, string> = {}): Thing => ({ metadata: { name, namespace: 'ns', labels }, value });

async function until(check: () => boolean, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

function recorder(): { log: string[]; handler: Parameters<Informer<Thing>['addEventHandler']>[0] } {
  const log: string[] = [];
  return {
    log,
    handler: {
      add: (obj, initial) => log.push(`add ${obj.metadata.name}${initial ? ' (initial)' : ''}`),
      update: (old, obj) => log.push(`update ${obj.metadata.name} ${old.value ?? ''}→${obj.value ?? ''}`),
      delete: (obj, unknown) => log.push(`delete ${obj.metadata.name} ${obj.value ?? ''}${unknown ? ' (final state unknown)' : ''}`),
    },
  };
}

describe('Informer', () => {
  let informer: Informer<Thing> | undefined;
  afterEach(() => informer?.stop());

  it('lists in pages, syncs, then follows the watch', async () => {
    const server = new FakeServer();
    for (let i = 0; i < 5; i++) server.write('ADDED', thing(`t${i}`));
    informer = new Informer(server, { pageSize: 2 });
    const { log, handler } = recorder();
    informer.addEventHandler(handler);
    informer.start();
    await informer.waitForSync();
    expect(server.lists.map((l) => [l.limit, l.continue])).toEqual([[2, undefined], [2, '2'], [2, '4']]);
    expect(log).toEqual(['add t0 (initial)', 'add t1 (initial)', 'add t2 (initial)', 'add t3 (initial)', 'add t4 (initial)']);
    await until(() => server.watches.size === 1);
    expect(server.watchCalls[0]).toMatchObject({ resourceVersion: '5', allowWatchBookmarks: true });

    server.write('MODIFIED', thing('t1', 1));
    server.write('DELETED', thing('t2'));
    server.write('ADDED', thing('t9'));
    await until(() => log.length === 8);
    expect(log.slice(5)).toEqual(['update t1 0→1', 'delete t2 0', 'add t9']);
    expect(informer.lister.namespace('ns').list().map((t) => t.metadata.name).sort()).toEqual(['t0', 't1', 't3', 't4', 't9']);
    expect(informer.lastSyncResourceVersion).toBe('8');
  });

  it('resumes a watch that ended from the last resourceVersion, losing nothing', async () => {
    const server = new FakeServer();
    server.write('ADDED', thing('a'));
    informer = new Informer(server, { backoff: { initialMs: 5 } });
    const { log, handler } = recorder();
    informer.addEventHandler(handler);
    informer.start();
    await informer.waitForSync();
    await until(() => server.watches.size === 1);
    server.closeWatches(new Error('connection reset'));
    server.write('MODIFIED', thing('a', 1)); // while no watch runs
    await until(() => log.length === 2);
    expect(log).toEqual(['add a (initial)', 'update a 0→1']);
    expect(server.lists).toHaveLength(1);
    expect(server.watchCalls.map((w) => w.resourceVersion)).toEqual(['1', '1']);
  });

  it('relists on 410 and reports a delete it missed with the last known state', async () => {
    const server = new FakeServer();
    server.write('ADDED', thing('keep'));
    server.write('ADDED', thing('gone', 7));
    informer = new Informer(server, { backoff: { initialMs: 5 } });
    const { log, handler } = recorder();
    informer.addEventHandler(handler);
    informer.start();
    await informer.waitForSync();
    await until(() => server.watches.size === 1);
    server.closeWatches();
    server.watches.clear();
    // While disconnected: a delete, a change and a create, then the history is compacted away.
    const hold = server.watch.bind(server);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    server.watch = async (opts) => {
      await gate;
      return hold(opts);
    };
    server.write('DELETED', thing('gone'));
    server.write('MODIFIED', thing('keep', 2));
    server.write('ADDED', thing('new'));
    server.compact();
    release();
    await until(() => log.length === 5);
    expect(log.slice(2)).toEqual(['update keep 0→2', 'add new', 'delete gone 7 (final state unknown)']);
    expect(informer.lists).toBe(2);
  });

  it('resyncs every period with update(obj, obj)', async () => {
    const server = new FakeServer();
    server.write('ADDED', thing('a', 3));
    informer = new Informer(server, { resyncPeriodMs: 20 });
    const { log, handler } = recorder();
    informer.addEventHandler(handler);
    informer.start();
    await until(() => log.filter((l) => l === 'update a 3→3').length >= 2);
  });

  it('gives a handler added after the sync the cached objects as adds', async () => {
    const server = new FakeServer();
    server.write('ADDED', thing('a'));
    informer = new Informer(server);
    informer.start();
    await informer.waitForSync();
    const { log, handler } = recorder();
    informer.addEventHandler(handler);
    expect(log).toEqual(['add a (initial)']);
  });

  it('takes its initial state from WatchList when offered, and lists when refused', async () => {
    const offered = new FakeServer();
    offered.watchList = true;
    offered.write('ADDED', thing('a'));
    offered.write('ADDED', thing('b'));
    informer = new Informer(offered, { watchList: true });
    const first = recorder();
    informer.addEventHandler(first.handler);
    informer.start();
    await informer.waitForSync();
    expect(first.log).toEqual(['add a (initial)', 'add b (initial)']);
    expect(offered.lists).toEqual([]);
    expect(offered.watchCalls[0]).toMatchObject({ sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', resourceVersion: '' });
    offered.write('MODIFIED', thing('b', 1));
    await until(() => first.log.length === 3);
    expect(first.log[2]).toBe('update b 0→1');
    informer.stop();

    const refused = new FakeServer();
    refused.write('ADDED', thing('c'));
    informer = new Informer(refused, { watchList: true });
    informer.start();
    await informer.waitForSync();
    expect(refused.lists).toHaveLength(1);
    expect(informer.lister.list().map((t) => t.metadata.name)).toEqual(['c']);
  });
});

describe('ObjectStore', () => {
  it('selects by namespace and label through its indices, and keeps them on update and delete', () => {
    const store = new ObjectStore<Thing>();
    store.set({ metadata: { name: 'a', namespace: 'x', labels: { app: 'web', tier: 'front' } } });
    store.set({ metadata: { name: 'b', namespace: 'x', labels: { app: 'db' } } });
    store.set({ metadata: { name: 'c', namespace: 'y', labels: { app: 'web' } } });
    const names = (ns: string, sel: string): string[] => store.select(ns, toLabelSelector(sel)).map((t) => t.metadata.name);
    expect(names('', 'app=web')).toEqual(['a', 'c']);
    expect(names('x', 'app in (web,db)')).toEqual(['a', 'b']);
    expect(names('x', 'app=web,tier!=back')).toEqual(['a']);
    expect(names('', '!tier')).toEqual(['b', 'c']);
    store.set({ metadata: { name: 'a', namespace: 'x', labels: { app: 'db' } } });
    expect(names('', 'app=web')).toEqual(['c']);
    store.delete('y/c');
    expect(names('', 'app=web')).toEqual([]);
    expect(names('y', '')).toEqual([]);
  });
});
