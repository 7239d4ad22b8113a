/**
 * The embedded default backend: Storage over one SQLite file laid out as kine does (an append-only
 * log whose row id is the revision). Every write is checked against the key's newest row inside an
 * IMMEDIATE transaction, so optimistic concurrency holds even though tryUpdate may await in between;
 * the writes of one event-loop turn share that transaction and its fsync (group-commit.ts). Several
 * processes may open the same file: each tells the others of its commits (sharedCommits: onCommit/observeRevision).
 */
import { newTooLargeResourceVersion, type KubeObject } from '@kapi/apimachinery';
import type Database from 'better-sqlite3';
import { decodeValue, encodeValue } from '../codec.js';
import { keyExists, keyNotFound, unreachable } from '../errors.js';
import type {
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  SharedCommits,
  Storage,
  UpdateFunction,
  UpdateOptions,
  WatchOptions,
} from '../interface.js';
import { normalizePrefix, prefixRangeEnd } from '../keys.js';
import { SelectionPredicate } from '../predicate.js';
import { checkPreconditions } from '../revision.js';
import { runWatch, type ChangeSink, type WatchSource } from '../watch-driver.js';
import type { Watcher } from '../watcher.js';
import { ChangeFeed } from './change-feed.js';
import { GroupCommitter } from './group-commit.js';
import { RemainingCounts, readKeyAt, readRangeAt } from './list-reader.js';
import { resolveOptions, type ResolvedSqliteOptions, type SqliteStorageOptions } from './options.js';
import { PeriodicCompactor } from './periodic-compactor.js';
import { planGet, planList } from '../read-plan.js';
import { resolveReadRevision } from './read-revision.js';
import { RevisionLog, type HeadRow } from './revision-log.js';
import { openDatabase } from './schema.js';

/** What preconditions are checked against when the key is missing (Go checks a zero object). */
const MISSING_OBJECT: KubeObject = { metadata: {} };

function liveValue(row: HeadRow | undefined): Buffer | undefined {
  return row && !row.deleted && row.value !== null ? row.value : undefined;
}

export class SqliteStorage implements Storage, SharedCommits {
  readonly name = 'sqlite';
  readonly options: ResolvedSqliteOptions;
  private readonly log: RevisionLog;
  private readonly feed: ChangeFeed;
  private readonly compactor: PeriodicCompactor;
  private readonly committer: GroupCommitter;
  /** remainingItemCount carried from each page of an unfiltered paged list to the next. */
  private readonly remainingCounts = new RemainingCounts();
  private readonly commitListeners = new Set<(revision: number) => void>();
  private readonly watchers = new Set<{ end(): void }>();
  private closed = false;

  /** Opens (creating when missing) the database at `opts.path`. */
  static open(opts: SqliteStorageOptions): SqliteStorage {
    const options = resolveOptions(opts);
    return new SqliteStorage(openDatabase(options.path, options), options);
  }

  private constructor(
    private readonly db: Database.Database,
    options: ResolvedSqliteOptions,
  ) {
    this.options = options;
    this.log = new RevisionLog(db);
    this.feed = new ChangeFeed(this.log);
    this.committer = new GroupCommitter(this.log, (revision) => {
      this.feed.committed();
      for (const listener of this.commitListeners) listener(revision);
    });
    this.compactor = new PeriodicCompactor(
      options.compactionIntervalMs,
      () => this.log.currentRevision(),
      (revision) => this.compactNow(revision),
    );
    this.compactor.start();
  }

  get maxValueBytes(): number {
    return this.options.maxValueBytes;
  }

  async get<T extends KubeObject = KubeObject>(key: string, opts: GetOptions = {}): Promise<T | undefined> {
    this.ensureOpen(key);
    resolveReadRevision(key, planGet(opts.resourceVersion), this.log.currentRevision(), 0);
    const row = this.log.head(key);
    const value = liveValue(row);
    if (!row || !value) {
      if (opts.ignoreNotFound) return undefined;
      throw keyNotFound(key);
    }
    return decodeValue<T>(key, value, row.id);
  }

