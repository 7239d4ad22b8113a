/**
 * The MutatingAdmissionPolicy plugin (k8s.io/apiserver pkg/admission/plugin/policy/mutating and
 * generic/policy_dispatcher.go): for each policy-binding-param that matches a create or update, the
 * policy's mutations in order, each on the object as the previous left it, in the version the
 * policy's rules matched: an ApplyConfiguration merged in (apply.ts), or a JSONPatch applied
 * (json-patch.ts). After each mutation the object is converted back (AdmissionObjects.decode:
 * pruned, defaulted, validated) and the request's object is changed in place at the end.
 * reinvocationPolicy IfNeeded: when the object changed after such a policy ran (by a later policy,
 * or by another plugin such as a webhook), the admission chain's second pass runs it again
 * (reinvocation.ts). Errors are the policy's, kept or dropped by its failurePolicy, and refuse the request together.
 */
import {
  StatusError,
  isStatusError,
  newForbidden,
  newServiceUnavailable,
  type KubeObject,
  type StatusReason,
  deepCopy,
  deepEqual,
  isPlainObject,
} from '@kapi/apimachinery';
import type { KubeRestClient } from '../../kube/index.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/rest.js';
import { replaceObject, versionedObjectsOf, type VersionedObjects } from '../admission-request.js';
import { BudgetExceeded, CostBudget, POLICY_COST_BUDGET, type CompiledExpression } from '../expressions.js';
import type { HostNamespaces } from '../host-namespaces.js';
import { applyConfiguration } from './apply.js';
import { celRequestOf, matchConditions, namespaceOf, paramWithTypeMeta, resourceNameOf, type CompiledCondition } from './common.js';
import { Composition, type PolicyActivation } from './composition.js';
import type { HostSchemas } from './host-schemas.js';
import { TestFailed, applyJsonPatch, type JsonPatchOperation } from './json-patch.js';
import { HookReinvocation } from '../reinvocation.js';
import { policyInvocations, type PolicyInvocation } from './invocations.js';
import { rewriteObjectLiterals, typeNameErrors, typeNameOf, withoutTypeNames } from './object-literals.js';
import { gvkString, type ParamSources } from './params.js';
import { MUTATING_ADMISSION_POLICY, type PolicyHook, type PolicySource } from './source.js';
import type { FailurePolicy, MutatingAdmissionPolicy, MutatingAdmissionPolicyBinding, Mutation } from './types.js';

export { MUTATING_ADMISSION_POLICY };

interface CompiledMutation {
  patchType: Mutation['patchType'];
  compiled: CompiledExpression;
}

export interface CompiledMutatingPolicy {
  composition: Composition;
  failurePolicy: FailurePolicy | undefined;
  matchConditions: CompiledCondition[];
  mutations: CompiledMutation[];
}

/** compilePolicy: the mutations' expressions with their Object and JSONPatch literals rewritten (object-literals.ts). */
export function compileMutatingPolicy(policy: MutatingAdmissionPolicy): CompiledMutatingPolicy {
  const spec = policy.spec ?? {};
  const composition = new Composition(spec.variables ?? [], spec.paramKind !== undefined);
  const mutations: CompiledMutation[] = [];
  for (const m of spec.mutations ?? []) {
    const expression = m.patchType === 'JSONPatch' ? m.jsonPatch?.expression : m.patchType === 'ApplyConfiguration' ? m.applyConfiguration?.expression : undefined;
    if (expression === undefined) continue;
    const rewritten = rewriteObjectLiterals(expression);
    const returnType = m.patchType === 'JSONPatch' ? 'list(JSONPatch)' : 'Object';
    const compiled: CompiledExpression = 'error' in rewritten ? { expression, compileError: rewritten.error } : { ...composition.compile(rewritten.expression, [returnType]), expression };
    mutations.push({ patchType: m.patchType, compiled });
  }
  return {
    composition,
    failurePolicy: spec.failurePolicy,
    matchConditions: (spec.matchConditions ?? []).map((c) => ({ name: c.name, compiled: composition.compile(c.expression, ['bool']) })),
    mutations,
  };
}

/** What CEL calls a value's type, for Go's "unsupported return type" message. */
function celTypeName(value: unknown): string {
  const named = typeNameOf(value);
  if (named) return named;
  if (value === null) return 'null_type';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  if (typeof value === 'string') return 'string';
  return Array.isArray(value) ? 'list' : 'map';
}

/** One expression's value; Go's error when it has none. */
function evaluateMutation(m: CompiledMutation, activation: PolicyActivation): unknown {
  if (!m.compiled.program) throw new Error(m.compiled.compileError ?? 'compilation failed');
  let result;
  try {
    result = activation.evaluate(m.compiled, new CostBudget(POLICY_COST_BUDGET));
  } catch (err) {
    if (err instanceof BudgetExceeded) throw new Error(err.message);
    throw err;
  }
  if ('error' in result) throw new Error(result.error);
  return result.value;
}

