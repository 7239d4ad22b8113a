import { decodeContinue, encodeContinue, newInternalError, type KubeObject, type Status, type WatchEvent } from '@kapi/apimachinery';
import { EXPIRED_WATCH_MESSAGE, expired, keyExists, keyNotFound, tooOldResourceVersion } from '../errors.js';
import type { KeyChange } from '../events.js';
import type { GetOptions, ListOptions, ListResult, PrefixState, Storage, UpdateFunction, WatchOptions } from '../interface.js';
import { SelectionPredicate } from '../predicate.js';
import { runWatch, type ChangeSink } from '../watch-driver.js';
import type { Watcher } from '../watcher.js';
import { Cacher, type CacherOptions } from './cacher.js';

const PREFIX = '/registry/wardle.example.com/flunders/';
const keyOf = (ns: string, name: string) => `${PREFIX}${ns}/${name}`;
const flunder = (ns: string, name: string, labels?: Record<string, string>): KubeObject => ({
  apiVersion: 'wardle.example.com/v1alpha1',
  kind: 'Flunder',
  metadata: { name, namespace: ns, ...(labels ? { labels } : {}) },
});
const everything = SelectionPredicate.everything();

/** A small in-memory backend: a revisioned map, a change log, and watches through the shared driver. */
class FakeStorage implements Storage {
  readonly name = 'fake';
  revision = 0;
  compactedAt = 0;
  private readonly data = new Map<string, KubeObject>();
  private readonly log: KeyChange[] = [];
  private readonly feeds = new Set<{ key: string; recursive: boolean; sink: ChangeSink }>();
  readonly watchers = new Set<Watcher>();
  readonly calls = { get: 0, list: 0, watch: 0 };
  /** When set, watch() and list() fail as a backend that is down. */
  down = false;

  async get<T extends KubeObject>(key: string, opts: GetOptions = {}): Promise<T | undefined> {
    this.calls.get++;
    const obj = this.data.get(key);
    if (!obj && !opts.ignoreNotFound) throw keyNotFound(key);
    return obj as T | undefined;
  }

  async list<T extends KubeObject>(keyPrefix: string, opts: ListOptions): Promise<ListResult<T>> {
    this.calls.list++;
    if (this.down) throw newInternalError('backend down');
    let from = keyPrefix;
    let revision = this.revision;
    if (opts.predicate.continue) {
      const pos = decodeContinue(opts.predicate.continue, keyPrefix);
      from = pos.startKey;
      revision = pos.resourceVersion;
    }
    const keys = [...this.data.keys()].filter((k) => (opts.recursive ? k.startsWith(keyPrefix) && k >= from : k === keyPrefix)).sort();
    const items: KubeObject[] = [];
    let result: ListResult<T> | undefined;
    for (const key of keys) {
      const obj = this.data.get(key) as KubeObject;
      if (!opts.predicate.matches(obj)) continue;
      if (opts.predicate.limit && items.length === opts.predicate.limit) {
        result = { items: items as T[], resourceVersion: revision, continue: encodeContinue(keys[keys.indexOf(key) - 1] as string, keyPrefix, revision) };
        break;
      }
      items.push(obj);
    }
    return result ?? { items: items as T[], resourceVersion: revision };
  }

  async create<T extends KubeObject>(key: string, obj: T): Promise<T> {
    if (this.data.has(key)) throw keyExists(key);
    return this.write(key, obj) as T;
  }

  async guaranteedUpdate<T extends KubeObject>(key: string, tryUpdate: UpdateFunction<T>): Promise<T> {
    const current = this.data.get(key) as T | undefined;
    if (!current) throw keyNotFound(key);
    return this.write(key, await tryUpdate(current)) as T;
  }

  async delete<T extends KubeObject>(key: string): Promise<T> {
    const previous = this.data.get(key);
    if (!previous) throw keyNotFound(key);
    this.data.delete(key);
    const revision = ++this.revision;
    this.publish({ key, revision, current: undefined, previous });
    return { ...previous, metadata: { ...previous.metadata, resourceVersion: String(revision) } } as T;
  }

