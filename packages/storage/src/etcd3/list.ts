/**
 * list() on etcd, as GetList in k8s.io/apiserver/pkg/storage/etcd3/store.go: one revision for the
 * whole list (the first page's, or the continue token's), pages fetched until `limit` objects
 * match the predicate, doubling the page when a selector filters.
 */
import { decodeContinue, encodeContinue, newBadRequest, newTooLargeResourceVersion, type KubeObject } from '@kapi/apimachinery';
import type { KVClient } from 'etcd3';
import { decodeValue } from '../codec.js';
import { EXPIRED_CONTINUE_MESSAGE, EXPIRED_LIST_MESSAGE } from '../errors.js';
import type { ListOptions, ListResult } from '../interface.js';
import { normalizePrefix, prefixRangeEnd } from '../keys.js';
import { parseResourceVersion } from '../revision.js';
import { keyOf, modRevision } from './client.js';
import { isFutureRevision, readError } from './errors.js';
import { range, type RangeResult } from './kv.js';

/** The largest page asked of etcd while filling a filtered page (maxLimit in store.go). */
const MAX_PAGE = 10_000;

/** Where and at which revision a list reads, from its options (ValidateListOptions in Go). */
interface ListPlan {
  keyPrefix: string;
  startKey: string;
  /** 0 = the latest revision. */
  atRevision: number;
  /** The revision the answer must be at least (NotOlderThan). */
  minRevision: number;
  fromContinue: boolean;
}

function planList(key: string, opts: ListOptions): ListPlan {
  const recursive = opts.recursive ?? false;
  const keyPrefix = normalizePrefix(key, recursive);
  const rv = opts.resourceVersion ?? '';
  if (recursive && opts.predicate.continue) {
    if (rv !== '' && rv !== '0') throw newBadRequest('specifying resource version is not allowed when using continue');
    const position = decodeContinue(opts.predicate.continue, keyPrefix);
    return { keyPrefix, startKey: position.startKey, atRevision: position.resourceVersion, minRevision: 0, fromContinue: true };
  }
  const revision = parseResourceVersion(rv);
  const exact = opts.resourceVersionMatch === 'Exact' && revision > 0;
  return { keyPrefix, startKey: keyPrefix, atRevision: exact ? revision : 0, minRevision: exact ? 0 : revision, fromContinue: false };
}

export async function listFromEtcd<T extends KubeObject>(kv: KVClient, key: string, opts: ListOptions): Promise<ListResult<T>> {
  const plan = planList(key, opts);
  const recursive = opts.recursive ?? false;
  const predicate = opts.predicate;
  const limit = recursive ? predicate.limit : 0;
  const rangeEnd = recursive ? prefixRangeEnd(plan.keyPrefix) : undefined;

  const read = async (startKey: string, revision: number, pageSize: number): Promise<RangeResult> => {
    try {
      return await range(kv, startKey, rangeEnd, { revision, limit: pageSize });
    } catch (err) {
      if (isFutureRevision(err)) {
        const current = await range(kv, plan.keyPrefix, undefined).then((r) => r.revision, () => 0);
        throw newTooLargeResourceVersion(revision, current);
      }
      throw readError(plan.keyPrefix, err, plan.fromContinue ? EXPIRED_CONTINUE_MESSAGE : EXPIRED_LIST_MESSAGE);
    }
  };

  const items: T[] = [];
  let revision = plan.atRevision;
  let startKey = plan.startKey;
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
    result.continue = encodeContinue(lastKey, plan.keyPrefix, revision);
    if (predicate.isEverything()) result.remainingItemCount = count - limit;
  }
  return result;
}