  async list<T extends KubeObject = KubeObject>(keyPrefix: string, opts: ListOptions): Promise<ListResult<T>> {
    this.ensureOpen(keyPrefix);
    const recursive = opts.recursive ?? false;
    const key = normalizePrefix(keyPrefix, recursive);
    const plan = planList(key, opts, recursive);
    return this.log.snapshot(() => {
      const revision = resolveReadRevision(key, plan, this.log.currentRevision(), this.log.compactedRevision());
      return recursive
        ? readRangeAt<T>(this.log, key, revision, opts.predicate, plan.startKey, this.remainingCounts)
        : { items: readKeyAt<T>(this.log, key, revision, opts.predicate), resourceVersion: revision };
    });
  }

  async create<T extends KubeObject = KubeObject>(key: string, obj: T): Promise<T> {
    this.ensureOpen(key);
    const bytes = encodeValue(key, obj, this.options.maxValueBytes);
    for (;;) {
      const head = this.log.head(key);
      if (liveValue(head)) throw keyExists(key);
      const revision = await this.append(key, head, bytes);
      if (revision !== undefined) return decodeValue<T>(key, bytes, revision);
    }
  }

  async guaranteedUpdate<T extends KubeObject = KubeObject>(
    key: string,
    tryUpdate: UpdateFunction<T>,
    opts: UpdateOptions = {},
  ): Promise<T> {
    for (;;) {
      this.ensureOpen(key);
      const head = this.log.head(key);
      const stored = liveValue(head);
      if (!stored && !opts.ignoreNotFound) throw keyNotFound(key);
      const current = stored && head ? decodeValue<T>(key, stored, head.id) : undefined;
      checkPreconditions(key, opts.preconditions, current ?? MISSING_OBJECT);
      const next = await tryUpdate(current);
      const bytes = encodeValue(key, next, this.options.maxValueBytes);
      // Compared as stored bytes, not objects: tryUpdate may have mutated `current` in place.
      if (stored && head && bytes.equals(stored)) return decodeValue<T>(key, stored, head.id);
      this.ensureOpen(key);
      const revision = await this.append(key, head, bytes);
      if (revision !== undefined) return decodeValue<T>(key, bytes, revision);
      // The key changed while tryUpdate ran: read it again and retry.
    }
  }

  async delete<T extends KubeObject = KubeObject>(key: string, opts: DeleteOptions<T> = {}): Promise<T> {
    for (;;) {
      this.ensureOpen(key);
      const head = this.log.head(key);
      const stored = liveValue(head);
      if (!head || !stored) throw keyNotFound(key);
      const current = decodeValue<T>(key, stored, head.id);
      checkPreconditions(key, opts.preconditions, current);
      if (opts.validateDeletion) await opts.validateDeletion(current);
      this.ensureOpen(key);
      const revision = await this.append(key, head, null);
      if (revision !== undefined) return decodeValue<T>(key, stored, revision);
    }
  }

  async watch<T extends KubeObject = KubeObject>(key: string, opts: WatchOptions): Promise<Watcher<T>> {
    this.ensureOpen(key);
    const watcher = await runWatch<T>(this.watchSource, key, opts, { bookmarkIntervalMs: this.options.bookmarkIntervalMs });
    if (this.closed) {
      watcher.end();
      return watcher;
    }
    this.watchers.add(watcher);
    watcher.onStop(() => this.watchers.delete(watcher));
    return watcher;
  }

  async count(keyPrefix: string): Promise<number> {
    this.ensureOpen(keyPrefix);
    const prefix = normalizePrefix(keyPrefix, true);
    return this.log.countLive({ lower: prefix, upper: prefixRangeEnd(prefix), revision: this.log.currentRevision() });
  }

