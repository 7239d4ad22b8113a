/**
 * Storage on etcd v3, as k8s.io/apiserver/pkg/storage/etcd3/store.go: JSON values under their keys,
 * resourceVersion = mod_revision, writes as transactions guarded by the revision they were computed from.
 */
import { deepCopy, isStatusError, newTooLargeResourceVersion, newTimeout, type KubeObject } from '@kapi/apimachinery';
import type { Etcd3, IKeyValue } from 'etcd3';
import { DEFAULT_MAX_VALUE_BYTES, decodeValue, encodeValue, sameValue } from '../codec.js';
import { keyExists, keyNotFound, unreachable } from '../errors.js';
import type {
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  PrefixState,
  Storage,
  UpdateFunction,
  UpdateOptions,
  WatchOptions,
} from '../interface.js';
import { DEFAULT_KEY_ROOT, normalizePrefix, prefixRangeEnd } from '../keys.js';
import { checkPreconditions, parseResourceVersion } from '../revision.js';
import { runWatch } from '../watch-driver.js';
import type { Watcher } from '../watcher.js';
import { createEtcdClient, modRevision } from './client.js';
import { Compactor, compactAt } from './compactor.js';
import { writeError } from './errors.js';
import { deleteIfModRevision, newestInRange, putIfModRevision, range, rangePrefix } from './kv.js';
import { listFromEtcd } from './list.js';
import { RangeBatcher } from './range-batcher.js';
import { EtcdWatchSource } from './watch-source.js';

export interface Etcd3StorageOptions {
  /** etcd client URLs; ignored when `client` is given. */
  endpoints?: string | string[];
  /** A client to share; close() leaves it open. */
  client?: Etcd3;
  /** The largest serialized value accepted (413 above it). Default 2 MiB. */
  maxValueBytes?: number;
  /** How often the coordinated compactor runs; 0 turns it off. Default 5 minutes, as kube-apiserver. */
  compactionIntervalMs?: number;
  /** How often a watcher that allows bookmarks gets one. Default 1 minute. */
  bookmarkIntervalMs?: number;
  /** How long healthCheck waits for etcd. Default 2 s. */
  healthTimeoutMs?: number;
}

const DEFAULT_COMPACTION_INTERVAL_MS = 5 * 60 * 1000;
const DEFAULT_BOOKMARK_INTERVAL_MS = 60 * 1000;

/** A stored value with the revision it was written at. */
interface StoredState<T extends KubeObject> {
  obj: T;
  data: Buffer;
  revision: number;
}

/** A watch cache's copy of the key: its value and revision as the cache saw them, not yet read from etcd. */
interface GuessedState<T extends KubeObject> {
  obj: T;
  revision: number;
}

function stateOf<T extends KubeObject>(key: string, kv: IKeyValue | undefined): StoredState<T> | undefined {
  if (!kv) return undefined;
  const revision = modRevision(kv);
  return { obj: decodeValue<T>(key, kv.value, revision), data: kv.value, revision };
}

/** Runs an etcd call; an error that is not already a Status means etcd could not be reached. */
async function call<R>(key: string, fn: () => Promise<R>): Promise<R> {
  try {
    return await fn();
  } catch (err) {
    throw isStatusError(err) ? err : unreachable(key, err);
  }
}

export class Etcd3Storage implements Storage {
  readonly name = 'etcd3';
  readonly client: Etcd3;
  readonly maxValueBytes: number;
  private readonly ownsClient: boolean;
  private readonly compactor: Compactor;
  /** The newest revision compact() compacted at (the background compactor keeps its own). */
  private compactedByCall = 0;
  private readonly watchSource: EtcdWatchSource;
  private readonly bookmarkIntervalMs: number;
  private readonly healthTimeoutMs: number;
  private readonly watchers = new Set<Watcher>();
  /** Point reads (get, the read before a write, the store revision), batched per event-loop turn. */
  private readonly reads: RangeBatcher;

  constructor(opts: Etcd3StorageOptions) {
    if (!opts.client && !opts.endpoints) throw new Error('Etcd3Storage needs endpoints or a client');
    this.client = opts.client ?? createEtcdClient({ endpoints: opts.endpoints as string | string[] });
    this.ownsClient = !opts.client;
    this.maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.bookmarkIntervalMs = opts.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS;
    this.healthTimeoutMs = opts.healthTimeoutMs ?? 2000;
    this.watchSource = new EtcdWatchSource(this.client);
    this.reads = new RangeBatcher(this.client.kv);
    this.compactor = new Compactor(this.client.kv, { intervalMs: opts.compactionIntervalMs ?? DEFAULT_COMPACTION_INTERVAL_MS });
    this.compactor.start();
  }

  async get<T extends KubeObject = KubeObject>(key: string, opts: GetOptions = {}): Promise<T | undefined> {
    const minRevision = parseResourceVersion(opts.resourceVersion);
    const res = await call(key, () => range(this.reads, key, undefined));
    if (minRevision > res.revision) throw newTooLargeResourceVersion(minRevision, res.revision);
    const state = stateOf<T>(key, res.kvs[0]);
    if (state) return state.obj;
    if (opts.ignoreNotFound) return undefined;
    throw keyNotFound(key);
  }

  list<T extends KubeObject = KubeObject>(keyPrefix: string, opts: ListOptions): Promise<ListResult<T>> {
    return call(keyPrefix, () => listFromEtcd<T>(this.client.kv, keyPrefix, opts));
  }

