/**
 * x-kubernetes-validations: CEL rules in a kind's schema, as apiextensions-apiserver checks them
 * for a CRD (k8s.io/apiextensions-apiserver pkg/apiserver/schema/cel/validation.go):
 *
 *  - each rule is compiled once, when the kind is added (a rule that does not compile is an error
 *    then), and evaluated at the node that declares it with `self` the value there (typed by the
 *    schema below it); null values are not validated;
 *  - a rule that reads `oldSelf` is a transition rule: evaluated on update only, where the old
 *    value correlates (same property; map keys; x-kubernetes-list-type=map items by their keys),
 *    unless optionalOldSelf makes oldSelf an optional evaluated always;
 *  - a failure is a field error at the node (or its fieldPath) of its reason's type, worded by
 *    message, messageExpression or "failed rule: <rule>"; an evaluation error is an Invalid
 *    "<error> evaluating rule: <rule>";
 *  - ratcheting (CRDValidationRatcheting, on in Go): on update, a failing rule that is not a
 *    transition rule, at a node whose value did not change, is a warning instead of an error;
 *  - a cost budget of 10,000,000 for the whole object and 1,000,000 per evaluation.
 */
import { apiVersionOf, type FieldError, type KubeObject, deepEqual } from '@kapi/apimachinery';
import { CelError, compileCel, type CelProgram, type CelSchema } from '../cel/index.js';
import { childPath, indexPath, keyPath } from './field-path.js';
import type { JSONSchemaProps, KindDefinition, ValidationRule, VersionDefinition } from './kind.js';
import { objectSchemaFor } from './object-meta-schema.js';

/** Go's RuntimeCELCostBudget: what validating one object may spend on all its rules. */
export const RUNTIME_CEL_COST_BUDGET = 10_000_000;
/** Go's MaxEvaluatedMessageExpressionSizeBytes. */
const MAX_MESSAGE_EXPRESSION_SIZE = 5 * 1024;

const BUDGET_MESSAGE = 'validation failed due to running out of cost budget, no further validation rules will be run';

interface CompiledRule {
  rule: ValidationRule;
  program: CelProgram;
  messageProgram?: CelProgram;
  usesOldSelf: boolean;
  /** fieldPath as Go normalises it ("spec.x", "m[k]"), joined to the node's path; '' for none. */
  fieldPath: string;
}

interface RuleNode {
  schema: JSONSchemaProps;
  rules: CompiledRule[];
  /** Root of a resource (or an embedded one): apiVersion, kind, metadata.name/generateName are visible. */
  resourceRoot: boolean;
  properties?: Map<string, RuleNode>;
  items?: RuleNode;
  additionalProperties?: RuleNode;
}

export interface RuleValidation {
  errors: FieldError[];
  /** Errors ratcheted to warnings (update of an unchanged value), as Go's warning.AddWarning texts. */
  warnings: string[];
}

/** Validates an object (and, on update, its old version) against the schema's rules. */
export type RuleValidator = (obj: unknown, old?: unknown) => RuleValidation;

/** The rules of a whole-object schema; undefined when it has none. Throws when a rule does not compile. */
export function compileSchemaRules(schema: JSONSchemaProps): RuleValidator | undefined {
  const root = compileNode(schema, true, '');
  if (!root) return undefined;
  return (obj, old) => {
    const state: State = { errors: [], warnings: [], budget: RUNTIME_CEL_COST_BUDGET };
    const rootCorrelation = old === undefined ? undefined : new Correlation(obj, old, schema);
    validateNode(root, '', obj, old ?? null, { current: rootCorrelation, nearestParent: undefined, root: true }, state);
    return { errors: state.errors, warnings: state.warnings };
  };
}

const compiledVersions = new WeakMap<VersionDefinition, RuleValidator | null>();

/**
 * The rules of a kind's version (its schema with apiVersion, kind and metadata), compiled on first
 * use and kept with the version's definition: Scheme.addKind compiles them, so a rule that does not
 * compile is an error when the kind is added.
 */
export function rulesOf(kind: KindDefinition, version: VersionDefinition): RuleValidator | undefined {
  let rules = compiledVersions.get(version);
  if (rules === undefined) {
    try {
      rules = compileSchemaRules(objectSchemaFor(version.schema)) ?? null;
    } catch (err) {
      throw new Error(`kind ${kind.kind}.${kind.group} ${version.name}: ${(err as Error).message}`);
    }
    compiledVersions.set(version, rules);
  }
  return rules ?? undefined;
}

