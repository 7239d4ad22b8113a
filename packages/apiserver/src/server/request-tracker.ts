/**
 * Knows every request being served, so shutdown can wait for ordinary requests to finish and then
 * end long-running ones (watches) cleanly: their AbortSignal fires, and a watch whose handler does
 * not end it itself gets its chunked response ended by the server (a terminating zero chunk, not a
 * reset connection).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isUpgradeRequest } from '../endpoints/connect.js';
import { isLongRunning, requestInfoOf } from '../http/request-info.js';
import { abortTracked, setTrackedRequest, type TrackedRequest } from '../http/request-signal.js';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export class RequestTracker {
  private readonly active = new Set<TrackedRequest>();
  private changed: (() => void) | undefined;

  /** Starts tracking a request; call done() with what it returns when its response closes. */
  track(req: IncomingMessage, res: ServerResponse): TrackedRequest {
    // Watches, and connections upgraded to a stream (connect subresources).
    const entry: TrackedRequest = { res, longRunning: isLongRunning(requestInfoOf(req)) || isUpgradeRequest(req) };
    setTrackedRequest(req, entry);
    this.active.add(entry);
    return entry;
  }

  /** The request's response closed (finished, or the client went away first). */
  done(entry: TrackedRequest): void {
    if (!entry.res.writableFinished) abortTracked(entry, new Error('client closed the connection'));
    this.active.delete(entry);
    this.changed?.();
  }

  count(longRunning?: boolean): number {
    let n = 0;
    for (const entry of this.active) if (longRunning === undefined || entry.longRunning === longRunning) n++;
    return n;
  }

  /** Resolves true when no request of the kind is left, false when `deadline` (epoch ms) passes first. */
  async waitFor(longRunning: boolean | undefined, deadline: number): Promise<boolean> {
    while (this.count(longRunning) > 0) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) return false;
      await Promise.race([new Promise<void>((resolve) => (this.changed = resolve)), sleep(Math.min(remaining, 100))]);
    }
    return true;
  }

  /**
   * Signals every long-running request to stop, gives handlers `graceMs` to end their responses,
   * then ends the rest.
   */
  async terminateLongRunning(graceMs: number): Promise<void> {
    const longRunning = [...this.active].filter((e) => e.longRunning);
    for (const entry of longRunning) abortTracked(entry, new Error('the server is shutting down'));
    await this.waitFor(true, Date.now() + graceMs);
    for (const entry of longRunning) {
      if (!entry.res.writableEnded) entry.res.end();
    }
  }
}
