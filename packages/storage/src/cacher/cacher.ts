/**
 * The watch cache (after k8s.io/apiserver/pkg/storage/cacher): one upstream list+watch per
 * resource prefix feeds an in-memory copy of the state and a ring of recent changes, from which
 * gets, lists and watches are served with the same resourceVersion semantics as the backend.
 * Writes go straight to the backend; the cache sees them come back through the watch.
 *
 * Objects returned by get, list and watch may be shared with the cache and with other callers:
 * callers must not mutate them.
 */
import {
  encodeContinue,
  newTooLargeResourceVersion,
  type KubeObject,
  type Status,
  type WatchEvent,
} from '@kapi/apimachinery';
import { EXPIRED_WATCH_MESSAGE, keyNotFound } from '../errors.js';
import { bookmarkEvent, eventFor, type KeyChange } from '../events.js';
import type {
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  Storage,
  UpdateFunction,
  UpdateOptions,
  WatchOptions,
} from '../interface.js';
import { normalizePrefix, objectKey } from '../keys.js';
import { planList, type ReadPlan } from '../read-plan.js';
import { parseResourceVersion, revisionOf } from '../revision.js';
import { Watcher } from '../watcher.js';
import { WatcherFanout } from './fanout.js';
import { EventHistory } from './history.js';
import { Reflector, type ReflectorSink } from './reflector.js';
import { RevisionWaiters } from './revision-waiters.js';
import { StateAt } from './state-at.js';
import { CacheStore, type OrderedState } from './store.js';

export interface CacherOptions {
  /** The prefix whose keys this cache holds, ending in '/', e.g. /registry/wardle.example.com/flunders/. */
  resourcePrefix: string;
  /** How many recent changes are kept for watches that start in the past. */
  historyLimit?: number;
  /** How often watchers that allow bookmarks get one. */
  bookmarkIntervalMs?: number;
  /**
   * The key an object lives at (Go's KeyFunc). The upstream watch carries objects, not keys, so
   * the cache needs this; the default is the kube-apiserver layout `<prefix>[<namespace>/]<name>`.
   */
  keyOf?: (obj: KubeObject) => string;
  /** How long a read waits for the cache to catch up with a revision the backend already has before asking the backend. */
  catchUpWaitMs?: number;
  /** How long a read with a resourceVersion ahead of everything waits before answering 504. */
  tooLargeWaitMs?: number;
  /** Events a slow watcher may have queued before it is ended with 410. */
  watcherCapacity?: number;
  /** Backoff between upstream reconnects. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

const DEFAULTS = {
  historyLimit: 10_000,
  bookmarkIntervalMs: 60_000,
  catchUpWaitMs: 50,
  tooLargeWaitMs: 3_000,
  watcherCapacity: 100_000,
  minBackoffMs: 100,
  maxBackoffMs: 5_000,
};

/** Ends a watcher whose stream has a gap the cache can not fill (the upstream lost history). */
const CONTINUITY_LOST: Status = {
  kind: 'Status',
  apiVersion: 'v1',
  metadata: {},
  status: 'Failure',
  message: `${EXPIRED_WATCH_MESSAGE} The watch cache had to be rebuilt; restart the watch.`,
  reason: 'Expired',
  code: 410,
};

type Source = 'cache' | 'backend';

export class Cacher implements Storage {
  readonly name: string;
  readonly resourcePrefix: string;
  private readonly keyOf: (obj: KubeObject) => string;
  private readonly opts: typeof DEFAULTS;
  private readonly store = new CacheStore();
  private readonly history: EventHistory;
  private readonly fanout = new WatcherFanout();
  private readonly waiters = new RevisionWaiters();
  private readonly reflector: Reflector;
  private readonly bookmarkTimer: NodeJS.Timeout;
  /** Everything up to this revision is in `store`. */
  private revision = 0;
  private synced = false;
  private closed = false;
  /** Cleared when a write shows that keyOf does not give the keys objects are stored at. */
  private keysTrusted = true;