  async watch<T extends KubeObject>(key: string, opts: WatchOptions): Promise<Watcher<T>> {
    this.calls.watch++;
    if (this.down) throw newInternalError('backend down');
    const watcher = await runWatch<T>(
      {
        snapshot: async (k, recursive) => ({
          items: [...this.data.entries()].filter(([kk]) => (recursive ? kk.startsWith(k) : kk === k)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([, o]) => o),
          revision: this.revision,
        }),
        follow: async (k, recursive, from, sink) => {
          if (from < this.compactedAt) throw expired(k, EXPIRED_WATCH_MESSAGE);
          sink.changes(this.log.filter((c) => c.revision > from && (recursive ? c.key.startsWith(k) : c.key === k)));
          const feed = { key: k, recursive, sink };
          this.feeds.add(feed);
          return () => this.feeds.delete(feed);
        },
      },
      key,
      opts,
      { bookmarkIntervalMs: 20 },
    );
    this.watchers.add(watcher as unknown as Watcher);
    watcher.onStop(() => this.watchers.delete(watcher as unknown as Watcher));
    return watcher;
  }

  async count(keyPrefix: string): Promise<number> {
    return [...this.data.keys()].filter((k) => k.startsWith(keyPrefix)).length;
  }

  async currentRevision(): Promise<number> {
    return this.revision;
  }

  compactedRevision(): number {
    return this.compactedAt;
  }

  async healthCheck(): Promise<void> {}

  async close(): Promise<void> {}

  /** What Storage.prefixState answers (tests install it on backends that offer it). */
  async stateUnder(key: string, recursive: boolean): Promise<PrefixState> {
    const revisions = [...this.data.entries()]
      .filter(([k]) => (recursive ? k.startsWith(key) : k === key))
      .map(([, obj]) => Number(obj.metadata.resourceVersion));
    return { count: revisions.length, maxRevision: Math.max(0, ...revisions), revision: this.revision };
  }

  /** A write somewhere else in the store: the revision moves, nothing under our prefix changes. */
  writeElsewhere(): void {
    this.revision++;
  }

  /** Tells every watch that it has seen everything (etcd's progress notify). */
  notifyProgress(): void {
    for (const feed of this.feeds) feed.sink.progress(this.revision);
  }

  compact(): number {
    this.compactedAt = this.revision;
    this.log.splice(0, this.log.length);
    return this.revision;
  }

  /** Ends every open watch, as a backend restart does: with an ERROR, or just closing. */
  breakWatches(status?: Status): void {
    for (const w of [...this.watchers]) (status ? w.fail(status) : w.end());
  }

  /** Changes data without any watch noticing (the history a 410 loses). */
  silentlySet(key: string, obj: KubeObject | undefined): void {
    this.revision++;
    if (obj) this.data.set(key, { ...obj, metadata: { ...obj.metadata, resourceVersion: String(this.revision) } });
    else this.data.delete(key);
  }

  private write(key: string, obj: KubeObject): KubeObject {
    const previous = this.data.get(key);
    const revision = ++this.revision;
    const stored = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(revision) } };
    this.data.set(key, stored);
    this.publish({ key, revision, current: stored, previous });
    return stored;
  }

  private publish(change: KeyChange): void {
    this.log.push(change);
    for (const feed of this.feeds) {
      if (feed.recursive ? change.key.startsWith(feed.key) : change.key === feed.key) feed.sink.changes([change]);
    }
  }
}

/** The next `n` events, failing after a while instead of hanging. */
async function take(watcher: Watcher, n: number, timeoutMs = 2000): Promise<WatchEvent[]> {
  const events: WatchEvent[] = [];
  const deadline = Date.now() + timeoutMs;
  while (events.length < n) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(1, deadline - Date.now()))));
    const next = await Promise.race([watcher.next(), timeout]);
    clearTimeout(timer);
    if (next === 'timeout') throw new Error(`timed out after ${events.length} of ${n} events: ${JSON.stringify(events)}`);
    if (next === undefined) break;
    events.push(next);
  }
  return events;
}

/** Whether an event arrives within `ms`. */
async function quiet(watcher: Watcher, ms = 60): Promise<boolean> {
  const next = await Promise.race([watcher.next(), sleep(ms).then(() => 'quiet' as const)]);
  return next === 'quiet';
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const summary = (events: WatchEvent[]) =>
  events.map((e) => `${e.type} ${e.type === 'ERROR' ? e.object.code : `${e.object.metadata.name ?? ''}@${e.object.metadata.resourceVersion}`}`);

async function until(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(5);
  }
}