/** jsonPatcher.evaluatePatchExpression: the expression's list of JSONPatch values as operations. */
function jsonPatchOperations(value: unknown): JsonPatchOperation[] {
  if (!Array.isArray(value)) throw new Error('type mismatch: JSONPatchType.expression should evaluate to array');
  return value.map((item) => {
    if (typeNameOf(item) !== 'JSONPatch' || !isPlainObject(item)) {
      throw new Error(`type mismatch: JSONPatchType.expression should evaluate to array of JSONPatch: type conversion error from '${celTypeName(item)}' to 'JSONPatch'`);
    }
    const op: JsonPatchOperation = { op: '', path: '' };
    for (const field of ['op', 'path', 'from'] as const) {
      const v = item[field];
      if (v === undefined) continue;
      if (typeof v !== 'string') throw new Error(`unexpected type ${celTypeName(v)} for JSONPatchType '${field}' field`);
      if (field !== 'from' || v.length > 0) op[field] = v;
    }
    if (Object.hasOwn(item, 'value')) {
      const errors = typeNameOf(item['value']) ? typeNameErrors(item['value']) : [];
      if (errors.length > 0) throw new Error(`type mismatch: ${errors.join('\n')}`);
      op.value = withoutTypeNames(item['value']);
    }
    return op;
  });
}

interface PolicyError {
  policy: string;
  binding?: string;
  message: string;
  reason?: string;
}

/** PolicyError.Error(). */
const policyErrorText = (e: PolicyError): string =>
  e.binding !== undefined ? `policy '${e.policy}' with binding '${e.binding}' denied request: ${e.message}` : `policy ${JSON.stringify(e.policy)} denied request: ${e.message}`;

export type MutatingHook = PolicyHook<MutatingAdmissionPolicy, MutatingAdmissionPolicyBinding, CompiledMutatingPolicy>;

export interface MutatingPolicyOptions {
  source: PolicySource<MutatingAdmissionPolicy, MutatingAdmissionPolicyBinding, CompiledMutatingPolicy>;
  params: ParamSources;
  namespaces: HostNamespaces;
  host: KubeRestClient;
  schemas: HostSchemas;
}

type Invocation = PolicyInvocation<MutatingAdmissionPolicy, MutatingAdmissionPolicyBinding, CompiledMutatingPolicy> & { key: string };

/** The matching policy-binding-param tuples (keyed for reinvocation), and the configuration errors. */
async function invocationsOf(attrs: AdmissionAttributes, hooks: readonly MutatingHook[], opts: MutatingPolicyOptions, errors: PolicyError[]): Promise<Invocation[]> {
  const configError = (hook: MutatingHook, binding: MutatingAdmissionPolicyBinding | undefined, err: unknown): void => {
    const why = err instanceof Error ? err.message : String(err);
    errors.push({ policy: hook.name, ...(binding ? { binding: binding.metadata?.name ?? '' } : {}), message: binding ? `failed to configure binding: ${why}` : `failed to configure policy: ${why}` });
  };
  const invocations = await policyInvocations(attrs, hooks, opts, configError);
  return invocations.map((i) => ({ ...i, key: [i.hook.name, i.binding.metadata?.name ?? '', i.param?.metadata?.namespace ?? '', i.param?.metadata?.name ?? ''].join('/') }));
}