/**
 * The x-kubernetes-validations of `kind` for a hub object in the request's `version` (and, on
 * update, the old one: transition rules, ratcheting), as a CRD's strategy checks them after its
 * other validation: with a blocking error among `prior` (Go's hasBlockingErr) they are not run,
 * and an error says so. Warnings are the errors ratcheted away.
 */
export function validateKindRules(kind: KindDefinition, version: string, hub: KubeObject, prior: readonly FieldError[], old?: KubeObject): RuleValidation {
  const served = kind.versions.find((v) => v.name === version);
  const rules = served && rulesOf(kind, served);
  if (!served || !rules) return { errors: [], warnings: [] };
  const blocked = blockedRulesError(prior);
  if (blocked) return { errors: [blocked], warnings: [] };
  const inVersion = (obj: KubeObject): KubeObject => {
    const converted = version === kind.hubVersion || !served.fromHub ? obj : served.fromHub(obj);
    return { ...converted, apiVersion: apiVersionOf(kind.group, version), kind: kind.kind };
  };
  return rules(inVersion(hub), old && inVersion(old));
}

function compileNode(schema: JSONSchemaProps, resourceRoot: boolean, where: string): RuleNode | undefined {
  const rules = (schema['x-kubernetes-validations'] ?? []).map((rule, i) => compileRule(rule, schema, resourceRoot, `${where}x-kubernetes-validations[${i}]`));
  const node: RuleNode = { schema, rules, resourceRoot };
  let any = rules.length > 0;
  if (schema.properties) {
    for (const [name, prop] of Object.entries(schema.properties)) {
      const child = compileNode(prop, prop['x-kubernetes-embedded-resource'] === true, `${where}properties[${name}].`);
      if (child) {
        (node.properties ??= new Map()).set(name, child);
        any = true;
      }
    }
  }
  if (schema.items) {
    const child = compileNode(schema.items, schema.items['x-kubernetes-embedded-resource'] === true, `${where}items.`);
    if (child) {
      node.items = child;
      any = true;
    }
  }
  if (typeof schema.additionalProperties === 'object') {
    const ap = schema.additionalProperties;
    const child = compileNode(ap, ap['x-kubernetes-embedded-resource'] === true, `${where}additionalProperties.`);
    if (child) {
      node.additionalProperties = child;
      any = true;
    }
  }
  return any ? node : undefined;
}

function compileRule(rule: ValidationRule, schema: JSONSchemaProps, resourceRoot: boolean, where: string): CompiledRule {
  const celSchema = schema as CelSchema;
  const compile = (expression: string, field: string, optionalOldSelf: boolean): CelProgram => {
    try {
      return compileCel(expression, {
        variables: ['self', 'oldSelf'],
        schemas: { self: celSchema, oldSelf: celSchema },
        ...(resourceRoot ? { resourceRoots: ['self', 'oldSelf'] } : {}),
        ...(optionalOldSelf ? { optionals: ['oldSelf'] } : {}),
      });
    } catch (err) {
      if (err instanceof CelError) throw new Error(`${where}.${field}: Invalid value: ${JSON.stringify(expression)}: ${err.message}`);
      throw err;
    }
  };
  const program = compile(rule.rule, 'rule', rule.optionalOldSelf === true);
  // cel-go knows every rule's type and refuses any but bool; kapi refuses those it is sure of.
  if (program.outputType !== undefined && program.outputType !== 'bool') {
    throw new Error(`${where}.rule: Invalid value: ${JSON.stringify(rule.rule)}: cel expression must evaluate to a bool`);
  }
  const messageProgram = rule.messageExpression ? compile(rule.messageExpression, 'messageExpression', false) : undefined;
  if (messageProgram?.outputType !== undefined && messageProgram.outputType !== 'string') {
    throw new Error(`${where}.messageExpression: Invalid value: ${JSON.stringify(rule.messageExpression)}: messageExpression must evaluate to a string`);
  }
  let fieldPath = '';
  if (rule.fieldPath) {
    try {
      fieldPath = normalizeFieldPath(rule.fieldPath, schema);
    } catch (err) {
      throw new Error(`${where}.fieldPath: Invalid value: ${JSON.stringify(rule.fieldPath)}: ${(err as Error).message}`);
    }
  }
  if (rule.optionalOldSelf && !program.references.has('oldSelf')) {
    throw new Error(`${where}.optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule`);
  }
  return { rule, program, ...(messageProgram ? { messageProgram } : {}), usesOldSelf: program.references.has('oldSelf'), fieldPath };
}

