/**
 * compileCel: parse once, check what can be checked without cel-go's type checker, add the cost
 * counter, plan; evaluate with plain JSON variables.
 */
import { celEnv, isCelError, parse, plan, type CelEnv, type CelValue } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { CostExceeded, CostMeter, withMeter } from './cost.js';
import { CelError } from './errors.js';
import { KUBERNETES_LIBRARIES, COST_FUNCTION, QUALIFIED_FUNCTIONS } from './libraries.js';
import { optionalOf } from './lib-optional.js';
import { compileRegex } from './lib-regex.js';
import { escapeCelName, fromCelValue, toCelValue, withTypeAndObjectMeta, type CelSchema } from './values.js';

/** Go's PerCallLimit for admission policies and CRD rules (k8s.io/apiserver/pkg/apis/cel). */
export const PER_CALL_LIMIT = 1_000_000;

export interface CelProgram {
  /**
   * Evaluates with the given variables (plain JSON values: objects, arrays, strings, numbers,
   * booleans, null). Returns a plain JSON value (see fromCelValue: ints as numbers when they are
   * safe integers, else decimal strings; bytes base64; timestamps RFC 3339; durations as Go prints
   * them). Throws CelError: kind 'evaluation' (message as cel-go words it, e.g. "no such key: x"),
   * or 'cost' when the cost limit is passed ("operation cancelled: actual cost limit exceeded").
   */
  evaluate(activation: Readonly<Record<string, unknown>>): unknown;
  /** The same, also telling the cost the evaluation used (as Go's EvalDetails.ActualCost). */
  evaluateWithCost(activation: Readonly<Record<string, unknown>>): { value: unknown; cost: number };
  /** The variables the expression reads (e.g. to tell a transition rule by its use of oldSelf). */
  readonly references: ReadonlySet<string>;
  /** The expression's type when the checker is sure of it ('bool', 'string', 'int', 'list', ...); undefined for dyn. */
  readonly outputType: string | undefined;
}

export interface CelCompileOptions {
  /** The variable names the expression may use (all typed dyn unless a schema is given). */
  variables: readonly string[];
  /** Per-evaluation cost limit (Go: PerCallLimit 1,000,000 for policies); exceeded → CelError kind 'cost'. */
  costLimit?: number;
  /**
   * Variables typed by a structural schema (CRD-like): values are converted as kube-apiserver
   * converts them (values.ts) and a field the schema does not declare is a compile error.
   */
  schemas?: Readonly<Record<string, CelSchema>>;
  /** Variables whose schema is the root of a resource (apiVersion, kind, metadata.name/generateName added). */
  resourceRoots?: readonly string[];
  /** Variables that are CEL optionals of their schema's type (oldSelf with optionalOldSelf). */
  optionals?: readonly string[];
}

let sharedEnv: CelEnv | undefined;
let functionNames: Set<string> | undefined;

function env(): CelEnv {
  if (!sharedEnv) {
    sharedEnv = celEnv({ funcs: [...strings, ...KUBERNETES_LIBRARIES, COST_FUNCTION] });
    functionNames = new Set();
    for (const fn of sharedEnv.funcs) functionNames.add(fn.name);
  }
  return sharedEnv;
}

// ---- the AST, as CEL-ES's parser gives it --------------------------------------------------

interface Expr {
  id: bigint;
  exprKind:
    | { case: 'constExpr'; value: { constantKind: { case: string | undefined; value?: unknown } } }
    | { case: 'identExpr'; value: { name: string } }
    | { case: 'selectExpr'; value: { operand?: Expr; field: string; testOnly: boolean } }
    | { case: 'callExpr'; value: { target?: Expr; function: string; args: Expr[] } }
    | { case: 'listExpr'; value: { elements: Expr[]; optionalIndices?: number[] } }
    | { case: 'structExpr'; value: { messageName: string; entries: Array<{ keyKind: { case: string; value: unknown }; value?: Expr }> } }
    | {
        case: 'comprehensionExpr';
        value: { iterVar: string; iterVar2?: string; accuVar: string; iterRange?: Expr; accuInit?: Expr; loopCondition?: Expr; loopStep?: Expr; result?: Expr };
      }
    | { case: undefined; value?: undefined };
}

interface ParsedExpr {
  expr: Expr;
  sourceInfo?: { positions: Record<string, number> };
}

