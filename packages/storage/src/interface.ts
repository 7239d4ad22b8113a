/**
 * The storage interface every backend implements (after k8s.io/apiserver/pkg/storage.Interface).
 * Values are Kubernetes objects kept as JSON under keys; a value's resourceVersion is the backend's
 * revision of its last write and is never stored inside the value.
 */
import type { KubeObject } from '@kapi/apimachinery';
import type { SelectionPredicate } from './predicate.js';
import type { Watcher } from './watcher.js';

/** How a list or get treats the resourceVersion it is given (metav1.ResourceVersionMatch). */
export type ResourceVersionMatch = 'NotOlderThan' | 'Exact';

export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

export interface GetOptions {
  /** "" = latest; "0" = any; N = not older than N. */
  resourceVersion?: string;
  /** Resolve to undefined instead of throwing NotFound. */
  ignoreNotFound?: boolean;
}

export interface ListOptions {
  /** "" = latest (consistent); "0" = any; N = per resourceVersionMatch (default NotOlderThan). */
  resourceVersion?: string;
  resourceVersionMatch?: ResourceVersionMatch;
  /** Label/field filter, limit and continue token. */
  predicate: SelectionPredicate;
  /** List every key under the prefix (true) or the one key (false). */
  recursive?: boolean;
}

export interface ListResult<T extends KubeObject = KubeObject> {
  items: T[];
  /** The revision the list was read at. */
  resourceVersion: number;
  /** Token for the next page when a limit cut the list short. */
  continue?: string;
  /** How many items remain after this page; only when the predicate does not filter. */
  remainingItemCount?: number;
}

export interface WatchOptions {
  /** "" or "0" = initial state as ADDED events, then changes; N = changes after revision N. */
  resourceVersion?: string;
  predicate: SelectionPredicate;
  recursive?: boolean;
  /** Send BOOKMARK events carrying the latest revision the watcher has seen everything up to. */
  allowWatchBookmarks?: boolean;
  /**
   * Send the current state as ADDED events first, then a BOOKMARK annotated
   * k8s.io/initial-events-end. `resourceVersion` is then the minimum state to start from.
   */
  sendInitialEvents?: boolean;
}

/** Computes the new value from the current one inside guaranteedUpdate; may run more than once. */
export type UpdateFunction<T extends KubeObject = KubeObject> = (current: T | undefined) => T | Promise<T>;

export interface UpdateOptions {
  preconditions?: Preconditions;
  /** Call tryUpdate with undefined when the key is missing, and create it (otherwise NotFound). */
  ignoreNotFound?: boolean;
  /**
   * The key's value as a watch cache last saw it (Go's cachedExistingObject): a backend whose read
   * is a round trip may start from it instead, and reads the key only when the guess proves stale
   * (its write's compare fails, or tryUpdate or a precondition refuses it). Never mutated.
   */
  cachedExisting?: KubeObject;
}

export interface DeleteOptions<T extends KubeObject = KubeObject> {
  preconditions?: Preconditions;
  /** A last check on the current object before it is deleted; throw to refuse. */
  validateDeletion?: (current: T) => void | Promise<void>;
}

export interface PrefixState {
  /** Keys under the prefix (or 0/1 for one key). */
  count: number;
  /** The highest mod revision among them; 0 when there are none. */
  maxRevision: number;
  /** The store revision the answer was read at. */
  revision: number;
}

export interface Storage {
  /** A short name for logs and benchmarks ("etcd3", "sqlite", "cacher(sqlite)"). */
  readonly name: string;

  get<T extends KubeObject = KubeObject>(key: string, opts?: GetOptions): Promise<T | undefined>;

  list<T extends KubeObject = KubeObject>(keyPrefix: string, opts: ListOptions): Promise<ListResult<T>>;

  /** Writes `obj` at `key` if nothing is there; AlreadyExists otherwise. Returns it with its resourceVersion. */
  create<T extends KubeObject = KubeObject>(key: string, obj: T): Promise<T>;

  /**
   * Read-modify-write: calls tryUpdate with the current value and writes its answer if the key
   * did not change in between, retrying with the newer value when it did. Preconditions that fail
   * give Conflict. A result equal to the current value writes nothing and keeps the revision.
   */
  guaranteedUpdate<T extends KubeObject = KubeObject>(
    key: string,
    tryUpdate: UpdateFunction<T>,
    opts?: UpdateOptions,
  ): Promise<T>;

  /** Deletes the key and returns its last value, carrying the revision of the delete. */
  delete<T extends KubeObject = KubeObject>(key: string, opts?: DeleteOptions<T>): Promise<T>;

  watch<T extends KubeObject = KubeObject>(key: string, opts: WatchOptions): Promise<Watcher<T>>;

  count(keyPrefix: string): Promise<number>;

  /** The latest revision of the whole store. */
  currentRevision(): Promise<number>;

  /**
   * Optional: the newest revision known to be compacted (0: none), so a cache in front serves no
   * read at an older revision that the store itself would refuse (Go's CompactRevision).
   */
  compactedRevision?(): number;

  /**
   * Optional: how many keys lie under `keyPrefix` (recursive) or at the key, and the highest
   * revision any of them was last written at, read at the store's current revision (one round
   * trip, no values). A cache holding the same number of keys, complete up to at least
   * `maxRevision`, holds exactly what the store holds there now: every live key's last write is
   * in the cache, and a key the store deleted since would make the counts differ.
   */
  prefixState?(keyPrefix: string, recursive: boolean): Promise<PrefixState>;

  /**
   * Present on a backend that other processes may write to as well while each process only sees
   * its own commits (SqliteStorage: several processes with one database file open, as
   * `--workers` runs it): the processes must then tell each other of their commits. Absent where
   * the backend itself shows every process every commit (etcd3, crd).
   */
  readonly sharedCommits?: SharedCommits;

  /** Probes the backend (for /readyz). */
  healthCheck(): Promise<void>;

  close(): Promise<void>;
}

/**
 * The commits of one process that the other processes sharing a backend must hear of, and theirs.
 * How the revisions travel between the processes is the caller's (@kapi/apiserver relays them
 * through node:cluster's primary).
 */
export interface SharedCommits {
  /** Calls `listener` with the newest revision after each commit of this process's writes. Returns the unsubscribe. */
  onCommit(listener: (revision: number) => void): () => void;
  /** Another process committed up to `revision`: the new writes are dispatched to this process's watchers. */
  observeRevision(revision: number): void;
}