/** ValidFieldPath: a relative JSON path of fields and map keys the schema declares, as field.Path prints it. */
export function normalizeFieldPath(jsonPath: string, schema: JSONSchemaProps): string {
  let path = '';
  let node: JSONSchemaProps | undefined = schema;
  const tokens = jsonPath.match(/'(?:[^'\\]|\\.)*'|[.[\]]|[^.[\]']+/g) ?? [];
  const step = (name: string): void => {
    if (!node) throw new Error('does not refer to a valid field');
    if (node.properties) {
      const next: JSONSchemaProps | undefined = node.properties[name];
      if (!next) throw new Error('does not refer to a valid field');
      path = childPath(path, name);
      node = next;
    } else if (typeof node.additionalProperties === 'object') {
      path = keyPath(path, name);
      node = node.additionalProperties;
    } else {
      throw new Error('does not refer to a valid field');
    }
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok === '.') {
      const name = tokens[++i];
      if (name === undefined) throw new Error('unexpected end of JSON path');
      step(name);
    } else if (tok === '[') {
      const quoted = tokens[++i];
      if (quoted === undefined) throw new Error('unexpected end of JSON path');
      if (quoted.length < 2 || !quoted.startsWith("'") || !quoted.endsWith("'")) throw new Error(`expected single quoted string but got ${quoted}`);
      step(quoted.slice(1, -1).replace(/\\(.)/g, '$1'));
      if (tokens[++i] !== ']') throw new Error(`expected ] but got ${tokens[i] ?? ''}`);
    } else {
      throw new Error(`expected [ or . but got: ${tok}`);
    }
  }
  return path;
}

// ---- correlation of old and new values (k8s.io/apiserver/pkg/cel/common CorrelatedObject) ----

class Correlation {
  private equal: boolean | undefined;
  private readonly children = new Map<string | number, Correlation | undefined>();
  constructor(
    readonly value: unknown,
    readonly oldValue: unknown,
    readonly schema: JSONSchemaProps | undefined,
  ) {}

  key(field: string): Correlation | undefined {
    if (this.children.has(field)) return this.children.get(field);
    let child: Correlation | undefined;
    if (this.schema && isObject(this.value) && isObject(this.oldValue) && Object.hasOwn(this.value, field) && Object.hasOwn(this.oldValue, field)) {
      const propSchema = this.schema.properties?.[field] ?? (typeof this.schema.additionalProperties === 'object' ? this.schema.additionalProperties : undefined);
      if (propSchema) child = new Correlation(this.value[field], this.oldValue[field], propSchema);
    }
    this.children.set(field, child);
    return child;
  }

  index(i: number): Correlation | undefined {
    if (this.children.has(i)) return this.children.get(i);
    let child: Correlation | undefined;
    if (this.schema?.items && Array.isArray(this.value) && Array.isArray(this.oldValue) && i < this.value.length) {
      const old = correlatedListItem(this.schema, this.oldValue, this.value[i]);
      if (old !== undefined) child = new Correlation(this.value[i], old, this.schema.items);
    }
    this.children.set(i, child);
    return child;
  }

  deepEqual(): boolean {
    if (this.equal !== undefined) return this.equal;
    this.equal = this.computeEqual();
    return this.equal;
  }

  private computeEqual(): boolean {
    const { value, oldValue } = this;
    if (value === null || value === undefined || oldValue === null || oldValue === undefined) return value === oldValue || (value == null && oldValue == null);
    if (Array.isArray(value) !== Array.isArray(oldValue) || isObject(value) !== isObject(oldValue)) return false;
    if (Array.isArray(value) && Array.isArray(oldValue)) {
      if (value.length !== oldValue.length) return false;
      for (let i = 0; i < value.length; i++) {
        const child = this.index(i);
        if (!child) return this.schema?.['x-kubernetes-list-type'] === 'map' ? false : deepEqual(value, oldValue);
        if (!child.deepEqual()) return false;
      }
      return true;
    }
    if (isObject(value) && isObject(oldValue)) {
      if (Object.keys(value).length !== Object.keys(oldValue).length) return false;
      for (const k of Object.keys(value)) {
        const child = this.key(k);
        if (!child || !child.deepEqual()) return false;
      }
      return true;
    }
    return deepEqual(value, oldValue);
  }
}

