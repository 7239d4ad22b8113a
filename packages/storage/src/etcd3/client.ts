/**
 * The etcd3 client as the backend uses it: no circuit breaker (so BrokenCircuitError never
 * surfaces), a bounded retry with backoff for transient gRPC errors (rides out an etcd restart),
 * and no gRPC message size cap on what etcd answers (large lists).
 */
import { ExponentialBackoff, handleWhen, noop, retry, type IBackoff } from 'cockatiel';
import { Etcd3, isRecoverableError, type IKeyValue, type IResponseHeader } from 'etcd3';
import { WatchManager } from 'etcd3/lib/watch';
import { isNoSpace, isRequestTooLarge } from './errors.js';

/** The part of etcd3's WatchManager the guard below reads (private in its typings). */
interface WatchManagerInternals {
  watchers: Array<{ id: string | null }>;
  handleResponse(res: { watch_id: string }): void;
}

/**
 * etcd3's WatchManager throws, from inside its gRPC stream's 'data' handler, on a response for a
 * watcher it no longer holds; nothing can catch that throw, and it ends the process. etcd does send
 * such responses: events already in flight for a watch that was just cancelled (seen when a paused
 * server resumes past a compaction and its watches are cancelled and re-made at once). Go's clientv3
 * drops a response whose watch ID it does not know; so does this guard, installed once.
 */
function dropResponsesOfUnknownWatchers(): void {
  const proto = WatchManager.prototype as unknown as WatchManagerInternals & { kapiGuarded?: boolean };
  if (proto.kapiGuarded) return;
  const handleResponse = proto.handleResponse;
  proto.handleResponse = function (this: WatchManagerInternals, res) {
    if (!this.watchers.some((w) => w.id === res.watch_id)) return;
    handleResponse.call(this, res);
  };
  proto.kapiGuarded = true;
}

export interface EtcdClientOptions {
  /** Client URLs, e.g. http://127.0.0.1:2379. */
  endpoints: string | string[];
  /** How many times a call failing with a transient error is tried in all. */
  maxAttempts?: number;
}

const DEFAULT_MAX_ATTEMPTS = 30;

export function createEtcdClient(opts: EtcdClientOptions): Etcd3 {
  dropResponsesOfUnknownWatchers();
  const backoff = new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 });
  return new Etcd3({
    hosts: opts.endpoints,
    grpcOptions: {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    },
    faultHandling: {
      host: () => noop,
      // A request over etcd's size limit, and a write to an etcd out of space, are "resource
      // exhausted" to gRPC: final (the caller gets its 413 or 500 at once), not transient.
      global: retry(handleWhen((err) => isRecoverableError(err) && !isRequestTooLarge(err) && !isNoSpace(err)), { maxAttempts: opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, backoff }),
      // etcd3 calls .next() on this itself, so it wants the factory, though its typings say IBackoff.
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }) as unknown as IBackoff<unknown>,
    },
  });
}

/** etcd revisions travel as decimal strings; kapi's stay far below 2^53. */
export function toRevision(value: string | number | undefined): number {
  return value === undefined || value === '' ? 0 : Number(value);
}

export function headerRevision(header: IResponseHeader): number {
  return toRevision(header.revision);
}

export function keyOf(kv: IKeyValue): string {
  return kv.key.toString('utf8');
}

export function modRevision(kv: IKeyValue): number {
  return toRevision(kv.mod_revision);
}
