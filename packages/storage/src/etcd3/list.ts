/**
 * list() on etcd, as GetList in k8s.io/apiserver/pkg/storage/etcd3/store.go: one revision for the
 * whole list (the first page's, or the continue token's), pages fetched until `limit` objects
 * match the predicate, doubling the page when a selector filters.
 */
import { encodeContinue, newTooLargeResourceVersion, type KubeObject } from '@kapi/apimachinery';
import type { KVClient } from 'etcd3';
import { decodeValue } from '../codec.js';
import { EXPIRED_CONTINUE_MESSAGE, EXPIRED_LIST_MESSAGE } from '../errors.js';
import type { ListOptions, ListResult } from '../interface.js';
import { normalizePrefix, prefixRangeEnd } from '../keys.js';
import { planList } from '../read-plan.js';
import { keyOf, modRevision } from './client.js';
import { isFutureRevision, readError } from './errors.js';
import { range, type RangeResult } from './kv.js';

/** The largest page asked of etcd while filling a filtered page (maxLimit in store.go). */
const MAX_PAGE = 10_000;

export async function listFromEtcd<T extends KubeObject>(kv: KVClient, key: string, opts: ListOptions): Promise<ListResult<T>> {
  const recursive = opts.recursive ?? false;
  const keyPrefix = normalizePrefix(key, recursive);
  const plan = planList(keyPrefix, opts, recursive);
  const fromContinue = plan.startKey !== undefined;
  const predicate = opts.predicate;
  const limit = recursive ? predicate.limit : 0;
  const rangeEnd = recursive ? prefixRangeEnd(keyPrefix) : undefined;

  const read = async (startKey: string, revision: number, pageSize: number): Promise<RangeResult> => {
    try {
      return await range(kv, startKey, rangeEnd, { revision, limit: pageSize });
    } catch (err) {
      if (isFutureRevision(err)) {
        const current = await range(kv, keyPrefix, undefined).then((r) => r.revision, () => 0);
        throw newTooLargeResourceVersion(revision, current);
      }
      throw readError(keyPrefix, err, fromContinue ? EXPIRED_CONTINUE_MESSAGE : EXPIRED_LIST_MESSAGE);
    }
  };

  const items: T[] = [];
  let revision = plan.exactRevision;
  let startKey = plan.startKey ?? keyPrefix;
  let pageSize = limit;
  let lastKey = '';
  let hasMore = false;
  let count = 0;
  for (;;) {
    const page = await read(startKey, revision, pageSize);
    if (revision === 0) {
      if (plan.minRevision > page.revision) throw newTooLargeResourceVersion(plan.minRevision, page.revision);
      revision = page.revision;
    }
    count = page.count;
    let limitReached = false;
    for (const kv of page.kvs) {
      if (limit > 0 && items.length >= limit) {
        limitReached = true;
        break;
      }
      lastKey = keyOf(kv);
      const obj = decodeValue<T>(lastKey, kv.value, modRevision(kv));
      if (predicate.matches(obj)) items.push(obj);
    }
    hasMore = (page.more && page.kvs.length > 0) || limitReached;
    if (limitReached || !page.more || page.kvs.length === 0) break;
    if (limit > 0 && items.length >= limit) break;
    // A selector dropped objects: read on from the next key, in larger pages.
    startKey = `${lastKey}\u0000`;
    pageSize = Math.min(pageSize * 2, MAX_PAGE);
  }

  const result: ListResult<T> = { items, resourceVersion: revision };
  if (hasMore) {
    result.continue = encodeContinue(lastKey, keyPrefix, revision);
    if (predicate.isEverything()) result.remainingItemCount = count - limit;
  }
  return result;
}