  async create<T extends KubeObject = KubeObject>(key: string, obj: T): Promise<T> {
    const data = encodeValue(key, obj, this.maxValueBytes);
    const res = await this.write(key, data, () => putIfModRevision(this.client.kv, key, data, 0));
    if (!res.succeeded) throw keyExists(key);
    return decodeValue<T>(key, data, res.revision);
  }

  async guaranteedUpdate<T extends KubeObject = KubeObject>(
    key: string,
    tryUpdate: UpdateFunction<T>,
    opts: UpdateOptions = {},
  ): Promise<T> {
    // store.go's origStateIsCurrent: a cached guess is trusted as far as the write's compare, and
    // replaced by etcd's value whenever it could be what made tryUpdate or a precondition refuse.
    const guess = opts.cachedExisting as T | undefined;
    const guessRevision = Number(guess?.metadata.resourceVersion);
    let state: StoredState<T> | GuessedState<T> | undefined =
      guess && Number.isSafeInteger(guessRevision) && guessRevision > 0 ? { obj: guess, revision: guessRevision } : await this.readState<T>(key);
    for (;;) {
      let next: T;
      try {
        if (!state && !opts.ignoreNotFound) throw keyNotFound(key);
        // As in Go, preconditions are checked against an empty object when the key is missing.
        checkPreconditions(key, opts.preconditions, state?.obj ?? { metadata: {} });
        next = await tryUpdate(state ? deepCopy(state.obj) : undefined);
      } catch (err) {
        if (!state || 'data' in state) throw err;
        state = await this.readState<T>(key);
        continue;
      }
      if (state && sameValue(next, state.obj)) {
        // A no-op is answered only from etcd's value: the guess may hide a newer write. When etcd
        // still holds the guess (same mod revision), its answer stands without running tryUpdate again.
        if ('data' in state) return decodeValue<T>(key, state.data, state.revision);
        const current = await this.readState<T>(key);
        if (current?.revision === state.revision) return decodeValue<T>(key, current.data, current.revision);
        state = current;
        continue;
      }
      const data = encodeValue(key, next, this.maxValueBytes);
      const expected = state?.revision ?? 0;
      const res = await this.write(key, data, () => putIfModRevision(this.client.kv, key, data, expected));
      if (res.succeeded) return decodeValue<T>(key, data, res.revision);
      // Someone wrote in between: compute again from what is there now.
      state = stateOf<T>(key, res.current);
    }
  }

  async delete<T extends KubeObject = KubeObject>(key: string, opts: DeleteOptions<T> = {}): Promise<T> {
    let state = await this.readState<T>(key);
    for (;;) {
      if (!state) throw keyNotFound(key);
      checkPreconditions(key, opts.preconditions, state.obj);
      await opts.validateDeletion?.(deepCopy(state.obj));
      const expected = state.revision;
      const res = await call(key, () => deleteIfModRevision(this.client.kv, key, expected));
      // The last value, stamped with the revision of the delete.
      if (res.succeeded) return decodeValue<T>(key, state.data, res.revision);
      state = stateOf<T>(key, res.current);
    }
  }

  async watch<T extends KubeObject = KubeObject>(key: string, opts: WatchOptions): Promise<Watcher<T>> {
    const watchKey = normalizePrefix(key, opts.recursive ?? false);
    const watcher = await runWatch<T>(this.watchSource, watchKey, opts, { bookmarkIntervalMs: this.bookmarkIntervalMs });
    const tracked = watcher as unknown as Watcher;
    this.watchers.add(tracked);
    watcher.onStop(() => this.watchers.delete(tracked));
    return watcher;
  }

  async count(keyPrefix: string): Promise<number> {
    const prefix = normalizePrefix(keyPrefix, true);
    const res = await call(prefix, () => rangePrefix(this.client.kv, prefix, { countOnly: true }));
    return res.count;
  }

  async currentRevision(): Promise<number> {
    // A count-only range of one key is the cheapest read that carries the store revision.
    const res = await call(DEFAULT_KEY_ROOT, () => range(this.reads, DEFAULT_KEY_ROOT, undefined, { countOnly: true }));
    return res.revision;
  }

  prefixState(keyPrefix: string, recursive: boolean): Promise<PrefixState> {
    const key = normalizePrefix(keyPrefix, recursive);
    return call(key, () => newestInRange(this.client.kv, key, recursive ? prefixRangeEnd(key) : undefined));
  }

  async healthCheck(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(newTimeout(`etcd did not answer within ${this.healthTimeoutMs} ms`)), this.healthTimeoutMs);
    });
    try {
      await Promise.race([this.currentRevision(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Compacts history up to `revision` (default: the current revision) now; resolves to that revision. */
  async compact(revision?: number): Promise<number> {
    const at = revision ?? (await this.currentRevision());
    await call(DEFAULT_KEY_ROOT, () => compactAt(this.client.kv, at));
    this.compactedByCall = Math.max(this.compactedByCall, at);
    return at;
  }

  /** The highest revision known to be compacted: by the background compactor, or by compact(). */
  compactedRevision(): number {
    return Math.max(this.compactor.compactedRevision, this.compactedByCall);
  }

  async close(): Promise<void> {
    await this.compactor.stop();
    for (const watcher of [...this.watchers]) watcher.end();
    if (this.ownsClient) this.client.close();
  }

  private async readState<T extends KubeObject>(key: string): Promise<StoredState<T> | undefined> {
    const res = await call(key, () => range(this.reads, key, undefined));
    return stateOf<T>(key, res.kvs[0]);
  }

  private async write<R>(key: string, data: Buffer, fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (err) {
      throw writeError(key, err, data.length, this.maxValueBytes);
    }
  }
}
