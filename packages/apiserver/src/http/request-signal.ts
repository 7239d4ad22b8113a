/**
 * A request's AbortSignal: aborted when the client goes away before the response is complete, or
 * when the server shuts down and ends long-running requests (server/request-tracker.ts keeps the
 * entry). Any layer that waits on something for a request passes it on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** One request being served. Its AbortController is made only when someone asks for the signal or aborts. */
export interface TrackedRequest {
  res: ServerResponse;
  longRunning: boolean;
  controller?: AbortController;
  /** Why it was aborted before anyone asked for the signal. */
  abortedBy?: Error;
}

/** On the request object itself: cheaper than a WeakMap entry per request. */
const TRACKED = Symbol('kapi.trackedRequest');
type WithTracked = IncomingMessage & { [TRACKED]?: TrackedRequest };

/** The server's request tracker records the request here when it starts serving it. */
export function setTrackedRequest(req: IncomingMessage, entry: TrackedRequest): void {
  (req as WithTracked)[TRACKED] = entry;
}

export function abortTracked(entry: TrackedRequest, reason: Error): void {
  if (entry.controller) entry.controller.abort(reason);
  else entry.abortedBy ??= reason;
}

/**
 * Aborted when the client goes away before the response is complete, or when the server shuts
 * down and ends long-running requests. Handlers pass it to what they wait on (watchers).
 */
export function requestSignal(req: IncomingMessage): AbortSignal | undefined {
  const entry = (req as WithTracked)[TRACKED];
  if (!entry) return undefined;
  if (!entry.controller) {
    entry.controller = new AbortController();
    if (entry.abortedBy) entry.controller.abort(entry.abortedBy);
  }
  return entry.controller.signal;
}