export function mutatingAdmissionPolicy(opts: MutatingPolicyOptions): AdmissionPlugin {
  /** dispatchOne: one mutation of the object in `versioned`; the object it gives, in the same version. */
  async function mutate(m: CompiledMutation, activation: PolicyActivation, versioned: VersionedObjects, attrs: AdmissionAttributes): Promise<KubeObject> {
    const object = versioned.object!;
    const gvk = { group: attrs.group, version: versioned.version, kind: attrs.kind };
    const schema = await opts.schemas.schemaOf(gvk);
    if (!schema) {
      throw newServiceUnavailable(`Resource kind ${gvkString(gvk)} not found. There can be a delay between when CustomResourceDefinitions are created and when they are available.`);
    }
    const value = evaluateMutation(m, activation);
    if (m.patchType === 'JSONPatch') {
      const operations = jsonPatchOperations(value);
      try {
        return applyJsonPatch(object, operations) as KubeObject;
      } catch (err) {
        if (err instanceof TestFailed) return object;
        throw new Error(`JSON Patch: ${(err as Error).message}`);
      }
    }
    const typeName = typeNameOf(value);
    // Go's checker refuses another Object type at compile time, anything else at run time.
    if (typeName !== undefined && typeName !== 'Object' && typeName.startsWith('Object.')) throw new Error(`must evaluate to Object but got ${typeName}`);
    if (typeName !== 'Object') throw new Error(`unsupported return type from ApplyConfiguration expression: ${celTypeName(value)}`);
    const errors = typeNameErrors(value);
    if (errors.length > 0) throw new Error(`type mismatch: ${errors.join('\n')}`);
    const patch = { ...(withoutTypeNames(value) as Record<string, unknown>), apiVersion: object.apiVersion, kind: object.kind };
    try {
      return applyConfiguration(object as unknown as Record<string, unknown>, patch, schema) as unknown as KubeObject;
    } catch (err) {
      throw new Error(`error applying patch: ${(err as Error).message}`);
    }
  }

  return {
    name: MUTATING_ADMISSION_POLICY,
    async admit(attrs) {
      if (attrs.operation === 'DELETE' || !attrs.object) return;
      if (!opts.source.hasSynced) throw newForbidden({ group: attrs.group, resource: attrs.resource }, resourceNameOf(attrs), 'not yet ready to handle request');
      const hooks = opts.source.hooks();
      if (hooks.length === 0) return;
      const errors: PolicyError[] = [];
      const reinvocation = HookReinvocation.of(attrs, MUTATING_ADMISSION_POLICY);
      reinvocation.begin(attrs.object);
      // The object as the mutations leave it, in the hub version.
      let hub: KubeObject = deepCopy(attrs.object);
      let mutated = false;
      try {
        const invocations = await invocationsOf({ ...attrs, object: hub }, hooks, opts, errors);
        const namespace = invocations.length > 0 ? await namespaceOf(attrs, opts.namespaces) : undefined;
        for (const invocation of invocations) {
          if (!reinvocation.shouldCall(invocation.key)) continue;
          const { hook, binding } = invocation;
          const compiled = hook.compiled;
          const policyError = (message: string): void => {
            errors.push({ policy: hook.name, binding: binding.metadata?.name ?? '', message, reason: 'Invalid' });
          };
          const current = { ...attrs, object: hub };
          let versioned = versionedObjectsOf(current, invocation.version);
          const params = hook.policy.spec?.paramKind ? { params: paramWithTypeMeta(invocation.param, hook.policy.spec.paramKind) } : {};
          const matched = matchConditions(compiled.matchConditions, compiled.composition, { object: versioned.object, oldObject: versioned.oldObject, request: celRequestOf(current, versioned), namespaceObject: null, ...params }, compiled.failurePolicy);
          if ('error' in matched) {
            policyError(matched.error);
            continue;
          }
          if (!matched.matches) continue;
          const before = hub;
          for (const m of compiled.mutations) {
            const activation = compiled.composition.activation({ object: versioned.object, oldObject: versioned.oldObject, request: celRequestOf({ ...attrs, object: hub }, versioned), namespaceObject: namespace ?? null, ...params });
            let next: KubeObject;
            try {
              next = await mutate(m, activation, versioned, attrs);
            } catch (err) {
              if (isStatusError(err)) throw err;
              policyError(err instanceof Error ? err.message : String(err));
              continue;
            }
            hub = attrs.objects.decode(next);
            mutated = true;
            versioned = versionedObjectsOf({ ...attrs, object: hub }, invocation.version);
          }
          if (!deepEqual(before, hub)) reinvocation.changed();
          reinvocation.invoked(invocation.key, hook.policy.spec?.reinvocationPolicy === 'IfNeeded');
        }
        // Go marks a mutated object dirty whether or not it changed: every policy asking for it runs again.
        if (mutated) reinvocation.changed();
        if (mutated && !deepEqual(hub, attrs.object)) replaceObject(attrs, hub);
      } finally {
        reinvocation.end(attrs.object);
      }
      const kept = errors.filter((e) => hooks.find((h) => h.name === e.policy)?.policy.spec?.failurePolicy !== 'Ignore');
      if (kept.length > 0) throw policyErrors(attrs, kept);
    },
  };
}

/** The generic dispatcher's refusal: Forbidden, with the first error's text and reason, every error a cause. */
function policyErrors(attrs: AdmissionAttributes, errors: readonly PolicyError[]): StatusError {
  const forbidden = newForbidden({ group: attrs.group, resource: attrs.resource }, resourceNameOf(attrs), 'admission request denied by policy');
  const first = errors[0]!;
  const message = policyErrorText(first);
  const details = { ...forbidden.status.details, causes: errors.map((e) => ({ message: policyErrorText(e) })) };
  return new StatusError(403, (first.reason || 'Forbidden') as StatusReason, message, details);
}