/**
 * What the checker knows of an expression's type: a value typed by a schema (possibly an optional
 * of it), a type cel-go would name (`prim`: int, string, google.protobuf.Timestamp, list, ...), or
 * nothing (undefined: dyn). It is not cel-go's type checker: it reports only what is certainly wrong.
 */
interface Known {
  schema?: CelSchema;
  root?: boolean;
  optional?: boolean;
  prim?: string;
}
type StaticType = Known | undefined;

class CompileErrors {
  readonly messages: string[] = [];
  /** Errors cel-go finds when it plans the program (a constant regular expression that does not parse). */
  readonly instantiation: string[] = [];
  constructor(
    private readonly source: string,
    private readonly positions: Record<string, number>,
  ) {}

  add(node: Expr, message: string): void {
    const offset = this.positions[String(node.id)] ?? 0;
    this.messages.push(formatError(this.source, offset, message));
  }
}

/** An error as cel-go prints it: "ERROR: <input>:1:5: message" and the line with a caret under the column. */
function formatError(source: string, offset: number, message: string): string {
  const before = source.slice(0, offset);
  const line = before.split('\n').length;
  const lineStart = before.lastIndexOf('\n') + 1;
  const column = offset - lineStart;
  const text = source.split('\n')[line - 1] ?? '';
  return `ERROR: <input>:${line}:${column + 1}: ${message}\n | ${text}\n | ${'.'.repeat(column)}^`;
}

function qualifiedName(e: Expr | undefined): string | undefined {
  if (!e) return undefined;
  if (e.exprKind.case === 'identExpr') return e.exprKind.value.name;
  if (e.exprKind.case === 'selectExpr' && !e.exprKind.value.testOnly) {
    const parent = qualifiedName(e.exprKind.value.operand);
    return parent === undefined ? undefined : `${parent}.${e.exprKind.value.field}`;
  }
  return undefined;
}

function objectFields(t: Known): Set<string> | undefined {
  if (!t.schema) return undefined;
  const schema = t.root || t.schema['x-kubernetes-embedded-resource'] ? withTypeAndObjectMeta(t.schema) : t.schema;
  if (!schema.properties) return undefined;
  const fields = new Set<string>();
  for (const name of Object.keys(schema.properties)) {
    const escaped = escapeCelName(name);
    if (escaped !== undefined) fields.add(escaped);
  }
  return fields;
}

function fieldType(t: Known, field: string): StaticType {
  if (!t.schema) return undefined;
  const schema = t.root || t.schema['x-kubernetes-embedded-resource'] ? withTypeAndObjectMeta(t.schema) : t.schema;
  if (schema.properties) {
    for (const [name, prop] of Object.entries(schema.properties)) if (escapeCelName(name) === field) return { schema: prop };
    return undefined;
  }
  if (typeof schema.additionalProperties === 'object') return { schema: schema.additionalProperties };
  return undefined;
}

const TIMESTAMP = 'google.protobuf.Timestamp';
const DURATION = 'google.protobuf.Duration';
const SCALARS = new Set(['int', 'uint', 'double', 'string', 'bool', 'bytes', 'null_type', TIMESTAMP, DURATION]);
const NUMERIC = new Set(['int', 'uint', 'double']);
const ORDERED = new Set(['int', 'uint', 'double', 'string', 'bytes', 'bool', TIMESTAMP, DURATION]);

/** The type cel-go gives a value of `t`, when it is certain. */
function primOf(t: StaticType): string | undefined {
  if (!t) return undefined;
  if (t.prim) return t.prim;
  if (t.optional || !t.schema || t.schema['x-kubernetes-int-or-string']) return undefined;
  const s = t.schema;
  switch (s.type) {
    case 'string':
      return s.format === 'date-time' || s.format === 'date' ? TIMESTAMP : s.format === 'duration' ? DURATION : s.format === 'byte' ? 'bytes' : 'string';
    case 'integer':
      return 'int';
    case 'number':
      return 'double';
    case 'boolean':
      return 'bool';
    case 'array':
      return 'list';
    case 'object':
      return s.properties || s['x-kubernetes-embedded-resource'] ? undefined : 'map';
    default:
      return undefined;
  }
}

/** A type as cel-go prints it in an error ("int", "list(string)"); undefined when kapi would not print it as Go does. */
function display(t: StaticType): string | undefined {
  const prim = primOf(t);
  if (prim && SCALARS.has(prim)) return prim;
  if (prim === 'list' && t?.schema?.items) {
    const item = display({ schema: t.schema.items });
    return item && SCALARS.has(item) ? `list(${item})` : undefined;
  }
  return undefined;
}

