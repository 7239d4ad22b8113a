/** The few etcd KV calls the backend makes, on the raw gRPC client (typed, no builders). */
import type { IKeyValue, IRangeRequest, IRangeResponse, IRequestOp, KVClient } from 'etcd3';
import { prefixRangeEnd } from '../keys.js';
import { headerRevision, toRevision } from './client.js';

export interface RangeResult {
  kvs: IKeyValue[];
  /** The store revision the range was read at. */
  revision: number;
  /** How many keys the range holds from its start key (not just this page). */
  count: number;
  more: boolean;
}

export interface RangeOptions {
  /** 0 = the latest revision. */
  revision?: number;
  /** 0 = no limit. */
  limit?: number;
  countOnly?: boolean;
}

/** The outcome of a write guarded by the key's mod_revision. */
export interface GuardedWriteResult {
  succeeded: boolean;
  /** The revision of the write (or of the read when the guard failed). */
  revision: number;
  /** The key's current value when the guard failed; undefined when it is missing. */
  current: IKeyValue | undefined;
}

const bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

/** What answers a range: the KV client itself, or a RangeBatcher in front of it. */
export interface RangeReader {
  range(request: IRangeRequest): Promise<IRangeResponse>;
}

/** Reads `[start, end)` (or just `start` when `end` is undefined). */
export async function range(kv: RangeReader, start: string, end: string | undefined, opts: RangeOptions = {}): Promise<RangeResult> {
  const res = await kv.range({
    key: bytes(start),
    ...(end !== undefined ? { range_end: bytes(end) } : {}),
    ...(opts.revision ? { revision: opts.revision } : {}),
    ...(opts.limit ? { limit: opts.limit } : {}),
    ...(opts.countOnly ? { count_only: true } : {}),
  });
  return { kvs: res.kvs ?? [], revision: headerRevision(res.header), count: toRevision(res.count), more: Boolean(res.more) };
}

export function rangePrefix(kv: RangeReader, prefix: string, opts: RangeOptions = {}): Promise<RangeResult> {
  return range(kv, prefix, prefixRangeEnd(prefix), opts);
}

/** Runs `op` on `key` only if its mod_revision is `modRevision` (0 = the key does not exist). */
async function guarded(kv: KVClient, key: string, modRevision: number, op: IRequestOp): Promise<GuardedWriteResult> {
  const res = await kv.txn({
    compare: [{ key: bytes(key), target: 'Mod', result: 'Equal', mod_revision: modRevision }],
    success: [op],
    failure: [{ request_range: { key: bytes(key) } }],
  });
  const current = res.succeeded ? undefined : res.responses[0]?.response_range?.kvs?.[0];
  return { succeeded: res.succeeded, revision: headerRevision(res.header), current };
}

export function putIfModRevision(kv: KVClient, key: string, value: Buffer, modRevision: number): Promise<GuardedWriteResult> {
  return guarded(kv, key, modRevision, { request_put: { key: bytes(key), value } });
}

export function deleteIfModRevision(kv: KVClient, key: string, modRevision: number): Promise<GuardedWriteResult> {
  return guarded(kv, key, modRevision, { request_delete_range: { key: bytes(key) } });
}

/**
 * The number of keys in `[start, end)` (or at `start`) and the highest mod_revision among them:
 * one range sorted by mod_revision, newest first, limit 1, keys only (etcd's count is the whole
 * range's).
 */
export async function newestInRange(kv: KVClient, start: string, end: string | undefined): Promise<{ count: number; maxRevision: number; revision: number }> {
  const res = await kv.range({
    key: bytes(start),
    ...(end !== undefined ? { range_end: bytes(end) } : {}),
    limit: 1,
    sort_order: 'Descend',
    sort_target: 'Mod',
    keys_only: true,
  });
  const newest = res.kvs?.[0];
  return { count: toRevision(res.count), maxRevision: newest ? toRevision(newest.mod_revision) : 0, revision: headerRevision(res.header) };
}
