/** What an update may change, and what counts as a change, for the main resource and /status. */
import type { KubeObject } from '@kapi/apimachinery';
import { deepCopy, deepEqual } from '@kapi/apimachinery';

/** The object without metadata (and without status when status is its own subresource). */
function specView(obj: KubeObject, statusIsSubresource: boolean): Record<string, unknown> {
  const { metadata: _metadata, apiVersion: _apiVersion, kind: _kind, ...rest } = obj;
  if (statusIsSubresource) delete rest.status;
  return rest;
}

/** Whether anything generation tracks changed: everything outside metadata (and status, when it is a subresource). */
export function specChanged(obj: KubeObject, old: KubeObject, statusIsSubresource: boolean): boolean {
  return !deepEqual(specView(obj, statusIsSubresource), specView(old, statusIsSubresource));
}

/** A /status update: the current object with only its status replaced. */
export function statusOnlyUpdate(current: KubeObject, updated: KubeObject): KubeObject {
  const result = deepCopy(current);
  if (updated.status === undefined) delete result.status;
  else result.status = deepCopy(updated.status);
  result.metadata.resourceVersion = updated.metadata.resourceVersion;
  return result;
}

/** A main-resource update of a kind with a status subresource keeps the current status. */
export function keepCurrentStatus(updated: KubeObject, current: KubeObject): void {
  if (current.status === undefined) delete updated.status;
  else updated.status = deepCopy(current.status);
}