/** The result of the functions whose result type does not depend on their arguments. */
const RESULTS: Record<string, string> = {
  '_==_': 'bool', '_!=_': 'bool', '_<_': 'bool', '_<=_': 'bool', '_>_': 'bool', '_>=_': 'bool', '@in': 'bool',
  '_&&_': 'bool', '_||_': 'bool', '!_': 'bool', '@not_strictly_false': 'bool',
  size: 'int', startsWith: 'bool', endsWith: 'bool', contains: 'bool', matches: 'bool', isSorted: 'bool', includes: 'bool',
  'sets.contains': 'bool', 'sets.equivalent': 'bool', 'sets.intersects': 'bool', 'ip.isCanonical': 'bool',
  isURL: 'bool', isIP: 'bool', isCIDR: 'bool', isQuantity: 'bool', hasValue: 'bool', containsIP: 'bool', containsCIDR: 'bool',
  lowerAscii: 'string', upperAscii: 'string', trim: 'string', replace: 'string', substring: 'string', charAt: 'string',
  join: 'string', find: 'string', 'strings.quote': 'string', getScheme: 'string', getHost: 'string', getHostname: 'string',
  getPort: 'string', getEscapedPath: 'string', indexOf: 'int', lastIndexOf: 'int',
  string: 'string', int: 'int', uint: 'uint', double: 'double', bool: 'bool', bytes: 'bytes', timestamp: TIMESTAMP, duration: DURATION,
  split: 'list', findAll: 'list',
};

/** The overloads of cel-go's operators over known types: the result, or undefined when none applies. */
function operatorResult(name: string, args: readonly string[]): string | undefined {
  const [a, b] = args;
  const same = a === b;
  switch (name) {
    case '_==_':
    case '_!=_':
      // Heterogeneous equality holds between numbers, and anything may be compared with null.
      return same || (NUMERIC.has(a!) && NUMERIC.has(b!)) || a === 'null_type' || b === 'null_type' ? 'bool' : undefined;
    case '_<_':
    case '_<=_':
    case '_>_':
    case '_>=_':
      return (same && ORDERED.has(a!)) || (NUMERIC.has(a!) && NUMERIC.has(b!)) ? 'bool' : undefined;
    case '_+_':
      if (same && ['int', 'uint', 'double', 'string', 'bytes', DURATION, 'list'].includes(a!)) return a;
      if ((a === TIMESTAMP && b === DURATION) || (a === DURATION && b === TIMESTAMP)) return TIMESTAMP;
      return undefined;
    case '_-_':
      if (same && ['int', 'uint', 'double', DURATION].includes(a!)) return a;
      if (a === TIMESTAMP && b === TIMESTAMP) return DURATION;
      if (a === TIMESTAMP && b === DURATION) return TIMESTAMP;
      return undefined;
    case '_*_':
    case '_/_':
      return same && NUMERIC.has(a!) ? a : undefined;
    case '_%_':
      return same && (a === 'int' || a === 'uint') ? a : undefined;
    case '-_':
      return a === 'int' || a === 'double' ? a : undefined;
    case '!_':
    case '_&&_':
    case '_||_':
      return args.every((x) => x === 'bool') ? 'bool' : undefined;
    default:
      return 'unchecked';
  }
}

/** The type names an expression may use as values (`type(x) == int`). */
const TYPE_NAMES = new Set(['int', 'uint', 'double', 'bool', 'string', 'bytes', 'list', 'map', 'null_type', 'type', 'dyn']);

const CONSTANT_TYPES: Record<string, string> = {
  int64Value: 'int',
  uint64Value: 'uint',
  doubleValue: 'double',
  stringValue: 'string',
  boolValue: 'bool',
  bytesValue: 'bytes',
  nullValue: 'null_type',
};

