/**
 * The CEL variables of a policy's expressions (k8s.io/apiserver pkg/admission/plugin/cel
 * activation.go and composition.go): object, oldObject, request, namespaceObject, params (when the
 * policy has a paramKind) and variables, whose members are the policy's spec.variables evaluated
 * lazily, once per activation, on first use; what they cost is charged to the budget of the
 * expression that used them first.
 */
import type { CelProgram } from '../../cel/index.js';
import { BudgetExceeded, compileExpression, evaluateExpression, type CompiledExpression, type CostBudget, type Evaluation } from '../expressions.js';
import type { Variable } from './types.js';

/** The names a policy's expressions may use. */
export function policyVariableNames(hasParams: boolean): string[] {
  return ['object', 'oldObject', 'request', 'namespaceObject', ...(hasParams ? ['params'] : []), 'variables'];
}

export interface PolicyInputs {
  object: unknown;
  oldObject: unknown;
  request: unknown;
  namespaceObject: unknown;
  /** Present when the policy has a paramKind (null when the binding has no paramRef). */
  params?: unknown;
}

interface CompiledVariable {
  name: string;
  compiled: CompiledExpression;
}

/** A policy's compiled variables, and the activations that evaluate them. */
export class Composition {
  readonly variables: readonly CompiledVariable[];
  readonly names: readonly string[];

  constructor(variables: readonly Variable[], hasParams: boolean) {
    this.names = policyVariableNames(hasParams);
    this.variables = variables.map((v) => ({ name: v.name, compiled: compileExpression(v.expression, this.names) }));
  }

  /**
   * Compiles one of the policy's expressions. With `returnTypes` (Go's ExpressionAccessor.ReturnTypes),
   * an expression the checker knows to be of another type does not compile, as in Go
   * ("must evaluate to bool but got string"); one of unknown type (dyn) is let through.
   */
  compile(expression: string, returnTypes?: readonly string[]): CompiledExpression {
    const compiled = compileExpression(expression, this.names);
    const got = compiled.program?.outputType;
    if (returnTypes && got !== undefined && !returnTypes.some((t) => t === got || (t === 'Object' && got === 'map') || (t === 'list(JSONPatch)' && got === 'list'))) {
      const reason = returnTypes.length === 1 ? `must evaluate to ${returnTypes[0]} but got ${got}` : `must evaluate to one of [${returnTypes.join(' ')}] but got ${got}`;
      return { expression, compileError: reason };
    }
    return compiled;
  }

  /** One activation (one ForInput in Go): variables evaluated at most once each. */
  activation(inputs: PolicyInputs): PolicyActivation {
    return new PolicyActivation(this, inputs);
  }
}

type Outcome = { value: unknown } | { error: string };

export class PolicyActivation {
  readonly values: Record<string, unknown>;
  private accumulated = 0;

  constructor(composition: Composition, inputs: PolicyInputs) {
    const variables: Record<string, unknown> = {};
    this.values = { ...inputs, variables };
    for (const variable of composition.variables) {
      let outcome: Outcome | undefined;
      Object.defineProperty(variables, variable.name, {
        enumerable: true,
        get: () => {
          outcome ??= this.evaluateVariable(variable);
          if ('error' in outcome) throw new Error(outcome.error);
          return outcome.value;
        },
      });
    }
  }

  private evaluateVariable({ name, compiled }: CompiledVariable): Outcome {
    if (!compiled.program) return { error: `composited variable "${name}" fails to compile: ${compiled.compileError ?? 'unknown'}` };
    try {
      const { value, cost } = (compiled.program as CelProgram).evaluateWithCost(this.values);
      this.accumulated += cost;
      return { value };
    } catch (err) {
      return { error: `composited variable "${name}" fails to evaluate: ${err instanceof Error ? err.message : String(err)}` };
    }
  }

  /**
   * Evaluates one expression (evaluateExpression, Go's texts) and charges the budget with its cost
   * and the cost of the variables it evaluated; throws BudgetExceeded when the budget runs out.
   */
  evaluate(compiled: CompiledExpression, budget: CostBudget): Evaluation {
    const result = evaluateExpression(compiled, this.values, budget);
    const variablesCost = this.accumulated;
    this.accumulated = 0;
    budget.remaining -= variablesCost;
    if (budget.remaining < 0) throw new BudgetExceeded();
    return result;
  }
}
