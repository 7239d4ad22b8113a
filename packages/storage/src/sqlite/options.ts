import { DEFAULT_MAX_VALUE_BYTES } from '../codec.js';

/** How an embedded SQLite store is opened, and the defaults kube-apiserver would use. */

export interface SqliteStorageOptions {
  /** A file path (its directory is created when missing) or ':memory:'. */
  path: string;
  /** The largest serialized object accepted, in bytes (default 2 MiB). */
  maxValueBytes?: number;
  /** How often a watcher that allows bookmarks gets one (default 60 s, as kube-apiserver). */
  bookmarkIntervalMs?: number;
  /**
   * How often history is compacted (default 5 min, as kube-apiserver; 0 = never). Each run
   * compacts at the revision the previous run saw, so at least one interval of history stays.
   */
  compactionIntervalMs?: number;
  /**
   * SQLite's synchronous setting. FULL (default) fsyncs the WAL at every commit, so an
   * acknowledged write survives a process crash and also a power loss, as etcd's fsync per
   * commit does. NORMAL survives a process crash only (the commit sits in the OS page cache).
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a write waits for a lock held by another connection (default 5 s). */
  busyTimeoutMs?: number;
}

export interface ResolvedSqliteOptions {
  path: string;
  maxValueBytes: number;
  bookmarkIntervalMs: number;
  compactionIntervalMs: number;
  synchronous: 'FULL' | 'NORMAL';
  busyTimeoutMs: number;
}

export const DEFAULT_BOOKMARK_INTERVAL_MS = 60_000;
export const DEFAULT_COMPACTION_INTERVAL_MS = 5 * 60_000;

export function resolveOptions(opts: SqliteStorageOptions): ResolvedSqliteOptions {
  return {
    path: opts.path,
    maxValueBytes: opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
    bookmarkIntervalMs: opts.bookmarkIntervalMs ?? DEFAULT_BOOKMARK_INTERVAL_MS,
    compactionIntervalMs: opts.compactionIntervalMs ?? DEFAULT_COMPACTION_INTERVAL_MS,
    synchronous: opts.synchronous ?? 'FULL',
    busyTimeoutMs: opts.busyTimeoutMs ?? 5_000,
  };
}