  constructor(
    private readonly backend: Storage,
    options: CacherOptions,
  ) {
    if (!options.resourcePrefix.endsWith('/')) throw new Error(`resourcePrefix must end in '/': ${options.resourcePrefix}`);
    this.resourcePrefix = options.resourcePrefix;
    this.name = `cacher(${backend.name})`;
    this.opts = { ...DEFAULTS, ...definedOnly(options) };
    const prefix = this.resourcePrefix;
    this.keyOf = options.keyOf ?? ((obj) => objectKey(prefix, obj.metadata.name ?? '', obj.metadata.namespace || undefined));
    this.history = new EventHistory(this.opts.historyLimit);
    this.reflector = new Reflector(backend, prefix, this.sink(), this.opts);
    this.reflector.start();
    this.bookmarkTimer = setInterval(() => this.fanout.bookmark(this.revision), this.opts.bookmarkIntervalMs);
    this.bookmarkTimer.unref();
  }

  /** Builds a cacher and waits for its first complete list. */
  static async create(backend: Storage, options: CacherOptions): Promise<Cacher> {
    const cacher = new Cacher(backend, options);
    await cacher.ready();
    return cacher;
  }

  /** Resolves once the cache holds a complete list (reads before that go to the backend). */
  ready(): Promise<void> {
    return this.reflector.synced;
  }

  /** The revision the cache is complete up to. */
  get cachedRevision(): number {
    return this.revision;
  }

  /** Number of watchers served from the cache. */
  get watcherCount(): number {
    return this.fanout.size;
  }

  /** Drops history at or below `revision`: watches from there on go to the backend (which answers 410 if it compacted too). */
  compact(revision: number): void {
    this.history.compact(revision);
  }

  // ---- reads -------------------------------------------------------------------------------

  async get<T extends KubeObject = KubeObject>(key: string, opts: GetOptions = {}): Promise<T | undefined> {
    // An unset RV asks for the latest: one backend read is as cheap as confirming freshness (Go does the same).
    if (!opts.resourceVersion || !this.serves(key)) return this.backend.get<T>(key, opts);
    const source = await this.catchUp(parseResourceVersion(opts.resourceVersion));
    if (source === 'backend' || !this.serves(key)) return this.backend.get<T>(key, opts);
    const obj = this.store.get(key);
    if (obj === undefined && !opts.ignoreNotFound) throw keyNotFound(key);
    return obj as T | undefined;
  }

  async list<T extends KubeObject = KubeObject>(keyPrefix: string, opts: ListOptions): Promise<ListResult<T>> {
    const recursive = opts.recursive ?? false;
    const key = normalizePrefix(keyPrefix, recursive);
    const plan = planList(key, opts, recursive);
    if (plan.exactRevision > 0) {
      return ((await this.listAtRevision(key, recursive, opts, plan)) ?? (await this.backend.list<T>(keyPrefix, opts))) as ListResult<T>;
    }
    if (!this.serves(key)) return this.backend.list<T>(keyPrefix, opts);
    const consistent = opts.resourceVersion === undefined || opts.resourceVersion === '';
    if (consistent && this.backend.prefixState) {
      const confirmed = await this.confirmedList(key, recursive, opts);
      return (confirmed ?? (await this.backend.list<T>(keyPrefix, opts))) as ListResult<T>;
    }
    const source = consistent ? await this.catchUpConsistent() : await this.catchUp(plan.minRevision);
    if (source === 'backend' || !this.serves(key)) return this.backend.list<T>(keyPrefix, opts);
    return (recursive ? this.listFromCache(key, opts) : this.listOneFromCache(key, opts)) as ListResult<T>;
  }

  /** Counted by the backend, as Go's cacher does: a count must see the writes just acknowledged. */
  count(keyPrefix: string): Promise<number> {
    return this.backend.count(keyPrefix);
  }

  currentRevision(): Promise<number> {
    return this.backend.currentRevision();
  }

  healthCheck(): Promise<void> {
    return this.backend.healthCheck();
  }

  // ---- writes: straight through --------------------------------------------------------------

  async create<T extends KubeObject = KubeObject>(key: string, obj: T): Promise<T> {
    return this.checkKey(key, await this.backend.create(key, obj));
  }

