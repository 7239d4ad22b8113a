/**
 * Go's WithMaxInFlightLimit: separate budgets for read-only (get/list/watch) and mutating
 * requests; long-running requests (watches) are not counted; over budget → 429 with
 * Retry-After: 1, except for system:masters, which always gets an answer.
 */
import type { NextFunction, Request, Response } from 'express';
import { newTooManyRequests } from '@kapi/apimachinery';
import { GROUP_MASTERS, requestUser } from '../security/authn.js';
import { isLongRunning, isMutating, requestInfoOf } from './request-info.js';
import { writeStatus } from './responses.js';

export interface MaxInFlightOptions {
  /** Read-only requests at once; 0 = unlimited. Go's --max-requests-inflight (400). */
  maxRequestsInFlight: number;
  /** Mutating requests at once; 0 = unlimited. Go's --max-mutating-requests-inflight (200). */
  maxMutatingRequestsInFlight: number;
}

export interface InFlightCounts {
  readOnly: number;
  mutating: number;
}

export class MaxInFlightLimiter {
  private readonly counts: InFlightCounts = { readOnly: 0, mutating: 0 };

  constructor(private readonly options: MaxInFlightOptions) {}

  /** Requests being served now, by kind (watches excluded). */
  get inFlight(): Readonly<InFlightCounts> {
    return { ...this.counts };
  }

  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const info = requestInfoOf(req);
      if (isLongRunning(info)) return next();
      const kind: keyof InFlightCounts = isMutating(info) ? 'mutating' : 'readOnly';
      const limit = kind === 'mutating' ? this.options.maxMutatingRequestsInFlight : this.options.maxRequestsInFlight;
      if (limit <= 0) return next();
      if (this.counts[kind] >= limit) {
        if (requestUser(req)?.groups.includes(GROUP_MASTERS)) return next();
        writeStatus(res, newTooManyRequests('Too many requests, please try again later.', 1));
        return;
      }
      this.counts[kind]++;
      let released = false;
      const release = (): void => {
        if (released) return;
        released = true;
        this.counts[kind]--;
      };
      res.once('finish', release);
      res.once('close', release);
      next();
    };
  }
}