/** Walks the AST: undeclared references, unknown functions, fields the schema does not declare, operators over types they do not take. */
function check(expr: Expr, scope: ReadonlyMap<string, StaticType>, errors: CompileErrors, refs: Set<string>): StaticType {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'constExpr': {
      const prim = CONSTANT_TYPES[kind.value.constantKind.case ?? ''];
      return prim ? { prim } : undefined;
    }
    case 'identExpr': {
      if (!scope.has(kind.value.name) && TYPE_NAMES.has(kind.value.name)) return undefined;
      if (!scope.has(kind.value.name)) {
        errors.add(expr, `undeclared reference to '${kind.value.name}' (in container '')`);
        return undefined;
      }
      refs.add(kind.value.name);
      return scope.get(kind.value.name);
    }
    case 'selectExpr': {
      const operandType = kind.value.operand ? check(kind.value.operand, scope, errors, refs) : undefined;
      if (!operandType || operandType.optional) return kind.value.testOnly ? { prim: 'bool' } : undefined;
      const prim = primOf(operandType);
      if (prim && prim !== 'map') {
        const shown = display(operandType);
        if (shown) errors.add(expr, `type '${shown}' does not support field selection`);
        return undefined;
      }
      const fields = objectFields(operandType);
      if (fields && !fields.has(kind.value.field)) {
        errors.add(expr, `undefined field '${kind.value.field}'`);
        return undefined;
      }
      return kind.value.testOnly ? { prim: 'bool' } : fieldType(operandType, kind.value.field);
    }
    case 'callExpr': {
      const { target, args } = kind.value;
      const name = kind.value.function;
      const qualified = qualifiedName(target);
      const isQualifiedCall = qualified !== undefined && QUALIFIED_FUNCTIONS.has(`${qualified}.${name}`) && !scope.has(qualified.split('.')[0]!);
      let targetType: StaticType;
      if (target && !isQualifiedCall) targetType = check(target, scope, errors, refs);
      const argTypes = args.map((arg) => check(arg, scope, errors, refs));
      const fn = isQualifiedCall ? `${qualified}.${name}` : name;
      if (!isQualifiedCall && !name.startsWith('_') && !name.startsWith('@') && !functionNames!.has(name)) {
        errors.add(expr, `undeclared reference to '${name}' (in container '')`);
      }
      const pattern = args[0]?.exprKind.case === 'constExpr' && args[0].exprKind.value.constantKind.case === 'stringValue' ? String(args[0].exprKind.value.constantKind.value) : undefined;
      if (pattern !== undefined && target && (name === 'find' || name === 'findAll' || name === 'matches')) {
        try {
          compileRegex(pattern);
        } catch (err) {
          if (name === 'matches') errors.add(args[0]!, 'invalid matches argument');
          else errors.instantiation.push(`program instantiation failed: ${(err as Error).message}`);
        }
      }
      if (!target) {
        const shown = argTypes.map(display);
        if (shown.every((x): x is string => x !== undefined)) {
          const result = operatorResult(name, argTypes.map((t) => primOf(t)!));
          if (result === undefined) {
            errors.add(expr, `found no matching overload for '${name}' applied to '(${shown.join(', ')})'`);
            return undefined;
          }
          if (result !== 'unchecked') return { prim: result };
        }
      }
      if (name === '_[_]') {
        const operand = argTypes[0];
        if (operand?.schema && !operand.optional) {
          if (operand.schema.type === 'array' && operand.schema.items) return { schema: operand.schema.items };
          if (typeof operand.schema.additionalProperties === 'object') return { schema: operand.schema.additionalProperties };
        }
        return undefined;
      }
      if (name === '_?_:_') {
        const [, t, f] = argTypes.map(primOf);
        return t !== undefined && t === f ? { prim: t } : undefined;
      }
      if (targetType?.optional && name === 'value') return { schema: targetType.schema!, ...(targetType.root ? { root: true } : {}) };
      const result = Object.hasOwn(RESULTS, fn) ? RESULTS[fn] : undefined;
      return result ? { prim: result } : undefined;
    }
    case 'listExpr':
      for (const e of kind.value.elements) check(e, scope, errors, refs);
      return { prim: 'list' };
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') check(entry.keyKind.value as Expr, scope, errors, refs);
        if (entry.value) check(entry.value, scope, errors, refs);
      }
      return kind.value.messageName ? undefined : { prim: 'map' };
    case 'comprehensionExpr': {
      const c = kind.value;
      const rangeType = c.iterRange ? check(c.iterRange, scope, errors, refs) : undefined;
      const accuType = c.accuInit ? check(c.accuInit, scope, errors, refs) : undefined;
      let iterType: StaticType;
      if (rangeType?.schema && !rangeType.optional) {
        if (rangeType.schema.type === 'array' && rangeType.schema.items) iterType = { schema: rangeType.schema.items };
        else if (typeof rangeType.schema.additionalProperties === 'object' || rangeType.schema.properties) iterType = { prim: 'string' };
      }
      // The accumulator keeps its initial type only where that is certain (all/exists: bool); lists change as they grow.
      const isBind = c.iterVar === '#unused' && c.iterRange?.exprKind.case === 'listExpr' && c.iterRange.exprKind.value.elements.length === 0;
      const accu: StaticType = isBind
        ? accuType
        : primOf(accuType) === 'bool' || primOf(accuType) === 'int'
          ? accuType
          : primOf(accuType) === 'list'
            ? { prim: 'list' }
            : undefined;
      const loopScope = new Map(scope);
      loopScope.set(c.accuVar, accu);
      loopScope.set(c.iterVar, iterType);
      if (c.loopCondition) check(c.loopCondition, loopScope, errors, refs);
      if (c.loopStep) check(c.loopStep, loopScope, errors, refs);
      const resultScope = new Map(scope);
      resultScope.set(c.accuVar, accu);
      return c.result ? check(c.result, resultScope, errors, refs) : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * cel.bind(v, init, expr), the bindings macro cel-go expands (ext.Bindings), expanded the same way:
 * a comprehension over an empty list whose accumulator v starts as init and whose result is expr.
 */
function expandBind(e: Expr, scope: ReadonlyMap<string, StaticType>, nextId: { id: bigint }): void {
  for (const child of children(e)) expandBind(child, scope, nextId);
  if (e.exprKind.case !== 'callExpr') return;
  const { target, args, function: fn } = e.exprKind.value;
  if (fn !== 'bind' || args.length !== 3 || target?.exprKind.case !== 'identExpr' || target.exprKind.value.name !== 'cel' || scope.has('cel')) return;
  const variable = args[0]!;
  if (variable.exprKind.case !== 'identExpr') return;
  const name = variable.exprKind.value.name;
  e.exprKind = {
    case: 'comprehensionExpr',
    value: {
      iterVar: '#unused',
      accuVar: name,
      iterRange: { id: nextId.id++, exprKind: { case: 'listExpr', value: { elements: [], optionalIndices: [] } } },
      accuInit: args[1]!,
      loopCondition: { id: nextId.id++, exprKind: { case: 'constExpr', value: { constantKind: { case: 'boolValue', value: false } } } },
      loopStep: { id: nextId.id++, exprKind: { case: 'identExpr', value: { name } } },
      result: args[2]!,
    },
  };
}

// ---- cost ----------------------------------------------------------------------------------

function children(e: Expr): Expr[] {
  const kind = e.exprKind;
  switch (kind.case) {
    case 'selectExpr':
      return kind.value.operand ? [kind.value.operand] : [];
    case 'callExpr':
      return kind.value.target ? [kind.value.target, ...kind.value.args] : kind.value.args;
    case 'listExpr':
      return kind.value.elements;
    case 'structExpr':
      return kind.value.entries.flatMap((entry) => [...(entry.keyKind.case === 'mapKey' ? [entry.keyKind.value as Expr] : []), ...(entry.value ? [entry.value] : [])]);
    case 'comprehensionExpr': {
      const c = kind.value;
      return [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result].filter((x): x is Expr => x !== undefined);
    }
    default:
      return [];
  }
}

/** 1 per node that does work (constants are free), as cel-go charges most steps. */
function nodeCost(e: Expr): number {
  let cost = e.exprKind.case === 'constExpr' || e.exprKind.case === undefined ? 0 : 1;
  for (const child of children(e)) cost += nodeCost(child);
  return cost;
}

/** Wraps every comprehension's loop condition in @kapi.cost(<cost of one iteration>, cond). */
function addCostCounters(e: Expr, nextId: { id: bigint }): void {
  for (const child of children(e)) addCostCounters(child, nextId);
  if (e.exprKind.case === 'comprehensionExpr' && e.exprKind.value.loopCondition) {
    const c = e.exprKind.value;
    const perIteration = Math.max(1, nodeCost(c.loopCondition!) + (c.loopStep ? nodeCost(c.loopStep) : 0));
    const constant: Expr = { id: nextId.id++, exprKind: { case: 'constExpr', value: { constantKind: { case: 'int64Value', value: BigInt(perIteration) } } } };
    c.loopCondition = {
      id: nextId.id++,
      exprKind: { case: 'callExpr', value: { function: COST_FUNCTION.name, args: [constant, c.loopCondition!] } },
    };
  }
}

function maxId(e: Expr): bigint {
  let max = e.id;
  for (const child of children(e)) {
    const m = maxId(child);
    if (m > max) max = m;
  }
  return max;
}

// ---- evaluation errors as cel-go words them ------------------------------------------------

function goMessage(message: string): string {
  let m = /^field not found: (.*)$/.exec(message);
  if (m) return `no such key: ${m[1]}`;
  if (message.startsWith('found no matching overload')) return 'no such overload';
  if (message === 'int divide by zero' || message === 'int modulus by zero') return message.includes('modulus') ? 'modulus by zero' : 'division by zero';
  m = /^int overflow/.exec(message);
  if (m) return 'integer overflow';
  m = /^index (-?\d+) out of bounds/.exec(message);
  if (m) return `index out of bounds: ${m[1]}`;
  return message;
}

// ---- the program ---------------------------------------------------------------------------

/** Compiles once (throws CelError kind 'compile' with a message like Go's: "compilation failed: ERROR: <input>:1:5: ..."). */
export function compileCel(expression: string, opts: CelCompileOptions): CelProgram {
  const environment = env();
  let parsed: ParsedExpr;
  try {
    parsed = parse(expression) as unknown as ParsedExpr;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // CEL-ES: "<input>:1:3: found + but expecting end of input"; cel-go adds "ERROR: " and the caret line.
    const m = /^<input>:(\d+):(\d+): ([\s\S]*)$/.exec(message);
    if (m) {
      const lines = expression.split('\n');
      const offset = lines.slice(0, Number(m[1]) - 1).reduce((n, l) => n + l.length + 1, 0) + Number(m[2]) - 1;
      throw new CelError('compile', `compilation failed: ${formatError(expression, offset, `Syntax error: ${m[3]}`)}`);
    }
    throw new CelError('compile', `compilation failed: ERROR: <input>:1:1: Syntax error: ${message}`);
  }

  const scope = new Map<string, StaticType>();
  for (const name of opts.variables) {
    const schema = opts.schemas?.[name];
    scope.set(name, schema ? { schema, root: opts.resourceRoots?.includes(name) ?? false, optional: opts.optionals?.includes(name) ?? false } : opts.optionals?.includes(name) ? { optional: true } : undefined);
  }
  const errors = new CompileErrors(expression, parsed.sourceInfo?.positions ?? {});
  const references = new Set<string>();
  expandBind(parsed.expr, scope, { id: maxId(parsed.expr) + 1n });
  const outputType = primOf(check(parsed.expr, scope, errors, references));
  if (errors.messages.length > 0) throw new CelError('compile', `compilation failed: ${errors.messages.join('\n')}`);
  if (errors.instantiation.length > 0) throw new CelError('compile', errors.instantiation[0]!);

  const staticCost = nodeCost(parsed.expr);
  addCostCounters(parsed.expr, { id: maxId(parsed.expr) + 1n });
  const run = plan(environment, parsed as never) as (ctx: Record<string, unknown>) => CelValue | ReturnType<typeof Error>;
  const costLimit = opts.costLimit ?? PER_CALL_LIMIT;
  const schemas = opts.schemas ?? {};
  const roots = new Set(opts.resourceRoots ?? []);
  const optionals = new Set(opts.optionals ?? []);

  const evaluateWithCost = (activation: Readonly<Record<string, unknown>>): { value: unknown; cost: number } => {
    const bindings: Record<string, unknown> = {};
    for (const name of opts.variables) {
      if (!Object.hasOwn(activation, name)) {
        // An optional variable with no value is optional.none() (oldSelf with optionalOldSelf on create).
        if (optionals.has(name)) bindings[name] = optionalOf(undefined);
        continue;
      }
      const schema = schemas[name];
      const value = activation[name];
      if (optionals.has(name)) {
        bindings[name] = optionalOf(value === undefined ? undefined : toCelValue(value, schema, roots.has(name)));
      } else {
        bindings[name] = toCelValue(value, schema, roots.has(name));
      }
    }
    const meter = new CostMeter(costLimit);
    let result: unknown;
    try {
      result = withMeter(meter, () => {
        meter.charge(staticCost);
        return run(bindings);
      });
    } catch (err) {
      if (err instanceof CostExceeded) throw new CelError('cost', err.message);
      throw err;
    }
    if (meter.exceeded) throw new CelError('cost', new CostExceeded().message);
    if (isCelError(result)) {
      if (result.cause instanceof CostExceeded) throw new CelError('cost', result.cause.message);
      throw new CelError('evaluation', goMessage(result.message));
    }
    return { value: fromCelValue(result), cost: meter.used };
  };

  return {
    references,
    outputType,
    evaluateWithCost,
    evaluate: (activation) => evaluateWithCost(activation).value,
  };
}

