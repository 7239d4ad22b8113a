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

/** One page of the keys under `prefix` at `revision`, starting at `startKey` (inclusive). */
export function readRangeAt<T extends KubeObject>(
  log: RevisionLog,
  prefix: string,
  revision: number,
  predicate: SelectionPredicate,
  startKey: string | undefined,
): ListResult<T> {
  const upper = prefixRangeEnd(prefix);
  const limit = predicate.limit;
  const items: T[] = [];
  let lower = startKey ?? prefix;
  let batch = limit;
  for (;;) {
    const rows = log.page({ lower, upper, revision }, batch);
    for (const row of rows) {
      if (row.deleted || row.value === null) continue;
      const obj = decodeValue<T>(row.name, row.value, row.id);
      if (!predicate.matches(obj)) continue;
      items.push(obj);
      if (limit > 0 && items.length === limit) {
        return finishPage(log, items, prefix, { lower: keyAfter(row.name), upper, revision }, predicate);
      }
    }
    const last = rows[rows.length - 1];
    if (batch === 0 || rows.length < batch || last === undefined) return { items, resourceVersion: revision };
    lower = keyAfter(last.name);
    batch = Math.min(batch * 2, MAX_BATCH);
  }
}

/** A full page: a continue token when live keys remain after it, and their count when unfiltered. */
function finishPage<T extends KubeObject>(
  log: RevisionLog,
  items: T[],
  prefix: string,
  rest: RangeAt,
  predicate: SelectionPredicate,
): ListResult<T> {
  const page: ListResult<T> = { items, resourceVersion: rest.revision };
  const lastKey = rest.lower.slice(0, -1);
  if (predicate.isEverything()) {
    const remaining = log.countLive(rest);
    if (remaining > 0) {
      page.continue = encodeContinue(lastKey, prefix, rest.revision);
      page.remainingItemCount = remaining;
    }
  } else if (log.anyLive(rest)) {
    page.continue = encodeContinue(lastKey, prefix, rest.revision);
  }
  return page;
}
