/**
 * Storage answers in keys; clients must hear about resources. These rewrite the storage errors
 * that name a key into the Status kube-apiserver sends (k8s.io/apiserver/pkg/registry/generic/registry/storage_errors.go).
 */
import {
  OPTIMISTIC_LOCK_MESSAGE,
  newAlreadyExists,
  newConflict,
  newNotFound,
  type GroupResource,
} from '@kapi/apimachinery';
import { StorageError } from '@kapi/storage';

/** The reason a storage Conflict gives, after `Operation cannot be fulfilled on key "…": `. */
function conflictCause(err: StorageError): string {
  const message = err.message;
  const at = message.indexOf('": ');
  return at >= 0 ? message.slice(at + 3) : OPTIMISTIC_LOCK_MESSAGE;
}

/** Rewrites a storage error to name `resource` and `name`; any other error passes through unchanged. */
export function interpretStorageError(err: unknown, resource: GroupResource, name: string): unknown {
  if (!(err instanceof StorageError)) return err;
  switch (err.storageCode) {
    case 'KeyNotFound':
      return newNotFound(resource, name);
    case 'KeyExists':
      return newAlreadyExists(resource, name);
    case 'ResourceVersionConflicts':
      return newConflict(resource, name, conflictCause(err));
    default:
      return err;
  }
}