/** The old item of a list-type=map list with the same keys as `item` (undefined for other lists). */
function correlatedListItem(schema: JSONSchemaProps, oldItems: readonly unknown[], item: unknown): unknown {
  if (schema['x-kubernetes-list-type'] !== 'map' || !isObject(item)) return undefined;
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  const identity = (x: Record<string, unknown>): string => JSON.stringify(keys.map((k) => x[k] ?? schema.items?.properties?.[k]?.default ?? null));
  const wanted = identity(item);
  for (const old of oldItems) if (isObject(old) && identity(old) === wanted) return old;
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

interface Ratchet {
  current: Correlation | undefined;
  nearestParent: Correlation | undefined;
  root: boolean;
}

function ratchetKey(r: Ratchet, field: string): Ratchet {
  if (!r.current) return r;
  if (r.root && (field === 'apiVersion' || field === 'kind')) return { current: undefined, nearestParent: undefined, root: false };
  return { current: r.current.key(field), nearestParent: r.current, root: false };
}

function ratchetIndex(r: Ratchet, i: number): Ratchet {
  if (!r.current) return r;
  return { current: r.current.index(i), nearestParent: r.current, root: false };
}

function shouldRatchet(r: Ratchet): boolean {
  return r.current ? r.current.deepEqual() : (r.nearestParent?.deepEqual() ?? false);
}

// ---- evaluation ---------------------------------------------------------------------------

interface State {
  errors: FieldError[];
  warnings: string[];
  budget: number;
}

/** Go's field.Error body for a rule failure at `path`. */
function fieldError(path: string, schema: JSONSchemaProps, value: unknown, detail: string, reason: ValidationRule['reason']): FieldError {
  const field = path || '<nil>';
  const omit = schema.type === 'object' || schema.type === 'array';
  const shown = omit ? undefined : formatBadValue(value);
  switch (reason) {
    case 'FieldValueForbidden':
      return { type: 'FieldValueForbidden', field, message: `Forbidden: ${detail}` };
    case 'FieldValueRequired':
      return { type: 'FieldValueRequired', field, message: `Required value: ${detail}` };
    case 'FieldValueDuplicate':
      return { type: 'FieldValueDuplicate', field, message: shown === undefined ? 'Duplicate value' : `Duplicate value: ${shown}` };
    default:
      return invalid(field, shown, detail);
  }
}

function invalid(field: string, shown: string | undefined, detail: string): FieldError {
  return { type: 'FieldValueInvalid', field: field || '<nil>', message: shown === undefined ? `Invalid value: ${detail}` : `Invalid value: ${shown}: ${detail}` };
}

/** A bad value as Go's ErrorBody prints it: strings quoted, numbers and booleans bare, others as JSON. */
function formatBadValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value ?? null);
}

/** The type name Go's field errors show for a rule's node when it has no value to show ("object"). */
function typeOf(schema: JSONSchemaProps): string {
  return JSON.stringify(schema.type ?? '');
}

function ruleString(rule: ValidationRule): string {
  return rule.message ? rule.message.trim() : rule.rule.trim();
}

function validateNode(node: RuleNode, path: string, obj: unknown, old: unknown, ratchet: Ratchet, state: State): void {
  if (obj === null || obj === undefined) return;
  validateRules(node, path, obj, old === null ? undefined : old, ratchet, state);
  if (state.budget < 0) return;
  if (Array.isArray(obj)) {
    if (!node.items) return;
    const oldItems = Array.isArray(old) ? old : [];
    for (let i = 0; i < obj.length; i++) {
      const oldItem = correlatedListItem(node.schema, oldItems, obj[i]);
      validateNode(node.items, indexPath(path, i), obj[i], oldItem, ratchetIndex(ratchet, i), state);
      if (state.budget < 0) return;
    }
    return;
  }
  if (!isObject(obj)) return;
  const oldMap = isObject(old) ? old : undefined;
  if (node.additionalProperties) {
    for (const [k, v] of Object.entries(obj)) {
      validateNode(node.additionalProperties, keyPath(path, k), v, oldMap?.[k], ratchetKey(ratchet, k), state);
      if (state.budget < 0) return;
    }
  }
  if (node.properties) {
    for (const [k, v] of Object.entries(obj)) {
      const child = node.properties.get(k);
      if (!child) continue;
      validateNode(child, childPath(path, k), v, oldMap?.[k], ratchetKey(ratchet, k), state);
      if (state.budget < 0) return;
    }
  }
}

