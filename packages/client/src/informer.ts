/**
 * A typed informer (Go's SharedIndexInformer with its Reflector): lists a resource (in pages), keeps
 * it in an indexed cache (store.ts) and watches from the list's resourceVersion, calling handlers
 * on add, update and delete. A watch that ends is resumed from the last resourceVersion seen (a
 * server restart loses no event); a resourceVersion too old (410) relists, and an object that went
 * away meanwhile is handed to `delete` in its last known state with `finalStateUnknown`. With
 * `watchList` the initial state comes from one watch with sendInitialEvents (WatchList), falling
 * back to list + watch when the server refuses it.
 *
 * Handlers run one after another in the informer's loop, in event order: nothing is queued for a
 * slow handler (Go buffers without bound per listener), so memory follows the objects alone.
 */
import { INITIAL_EVENTS_END_ANNOTATION, isResourceExpired } from '@kapi/apimachinery';
import { apiErrorOfStatus, BadRequestError, ForbiddenError, InvalidError, ResourceExpiredError, UnauthorizedError } from './errors.js';
import { keyOf, Lister, ObjectStore } from './store.js';
import type { LabelSelectorOption, ListOptions, ObjectLike, ObjectList, WatchEvent, WatchOptions } from './types.js';
import type { Watch } from './watch.js';

/** What an informer lists and watches (a ResourceClient is one). */
export interface ListWatch<T extends ObjectLike> {
  list(opts: ListOptions): Promise<ObjectList<T>>;
  watch(opts: WatchOptions): Promise<Watch<T>>;
}

export interface EventHandler<T extends ObjectLike> {
  /** A new object; `isInInitialList` during the first list (or WatchList's initial events). */
  add?(obj: T, isInInitialList: boolean): void;
  /** A change (and, every resync period, each object with itself). */
  update?(oldObj: T, newObj: T): void;
  /**
   * An object deleted: its final state from the DELETED event, or — when the delete happened while
   * no watch ran and a relist found the object gone — its last known state, `finalStateUnknown`.
   */
  delete?(obj: T, finalStateUnknown: boolean): void;
}

export interface InformerOptions {
  labelSelector?: LabelSelectorOption;
  fieldSelector?: string;
  /** Calls `update(obj, obj)` for every cached object this often (0, the default: never). */
  resyncPeriodMs?: number;
  /** Items per list page (default 500, as Go's pager). */
  pageSize?: number;
  /** Initial state by WatchList (watch with sendInitialEvents) instead of a list, when the server offers it. */
  watchList?: boolean;
  /** Errors of the loop (a watch that broke, a handler that threw); default none. The informer retries either way. */
  onError?: (err: unknown) => void;
  /** Backoff between failed tries (ms): from `initial` doubling to `max`; default 200 → 10000. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Bound on one watch request before it is renewed (s); default random in 5-10 min, as Go's reflector. */
  watchTimeoutSeconds?: number;
}

const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** A server that does not do WatchList answers the watch with one of these. */
function refusesWatchList(err: unknown): boolean {
  return err instanceof BadRequestError || err instanceof InvalidError || err instanceof ForbiddenError || err instanceof UnauthorizedError;
}

export class Informer<T extends ObjectLike> {
  private readonly store = new ObjectStore<T>();
  readonly lister: Lister<T> = new Lister(this.store);
  private readonly handlers = new Set<EventHandler<T>>();
  private readonly stopping = new AbortController();
  private running = false;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private resourceVersion = '';
  private watch: Watch<T> | undefined;
  private resync: NodeJS.Timeout | undefined;
  private watchListOffered: boolean;
  private listCount = 0;
  private initialFrom: 'list' | 'watch-list' | undefined;

  constructor(
    private readonly source: ListWatch<T>,
    private readonly opts: InformerOptions = {},
  ) {
    this.watchListOffered = opts.watchList ?? false;
  }

  /** Adds a handler; one added after the informer started gets `add` for every cached object first. Returns its removal. */
  addEventHandler(handler: EventHandler<T>): () => void {
    this.handlers.add(handler);
    if (this.synced) for (const obj of this.store.values()) this.call(handler, 'add', obj, true);
    return () => this.handlers.delete(handler);
  }

  /** Starts the loop (once). */
  start(): void {
    if (this.running || this.stopping.signal.aborted) return;
    this.running = true;
    void this.run();
    const period = this.opts.resyncPeriodMs ?? 0;
    if (period > 0) {
      this.resync = setInterval(() => {
        if (this.synced) for (const obj of this.store.values()) this.emit('update', obj, obj);
      }, period);
      this.resync.unref();
    }
  }

