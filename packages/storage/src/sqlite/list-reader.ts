/**
 * Lists read from the log at one revision: one key, or a key range page by page. A page keeps
 * reading until `limit` objects match the predicate; the continue token pins later pages to the
 * same revision, so a paged list is one consistent snapshot.
 */
import { encodeContinue, type KubeObject } from '@kapi/apimachinery';
import { decodeValue } from '../codec.js';
import type { ListResult } from '../interface.js';
import { prefixRangeEnd } from '../keys.js';
import type { SelectionPredicate } from '../predicate.js';
import type { RangeAt, RevisionLog } from './revision-log.js';

/** Rows fetched per round when a filtering predicate leaves a page short (etcd's maxLimit). */
const MAX_BATCH = 10_000;

/** How many continuations RemainingCounts remembers: one per paged list in flight is enough. */
const REMEMBERED_COUNTS = 1024;

/**
 * The number of live keys in [lower, upper) at a revision, remembered from the page that answered
 * it as remainingItemCount, so that the page continuing from `lower` need not count them again (an
 * O(remaining) index scan per page, O(n²/limit) per paged list). The count is a fact about the log
 * at that revision, which no later write changes; compaction only drops revisions below the
 * compacted one, which a read may no longer ask for (410 before any lookup here). So a remembered
 * count stays right for as long as it is kept, whoever asks; a miss (evicted, another process's
 * page, a fresh start) counts again.
 */
export class RemainingCounts {
  private readonly counts = new Map<string, number>();

  constructor(private readonly capacity = REMEMBERED_COUNTS) {}

  get(range: RangeAt): number | undefined {
    return this.counts.get(RemainingCounts.key(range));
  }

  remember(range: RangeAt, count: number): void {
    const key = RemainingCounts.key(range);
    this.counts.delete(key);
    this.counts.set(key, count);
    if (this.counts.size > this.capacity) {
      const oldest = this.counts.keys().next();
      if (!oldest.done) this.counts.delete(oldest.value);
    }
  }

  private static key(range: RangeAt): string {
    return JSON.stringify([range.revision, range.upper, range.lower]);
  }
}

/** The smallest key after `key`: continue tokens and follow-up reads start here. */
export function keyAfter(key: string): string {
  return `${key}\u0000`;
}

/** The value of one key at `revision`, if it exists there and matches. */
export function readKeyAt<T extends KubeObject>(
  log: RevisionLog,
  key: string,
  revision: number,
  predicate: SelectionPredicate,
): T[] {
  const row = log.head(key, revision);
  if (!row || row.deleted || row.value === null) return [];
  const obj = decodeValue<T>(key, row.value, row.id);
  return predicate.matches(obj) ? [obj] : [];
}

/**
 * One page of the keys under `prefix` at `revision`, starting at `startKey` (inclusive). `counts`
 * carries remainingItemCount from one page of an unfiltered list to the next.
 */
export function readRangeAt<T extends KubeObject>(
  log: RevisionLog,
  prefix: string,
  revision: number,
  predicate: SelectionPredicate,
  startKey: string | undefined,
  counts?: RemainingCounts,
): ListResult<T> {
  const upper = prefixRangeEnd(prefix);
  const limit = predicate.limit;
  const items: T[] = [];
  const start: RangeAt = { lower: startKey ?? prefix, upper, revision };
  let lower = start.lower;
  let batch = limit;
  for (;;) {
    const rows = log.page({ lower, upper, revision }, batch);
    for (const row of rows) {
      if (row.deleted || row.value === null) continue;
      const obj = decodeValue<T>(row.name, row.value, row.id);
      if (!predicate.matches(obj)) continue;
      items.push(obj);
      if (limit > 0 && items.length === limit) {
        return finishPage(log, items, prefix, start, { lower: keyAfter(row.name), upper, revision }, predicate, counts);
      }
    }
    const last = rows[rows.length - 1];
    if (batch === 0 || rows.length < batch || last === undefined) return { items, resourceVersion: revision };
    lower = keyAfter(last.name);
    batch = Math.min(batch * 2, MAX_BATCH);
  }
}

/**
 * A full page read from `start`: a continue token when live keys remain after it (`rest`), and their
 * count when unfiltered. Unfiltered, the page's items are every live key from `start` to its last
 * item, so a count remembered for `start` less the items is the count for `rest`.
 */
function finishPage<T extends KubeObject>(
  log: RevisionLog,
  items: T[],
  prefix: string,
  start: RangeAt,
  rest: RangeAt,
  predicate: SelectionPredicate,
  counts: RemainingCounts | undefined,
): ListResult<T> {
  const page: ListResult<T> = { items, resourceVersion: rest.revision };
  const lastKey = rest.lower.slice(0, -1);
  if (predicate.isEverything()) {
    const known = counts?.get(start);
    const remaining = known !== undefined && known >= items.length ? known - items.length : log.countLive(rest);
    if (remaining > 0) {
      page.continue = encodeContinue(lastKey, prefix, rest.revision);
      page.remainingItemCount = remaining;
      counts?.remember(rest, remaining);
    }
  } else if (log.anyLive(rest)) {
    page.continue = encodeContinue(lastKey, prefix, rest.revision);
  }
  return page;
}
