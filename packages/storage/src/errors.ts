/**
 * The errors storage answers with. They are StatusErrors already, so a standalone user gets a
 * clear Status; the registry rewrites NotFound/AlreadyExists/Conflict to name the resource.
 */
import { OPTIMISTIC_LOCK_MESSAGE, StatusError, newInternalError, newRequestEntityTooLarge, newResourceExpired } from '@kapi/apimachinery';

export type StorageErrorCode =
  | 'KeyNotFound'
  | 'KeyExists'
  | 'ResourceVersionConflicts'
  | 'InvalidObj'
  | 'Expired'
  | 'TooLarge'
  | 'Full'
  | 'Unreachable';

/** A StatusError that also says which storage condition caused it and for which key. */
export class StorageError extends StatusError {
  constructor(
    readonly storageCode: StorageErrorCode,
    readonly key: string,
    cause: StatusError,
  ) {
    super(cause.status.code, cause.status.reason ?? '', cause.status.message ?? '', cause.status.details);
    this.name = 'StorageError';
  }
}

function nameOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

export function keyNotFound(key: string): StorageError {
  return new StorageError('KeyNotFound', key, new StatusError(404, 'NotFound', `key "${key}" not found`, { name: nameOf(key) }));
}

export function keyExists(key: string): StorageError {
  return new StorageError('KeyExists', key, new StatusError(409, 'AlreadyExists', `key "${key}" already exists`, { name: nameOf(key) }));
}

export function conflict(key: string, why: string = OPTIMISTIC_LOCK_MESSAGE): StorageError {
  return new StorageError(
    'ResourceVersionConflicts',
    key,
    new StatusError(409, 'Conflict', `Operation cannot be fulfilled on key "${key}": ${why}`, { name: nameOf(key) }),
  );
}

export function corruptValue(key: string, why: string): StorageError {
  return new StorageError('InvalidObj', key, newInternalError(`unable to decode the object stored at key "${key}": ${why}`));
}

export function valueTooLarge(key: string, size: number, limit: number): StorageError {
  return new StorageError(
    'TooLarge',
    key,
    newRequestEntityTooLarge(`the object at key "${key}" is ${size} bytes, over the storage limit of ${limit} bytes`),
  );
}

/** The store refuses writes until an operator frees space (etcd's NOSPACE alarm); reads and deletes still work. Go answers the same 500. */
export function storageFull(key: string, why: string): StorageError {
  return new StorageError('Full', key, newInternalError(why));
}

export const EXPIRED_LIST_MESSAGE = 'The resourceVersion for the provided list is too old.';
export const EXPIRED_WATCH_MESSAGE = 'The resourceVersion for the provided watch is too old.';
export const EXPIRED_CONTINUE_MESSAGE =
  'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.';

export function expired(key: string, message: string): StorageError {
  return new StorageError('Expired', key, newResourceExpired(message));
}

/** The watch-stream form of 410: "too old resource version: asked (oldest available)". */
export function tooOldResourceVersion(key: string, asked: number, oldest: number): StorageError {
  return new StorageError('Expired', key, newResourceExpired(`too old resource version: ${asked} (${oldest})`));
}

export function unreachable(key: string, err: unknown): StorageError {
  return new StorageError('Unreachable', key, newInternalError(err));
}