describe('Cacher', () => {
  let backend: FakeStorage;
  let cacher: Cacher;
  const cachers: Cacher[] = [];

  async function makeCacher(opts: Partial<CacherOptions> = {}): Promise<Cacher> {
    const c = await Cacher.create(backend, { resourcePrefix: PREFIX, minBackoffMs: 5, maxBackoffMs: 20, ...opts });
    cachers.push(c);
    return c;
  }

  beforeEach(async () => {
    backend = new FakeStorage();
    await backend.create(keyOf('ns1', 'a'), flunder('ns1', 'a', { app: 'x' }));
    await backend.create(keyOf('ns1', 'b'), flunder('ns1', 'b'));
    await backend.create(keyOf('ns2', 'c'), flunder('ns2', 'c', { app: 'x' }));
    cacher = await makeCacher();
  });

  afterEach(async () => {
    for (const c of cachers.splice(0)) await c.close();
  });

  describe('get', () => {
    it('serves RV "0" and RV N from memory', async () => {
      const before = backend.calls.get;
      expect((await cacher.get(keyOf('ns1', 'a'), { resourceVersion: '0' }))?.metadata.resourceVersion).toBe('1');
      expect((await cacher.get(keyOf('ns2', 'c'), { resourceVersion: '3' }))?.metadata.name).toBe('c');
      await expect(cacher.get(keyOf('ns1', 'zz'), { resourceVersion: '0' })).rejects.toMatchObject({ code: 404 });
      expect(await cacher.get(keyOf('ns1', 'zz'), { resourceVersion: '0', ignoreNotFound: true })).toBeUndefined();
      expect(backend.calls.get).toBe(before);
    });

    it('reads the latest from the backend when RV is unset', async () => {
      const before = backend.calls.get;
      expect((await cacher.get(keyOf('ns1', 'a')))?.metadata.name).toBe('a');
      expect(backend.calls.get).toBe(before + 1);
    });

    it('rejects a malformed resourceVersion', async () => {
      await expect(cacher.get(keyOf('ns1', 'a'), { resourceVersion: 'x' })).rejects.toMatchObject({ code: 400 });
    });
  });

  describe('list', () => {
    it('serves a consistent list from memory once caught up, including its own writes', async () => {
      const lists = backend.calls.list;
      await cacher.create(keyOf('ns1', 'd'), flunder('ns1', 'd'));
      const result = await cacher.list(PREFIX, { predicate: everything, recursive: true });
      expect(result.items.map((o) => o.metadata.name)).toEqual(['a', 'b', 'd', 'c']);
      expect(result.resourceVersion).toBe(4);
      expect(backend.calls.list).toBe(lists);
    });

    it('filters by namespace prefix and by selector', async () => {
      const ns1 = await cacher.list(`${PREFIX}ns1`, { predicate: everything, recursive: true, resourceVersion: '0' });
      expect(ns1.items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
      const labelled = await cacher.list(PREFIX, { predicate: new SelectionPredicate({ label: 'app=x' }), recursive: true, resourceVersion: '0' });
      expect(labelled.items.map((o) => o.metadata.name)).toEqual(['a', 'c']);
      const one = await cacher.list(keyOf('ns1', 'b'), { predicate: everything, recursive: false, resourceVersion: '0' });
      expect(one.items.map((o) => o.metadata.name)).toEqual(['b']);
    });

    it('pages from memory at the first page\'s revision', async () => {
      const lists = backend.calls.list;
      const page1 = await cacher.list(PREFIX, { predicate: new SelectionPredicate({ limit: 2 }), recursive: true, resourceVersion: '0' });
      expect(page1.items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
      expect(page1.remainingItemCount).toBe(1);
      expect(decodeContinue(page1.continue as string, PREFIX)).toEqual({ resourceVersion: 3, startKey: `${keyOf('ns1', 'b')}\u0000` });
      const page2 = await cacher.list(PREFIX, { predicate: new SelectionPredicate({ limit: 2, continue: page1.continue }), recursive: true });
      expect(page2.items.map((o) => o.metadata.name)).toEqual(['c']);
      expect(page2.resourceVersion).toBe(3);
      expect(page2.continue).toBeUndefined();
      expect(backend.calls.list).toBe(lists);
    });

    it('shows later pages as they were at the first page\'s revision, whatever changed since', async () => {
      await cacher.create(keyOf('ns1', 'd'), flunder('ns1', 'd'));
      await cacher.create(keyOf('ns2', 'e'), flunder('ns2', 'e'));
      const page1 = await cacher.list(PREFIX, { predicate: new SelectionPredicate({ limit: 1 }), recursive: true, resourceVersion: '0' });
      expect(page1.items.map((o) => o.metadata.name)).toEqual(['a']);
      expect(page1.resourceVersion).toBe(5);
      // After the first page: b is changed, d deleted, c deleted and made again, f and ns1/bb new.
      await cacher.guaranteedUpdate(keyOf('ns1', 'b'), (cur) => ({ ...cur!, spec: { changed: true } }));
      await cacher.delete(keyOf('ns1', 'd'));
      await cacher.delete(keyOf('ns2', 'c'));
      await cacher.create(keyOf('ns2', 'c'), flunder('ns2', 'c'));
      await cacher.create(keyOf('ns1', 'bb'), flunder('ns1', 'bb'));
      await cacher.create(keyOf('ns2', 'f'), flunder('ns2', 'f'));
      await until(() => cacher.cachedRevision === 11);
      const lists = backend.calls.list;
      const page2 = await cacher.list(PREFIX, { predicate: new SelectionPredicate({ limit: 2, continue: page1.continue }), recursive: true });
      expect(page2.items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)).toEqual(['b@2', 'd@4']);
      expect(page2.items[0]?.spec).toBeUndefined();
      expect(page2.remainingItemCount).toBe(2);
      expect(page2.resourceVersion).toBe(5);
      const page3 = await cacher.list(PREFIX, { predicate: new SelectionPredicate({ limit: 2, continue: page2.continue }), recursive: true });
      expect(page3.items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)).toEqual(['c@3', 'e@5']);
      expect(page3.continue).toBeUndefined();
      expect(backend.calls.list).toBe(lists);
      // The same walk with a selector: pages are filled with matching objects of that revision.
      const labelled = await cacher.list(PREFIX, { predicate: new SelectionPredicate({ label: 'app=x', limit: 1, continue: page1.continue }), recursive: true });
      expect(labelled.items.map((o) => o.metadata.name)).toEqual(['c']);
      expect(labelled.remainingItemCount).toBeUndefined();
      // Now: a, b (changed), bb, c (made again), e, f.
      const now = await cacher.list(PREFIX, { predicate: everything, recursive: true, resourceVersion: '0' });
      expect(now.items.map((o) => o.metadata.name)).toEqual(['a', 'b', 'bb', 'c', 'e', 'f']);
    });

    it('lists at an exact resourceVersion from memory', async () => {
      await cacher.delete(keyOf('ns1', 'a'));
      await cacher.guaranteedUpdate(keyOf('ns2', 'c'), (cur) => ({ ...cur!, spec: { changed: true } }));
      await until(() => cacher.cachedRevision === 5);
      const lists = backend.calls.list;
      // The cache's history starts at its first list, revision 3.
      const at3 = await cacher.list(PREFIX, { predicate: everything, recursive: true, resourceVersion: '3', resourceVersionMatch: 'Exact' });
      expect(at3.items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)).toEqual(['a@1', 'b@2', 'c@3']);
      expect(at3.resourceVersion).toBe(3);
      const at4all = await cacher.list(PREFIX, { predicate: everything, recursive: true, resourceVersion: '4', resourceVersionMatch: 'Exact' });
      expect(at4all.items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)).toEqual(['b@2', 'c@3']);
      const at4 = await cacher.list(`${PREFIX}ns2`, { predicate: everything, recursive: true, resourceVersion: '4', resourceVersionMatch: 'Exact' });
      expect(at4.items.map((o) => `${o.metadata.name}@${o.metadata.resourceVersion}`)).toEqual(['c@3']);
      expect(backend.calls.list).toBe(lists);
    });

    it('sends a page or an exact list older than the kept history, or compacted in the backend, to the backend', async () => {
      const small = await makeCacher({ historyLimit: 2 });
      const page1 = await small.list(PREFIX, { predicate: new SelectionPredicate({ limit: 1 }), recursive: true, resourceVersion: '0' });
      await small.create(keyOf('ns1', 'd'), flunder('ns1', 'd'));
      await until(() => small.cachedRevision === 4);
      let lists = backend.calls.list;
      await small.list(PREFIX, { predicate: new SelectionPredicate({ limit: 1, continue: page1.continue }), recursive: true });
      expect(backend.calls.list).toBe(lists);
      // Two more changes push revision 3's successor out of the history.
      await small.create(keyOf('ns1', 'e'), flunder('ns1', 'e'));
      await small.create(keyOf('ns1', 'f'), flunder('ns1', 'f'));
      await until(() => small.cachedRevision === 6);
      await small.list(PREFIX, { predicate: new SelectionPredicate({ limit: 1, continue: page1.continue }), recursive: true });
      await small.list(PREFIX, { predicate: everything, recursive: true, resourceVersion: '3', resourceVersionMatch: 'Exact' });
      expect(backend.calls.list).toBe(lists + 2);
      // Within the history, but compacted in the backend.
      lists = backend.calls.list;
      await small.list(PREFIX, { predicate: everything, recursive: true, resourceVersion: '5', resourceVersionMatch: 'Exact' });
      expect(backend.calls.list).toBe(lists);
      backend.compact();
      await small.list(PREFIX, { predicate: everything, recursive: true, resourceVersion: '5', resourceVersionMatch: 'Exact' });
      expect(backend.calls.list).toBe(lists + 1);
    });

    it('answers 400 to a continue token that is not one', async () => {
      await expect(cacher.list(PREFIX, { predicate: new SelectionPredicate({ limit: 1, continue: 'not a token' }), recursive: true })).rejects.toMatchObject({ code: 400 });
    });

    it('gives no remainingItemCount when the predicate filters', async () => {
      const page = await cacher.list(PREFIX, { predicate: new SelectionPredicate({ label: 'app=x', limit: 1 }), recursive: true, resourceVersion: '0' });
      expect(page.items.map((o) => o.metadata.name)).toEqual(['a']);
      expect(page.continue).toBeDefined();
      expect(page.remainingItemCount).toBeUndefined();
      const last = await cacher.list(PREFIX, { predicate: new SelectionPredicate({ label: 'app=x', limit: 2 }), recursive: true, resourceVersion: '0' });
      expect(last.continue).toBeUndefined();
    });

    it('asks the backend when the backend moved on without a change the cache could see', async () => {
      backend.writeElsewhere();
      const lists = backend.calls.list;
      const consistent = await cacher.list(PREFIX, { predicate: everything, recursive: true });
      expect(consistent.resourceVersion).toBe(4);
      expect(backend.calls.list).toBe(lists + 1);
      const notOlder = await cacher.list(PREFIX, { predicate: everything, recursive: true, resourceVersion: '4' });
      expect(notOlder.resourceVersion).toBe(4);
      expect(backend.calls.list).toBe(lists + 2);
      // Once the upstream watch reports progress, the cache answers again.
      backend.notifyProgress();
      await until(() => cacher.cachedRevision === 4);
      expect((await cacher.list(PREFIX, { predicate: everything, recursive: true })).resourceVersion).toBe(4);
      expect(backend.calls.list).toBe(lists + 2);
    });

    describe('with a backend that tells the state of a prefix (etcd3)', () => {
      beforeEach(() => {
        (backend as Storage).prefixState = (key, recursive) => backend.stateUnder(key, recursive);
      });

      it('serves a consistent list from memory though writes elsewhere moved the backend on', async () => {
        backend.writeElsewhere();
        backend.writeElsewhere();
        const lists = backend.calls.list;
        const all = await cacher.list(PREFIX, { predicate: everything, recursive: true });
        expect(all.items.map((o) => o.metadata.name)).toEqual(['a', 'b', 'c']);
        expect(all.resourceVersion).toBe(3);
        const ns1 = await cacher.list(`${PREFIX}ns1/`, { predicate: everything, recursive: true });
        expect(ns1.items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
        const one = await cacher.list(keyOf('ns2', 'c'), { predicate: everything, recursive: false });
        expect(one.items.map((o) => o.metadata.name)).toEqual(['c']);
        expect(backend.calls.list).toBe(lists);
      });

      it('includes a write under the prefix once the cache has it', async () => {
        await backend.create(keyOf('ns1', 'd'), flunder('ns1', 'd'));
        backend.writeElsewhere();
        const ns1 = await cacher.list(`${PREFIX}ns1/`, { predicate: everything, recursive: true });
        expect(ns1.items.map((o) => o.metadata.name)).toEqual(['a', 'b', 'd']);
      });

      it('asks the backend when a change under the prefix does not reach the cache in time', async () => {
        backend.silentlySet(keyOf('ns1', 'z'), flunder('ns1', 'z'));
        backend.silentlySet(keyOf('ns1', 'a'), undefined);
        backend.writeElsewhere();
        const lists = backend.calls.list;
        const ns1 = await cacher.list(`${PREFIX}ns1/`, { predicate: everything, recursive: true });
        expect(ns1.items.map((o) => o.metadata.name)).toEqual(['b', 'z']);
        expect(backend.calls.list).toBe(lists + 1);
        // A delete alone (the newest write there is old) shows as a different count.
        backend.silentlySet(keyOf('ns2', 'c'), undefined);
        backend.writeElsewhere();
        expect((await cacher.list(`${PREFIX}ns2/`, { predicate: everything, recursive: true })).items).toEqual([]);
        expect(backend.calls.list).toBe(lists + 2);
      });
    });

    it('answers 504 for a resourceVersion nobody has reached', async () => {
      const c = await makeCacher({ tooLargeWaitMs: 100 });
      await expect(c.list(PREFIX, { predicate: everything, recursive: true, resourceVersion: '99' })).rejects.toMatchObject({
        code: 504,
        status: { details: { causes: [{ reason: 'ResourceVersionTooLarge' }] } },
      });
    });

    it('waits for a resourceVersion that arrives soon', async () => {
      const pending = cacher.list(PREFIX, { predicate: everything, recursive: true, resourceVersion: '4' });
      setTimeout(() => void backend.create(keyOf('ns3', 'e'), flunder('ns3', 'e')), 100);
      expect((await pending).items).toHaveLength(4);
    });

    it('counts from memory', async () => {
      expect(await cacher.count(PREFIX)).toBe(3);
      expect(await cacher.count(`${PREFIX}ns1`)).toBe(2);
    });
  });

  describe('watch', () => {
    it('sends the state as ADDED at RV "0", then live changes filtered by the predicate', async () => {
      const w = await cacher.watch(PREFIX, { resourceVersion: '0', predicate: new SelectionPredicate({ label: 'app=x' }), recursive: true });
      expect(summary(await take(w, 2))).toEqual(['ADDED a@1', 'ADDED c@3']);
      await cacher.guaranteedUpdate(keyOf('ns1', 'b'), (o) => ({ ...(o as KubeObject), metadata: { ...(o as KubeObject).metadata, labels: { app: 'x' } } }));
      await cacher.guaranteedUpdate(keyOf('ns1', 'a'), (o) => ({ ...(o as KubeObject), metadata: { ...(o as KubeObject).metadata, labels: {} } }));
      await cacher.delete(keyOf('ns2', 'c'));
      expect(summary(await take(w, 3))).toEqual(['ADDED b@4', 'DELETED a@5', 'DELETED c@6']);
      w.stop();
    });

    it('ends the initial events with an annotated BOOKMARK for sendInitialEvents', async () => {
      const w = await cacher.watch(`${PREFIX}ns1/`, { resourceVersion: '', predicate: everything, recursive: true, sendInitialEvents: true, allowWatchBookmarks: true });
      const events = await take(w, 3);
      expect(summary(events)).toEqual(['ADDED a@1', 'ADDED b@2', 'BOOKMARK @3']);
      expect(events[2]?.object.metadata).toEqual({ resourceVersion: '3', annotations: { 'k8s.io/initial-events-end': 'true' } });
      w.stop();
    });

    it('replays from the history for a recent resourceVersion', async () => {
      await backend.create(keyOf('ns1', 'd'), flunder('ns1', 'd'));
      await backend.delete(keyOf('ns1', 'a'));
      await until(() => cacher.cachedRevision === 5);
      const watches = backend.calls.watch;
      const w = await cacher.watch(PREFIX, { resourceVersion: '3', predicate: everything, recursive: true });
      expect(summary(await take(w, 2))).toEqual(['ADDED d@4', 'DELETED a@5']);
      await backend.create(keyOf('ns1', 'z'), flunder('ns1', 'z'));
      expect(summary(await take(w, 1))).toEqual(['ADDED z@6']);
      expect(backend.calls.watch).toBe(watches);
      w.stop();
    });

    it('watches a single key', async () => {
      const w = await cacher.watch(keyOf('ns1', 'b'), { resourceVersion: '3', predicate: everything });
      await backend.create(keyOf('ns1', 'z'), flunder('ns1', 'z'));
      await backend.delete(keyOf('ns1', 'b'));
      expect(summary(await take(w, 1))).toEqual(['DELETED b@5']);
      w.stop();
    });

    it('sends a watch from before the kept history to the backend, which answers 410 once compacted', async () => {
      const c = await makeCacher({ historyLimit: 2 });
      for (const name of ['d', 'e', 'f']) await backend.create(keyOf('ns1', name), flunder('ns1', name));
      await until(() => c.cachedRevision === 6);
      const watches = backend.calls.watch;
      const old = await c.watch(PREFIX, { resourceVersion: '3', predicate: everything, recursive: true });
      expect(backend.calls.watch).toBe(watches + 1);
      expect(summary(await take(old, 3))).toEqual(['ADDED d@4', 'ADDED e@5', 'ADDED f@6']);
      old.stop();

      const rev = backend.compact();
      c.compact(rev);
      await expect(c.watch(PREFIX, { resourceVersion: '5', predicate: everything, recursive: true })).rejects.toMatchObject({ code: 410 });
      // From the compacted revision itself there is nothing missing.
      const fresh = await c.watch(PREFIX, { resourceVersion: String(rev), predicate: everything, recursive: true });
      await backend.create(keyOf('ns1', 'g'), flunder('ns1', 'g'));
      expect(summary(await take(fresh, 1))).toEqual(['ADDED g@7']);
      fresh.stop();
    });

    it('follows from a resourceVersion the backend has but the cache has not seen', async () => {
      backend.writeElsewhere();
      const w = await cacher.watch(PREFIX, { resourceVersion: '4', predicate: everything, recursive: true });
      await backend.create(keyOf('ns1', 'z'), flunder('ns1', 'z'));
      expect(summary(await take(w, 1))).toEqual(['ADDED z@5']);
      w.stop();
    });

    it('answers 504 to a watch from the future', async () => {
      const c = await makeCacher({ tooLargeWaitMs: 100 });
      await expect(c.watch(PREFIX, { resourceVersion: '50', predicate: everything, recursive: true })).rejects.toMatchObject({ code: 504 });
    });

    it('sends periodic bookmarks at the cache revision to watchers that ask', async () => {
      const c = await makeCacher({ bookmarkIntervalMs: 20 });
      const w = await c.watch(PREFIX, { resourceVersion: '3', predicate: everything, recursive: true, allowWatchBookmarks: true });
      const plain = await c.watch(PREFIX, { resourceVersion: '3', predicate: everything, recursive: true });
      expect(summary(await take(w, 1))).toEqual(['BOOKMARK @3']);
      await backend.create(keyOf('ns9', 'q'), flunder('ns9', 'q'));
      expect(summary(await take(w, 2))).toEqual(['ADDED q@4', 'BOOKMARK @4']);
      expect(summary(await take(plain, 1))).toEqual(['ADDED q@4']);
      expect(await quiet(plain)).toBe(true);
      w.stop();
      plain.stop();
    });

    it('fans one change out to many watchers, each seeing only its namespace', async () => {
      const watchers = Array.from({ length: 1000 }, (_, i) =>
        cacher.watch(`${PREFIX}ns${i % 10}/`, { resourceVersion: '3', predicate: everything, recursive: true }),
      );
      const all = await Promise.all(watchers);
      expect(cacher.watcherCount).toBe(1000);
      await backend.create(keyOf('ns7', 'x'), flunder('ns7', 'x'));
      await backend.create(keyOf('ns2', 'y'), flunder('ns2', 'y'));
      for (const [i, w] of all.entries()) {
        const expected = i % 10 === 7 ? ['ADDED x@4'] : i % 10 === 2 ? ['ADDED y@5'] : [];
        if (expected.length) expect(summary(await take(w, 1))).toEqual(expected);
      }
      expect(await quiet(all[0] as Watcher, 20)).toBe(true);
      for (const w of all) w.stop();
      expect(cacher.watcherCount).toBe(0);
    });

    it('ends a watcher that falls too far behind with 410', async () => {
      const c = await makeCacher({ watcherCapacity: 2 });
      const w = await c.watch(PREFIX, { resourceVersion: '3', predicate: everything, recursive: true });
      for (const name of ['d', 'e', 'f']) await backend.create(keyOf('ns1', name), flunder('ns1', name));
      await until(() => c.cachedRevision === 6);
      expect(summary(await take(w, 5))).toEqual(['ADDED d@4', 'ADDED e@5', 'ERROR 410']);
      expect(c.watcherCount).toBe(0);
    });
  });

  describe('upstream', () => {
    it('re-watches from its last revision when the upstream watch ends, losing nothing', async () => {
      const w = await cacher.watch(PREFIX, { resourceVersion: '3', predicate: everything, recursive: true });
      backend.breakWatches();
      backend.down = true;
      await sleep(30);
      backend.down = false;
      await until(() => backend.watchers.size > 0);
      await backend.create(keyOf('ns1', 'd'), flunder('ns1', 'd'));
      expect(summary(await take(w, 1))).toEqual(['ADDED d@4']);
      // A non-410 error from upstream is also just a reconnect.
      backend.breakWatches({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 500, message: 'boom' });
      await backend.create(keyOf('ns1', 'e'), flunder('ns1', 'e'));
      expect(summary(await take(w, 1))).toEqual(['ADDED e@5']);
      w.stop();
    });

    it('relists on 410 and ends only the watchers whose stream now has a gap', async () => {
      const ns1 = await cacher.watch(`${PREFIX}ns1/`, { resourceVersion: '3', predicate: everything, recursive: true });
      const ns2 = await cacher.watch(`${PREFIX}ns2/`, { resourceVersion: '3', predicate: everything, recursive: true });
      const lists = backend.calls.list;
      backend.silentlySet(keyOf('ns1', 'b'), undefined);
      backend.compact();
      backend.breakWatches(tooOldResourceVersion(PREFIX, 3, 4).status);
      await until(() => backend.calls.list > lists && cacher.cachedRevision === 4);
      expect(summary(await take(ns1, 1))).toEqual(['ERROR 410']);
      expect((await take(ns1, 1))).toEqual([]);
      await cacher.list(PREFIX, { predicate: everything, recursive: true, resourceVersion: '0' }).then((r) =>
        expect(r.items.map((o) => o.metadata.name)).toEqual(['a', 'c']),
      );
      await backend.create(keyOf('ns2', 'd'), flunder('ns2', 'd'));
      expect(summary(await take(ns2, 1))).toEqual(['ADDED d@5']);
      ns2.stop();
    });

    it('after a relist that shows no difference, reads before it go to the backend: the history has a gap there', async () => {
      const page1 = await cacher.list(PREFIX, { predicate: new SelectionPredicate({ limit: 1 }), recursive: true, resourceVersion: '0' });
      // A key made and deleted while the cache was not watching: the relist at revision 5 can not tell.
      backend.silentlySet(keyOf('ns1', 'aa'), flunder('ns1', 'aa'));
      backend.silentlySet(keyOf('ns1', 'aa'), undefined);
      backend.compact();
      const lists = backend.calls.list;
      backend.breakWatches(tooOldResourceVersion(PREFIX, 3, 5).status);
      await until(() => backend.calls.list > lists && cacher.cachedRevision === 5);
      // As a backend that does not tell its compaction (crd): only the cache's own history decides.
      backend.compactedAt = 0;
      const before = backend.calls.list;
      await cacher.list(PREFIX, { predicate: new SelectionPredicate({ limit: 1, continue: page1.continue }), recursive: true });
      await cacher.list(PREFIX, { predicate: everything, recursive: true, resourceVersion: '4', resourceVersionMatch: 'Exact' });
      expect(backend.calls.list).toBe(before + 2);
      // Reads at the relist's revision are the cache's again.
      await cacher.list(PREFIX, { predicate: everything, recursive: true, resourceVersion: '5', resourceVersionMatch: 'Exact' });
      expect(backend.calls.list).toBe(before + 2);
    });

    it('serves reads from the backend until its first list succeeds', async () => {
      backend.down = true;
      const c = new Cacher(backend, { resourcePrefix: PREFIX, minBackoffMs: 5, maxBackoffMs: 10 });
      cachers.push(c);
      await expect(c.list(PREFIX, { predicate: everything, recursive: true })).rejects.toMatchObject({ code: 500 });
      backend.down = false;
      await c.ready();
      expect((await c.list(PREFIX, { predicate: everything, recursive: true, resourceVersion: '0' })).items).toHaveLength(3);
    });
  });

  it('stops using the cache when objects are not stored where keyOf puts them', async () => {
    await cacher.create(`${PREFIX}ns1/other-name`, flunder('ns1', 'mismatch'));
    const gets = backend.calls.get;
    expect((await cacher.get(`${PREFIX}ns1/other-name`, { resourceVersion: '0' }))?.metadata.name).toBe('mismatch');
    expect(backend.calls.get).toBe(gets + 1);
  });

  it('ends its watchers and stops its upstream watch on close', async () => {
    const w = await cacher.watch(PREFIX, { resourceVersion: '0', predicate: everything, recursive: true });
    await cacher.close();
    expect(summary(await take(w, 4))).toEqual(['ADDED a@1', 'ADDED b@2', 'ADDED c@3']);
    await until(() => backend.watchers.size === 0);
  });
});
