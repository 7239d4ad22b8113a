/**
 * Dispatches each cached change to the watchers that care: watchers are indexed by the key or
 * key prefix they watch, so a change only visits watchers whose prefix covers its key (a watch on
 * one namespace never sees another's traffic), and watchers selecting everything share one event.
 */
import type { KubeObject, Status, WatchEvent } from '@kapi/apimachinery';
import { bookmarkEvent, eventFor, type KeyChange } from '../events.js';
import { SelectionPredicate } from '../predicate.js';
import type { Watcher } from '../watcher.js';

const EVERYTHING = SelectionPredicate.everything();

export interface CacheWatcherInit {
  watcher: Watcher<KubeObject>;
  /** The exact key, or for a recursive watch the prefix (ending in '/'). */
  key: string;
  recursive: boolean;
  predicate: SelectionPredicate;
  allowBookmarks: boolean;
  /** Changes at or below this revision are already accounted for (initial state, replay, asked-for RV). */
  fromRevision: number;
}

interface CacheWatcher extends CacheWatcherInit {
  selectsEverything: boolean;
  /** Revision of the last bookmark sent; -1 before the first. */
  lastBookmark: number;
}

export class WatcherFanout {
  /** Recursive watchers by prefix. */
  private readonly byPrefix = new Map<string, Set<CacheWatcher>>();
  /** Single-key watchers by key. */
  private readonly byKey = new Map<string, Set<CacheWatcher>>();
  private readonly bookmarking = new Set<CacheWatcher>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Starts delivering changes to a watcher; it leaves by itself when it stops. */
  add(init: CacheWatcherInit): void {
    if (init.watcher.isStopped) return;
    const entry: CacheWatcher = { ...init, selectsEverything: init.predicate.isEverything(), lastBookmark: -1 };
    const index = init.recursive ? this.byPrefix : this.byKey;
    let set = index.get(init.key);
    if (!set) index.set(init.key, (set = new Set()));
    set.add(entry);
    if (init.allowBookmarks) this.bookmarking.add(entry);
    this.count++;
    init.watcher.onStop(() => this.remove(entry));
  }

  /** Sends `change` to every watcher whose key, predicate and start revision it matches. */
  dispatch(change: KeyChange): void {
    let shared: WatchEvent | undefined;
    let sharedComputed = false;
    this.forEachCandidate(change.key, (w) => {
      if (change.revision <= w.fromRevision) return;
      let event: WatchEvent | undefined;
      if (w.selectsEverything) {
        if (!sharedComputed) {
          shared = eventFor(change, EVERYTHING);
          sharedComputed = true;
        }
        event = shared;
      } else {
        event = eventFor(change, w.predicate);
      }
      if (event) w.watcher.send(event);
    });
  }

  /**
   * Ends, with `status`, the watchers that would have seen one of `changes`: their view of the
   * stream has a gap. Watchers none of the changes concern keep going.
   */
  failAffected(changes: readonly KeyChange[], status: Status): void {
    for (const change of changes) {
      this.forEachCandidate(change.key, (w) => {
        if (eventFor(change, w.selectsEverything ? EVERYTHING : w.predicate)) w.watcher.fail(status);
      });
    }
  }

  /** Sends a BOOKMARK at `revision` to each watcher that asked for them and has not had one there yet. */
  bookmark(revision: number): void {
    let event: WatchEvent | undefined;
    for (const w of this.bookmarking) {
      const at = Math.max(revision, w.fromRevision);
      if (at <= w.lastBookmark) continue;
      w.lastBookmark = at;
      w.watcher.send(at === revision ? (event ??= bookmarkEvent(revision)) : bookmarkEvent(at));
    }
  }

  /** Ends every watcher: with `status` as an ERROR event, or quietly. */
  endAll(status?: Status): void {
    for (const index of [this.byPrefix, this.byKey]) {
      for (const set of [...index.values()]) {
        for (const w of [...set]) {
          if (status) w.watcher.fail(status);
          else w.watcher.end();
        }
      }
    }
  }

  private forEachCandidate(key: string, visit: (w: CacheWatcher) => void): void {
    const exact = this.byKey.get(key);
    if (exact) for (const w of exact) visit(w);
    if (this.byPrefix.size === 0) return;
    // Every prefix of the key that ends at a '/' (a recursive watch's prefix always does).
    for (let slash = key.indexOf('/'); slash >= 0; slash = key.indexOf('/', slash + 1)) {
      const set = this.byPrefix.get(key.slice(0, slash + 1));
      if (set) for (const w of set) visit(w);
    }
  }

  private remove(entry: CacheWatcher): void {
    const index = entry.recursive ? this.byPrefix : this.byKey;
    const set = index.get(entry.key);
    if (!set?.delete(entry)) return;
    if (set.size === 0) index.delete(entry.key);
    this.bookmarking.delete(entry);
    this.count--;
  }
}