  /** Stops the loop and the watch. The cache keeps what it had. */
  stop(): void {
    this.stopping.abort();
    this.watch?.stop();
    if (this.resync) clearInterval(this.resync);
    for (const waiter of this.syncWaiters) waiter();
    this.syncWaiters = [];
  }

  /** Has the first list (or WatchList's initial state) been stored? */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once synced; rejects after `timeoutMs` (default 60 s) or when stopped first. */
  waitForSync(timeoutMs = 60_000): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`informer not synced after ${timeoutMs} ms`)), timeoutMs);
      this.syncWaiters.push(() => {
        clearTimeout(timer);
        if (this.synced) resolve();
        else reject(new Error('informer stopped before it synced'));
      });
    });
  }

  /** Where the last initial state came from: a list, or a WatchList stream. */
  get initialStateFrom(): 'list' | 'watch-list' | undefined {
    return this.initialFrom;
  }

  /** How many lists (and WatchList initial states) were made: 1 plus the relists. */
  get lists(): number {
    return this.listCount;
  }

  /** The resourceVersion the cache is at (of the last list, event or bookmark). */
  get lastSyncResourceVersion(): string {
    return this.resourceVersion;
  }

  private get signal(): AbortSignal {
    return this.stopping.signal;
  }

  private async run(): Promise<void> {
    const initialMs = this.opts.backoff?.initialMs ?? 200;
    const maxMs = this.opts.backoff?.maxMs ?? 10_000;
    let backoff = initialMs;
    let lastRelist = 0;
    while (!this.signal.aborted) {
      try {
        if (this.resourceVersion === '') {
          if (this.watchListOffered) {
            const ok = await this.watchList();
            if (!ok) continue;
          } else {
            await this.listAndReplace();
          }
        } else {
          const started = Date.now();
          const events = await this.watchFrom(this.resourceVersion);
          // A watch the server ends at once, again and again, is not retried in a tight loop.
          if (events === 0 && Date.now() - started < 1000) await sleep(backoff, this.signal);
        }
        backoff = initialMs;
      } catch (err) {
        if (this.signal.aborted) break;
        if (err instanceof ResourceExpiredError || isResourceExpired(err)) {
          // Too old to resume from: list again (and tell deletes missed in between); at once, unless
          // the last relist was just now (a server answering 410 to every watch is not hammered).
          this.resourceVersion = '';
          if (Date.now() - lastRelist < 1000) {
            await sleep(backoff, this.signal);
            backoff = Math.min(backoff * 2, maxMs);
          }
          lastRelist = Date.now();
          continue;
        }
        this.opts.onError?.(err);
        await sleep(backoff * (1 + Math.random() * 0.2), this.signal);
        backoff = Math.min(backoff * 2, maxMs);
      }
    }
  }

  private watchOptions(extra: WatchOptions): WatchOptions {
    return {
      ...(this.opts.labelSelector !== undefined ? { labelSelector: this.opts.labelSelector } : {}),
      ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
      allowWatchBookmarks: true,
      timeoutSeconds: this.opts.watchTimeoutSeconds ?? Math.floor(300 * (1 + Math.random())),
      ...extra,
    };
  }

  /** A paged list (a whole list when a continue token expired meanwhile), then the cache replaced by it. */
  private async listAndReplace(): Promise<void> {
    const base: ListOptions = {
      ...(this.opts.labelSelector !== undefined ? { labelSelector: this.opts.labelSelector } : {}),
      ...(this.opts.fieldSelector ? { fieldSelector: this.opts.fieldSelector } : {}),
    };
    const items: T[] = [];
    let rv = '';
    let next: string | undefined;
    try {
      do {
        const page = await this.source.list({ ...base, limit: this.opts.pageSize ?? 500, ...(next ? { continue: next } : {}) });
        for (const item of page.items) items.push(item);
        rv = page.metadata.resourceVersion ?? '';
        next = page.metadata.continue || undefined;
      } while (next && !this.signal.aborted);
    } catch (err) {
      if (!(next && (err instanceof ResourceExpiredError || isResourceExpired(err)))) throw err;
      const whole = await this.source.list(base);
      items.length = 0;
      for (const item of whole.items) items.push(item);
      rv = whole.metadata.resourceVersion ?? '';
    }
    if (this.signal.aborted) return;
    this.initialFrom = 'list';
    this.replace(items, rv);
  }

  /** The initial state from a sendInitialEvents watch, then its events; false when the server refused it (then list + watch). */
  private async watchList(): Promise<boolean> {
    let watch: Watch<T>;
    try {
      watch = await this.source.watch(this.watchOptions({ sendInitialEvents: true, resourceVersionMatch: 'NotOlderThan', resourceVersion: '' }));
    } catch (err) {
      if (!refusesWatchList(err)) throw err;
      this.watchListOffered = false;
      return false;
    }
    const initial: T[] = [];
    let initialDone = false;
    await this.consume(watch, (event) => {
      if (initialDone) return false;
      if (event.type === 'ADDED') {
        initial.push(event.object);
        return true;
      }
      if (event.type === 'BOOKMARK' && event.object.metadata?.annotations?.[INITIAL_EVENTS_END_ANNOTATION] === 'true') {
        initialDone = true;
        this.initialFrom = 'watch-list';
        this.replace(initial, event.object.metadata.resourceVersion ?? '');
        initial.length = 0;
        return true;
      }
      if (event.type === 'BOOKMARK') return true;
      return false;
    });
    if (!initialDone && !this.signal.aborted) throw new Error('the WatchList stream ended before its initial events did');
    return true;
  }

  /** Watches from `resourceVersion` until the watch ends; resolves to the number of events it had. */
  private async watchFrom(resourceVersion: string): Promise<number> {
    const watch = await this.source.watch(this.watchOptions({ resourceVersion }));
    return this.consume(watch, () => false);
  }

  /** Applies a watch's events to the cache until it ends; `intercept` takes an event first (true: taken). Resolves to the number of events. */
  private async consume(watch: Watch<T>, intercept: (event: WatchEvent<T>) => boolean): Promise<number> {
    this.watch = watch;
    let count = 0;
    try {
      if (this.signal.aborted) return count;
      for await (const event of watch) {
        if (this.signal.aborted) return count;
        count++;
        if (event.type === 'ERROR') throw apiErrorOfStatus(event.object);
        if (intercept(event)) continue;
        const obj = event.object;
        const rv = obj.metadata?.resourceVersion;
        switch (event.type) {
          case 'ADDED':
          case 'MODIFIED': {
            const old = this.store.set(obj);
            if (old) this.emit('update', old, obj);
            else this.emit('add', obj, false);
            break;
          }
          case 'DELETED': {
            const old = this.store.delete(keyOf(obj));
            if (old) this.emit('delete', obj, false);
            break;
          }
          case 'BOOKMARK':
            break;
        }
        if (rv) this.resourceVersion = rv;
      }
      return count;
    } finally {
      this.watch = undefined;
      watch.stop();
    }
  }

  /** The cache becomes `items` at `rv`: adds, updates (of a changed resourceVersion) and deletes of what is gone (final state unknown). */
  private replace(items: T[], rv: string): void {
    const initial = !this.synced;
    const seen = new Set<string>();
    for (const obj of items) {
      const key = keyOf(obj);
      seen.add(key);
      const old = this.store.set(obj);
      if (!old) this.emit('add', obj, initial);
      else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) this.emit('update', old, obj);
    }
    for (const key of [...this.store.keys()]) {
      if (seen.has(key)) continue;
      const old = this.store.delete(key);
      if (old) this.emit('delete', old, true);
    }
    this.resourceVersion = rv;
    this.listCount++;
    if (!this.synced) {
      this.synced = true;
      for (const waiter of this.syncWaiters) waiter();
      this.syncWaiters = [];
    }
  }

  private emit(kind: 'add', obj: T, flag: boolean): void;
  private emit(kind: 'update', old: T, obj: T): void;
  private emit(kind: 'delete', obj: T, flag: boolean): void;
  private emit(kind: 'add' | 'update' | 'delete', a: T, b: T | boolean): void {
    for (const handler of this.handlers) this.call(handler, kind, a, b);
  }

  private call(handler: EventHandler<T>, kind: 'add' | 'update' | 'delete', a: T, b: T | boolean): void {
    try {
      if (kind === 'add') handler.add?.(a, b as boolean);
      else if (kind === 'update') handler.update?.(a, b as T);
      else handler.delete?.(a, b as boolean);
    } catch (err) {
      this.opts.onError?.(err);
    }
  }
}