  async guaranteedUpdate<T extends KubeObject = KubeObject>(key: string, tryUpdate: UpdateFunction<T>, opts?: UpdateOptions): Promise<T> {
    // As Go's Cacher: the cache's copy is the backend's first guess (it saves etcd a read per write).
    const cachedExisting = this.serves(key) ? this.store.get(key) : undefined;
    return this.checkKey(key, await this.backend.guaranteedUpdate(key, tryUpdate, cachedExisting ? { ...opts, cachedExisting } : opts));
  }

  async delete<T extends KubeObject = KubeObject>(key: string, opts?: DeleteOptions<T>): Promise<T> {
    return this.checkKey(key, await this.backend.delete(key, opts));
  }

  // ---- watch ---------------------------------------------------------------------------------

  async watch<T extends KubeObject = KubeObject>(key: string, opts: WatchOptions): Promise<Watcher<T>> {
    const recursive = opts.recursive ?? false;
    const watchKey = normalizePrefix(key, recursive);
    if (!this.serves(watchKey)) return this.backend.watch<T>(key, opts);
    const asked = parseResourceVersion(opts.resourceVersion);
    const sendInitial = opts.sendInitialEvents ?? asked === 0;

    if (sendInitial) {
      const consistent = opts.sendInitialEvents === true && asked === 0 && opts.resourceVersion !== '0';
      const source = consistent ? await this.catchUpConsistent() : await this.catchUp(asked);
      if (source === 'backend' || !this.serves(watchKey)) return this.backend.watch<T>(key, opts);
      return this.watchWithInitialState(watchKey, recursive, opts) as unknown as Watcher<T>;
    }

    if (asked > this.revision) {
      const source = await this.catchUp(asked);
      if (!this.serves(watchKey)) return this.backend.watch<T>(key, opts);
      // The backend has `asked` but the cache has not seen it yet: the upstream stream is ordered,
      // so registering now and skipping changes up to `asked` gives exactly the changes after it.
      if (source === 'backend') return this.register(watchKey, recursive, opts, asked, []) as unknown as Watcher<T>;
    }
    const replay = this.history.since(asked);
    // Older than the history kept: the backend replays from its own log, or answers 410.
    if (!replay) return this.backend.watch<T>(key, opts);
    return this.register(watchKey, recursive, opts, this.revision, replay) as unknown as Watcher<T>;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.bookmarkTimer);
    this.reflector.stop();
    this.waiters.cancelAll();
    this.fanout.endAll();
  }

  // ---- internals -----------------------------------------------------------------------------

  /** Whether the cache can answer for `key` (a key or a normalized prefix) right now. */
  private serves(key: string): boolean {
    return this.synced && this.keysTrusted && !this.closed && key.startsWith(this.resourcePrefix);
  }

  /**
   * Where a read that must not be older than `revision` is served from: the cache once it has
   * caught up; the backend when it has the revision but the cache lags (e.g. no change under
   * this prefix carried it); a 504 when nobody reaches it in time.
   */
  private async catchUp(revision: number): Promise<Source> {
    if (revision <= this.revision) return 'cache';
    if (await this.waiters.wait(revision, this.opts.catchUpWaitMs)) return 'cache';
    const latest = await this.backend.currentRevision();
    if (revision <= latest) return 'backend';
    if (await this.waiters.wait(revision, Math.max(0, this.opts.tooLargeWaitMs - this.opts.catchUpWaitMs))) return 'cache';
    if (this.closed) return 'backend';
    throw newTooLargeResourceVersion(revision, Math.max(this.revision, latest));
  }

  /** A consistent read: the cache must hold the backend's current revision (ConsistentListFromCache). */
  private async catchUpConsistent(): Promise<Source> {
    const latest = await this.backend.currentRevision();
    if (latest <= this.revision) return 'cache';
    return (await this.waiters.wait(latest, this.opts.catchUpWaitMs)) ? 'cache' : 'backend';
  }

