/**
 * The etcd3 client as the backend uses it: no circuit breaker (so BrokenCircuitError never
 * surfaces), a bounded retry with backoff for transient gRPC errors that is safe for each call (it
 * rides out an etcd restart and never repeats a write that may have been applied), and no gRPC
 * message size cap on what etcd answers (large lists).
 */
import { ExponentialBackoff, handleWhen, noop, retry, type IBackoff, type IPolicy } from 'cockatiel';
import { Etcd3, GRPCUnavailableError, isRecoverableError, type IKeyValue, type IRequestOp, type IResponseHeader, type ITxnRequest } from 'etcd3';
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

/**
 * Go clientv3's two retry policies (its retry interceptor): a call that changes nothing may be
 * repeated after any transient error; a write only when it never left this process. A write whose
 * answer was lost (the member stopped, the leader changed, the request timed out in raft) may have
 * been applied, and repeating it would report its own effect back as a conflict: a create answered
 * 409 AlreadyExists, a delete 404, an update 409, for writes that happened. Such an error must
 * reach the client as a 5xx, which says "maybe".
 */
export type RetryPolicy = 'repeatable' | 'nonRepeatable';

const readOnly = (op: IRequestOp): boolean => op.request_range !== undefined;

/** Which policy a call of etcd's gRPC API takes: reads (a range, a txn of ranges alone) and compactions repeat; anything else does not. */
export function retryPolicyOf(service: string, method: string, payload: unknown): RetryPolicy {
  if (service !== 'KV') return 'nonRepeatable';
  if (method === 'range' || method === 'compact') return 'repeatable';
  if (method === 'txn') {
    const txn = payload as ITxnRequest;
    const ops = [...(txn.success ?? []), ...(txn.failure ?? [])];
    if (!txn.compare?.length && ops.every(readOnly)) return 'repeatable';
  }
  return 'nonRepeatable';
}

/** gRPC found no connection to send the call on (grpc-js's picker says so): it never reached etcd. */
const neverSent = (err: Error): boolean => err instanceof GRPCUnavailableError && err.message.includes('No connection established');

/** Whether a call of `policy` that failed with `err` may be tried again. */
export function mayRetry(policy: RetryPolicy, err: Error): boolean {
  // A request over etcd's size limit, and a write to an etcd out of space, are "resource exhausted"
  // to gRPC: final (the caller gets its 413 or 500 at once), not transient.
  if (!isRecoverableError(err) || isRequestTooLarge(err) || isNoSpace(err)) return false;
  return policy === 'repeatable' || neverSent(err);
}

/** The part of etcd3's ConnectionPool every unary call goes through (internal to etcd3). */
interface ConnectionPoolInternals {
  exec(service: string, method: string, payload: unknown, options?: unknown): Promise<unknown>;
}

/**
 * etcd3 takes one retry policy for every call and does not tell it which call it runs; so its own
 * is none, and each call is wrapped here in the policy for what it is.
 */
function retryEachCallByItsPolicy(client: Etcd3, policies: Record<RetryPolicy, IPolicy>): void {
  const pool = (client as unknown as { pool: ConnectionPoolInternals }).pool;
  const exec = pool.exec.bind(pool);
  pool.exec = (service, method, payload, options) => policies[retryPolicyOf(service, method, payload)].execute(() => exec(service, method, payload, options));
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
  const maxAttempts = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const client = new Etcd3({
    hosts: opts.endpoints,
    grpcOptions: {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
    },
    faultHandling: {
      host: () => noop,
      global: noop,
      // etcd3 calls .next() on this itself, so it wants the factory, though its typings say IBackoff.
      watchBackoff: new ExponentialBackoff({ initialDelay: 100, maxDelay: 2000 }) as unknown as IBackoff<unknown>,
    },
  });
  retryEachCallByItsPolicy(client, {
    repeatable: retry(handleWhen((err) => mayRetry('repeatable', err)), { maxAttempts, backoff }),
    nonRepeatable: retry(handleWhen((err) => mayRetry('nonRepeatable', err)), { maxAttempts, backoff }),
  });
  return client;
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