  async currentRevision(): Promise<number> {
    this.ensureOpen('');
    const revision = this.log.currentRevision();
    // Another process sharing the file may have written: whoever reads the revision next waits for
    // the watch to reach it, so dispatch now rather than at that process's notice.
    this.feed.observe(revision);
    return revision;
  }

  /** Other processes may open the same file: each must tell the others of its commits (onCommit → observeRevision). */
  get sharedCommits(): SharedCommits {
    return this;
  }

  /**
   * Calls `listener` with the newest revision after each commit of this process's writes; another
   * process sharing the database file passes it to its observeRevision. Returns the unsubscribe.
   */
  onCommit(listener: (revision: number) => void): () => void {
    this.commitListeners.add(listener);
    return () => this.commitListeners.delete(listener);
  }

  /**
   * Tells the store that another process sharing the database file committed up to `revision`:
   * the new rows are dispatched to this process's watchers after the current turn.
   */
  observeRevision(revision: number): void {
    if (!this.closed) this.feed.observe(revision);
  }

  /** The revision history was last compacted at (0: never). */
  compactedRevision(): number {
    this.ensureOpen('');
    return this.log.compactedRevision();
  }

  /**
   * Drops the history at or below `revision` (default: the current revision); older reads and
   * watches then get 410. Resolves to the compacted revision.
   */
  async compact(revision?: number): Promise<number> {
    this.ensureOpen('');
    const current = this.log.currentRevision();
    const target = revision ?? current;
    if (target > current) throw newTooLargeResourceVersion(target, current);
    return this.compactNow(target);
  }

  /**
   * Appends raw bytes as the key's new value, past the codec: for tests that plant a corrupt
   * value, and for repair tools. Resolves to the revision written.
   */
  async putRaw(key: string, value: Buffer | string): Promise<number> {
    this.ensureOpen(key);
    const bytes = typeof value === 'string' ? Buffer.from(value) : value;
    for (;;) {
      const revision = await this.append(key, this.log.head(key), bytes);
      if (revision !== undefined) return revision;
    }
  }

  async healthCheck(): Promise<void> {
    this.ensureOpen('');
    try {
      this.log.currentRevision();
    } catch (err) {
      throw unreachable('', err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.compactor.stop();
    // Queued writes are committed: their callers are told the outcome, as if closed a moment later.
    this.committer.flush();
    this.feed.close();
    for (const watcher of [...this.watchers]) watcher.end();
    this.watchers.clear();
    this.db.close();
  }

  private readonly watchSource: WatchSource = {
    snapshot: async (key, recursive) => {
      this.ensureOpen(key);
      const prefix = normalizePrefix(key, recursive);
      const everything = SelectionPredicate.everything();
      return this.log.snapshot(() => {
        const revision = this.log.currentRevision();
        const items = recursive
          ? readRangeAt(this.log, prefix, revision, everything, undefined).items
          : readKeyAt(this.log, prefix, revision, everything);
        return { items, revision };
      });
    },
    follow: async (key: string, recursive: boolean, fromRevision: number, sink: ChangeSink) => {
      this.ensureOpen(key);
      return this.feed.follow(normalizePrefix(key, recursive), recursive, fromRevision, sink);
    },
  };

  /** Writes `value` (null: a tombstone) over `head` in the next group commit; undefined when the key moved on meanwhile. */
  private append(key: string, head: HeadRow | undefined, value: Buffer | null): Promise<number | undefined> {
    return this.committer.append({ name: key, expectedHead: head?.id ?? 0, value, oldValue: liveValue(head) ?? null });
  }

  private compactNow(revision: number): number {
    // Live watchers must see every row before compaction may remove it.
    this.feed.flush();
    return this.log.compact(revision);
  }

  private ensureOpen(key: string): void {
    if (this.closed) throw unreachable(key, new Error('the sqlite storage is closed'));
  }
}