function validateRules(node: RuleNode, path: string, obj: unknown, old: unknown, ratchet: Ratchet, state: State): void {
  if (node.rules.length === 0) return;
  const at = path || '<nil>';
  if (state.budget <= 0) {
    state.errors.push(invalid(at, typeOf(node.schema), BUDGET_MESSAGE));
    state.budget = -1;
    return;
  }
  for (const compiled of node.rules) {
    const { rule } = compiled;
    const optionalOldSelf = rule.optionalOldSelf === true;
    if (compiled.usesOldSelf && old === undefined && !optionalOldSelf) continue;
    const activation = old === undefined ? { self: obj } : { self: obj, oldSelf: old };
    let result: unknown;
    try {
      const { value, cost } = compiled.program.evaluateWithCost(activation);
      if (cost > state.budget) {
        state.errors.push(invalid(at, typeOf(node.schema), BUDGET_MESSAGE));
        state.budget = -1;
        return;
      }
      state.budget -= cost;
      result = value;
    } catch (err) {
      if (!(err instanceof CelError)) throw err;
      if (err.kind === 'cost') {
        state.errors.push(invalid(at, typeOf(node.schema), `'${err.message}': no further validation rules will be run due to call cost exceeds limit for rule: ${ruleString(rule)}`));
        state.budget = -1;
        return;
      }
      if (err.message.startsWith('no such overload')) {
        state.errors.push(
          invalid(at, typeOf(node.schema), `'${err.message}': call arguments did not match a supported operator, function or macro signature for rule: ${ruleString(rule)}`),
        );
      } else {
        state.errors.push(invalid(at, typeOf(node.schema), `${err.message} evaluating rule: ${ruleString(rule)}`));
      }
      continue;
    }
    if (result === true) continue;

    const errorPath = compiled.fieldPath ? childPath(path, compiled.fieldPath) : path;
    const add = (e: FieldError): void => {
      if (!compiled.usesOldSelf && shouldRatchet(ratchet)) state.warnings.push(`${e.field}: ${e.message}`);
      else state.errors.push(e);
    };
    let detail: string | undefined;
    if (compiled.messageProgram) {
      try {
        const { value, cost } = compiled.messageProgram.evaluateWithCost(old === undefined ? { self: obj } : { self: obj, oldSelf: old });
        if (cost > state.budget) {
          add(invalid(errorPath, typeOf(node.schema), 'messageExpression evaluation failed due to running out of cost budget, no further validation rules will be run'));
          state.budget = -1;
          return;
        }
        state.budget -= cost;
        if (typeof value === 'string') {
          const trimmed = value.trim();
          if (trimmed !== '' && !trimmed.includes('\n') && Buffer.byteLength(trimmed) <= MAX_MESSAGE_EXPRESSION_SIZE) detail = trimmed;
        }
      } catch (err) {
        if (err instanceof CelError && err.kind === 'cost') {
          add(invalid(errorPath, typeOf(node.schema), `no further validation rules will be run due to call cost exceeds limit for messageExpression: ${JSON.stringify(rule.messageExpression)}`));
          state.budget = -1;
          return;
        }
        if (!(err instanceof CelError)) throw err;
      }
    }
    detail ??= rule.message ? rule.message.trim() : `failed rule: ${ruleString(rule)}`;
    add(fieldError(errorPath, node.schema, obj, detail, rule.reason));
  }
}

/**
 * The blocking error types (strategy.go hasBlockingErr): with any of them in the schema's errors the
 * rules are not run, and this error says so.
 */
export function blockedRulesError(errors: readonly FieldError[]): FieldError | undefined {
  const blocking = ['FieldValueNotSupported', 'FieldValueRequired', 'FieldValueTooLong', 'FieldValueTooMany', 'FieldValueTypeInvalid'];
  if (!errors.some((e) => blocking.includes(e.type))) return undefined;
  return {
    type: 'FieldValueInvalid',
    field: '<nil>',
    message: 'Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
  };
}
