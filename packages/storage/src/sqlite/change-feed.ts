/**
 * Live and replayed changes for watchers. Writes only mark the feed dirty; one dispatch per turn
 * of the event loop reads the new rows once, decodes each row at most once, and hands it to every
 * follower whose key or prefix covers it, so a write costs the same with 1 or 500 watchers.
 */
import type { StatusError } from '@kapi/apimachinery';
import { decodeValue } from '../codec.js';
import { EXPIRED_WATCH_MESSAGE, expired, unreachable } from '../errors.js';
import type { KeyChange } from '../events.js';
import { prefixRangeEnd } from '../keys.js';
import type { ChangeSink } from '../watch-driver.js';
import type { ChangeRow, RevisionLog } from './revision-log.js';

/** Rows read per query while dispatching, to bound memory after a burst of writes. */
const DISPATCH_CHUNK = 1_000;

interface Follower {
  /** The exact key, or the prefix (ending in '/') of a recursive watch. */
  key: string;
  recursive: boolean;
  /** Rows up to this revision have been delivered (or were before the watch started). */
  after: number;
  sink: ChangeSink;
}

/** A row as the change it records; a corrupt stored value is a 500 for whoever watches the key. */
export function rowToChange(row: ChangeRow): KeyChange {
  return {
    key: row.name,
    revision: row.id,
    current: row.deleted || row.value === null ? undefined : decodeValue(row.name, row.value, row.id),
    previous: row.old_value === null ? undefined : decodeValue(row.name, row.old_value, row.prev_revision),
  };
}

function noop(): void {}

export class ChangeFeed {
  private readonly byKey = new Map<string, Set<Follower>>();
  /** Recursive followers by their prefix: a row visits only the followers of its key's own prefixes. */
  private readonly byPrefix = new Map<string, Set<Follower>>();
  /** Every row up to here has been fanned out. */
  private dispatched: number;
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(private readonly log: RevisionLog) {
    this.dispatched = log.currentRevision();
  }

  get followerCount(): number {
    let n = 0;
    for (const set of this.byPrefix.values()) n += set.size;
    for (const set of this.byKey.values()) n += set.size;
    return n;
  }

  /** Tells the feed a write committed; the dispatch runs once after the current turn. */
  committed(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.flush();
    });
  }

  /** Schedules a dispatch when `revision` (committed, maybe by another process) is past what was fanned out. */
  observe(revision: number): void {
    if (revision > this.dispatched) this.committed();
  }

  /**
   * Starts a follower after `from`: replays the logged rows it missed (410 when compaction has
   * removed some of them, as etcd answers a watch that starts before its compacted revision),
   * then delivers live rows. Returns the function that stops it.
   */
  follow(key: string, recursive: boolean, from: number, sink: ChangeSink): () => void {
    if (this.closed) {
      sink.error(unreachable(key, new Error('the sqlite storage is closed')));
      return noop;
    }
    if (from + 1 < this.log.compactedRevision()) {
      sink.error(expired(key, EXPIRED_WATCH_MESSAGE));
      return noop;
    }
    const upTo = this.dispatched;
    if (from < upTo) {
      const rows = recursive
        ? this.log.rangeChanges(key, prefixRangeEnd(key), from, upTo)
        : this.log.keyChanges(key, from, upTo);
      const changes: KeyChange[] = [];
      try {
        for (const row of rows) changes.push(rowToChange(row));
      } catch (err) {
        if (changes.length > 0) sink.changes(changes);
        sink.error(err as StatusError);
        return noop;
      }
      if (changes.length > 0) sink.changes(changes);
      sink.progress(upTo);
    }
    const follower: Follower = { key, recursive, after: Math.max(from, upTo), sink };
    this.add(follower);
    return () => this.remove(follower);
  }

  /** Fans out every committed row not yet dispatched (also run before compaction removes rows). */
  flush(): void {
    const upTo = this.log.currentRevision();
    if (upTo <= this.dispatched) return;
    if (this.followerCount === 0) {
      this.dispatched = upTo;
      return;
    }
    const batches = new Map<Follower, KeyChange[]>();
    for (let after = this.dispatched; after < upTo; ) {
      const rows = this.log.changes(after, upTo, DISPATCH_CHUNK);
      if (rows.length === 0) break;
      for (const row of rows) this.fanOut(row, batches);
      after = rows[rows.length - 1]?.id ?? upTo;
    }
    this.dispatched = upTo;
    for (const [follower, changes] of batches) follower.sink.changes(changes);
    for (const follower of this.followers()) {
      follower.after = upTo;
      follower.sink.progress(upTo);
    }
  }

  /** Drops every follower and any pending dispatch; the storage ends the watchers themselves. */
  close(): void {
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.byKey.clear();
    this.byPrefix.clear();
  }

  private fanOut(row: ChangeRow, batches: Map<Follower, KeyChange[]>): void {
    let change: KeyChange | undefined;
    for (const follower of this.followersOf(row.name)) {
      if (row.id <= follower.after) continue;
      if (!change) {
        try {
          change = rowToChange(row);
        } catch (err) {
          this.failFollowersOf(row, batches, err as StatusError);
          return;
        }
      }
      let batch = batches.get(follower);
      if (!batch) batches.set(follower, (batch = []));
      batch.push(change);
    }
  }

  /** A row that can not be decoded ends the watches that would have seen it, after what they got. */
  private failFollowersOf(row: ChangeRow, batches: Map<Follower, KeyChange[]>, err: StatusError): void {
    for (const follower of [...this.followersOf(row.name)]) {
      if (row.id <= follower.after) continue;
      const batch = batches.get(follower);
      if (batch) follower.sink.changes(batch);
      batches.delete(follower);
      this.remove(follower);
      follower.sink.error(err);
    }
  }

  private *followersOf(name: string): Iterable<Follower> {
    const exact = this.byKey.get(name);
    if (exact) yield* exact;
    if (this.byPrefix.size === 0) return;
    // Every prefix of the key that ends at a '/' (a recursive follower's prefix always does).
    for (let slash = name.indexOf('/'); slash >= 0; slash = name.indexOf('/', slash + 1)) {
      const set = this.byPrefix.get(name.slice(0, slash + 1));
      if (set) yield* set;
    }
  }

  private *followers(): Iterable<Follower> {
    for (const set of this.byPrefix.values()) yield* set;
    for (const set of this.byKey.values()) yield* set;
  }

  private add(follower: Follower): void {
    const index = follower.recursive ? this.byPrefix : this.byKey;
    let set = index.get(follower.key);
    if (!set) index.set(follower.key, (set = new Set()));
    set.add(follower);
  }

  private remove(follower: Follower): void {
    const index = follower.recursive ? this.byPrefix : this.byKey;
    const set = index.get(follower.key);
    set?.delete(follower);
    if (set?.size === 0) index.delete(follower.key);
  }
}
