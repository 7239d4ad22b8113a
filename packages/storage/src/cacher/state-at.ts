/**
 * The cache's state at a past revision, for the pages of a list after its first (continue tokens
 * carry the first page's revision) and for lists at an exact resourceVersion: Go serves both from
 * its watch-cache snapshots (ListFromCacheSnapshot). Go keeps a copy-on-write snapshot per
 * revision; here the current state is read with the changes since the revision undone, from the
 * history the cache keeps for watches anyway. No memory is held per revision, and a page costs
 * the changes since its revision (at most the history's capacity), not the keys before it: a
 * paged list read from etcd pays for counting the rest of the range on every page.
 */
import type { KubeObject } from '@kapi/apimachinery';
import type { KeyChange } from '../events.js';
import { compareKeys, lowerBound, type CacheStore, type OrderedState } from './store.js';

export class StateAt implements OrderedState {
  /** Every key under the prefix changed since the revision → its value at the revision (undefined: absent then). */
  private readonly past = new Map<string, KubeObject | undefined>();
  /** The keys of `past` that held a value at the revision, in key order. */
  private readonly restored: string[];

  /** `changesSince`: every change after the revision, oldest first (EventHistory.since). */
  constructor(
    private readonly store: CacheStore,
    prefix: string,
    changesSince: readonly KeyChange[],
  ) {
    // The first change after the revision knows the value the key had at it.
    for (const change of changesSince) {
      if (change.key.startsWith(prefix) && !this.past.has(change.key)) this.past.set(change.key, change.previous);
    }
    this.restored = [...this.past].filter(([, obj]) => obj !== undefined).map(([key]) => key).sort(compareKeys);
  }

  forEachUnder(prefix: string, visit: (key: string, obj: KubeObject) => boolean | void, fromKey: string = prefix): void {
    const { past, restored } = this;
    const start = fromKey < prefix ? prefix : fromKey;
    let next = lowerBound(restored, start);
    let stopped = false;
    const visitRestored = (key: string): boolean => {
      if (visit(key, past.get(key) as KubeObject) !== false) return true;
      stopped = true;
      return false;
    };
    this.store.forEachUnder(
      prefix,
      (key, obj) => {
        // The keys that had a value then and sort before this one (or are this one) come first.
        while (next < restored.length && (restored[next] as string) <= key) {
          if (!visitRestored(restored[next++] as string)) return false;
        }
        // A key changed since was shown with its value then, or not at all if it did not exist then.
        if (past.has(key)) return true;
        if (visit(key, obj) !== false) return true;
        stopped = true;
        return false;
      },
      start,
    );
    while (!stopped && next < restored.length) {
      const key = restored[next++] as string;
      if (key.startsWith(prefix)) visitRestored(key);
    }
  }

  countUnderAfter(prefix: string, key: string): number {
    let count = this.store.countUnderAfter(prefix, key);
    for (const [changed, then] of this.past) {
      if (changed <= key || !changed.startsWith(prefix)) continue;
      if (this.store.get(changed) !== undefined) count--;
      if (then !== undefined) count++;
    }
    return count;
  }
}
