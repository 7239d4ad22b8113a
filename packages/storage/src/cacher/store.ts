/**
 * The cache's current state: key → object, with keys kept sorted so a list walks one prefix in
 * key order (as the backends list) without sorting per request.
 */
import type { KubeObject } from '@kapi/apimachinery';
import { prefixRangeEnd } from '../keys.js';

export class CacheStore {
  private readonly objects = new Map<string, KubeObject>();
  /** Sorted; inserts and removals splice (a memmove), lookups binary-search. */
  private readonly keys: string[] = [];

  get size(): number {
    return this.objects.size;
  }

  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  /** Stores `obj` at `key`; returns what was there. */
  set(key: string, obj: KubeObject): KubeObject | undefined {
    const previous = this.objects.get(key);
    if (previous === undefined) this.keys.splice(this.lowerBound(key), 0, key);
    this.objects.set(key, obj);
    return previous;
  }

  /** Removes `key`; returns what was there. */
  delete(key: string): KubeObject | undefined {
    const previous = this.objects.get(key);
    if (previous === undefined) return undefined;
    this.objects.delete(key);
    this.keys.splice(this.lowerBound(key), 1);
    return previous;
  }

  /** Replaces the whole content. */
  replace(entries: Iterable<readonly [string, KubeObject]>): void {
    this.objects.clear();
    for (const [key, obj] of entries) this.objects.set(key, obj);
    this.keys.length = 0;
    for (const key of this.objects.keys()) this.keys.push(key);
    this.keys.sort(compareKeys);
  }

  entries(): IterableIterator<[string, KubeObject]> {
    return this.objects.entries();
  }

  /** Calls `visit` for every key under `prefix` in key order, from `fromKey` on; `visit` returns false to stop. */
  forEachUnder(prefix: string, visit: (key: string, obj: KubeObject) => boolean | void, fromKey: string = prefix): void {
    const keys = this.keys;
    for (let i = this.lowerBound(fromKey < prefix ? prefix : fromKey); i < keys.length; i++) {
      const key = keys[i] as string;
      if (!key.startsWith(prefix)) return;
      if (visit(key, this.objects.get(key) as KubeObject) === false) return;
    }
  }

  /** How many keys lie under `prefix` (two binary searches). */
  countUnder(prefix: string): number {
    if (prefix === '') return this.keys.length;
    return this.lowerBound(prefixRangeEnd(prefix)) - this.lowerBound(prefix);
  }

  /** How many keys under `prefix` sort after `key`. */
  countUnderAfter(prefix: string, key: string): number {
    const end = prefix === '' ? this.keys.length : this.lowerBound(prefixRangeEnd(prefix));
    let i = this.lowerBound(key);
    if (this.keys[i] === key) i++;
    return Math.max(0, end - i);
  }

  /** Index of the first key >= `key`. */
  private lowerBound(key: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.keys[mid] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Code-unit order, which is what `<` on strings gives and what the backends' byte order matches for ASCII keys. */
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
