/**
 * Knows every request being served, so shutdown can wait for ordinary requests to finish and then
 * end long-running ones (watches) cleanly: their AbortSignal fires, and a watch whose handler does
 * not end it itself gets its chunked response ended by the server (a terminating zero chunk, not a
 * reset connection).
 */
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { isLongRunning, requestInfoOf } from './request-info.js';

interface TrackedRequest {
  res: Response;
  longRunning: boolean;
  controller: AbortController;
}

const signals = new WeakMap<IncomingMessage, AbortSignal>();

/**
 * Aborted when the client goes away before the response is complete, or when the server shuts
 * down and ends long-running requests. Handlers pass it to what they wait on (watchers).
 */
export function requestSignal(req: IncomingMessage): AbortSignal | undefined {
  return signals.get(req);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

export class RequestTracker {
  private readonly active = new Set<TrackedRequest>();
  private changed: (() => void) | undefined;

  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const entry: TrackedRequest = { res, longRunning: isLongRunning(requestInfoOf(req)), controller: new AbortController() };
      signals.set(req, entry.controller.signal);
      this.active.add(entry);
      res.once('close', () => {
        if (!res.writableFinished) entry.controller.abort(new Error('client closed the connection'));
        this.active.delete(entry);
        this.changed?.();
      });
      next();
    };
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
    for (const entry of longRunning) entry.controller.abort(new Error('the server is shutting down'));
    await this.waitFor(true, Date.now() + graceMs);
    for (const entry of longRunning) {
      if (!entry.res.writableEnded) entry.res.end();
    }
  }
}
