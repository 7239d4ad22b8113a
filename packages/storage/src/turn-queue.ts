/**
 * Items asked for during one turn of the event loop, handed over together once the turn is over
 * (setImmediate: after the I/O callbacks of this turn, so every request that arrived in it is in).
 * The backends batch with it: SQLite commits a turn's writes in one transaction, etcd answers a
 * turn's point reads in one read-only txn.
 */
export class TurnQueue<T> {
  private items: T[] = [];
  private scheduled: NodeJS.Immediate | undefined;

  /** `drain` gets every queued item, oldest first; it must settle each of them. */
  constructor(private readonly drain: (items: T[]) => void) {}

  add(item: T): void {
    this.items.push(item);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Drains now what is queued (also before the turn ends, e.g. when the store closes). */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (this.items.length === 0) return;
    const items = this.items;
    this.items = [];
    this.drain(items);
  }
}

/** `items` in consecutive slices of at most `size`. */
export function* slices<T>(items: readonly T[], size: number): Iterable<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
