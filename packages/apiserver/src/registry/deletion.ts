/**
 * Deletion with finalizers (store.go markAsDeleting / ShouldDeleteDuringUpdate), the garbage
 * collector's finalizers a delete's propagationPolicy sets (deletionFinalizersForGarbageCollection),
 * and delete preconditions.
 */
import { newConflict, rfc3339, type KubeObject, deepCopy } from '@kapi/apimachinery';
import type { KindDefinition } from '../scheme/kind.js';
import type { ApiDeleteOptions } from './rest.js';

/** metav1.FinalizerOrphanDependents: the garbage collector removes the object's dependents' ownerReferences to it, then this finalizer. */
export const FINALIZER_ORPHAN_DEPENDENTS = 'orphan';
/** metav1.FinalizerDeleteDependents: the garbage collector deletes the object's blocking dependents, then removes this finalizer. */
export const FINALIZER_DELETE_DEPENDENTS = 'foregroundDeletion';

/**
 * The finalizers an object gets from a delete with `policy` (Go's deletionFinalizersForGarbageCollection,
 * for a kind whose default policy is background and a server with garbage collection enabled, as
 * sample-apiserver's): Orphan sets `orphan`, Foreground `foregroundDeletion`, Background neither;
 * without a policy, the one the object already has stays. Undefined when they do not change.
 */
export function finalizersForGarbageCollection(finalizers: readonly string[], policy: ApiDeleteOptions['propagationPolicy']): string[] | undefined {
  // shouldOrphanDependents / shouldDeleteDependents: the policy wins, then the existing finalizers.
  const existing = finalizers.find((f) => f === FINALIZER_ORPHAN_DEPENDENTS || f === FINALIZER_DELETE_DEPENDENTS);
  const orphan = policy ? policy === 'Orphan' : existing === FINALIZER_ORPHAN_DEPENDENTS;
  const foreground = policy ? policy === 'Foreground' : finalizers.includes(FINALIZER_DELETE_DEPENDENTS);
  const next = finalizers.filter((f) => f !== FINALIZER_ORPHAN_DEPENDENTS && f !== FINALIZER_DELETE_DEPENDENTS);
  if (orphan) next.push(FINALIZER_ORPHAN_DEPENDENTS);
  if (foreground) next.push(FINALIZER_DELETE_DEPENDENTS);
  const before = new Set(finalizers);
  const after = new Set(next);
  return before.size === after.size && [...after].every((f) => before.has(f)) ? undefined : next;
}

/** Thrown inside a delete's guaranteedUpdate when no finalizer is left to keep the object: delete it now (Go's errDeleteNow). */
export class DeleteNow extends Error {
  constructor() {
    super('delete now');
  }
}

/**
 * What a DELETE makes of `existing` (Go's updateForGracefulDeletionAndFinalizers for a kind without
 * graceful deletion): its finalizers set for the propagation policy (with `garbageCollection`),
 * then, when some remain, the object marked as deleting (to be written); undefined when none
 * remain (delete it now).
 */
export function markForDeletion(existing: KubeObject, policy: ApiDeleteOptions['propagationPolicy'], now: Date, garbageCollection = true): KubeObject | undefined {
  const obj = deepCopy(existing);
  // Without a garbage collector Go leaves the finalizers as they are (deletionFinalizersForGarbageCollection: no change).
  const finalizers = garbageCollection ? finalizersForGarbageCollection(existing.metadata.finalizers ?? [], policy) : undefined;
  if (finalizers) {
    if (finalizers.length > 0) obj.metadata.finalizers = finalizers;
    else delete obj.metadata.finalizers;
  }
  if ((obj.metadata.finalizers ?? []).length === 0) return undefined;
  markAsDeleting(obj, now);
  return obj;
}

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
