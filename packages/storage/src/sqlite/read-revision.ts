/** Where a sqlite read lands: the revision a plan (read-plan.ts) asks for, checked against the store's. */
import { newTooLargeResourceVersion } from '@kapi/apimachinery';
import { EXPIRED_CONTINUE_MESSAGE, EXPIRED_LIST_MESSAGE, expired } from '../errors.js';
import type { ReadPlan } from '../read-plan.js';

/**
 * The revision to read at, given the store's current and compacted revisions: 504 for a revision
 * from the future, 410 for one compacted away (as etcd, the compacted revision itself is readable).
 */
export function resolveReadRevision(key: string, plan: ReadPlan, current: number, compacted: number): number {
  if (plan.exactRevision === 0) {
    if (plan.minRevision > current) throw newTooLargeResourceVersion(plan.minRevision, current);
    return current;
  }
  if (plan.exactRevision > current) throw newTooLargeResourceVersion(plan.exactRevision, current);
  if (plan.exactRevision < compacted) {
    throw expired(key, plan.startKey === undefined ? EXPIRED_LIST_MESSAGE : EXPIRED_CONTINUE_MESSAGE);
  }
  return plan.exactRevision;
}
