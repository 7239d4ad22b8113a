/**
 * CEL expressions of admission (webhooks' matchConditions, policies' validations, variables and
 * mutations), compiled once and evaluated against the request (k8s.io/apiserver
 * pkg/admission/plugin/cel): the variables object, oldObject, request (and for policies params,
 * namespaceObject, variables), Go's error texts, and one cost budget per request shared by all
 * the expressions of a webhook or policy.
 */
import { PER_CALL_LIMIT, compileCel, type CelProgram } from '../cel/index.js';

/** Go's RuntimeCELCostBudget (policies) and RuntimeCELCostBudgetMatchConditions. */
export const POLICY_COST_BUDGET = 10_000_000;
export const MATCH_CONDITIONS_COST_BUDGET = 2_500_000;

/** The variables every admission expression sees. */
export const ADMISSION_VARIABLES: readonly string[] = ['object', 'oldObject', 'request'];

export interface CompiledExpression {
  expression: string;
  program?: CelProgram;
  /** Why it does not compile: evaluating it is then an error (the host validates expressions, so this is rare). */
  compileError?: string;
}

export type Evaluation = { value: unknown } | { error: string };

/** What the expressions of one evaluation may still spend. */
export class CostBudget {
  constructor(public remaining: number) {}
}

/** Thrown when the budget runs out: Go stops evaluating the webhook's or policy's expressions. */
export class BudgetExceeded extends Error {
  constructor() {
    super('validation failed due to running out of cost budget, no further validation rules will be run');
  }
}

export function compileExpression(expression: string, variables: readonly string[] = ADMISSION_VARIABLES): CompiledExpression {
  try {
    return { expression, program: compileCel(expression, { variables, costLimit: PER_CALL_LIMIT }) };
  } catch (err) {
    return { expression, compileError: err instanceof Error ? err.message : String(err) };
  }
}

/** Evaluates one expression; an error is a value (as Go's EvaluationResult.Error), a spent budget throws. */
export function evaluateExpression(compiled: CompiledExpression, activation: Readonly<Record<string, unknown>>, budget: CostBudget): Evaluation {
  if (!compiled.program) return { error: `compilation error: ${compiled.compileError ?? 'unknown'}` };
  try {
    const { value, cost } = compiled.program.evaluateWithCost(activation);
    budget.remaining -= cost;
    if (budget.remaining < 0) throw new BudgetExceeded();
    return { value };
  } catch (err) {
    if (err instanceof BudgetExceeded) throw err;
    // A single expression over PerCallLimit is an error of that expression, as in Go.
    return { error: `expression '${compiled.expression}' resulted in error: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** utilerrors.NewAggregate's message: one error as itself, several in brackets. */
export function aggregateMessage(messages: readonly string[]): string {
  return messages.length === 1 ? messages[0]! : `[${messages.join(', ')}]`;
}
