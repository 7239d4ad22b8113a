/** The host's answers turned into the storage's errors, with the storage's messages. */
import { StatusError, newTooLargeResourceVersion } from '@kapi/apimachinery';
import {
  EXPIRED_CONTINUE_MESSAGE,
  EXPIRED_LIST_MESSAGE,
  EXPIRED_WATCH_MESSAGE,
  conflict,
  expired,
  keyExists,
  keyNotFound,
  unreachable,
  valueTooLarge,
} from '../errors.js';
import { KubeApiError } from '../kube/client.js';

/** What the failed host call was doing, for the right 410 message. */
export type HostOperation = 'read' | 'list' | 'continue' | 'watch' | 'write';

export interface MapContext {
  key: string;
  op: HostOperation;
  /** For a 413: the size of what was sent and the configured limit. */
  size?: number;
  limit?: number;
}

const TOO_LARGE_RV = /Too large resource version: (\d+), current: (\d+)/;

/** Whether the host said 404 (the object, or the resource itself, does not exist). */
export function isHostNotFound(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 404;
}

/** Whether the host refused a write because the object changed (409 Conflict, not AlreadyExists). */
export function isHostConflict(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 409 && err.reason !== 'AlreadyExists';
}

export function isHostAlreadyExists(err: unknown): boolean {
  return err instanceof KubeApiError && err.code === 409 && err.reason === 'AlreadyExists';
}

/**
 * A host failure as the storage reports it: 404 → KeyNotFound, 409 → AlreadyExists/Conflict,
 * 410 → Expired with our message for the operation, 504 "Too large resource version" → our 504,
 * 413 / etcd's "request is too large" → 413, 400/422 → the host's message as BadRequest,
 * anything else (5xx, 429, network) → 500 InternalError naming the key.
 */
export function mapHostError(err: unknown, ctx: MapContext): StatusError {
  if (err instanceof StatusError) return err;
  if (!(err instanceof KubeApiError)) return unreachable(ctx.key, err);
  const message = err.status?.message ?? err.message;
  switch (err.code) {
    case 404:
      return keyNotFound(ctx.key);
    case 409:
      return err.reason === 'AlreadyExists' ? keyExists(ctx.key) : conflict(ctx.key);
    case 410:
      return expired(ctx.key, expiredMessage(ctx.op));
    case 413:
      return valueTooLarge(ctx.key, ctx.size ?? 0, ctx.limit ?? 0);
    case 400:
    case 422:
      return new StatusError(400, 'BadRequest', message);
    case 504: {
      const m = TOO_LARGE_RV.exec(message);
      if (m) return newTooLargeResourceVersion(Number(m[1]), Number(m[2]));
      return new StatusError(504, 'Timeout', message);
    }
    default:
      if (/request is too large/i.test(message)) return valueTooLarge(ctx.key, ctx.size ?? 0, ctx.limit ?? 0);
      return unreachable(ctx.key, new Error(err.message));
  }
}

function expiredMessage(op: HostOperation): string {
  switch (op) {
    case 'continue':
      return EXPIRED_CONTINUE_MESSAGE;
    case 'watch':
      return EXPIRED_WATCH_MESSAGE;
    default:
      return EXPIRED_LIST_MESSAGE;
  }
}
