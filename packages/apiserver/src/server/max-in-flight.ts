/**
 * Go's WithMaxInFlightLimit: separate budgets for read-only (get/list/watch) and mutating
 * requests; long-running requests (watches) are not counted; over budget → 429 with
 * Retry-After: 1, except for system:masters, which always gets an answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { newTooManyRequests } from '@kapi/apimachinery';
import { GROUP_MASTERS, requestUser } from '../security/authn.js';
import { isLongRunning, isMutating, requestInfoOf } from '../http/request-info.js';
import { writeStatus } from '../http/responses.js';

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

/** The seat a request holds: release it once, when the request ends. */
export type InFlightSeat = keyof InFlightCounts;

export class MaxInFlightLimiter {
  private readonly counts: InFlightCounts = { readOnly: 0, mutating: 0 };

  constructor(private readonly options: MaxInFlightOptions) {}

  /** Requests being served now, by kind (watches excluded). */
  get inFlight(): Readonly<InFlightCounts> {
    return { ...this.counts };
  }

  /**
   * Lets the request in: the seat it holds (release it when it ends), null when it holds none
   * (a watch, no limit, or system:masters over the limit), or false after answering 429.
   */
  admit(req: IncomingMessage, res: ServerResponse): InFlightSeat | null | false {
    const info = requestInfoOf(req);
    if (isLongRunning(info)) return null;
    const kind: InFlightSeat = isMutating(info) ? 'mutating' : 'readOnly';
    const limit = kind === 'mutating' ? this.options.maxMutatingRequestsInFlight : this.options.maxRequestsInFlight;
    if (limit <= 0) return null;
    if (this.counts[kind] >= limit) {
      if (requestUser(req)?.groups.includes(GROUP_MASTERS)) return null;
      writeStatus(res, newTooManyRequests('Too many requests, please try again later.', 1));
      return false;
    }
    this.counts[kind]++;
    return kind;
  }

  release(seat: InFlightSeat): void {
    this.counts[seat]--;
  }
}
