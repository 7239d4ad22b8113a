/** What etcd's errors mean to a storage caller: 410, 504, 413, or the backend being unreachable. */
import { isStatusError } from '@kapi/apimachinery';
import { expired, storageFull, unreachable, valueTooLarge } from '../errors.js';

const COMPACTED = 'required revision has been compacted';
const FUTURE_REVISION = 'required revision is a future revision';
/** etcd's own limit (--max-request-bytes), and gRPC's just above it (a bit larger than that). */
const TOO_LARGE = ['request is too large', 'received message larger than max'];
const WATCH_CANCELED = 'Watcher canceled';
/** etcd past its --quota-backend-bytes (the NOSPACE alarm): it takes no write until compacted, defragmented and disarmed. */
const NO_SPACE = 'database space exceeded';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export const isCompacted = (err: unknown): boolean => messageOf(err).includes(COMPACTED);
export const isFutureRevision = (err: unknown): boolean => messageOf(err).includes(FUTURE_REVISION);
export const isRequestTooLarge = (err: unknown): boolean => TOO_LARGE.some((m) => messageOf(err).includes(m));
export const isNoSpace = (err: unknown): boolean => messageOf(err).includes(NO_SPACE);
/** etcd ends a watch it can not serve (a compacted start revision) with a cancel, which etcd3 reports so. */
export const isWatchCanceled = (err: unknown): boolean => messageOf(err).includes(WATCH_CANCELED);

/** A read at a revision failed: 410 with `expiredMessage` when it was compacted, else unreachable. */
export function readError(key: string, err: unknown, expiredMessage: string): Error {
  if (isStatusError(err)) return err;
  if (isCompacted(err)) return expired(key, expiredMessage);
  return unreachable(key, err);
}

/** A write failed: etcd's own size limit is the same 413 as ours; etcd out of space says so; anything else is unreachable. */
export function writeError(key: string, err: unknown, size: number, limit: number): Error {
  if (isStatusError(err)) return err;
  if (isRequestTooLarge(err)) return valueTooLarge(key, size, limit);
  if (isNoSpace(err)) return storageFull(key, 'etcdserver: mvcc: database space exceeded');
  return unreachable(key, err);
}
