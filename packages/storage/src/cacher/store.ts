/**
 * The cache's current state: key → object, with keys kept sorted so a list walks one prefix in
 * key order (as the backends list) without sorting per request.
 */
import type { KubeObject } from '@kapi/apimachinery';
import { prefixRangeEnd } from '../keys.js';

/** A block is split in two when it grows past this many keys. */
const MAX_BLOCK = 1024;

/**
 * Keys in key order, in blocks of at most MAX_BLOCK: an insert or a removal moves the entries of
 * one block (a splice of one big array moved all the keys after it: O(n) per write, which at
 * 100,000 keys cost more than the rest of a create).
 */
class SortedKeys {
  private blocks: string[][] = [];

  /** Where the first key >= `key` is: its block and its index there (blocks.length, 0 past the end). */
  private locate(key: string): { b: number; i: number } {
    const blocks = this.blocks;
    let lo = 0;
    let hi = blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const block = blocks[mid]!;
      if ((block[block.length - 1] as string) < key) lo = mid + 1;
      else hi = mid;
    }
    return lo === blocks.length ? { b: lo, i: 0 } : { b: lo, i: lowerBound(blocks[lo]!, key) };
  }

  /** Adds a key that is not there yet. */
  insert(key: string): void {
    const blocks = this.blocks;
    if (blocks.length === 0) {
      blocks.push([key]);
      return;
    }
    let { b, i } = this.locate(key);
    if (b === blocks.length) {
      // After every key: the end of the last block.
      b = blocks.length - 1;
      i = blocks[b]!.length;
    }
    const block = blocks[b]!;
    block.splice(i, 0, key);
    if (block.length > MAX_BLOCK) blocks.splice(b + 1, 0, block.splice(block.length >>> 1));
  }

  /** Removes a key that is there. */
  remove(key: string): void {
    const { b, i } = this.locate(key);
    const block = this.blocks[b];
    if (!block || block[i] !== key) return;
    block.splice(i, 1);
    if (block.length === 0) this.blocks.splice(b, 1);
  }

  /** Replaces the content with `sorted` (in key order). */
  reset(sorted: string[]): void {
    this.blocks = [];
    const size = MAX_BLOCK >>> 1;
    for (let start = 0; start < sorted.length; start += size) this.blocks.push(sorted.slice(start, start + size));
  }

  /** How many keys sort before `key`. */
  rank(key: string): number {
    const { b, i } = this.locate(key);
    let n = i;
    for (let k = 0; k < b; k++) n += this.blocks[k]!.length;
    return n;
  }

  /** Calls `visit` for each key from the first one >= `from`, in order, until it returns false. */
  forEachFrom(from: string, visit: (key: string) => boolean): void {
    const blocks = this.blocks;
    let { b, i } = this.locate(from);
    for (; b < blocks.length; b++, i = 0) {
      const block = blocks[b]!;
      for (; i < block.length; i++) if (!visit(block[i]!)) return;
    }
  }
}

export function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((keys[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What a list reads: the keys under a prefix in key order, and how many lie past a key. */
export interface OrderedState {
  /** Calls `visit` for every key under `prefix` in key order, from `fromKey` on; `visit` returns false to stop. */
  forEachUnder(prefix: string, visit: (key: string, obj: KubeObject) => boolean | void, fromKey?: string): void;
  /** How many keys under `prefix` sort after `key`. */
  countUnderAfter(prefix: string, key: string): number;
}

export class CacheStore implements OrderedState {
  private readonly objects = new Map<string, KubeObject>();
  private readonly keys = new SortedKeys();

  get size(): number {
    return this.objects.size;
  }

  get(key: string): KubeObject | undefined {
    return this.objects.get(key);
  }

  /** Stores `obj` at `key`; returns what was there. */
  set(key: string, obj: KubeObject): KubeObject | undefined {
    const previous = this.objects.get(key);
    if (previous === undefined) this.keys.insert(key);
    this.objects.set(key, obj);
    return previous;
  }

  /** Removes `key`; returns what was there. */
  delete(key: string): KubeObject | undefined {
    const previous = this.objects.get(key);
    if (previous === undefined) return undefined;
    this.objects.delete(key);
    this.keys.remove(key);
    return previous;
  }

  /** Replaces the whole content. */
  replace(entries: Iterable<readonly [string, KubeObject]>): void {
    this.objects.clear();
    for (const [key, obj] of entries) this.objects.set(key, obj);
    this.keys.reset([...this.objects.keys()].sort(compareKeys));
  }

  entries(): IterableIterator<[string, KubeObject]> {
    return this.objects.entries();
  }

  /** Calls `visit` for every key under `prefix` in key order, from `fromKey` on; `visit` returns false to stop. */
  forEachUnder(prefix: string, visit: (key: string, obj: KubeObject) => boolean | void, fromKey: string = prefix): void {
    this.keys.forEachFrom(fromKey < prefix ? prefix : fromKey, (key) => key.startsWith(prefix) && visit(key, this.objects.get(key) as KubeObject) !== false);
  }

  /** How many keys lie under `prefix`. */
  countUnder(prefix: string): number {
    if (prefix === '') return this.objects.size;
    return this.keys.rank(prefixRangeEnd(prefix)) - this.keys.rank(prefix);
  }

  /** How many keys under `prefix` sort after `key`. */
  countUnderAfter(prefix: string, key: string): number {
    const end = prefix === '' ? this.objects.size : this.keys.rank(prefixRangeEnd(prefix));
    // Keys after `key`: the rank of the first key > key, i.e. of key + '\0' (the smallest string after it).
    return Math.max(0, end - this.keys.rank(`${key}\u0000`));
  }
}

/** Code-unit order, which is what `<` on strings gives and what the backends' byte order matches for ASCII keys. */
export function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
