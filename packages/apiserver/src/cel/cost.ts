/**
 * The runtime cost counter. CEL-ES has no cost tracking, so kapi counts as it evaluates, in the
 * spirit of cel-go's interpreter.CostTracker: each evaluation is charged the size of its expression
 * once (1 per call, select, identifier, list, map and comprehension; constants are free), each
 * iteration of a comprehension (all, exists, exists_one, map, filter) the size of its loop
 * condition and step, and the libraries' functions a cost that grows with their arguments
 * (strings: 1 + 0.1 × length as Go's StringTraversalCostFactor; lists: 1 + size; regular
 * expressions: 1 + 0.25 × length). The numbers are close to Go's but not equal to them: a limit
 * stops a runaway expression at about the same point, not at exactly the same step.
 *
 * One evaluation runs at a time (evaluation is synchronous), so the meter in use is a module
 * variable set for the length of an evaluation.
 */

/** Thrown (and not caught by the evaluator) when the limit is passed. */
export class CostExceeded extends Error {
  constructor() {
    super('operation cancelled: actual cost limit exceeded');
  }
}

export class CostMeter {
  used = 0;
  exceeded = false;
  constructor(readonly limit: number) {}

  charge(cost: number): void {
    this.used += cost;
    if (this.used > this.limit) {
      this.exceeded = true;
      throw new CostExceeded();
    }
  }
}

let current: CostMeter | undefined;

/** Runs `fn` with `meter` counting every charge made meanwhile. */
export function withMeter<T>(meter: CostMeter, fn: () => T): T {
  const previous = current;
  current = meter;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/** Charges the evaluation in progress (a no-op outside one). */
export function charge(cost: number): void {
  if (current) {
    if (current.exceeded) throw new CostExceeded();
    current.charge(cost);
  }
}

/** Go's StringTraversalCostFactor: 0.1 per character read. */
export function stringCost(...strings: readonly string[]): number {
  let length = 0;
  for (const s of strings) length += s.length;
  return 1 + Math.ceil(length * 0.1);
}

export function listCost(size: number): number {
  return 1 + size;
}