  /**
   * A consistent list from memory when the backend confirms the cache holds what it holds under
   * the listed prefix now (Storage.prefixState: same key count, cache complete up to the newest
   * write there), without waiting for the cache to reach the backend's revision, which writes to
   * other keys keep ahead (on a shared etcd: leases, events). Waits up to catchUpWaitMs for
   * changes the backend has and the upstream watch has not delivered yet; undefined when they do
   * not arrive in time (the caller lists from the backend). Decided and listed in one synchronous
   * step, so no change applied in between can make the answer older than the confirmation.
   */
  private async confirmedList(key: string, recursive: boolean, opts: ListOptions): Promise<ListResult | undefined> {
    if (!this.serves(key)) return undefined;
    let state;
    try {
      state = await this.backend.prefixState!(key, recursive);
    } catch {
      return undefined;
    }
    const cachedCount = (): number => (recursive ? this.store.countUnder(key) : this.store.get(key) === undefined ? 0 : 1);
    const confirmed = (): boolean =>
      this.revision >= state.revision || (this.revision >= state.maxRevision && cachedCount() === state.count);
    const deadline = Date.now() + this.opts.catchUpWaitMs;
    while (!confirmed()) {
      const left = deadline - Date.now();
      if (left <= 0 || !this.serves(key)) return undefined;
      // The next change the cache applies (or the revision the newest write there carries).
      await this.waiters.wait(Math.max(this.revision + 1, state.maxRevision), left);
    }
    if (!this.serves(key)) return undefined;
    return recursive ? this.listFromCache(key, opts) : this.listOneFromCache(key, opts);
  }

  /**
   * A page after a list's first (its continue token carries the first page's revision) or a list
   * at an exact resourceVersion, from memory while the history reaches back to that revision (Go's
   * ListFromCacheSnapshot); undefined sends it to the backend, which answers 410 for a compacted
   * revision.
   */
  private async listAtRevision(key: string, recursive: boolean, opts: ListOptions, plan: ReadPlan): Promise<ListResult | undefined> {
    const revision = plan.exactRevision;
    if (!recursive || !this.serves(key)) return undefined;
    if ((await this.catchUp(revision)) === 'backend' || !this.serves(key)) return undefined;
    if (revision < (this.backend.compactedRevision?.() ?? 0)) return undefined;
    const changes = this.history.since(revision);
    if (!changes) return undefined;
    return this.listFromCache(key, opts, { state: new StateAt(this.store, key, changes), revision, startKey: plan.startKey ?? key });
  }

  /** A list of `prefix` from the current state, or from the state `at` a past revision. */
  private listFromCache(prefix: string, opts: ListOptions, at?: { state: OrderedState; revision: number; startKey: string }): ListResult {
    const { predicate } = opts;
    const state = at?.state ?? this.store;
    const revision = at?.revision ?? this.revision;
    const limit = predicate.limit;
    const items: KubeObject[] = [];
    let lastKey = '';
    let more = false;
    state.forEachUnder(
      prefix,
      (key, obj) => {
        if (!predicate.matches(obj)) return true;
        if (limit > 0 && items.length === limit) {
          more = true;
          return false;
        }
        items.push(obj);
        lastKey = key;
        return true;
      },
      at?.startKey,
    );
    const result: ListResult = { items, resourceVersion: revision };
    if (more) {
      result.continue = encodeContinue(lastKey, prefix, revision);
      if (predicate.isEverything()) result.remainingItemCount = state.countUnderAfter(prefix, lastKey);
    }
    return result;
  }

  private listOneFromCache(key: string, opts: ListOptions): ListResult {
    const obj = this.store.get(key);
    const items = obj !== undefined && opts.predicate.matches(obj) ? [obj] : [];
    return { items, resourceVersion: this.revision };
  }

  /** Initial state as ADDED events at the cache revision, the initial-events-end bookmark if asked, then live changes. */
  private watchWithInitialState(key: string, recursive: boolean, opts: WatchOptions): Watcher<KubeObject> {
    const initial: WatchEvent[] = [];
    const add = (obj: KubeObject): void => {
      if (opts.predicate.matches(obj)) initial.push({ type: 'ADDED', object: obj });
    };
    if (recursive) this.store.forEachUnder(key, (_key, obj) => add(obj));
    else {
      const obj = this.store.get(key);
      if (obj !== undefined) add(obj);
    }
    if (opts.sendInitialEvents && opts.allowWatchBookmarks) initial.push(bookmarkEvent(this.revision, true));
    return this.start(key, recursive, opts, this.revision, initial);
  }

