/** resourceVersion strings as the API carries them, and the revision numbers backends use. */
import { newBadRequest, type KubeObject } from '@kapi/apimachinery';
import type { Preconditions } from './interface.js';
import { conflict } from './errors.js';

/** Parses a resourceVersion; "" and undefined are 0 (unset). Anything else that is not a revision is 400. */
export function parseResourceVersion(rv: string | undefined): number {
  if (rv === undefined || rv === '') return 0;
  if (!/^\d+$/.test(rv)) throw newBadRequest(`invalid resource version "${rv}": must be a non-negative integer`);
  const n = Number(rv);
  if (!Number.isSafeInteger(n)) throw newBadRequest(`invalid resource version "${rv}": too large`);
  return n;
}

export function revisionOf(obj: KubeObject): number {
  return parseResourceVersion(obj.metadata.resourceVersion);
}

/** Go's text of the StorageError a failed precondition is (storage.NewInvalidObjError), which the registry's Conflict quotes. */
function preconditionFailed(key: string, why: string): string {
  return `StorageError: invalid object, Code: 4, Key: ${key}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: ${why}`;
}

/** Preconditions on uid and resourceVersion; a mismatch is a 409 Conflict as in the Go stores. */
export function checkPreconditions(key: string, pre: Preconditions | undefined, current: KubeObject): void {
  if (!pre) return;
  if (pre.uid !== undefined && pre.uid !== current.metadata.uid) {
    throw conflict(key, preconditionFailed(key, `UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`));
  }
  if (pre.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion) {
    throw conflict(
      key,
      preconditionFailed(key, `ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`),
    );
  }
}
