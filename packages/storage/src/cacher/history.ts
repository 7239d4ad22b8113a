/**
 * A bounded ring of the most recent changes, so a watch from a recent revision can be replayed
 * from memory. Everything after `floor` is retained; older watches go elsewhere.
 */
import type { KeyChange } from '../events.js';

export class EventHistory {
  private readonly ring: Array<KeyChange | undefined>;
  /** Index of the oldest retained change. */
  private start = 0;
  private length = 0;
  /** Every change with a revision above this one is in the ring. */
  private floor: number;

  constructor(
    readonly capacity: number,
    floor = 0,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`history capacity must be a positive integer, got ${capacity}`);
    this.ring = new Array<KeyChange | undefined>(capacity);
    this.floor = floor;
  }

  /** The oldest revision a watch can start from and be replayed (it gets the changes after it). */
  get oldestRevision(): number {
    return this.floor;
  }

  get size(): number {
    return this.length;
  }

  /** Appends a change (revisions never decrease); the oldest falls off when full. */
  push(change: KeyChange): void {
    if (this.length === this.capacity) {
      const evicted = this.ring[this.start] as KeyChange;
      this.ring[this.start] = undefined;
      this.start = (this.start + 1) % this.capacity;
      this.length--;
      this.floor = Math.max(this.floor, evicted.revision);
    }
    this.ring[(this.start + this.length) % this.capacity] = change;
    this.length++;
  }

  /** Forgets everything: history is only complete from `floor` on. */
  reset(floor: number): void {
    this.ring.fill(undefined);
    this.start = 0;
    this.length = 0;
    this.floor = floor;
  }

  /** Drops changes at or below `revision`, so watches from there are no longer served from here. */
  compact(revision: number): void {
    if (revision <= this.floor) return;
    const keep = this.length - this.firstAfter(revision);
    while (this.length > keep) {
      this.ring[this.start] = undefined;
      this.start = (this.start + 1) % this.capacity;
      this.length--;
    }
    this.floor = revision;
  }

  /** The changes after `revision`, oldest first; undefined when some of them are no longer kept. */
  since(revision: number): KeyChange[] | undefined {
    if (revision < this.floor) return undefined;
    const out: KeyChange[] = [];
    for (let i = this.firstAfter(revision); i < this.length; i++) out.push(this.at(i));
    return out;
  }

  private at(offset: number): KeyChange {
    return this.ring[(this.start + offset) % this.capacity] as KeyChange;
  }

  /** Offset of the first change with a revision above `revision` (binary search). */
  private firstAfter(revision: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.at(mid).revision <= revision) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