  /** A watcher that first replays `replay` (changes already in the cache), then follows live changes after `fromRevision`. */
  private register(key: string, recursive: boolean, opts: WatchOptions, fromRevision: number, replay: readonly KeyChange[]): Watcher<KubeObject> {
    const events: WatchEvent[] = [];
    for (const change of replay) {
      if (!(recursive ? change.key.startsWith(key) : change.key === key)) continue;
      const event = eventFor(change, opts.predicate);
      if (event) events.push(event);
    }
    return this.start(key, recursive, opts, fromRevision, events);
  }

  private start(key: string, recursive: boolean, opts: WatchOptions, fromRevision: number, first: readonly WatchEvent[]): Watcher<KubeObject> {
    // Room for what is sent up front on top of the usual slack for a slow consumer.
    const watcher = new Watcher<KubeObject>(first.length + this.opts.watcherCapacity);
    for (const event of first) watcher.send(event);
    this.fanout.add({
      watcher,
      key,
      recursive,
      predicate: opts.predicate,
      allowBookmarks: opts.allowWatchBookmarks ?? false,
      fromRevision,
    });
    return watcher;
  }

  /** Notices a key layout keyOf does not reproduce; the cache could not find such objects, so reads stop using it. */
  private checkKey<T extends KubeObject>(key: string, obj: T): T {
    if (this.keysTrusted && key.startsWith(this.resourcePrefix) && this.keyOf(obj) !== key) this.keysTrusted = false;
    return obj;
  }

  /** How the reflector changes the cache. Runs synchronously per event, so readers never see half an update. */
  private sink(): ReflectorSink {
    const cacher = this;
    return {
      get revision() {
        return cacher.revision;
      },
      replace: (items, revision) => this.replace(items, revision),
      apply: (event) => this.apply(event),
      progress: (revision) => this.advance(revision),
    };
  }

  private replace(items: readonly KubeObject[], revision: number): void {
    const fresh = new Map<string, KubeObject>();
    for (const obj of items) {
      const key = this.keyOf(obj);
      if (key.startsWith(this.resourcePrefix)) fresh.set(key, obj);
    }
    if (this.synced) {
      // A relist after the upstream lost our place: whoever would have seen a change we missed
      // has a gap in its stream and must start over; the others go on.
      const missed = diff(this.store, fresh, revision);
      if (missed.length > 0) this.fanout.failAffected(missed, CONTINUITY_LOST);
    }
    // The history has a gap before `revision` even when the relist shows no difference (a key
    // made and deleted in between): replays and past states start there (as Go's Replace resets).
    this.history.reset(revision);
    this.store.replace(fresh);
    this.synced = true;
    this.revision = Math.max(this.revision, revision);
    this.waiters.advance(this.revision);
  }

  private apply(event: WatchEvent): void {
    if (event.type !== 'ADDED' && event.type !== 'MODIFIED' && event.type !== 'DELETED') return;
    const obj = event.object;
    let revision: number;
    let key: string;
    try {
      revision = revisionOf(obj);
      key = this.keyOf(obj);
    } catch {
      return; // not an object the cache can place; the backend still answers for it
    }
    if (revision <= this.revision || !key.startsWith(this.resourcePrefix)) return;
    const previous = event.type === 'DELETED' ? this.store.delete(key) : this.store.set(key, obj);
    const change: KeyChange = { key, revision, current: event.type === 'DELETED' ? undefined : obj, previous };
    this.history.push(change);
    this.revision = revision;
    this.fanout.dispatch(change);
    this.waiters.advance(revision);
  }

  private advance(revision: number): void {
    if (revision <= this.revision) return;
    this.revision = revision;
    this.waiters.advance(revision);
  }
}

/** The changes between the cached state and a fresh list at `revision`. */
function diff(store: CacheStore, fresh: ReadonlyMap<string, KubeObject>, revision: number): KeyChange[] {
  const changes: KeyChange[] = [];
  for (const [key, previous] of store.entries()) {
    const current = fresh.get(key);
    if (current === undefined) changes.push({ key, revision, current: undefined, previous });
    else if (current.metadata.resourceVersion !== previous.metadata.resourceVersion) changes.push({ key, revision, current, previous });
  }
  for (const [key, current] of fresh) {
    if (store.get(key) === undefined) changes.push({ key, revision, current, previous: undefined });
  }
  return changes;
}

function definedOnly<T extends object>(obj: T): Partial<T> {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as Partial<T>;
}
