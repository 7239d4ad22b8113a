/** Deletion with finalizers (store.go markAsDeleting / ShouldDeleteDuringUpdate) and delete preconditions. */
import { newConflict, type KubeObject } from '@kapi/apimachinery';
import type { KindDefinition } from '../scheme/kind.js';
import { rfc3339 } from './naming.js';
import type { ApiDeleteOptions } from './rest.js';

/** Marks an object as being deleted: deletionTimestamp now (unless set earlier), grace period 0. */
export function markAsDeleting(obj: KubeObject, now: Date): void {
  const meta = obj.metadata;
  if (!meta.deletionTimestamp && (meta.generation ?? 0) > 0) meta.generation = (meta.generation ?? 0) + 1;
  if (!meta.deletionTimestamp || Date.parse(meta.deletionTimestamp) > now.getTime()) meta.deletionTimestamp = rfc3339(now);
  meta.deletionGracePeriodSeconds = 0;
}

/** The update that empties the finalizers of an object being deleted (with no grace period left) deletes it. */
export function shouldDeleteDuringUpdate(obj: KubeObject, existing: KubeObject): boolean {
  if ((obj.metadata.finalizers ?? []).length > 0) return false;
  if (!existing.metadata.deletionTimestamp) return false;
  return (existing.metadata.deletionGracePeriodSeconds ?? 0) === 0;
}

/** Checks DeleteOptions.preconditions early, worded as rest.BeforeDelete words it. */
export function checkDeletePreconditions(kind: KindDefinition, obj: KubeObject, opts: ApiDeleteOptions): void {
  const pre = opts.preconditions;
  if (!pre) return;
  const gr = { group: kind.group, resource: kind.kind };
  const name = obj.metadata.name ?? '';
  if (pre.uid !== undefined && pre.uid !== obj.metadata.uid) {
    throw newConflict(
      gr,
      name,
      `the UID in the precondition (${pre.uid}) does not match the UID in record (${obj.metadata.uid ?? ''}). The object might have been deleted and then recreated`,
    );
  }
  if (pre.resourceVersion !== undefined && pre.resourceVersion !== obj.metadata.resourceVersion) {
    throw newConflict(
      gr,
      name,
      `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${obj.metadata.resourceVersion ?? ''}). The object might have been modified`,
    );
  }
}
