/**
 * --workers on a backend whose processes only notice their own commits (Storage.sharedCommits:
 * sqlite, where every worker has the same database file open): each worker tells the primary the
 * newest revision it committed, the primary passes it on to every other worker, and each of them
 * lets its store dispatch the writes up to there. Only the node:cluster messages are here; what a
 * revision means to the store is @kapi/storage's. Messages are coalesced per turn of the event loop
 * on both hops: a burst of writes costs one message per worker, not one per write.
 */
import cluster from 'node:cluster';
import type { SharedCommits } from '@kapi/storage';

export const COMMIT_MESSAGE = 'kapi:storage-commit';

export interface CommitMessage {
  type: typeof COMMIT_MESSAGE;
  revision: number;
}

type MessageListener = (message: unknown) => void;

/** A worker's IPC channel to its primary (`process`). */
export interface PrimaryChannel {
  send?(message: unknown, sendHandle: undefined, options: undefined, callback: (err: Error | null) => void): boolean;
  on(event: 'message', listener: MessageListener): unknown;
  off(event: 'message', listener: MessageListener): unknown;
}

/** A worker as its primary sees it. */
export interface WorkerChannel {
  readonly id: number;
  send(message: unknown, sendHandle: undefined, options: undefined, callback: (err: Error | null) => void): boolean;
  isConnected(): boolean;
}

/** The primary's view of its workers (node:cluster). */
export interface WorkerChannels {
  on(event: 'message', listener: (worker: WorkerChannel, message: unknown) => void): unknown;
  off(event: 'message', listener: (worker: WorkerChannel, message: unknown) => void): unknown;
  readonly workers?: NodeJS.Dict<WorkerChannel>;
}

function isCommitMessage(message: unknown): message is CommitMessage {
  const m = message as Partial<CommitMessage> | null;
  return typeof m === 'object' && m !== null && m.type === COMMIT_MESSAGE && Number.isSafeInteger(m.revision);
}

/** A send whose failure (the other side is gone) is not an error: that process learns the state when it starts. */
function ignoreSendError(): void {}

/** Calls `flush` once after the current turn, however often it is asked to. */
function perTurn(flush: () => void): () => void {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      flush();
    });
  };
}

/** In a worker: sends this store's commits to the primary and applies the other workers' commits. Returns the stop function. */
export function shareCommits(store: SharedCommits, channel: PrimaryChannel = process): () => void {
  let newest = 0;
  let sent = 0;
  let stopped = false;
  const schedule = perTurn(() => {
    if (stopped || newest <= sent) return;
    sent = newest;
    const message: CommitMessage = { type: COMMIT_MESSAGE, revision: newest };
    channel.send?.(message, undefined, undefined, ignoreSendError);
  });
  const unsubscribe = store.onCommit((revision) => {
    if (revision <= newest) return;
    newest = revision;
    schedule();
  });
  const onMessage = (message: unknown): void => {
    if (!stopped && isCommitMessage(message)) store.observeRevision(message.revision);
  };
  channel.on('message', onMessage);
  return () => {
    stopped = true;
    unsubscribe();
    channel.off('message', onMessage);
  };
}

/** In the primary: passes every worker's commits on to all the other workers. Returns the stop function. */
export function relayCommits(workers: WorkerChannels = cluster): () => void {
  /** The newest revision each worker (by id) has not been told of yet. */
  const pending = new Map<number, number>();
  const schedule = perTurn(() => {
    for (const [id, revision] of pending) {
      const worker = workers.workers?.[id];
      if (worker?.isConnected()) worker.send({ type: COMMIT_MESSAGE, revision }, undefined, undefined, ignoreSendError);
    }
    pending.clear();
  });
  const onMessage = (from: WorkerChannel, message: unknown): void => {
    if (!isCommitMessage(message)) return;
    for (const worker of Object.values(workers.workers ?? {})) {
      if (!worker || worker.id === from.id) continue;
      if ((pending.get(worker.id) ?? 0) < message.revision) pending.set(worker.id, message.revision);
    }
    schedule();
  };
  workers.on('message', onMessage);
  return () => workers.off('message', onMessage);
}
