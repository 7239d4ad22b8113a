/**
 * What both policy plugins share: the name a denial names (admission.NewForbidden), the CEL
 * `request` and `namespaceObject`, the namespace of the request, and matchConditions
 * (webhook/matchconditions Matcher, as policies use it).
 */
import { newNotFound } from '@kapi/apimachinery';
import type { AdmissionAttributes } from '../../registry/rest.js';
import { admissionRequestOf, type VersionedObjects } from '../admission-request.js';
import { BudgetExceeded, CostBudget, MATCH_CONDITIONS_COST_BUDGET, aggregateMessage, type CompiledExpression } from '../expressions.js';
import type { HostNamespaces, Namespace } from '../host-namespaces.js';
import type { PolicyInputs, Composition } from './composition.js';
import type { FailurePolicy, ParamKind } from './types.js';

/** extractResourceName: the request's name, else the object's name or generateName, else "Unknown". */
export function resourceNameOf(attrs: AdmissionAttributes): string {
  if (attrs.name) return attrs.name;
  const meta = attrs.object?.metadata;
  return meta?.name || meta?.generateName || 'Unknown';
}

/** cel.CreateAdmissionRequest: the AdmissionRequest in the matched version, without the objects (they are `object` and `oldObject`). */
export function celRequestOf(attrs: AdmissionAttributes, versioned: VersionedObjects): Record<string, unknown> {
  const { object: _object, oldObject: _oldObject, ...request } = admissionRequestOf('', attrs, versioned);
  return request;
}

/** The host namespace of a namespaced request (undefined for cluster-scoped ones); 404 when the host has none. */
export async function namespaceOf(attrs: AdmissionAttributes, namespaces: HostNamespaces): Promise<Namespace | undefined> {
  if (!attrs.namespace) return undefined;
  const namespace = await namespaces.get(attrs.namespace);
  if (!namespace) throw newNotFound({ group: '', resource: 'namespaces' }, attrs.namespace);
  return namespace;
}

const NAMESPACE_META_FIELDS = [
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'finalizers',
] as const;

/** cel.CreateNamespaceObject: the namespace's spec, status and some of its metadata (ValidatingAdmissionPolicy's namespaceObject). */
export function namespaceObjectOf(namespace: Namespace | undefined): Record<string, unknown> | null {
  if (!namespace) return null;
  const full = namespace as Namespace & { spec?: unknown; metadata?: Record<string, unknown> };
  const metadata: Record<string, unknown> = {};
  for (const field of NAMESPACE_META_FIELDS) if (full.metadata?.[field] !== undefined) metadata[field] = full.metadata[field];
  return { metadata, ...(full.spec !== undefined ? { spec: full.spec } : {}), ...(full.status !== undefined ? { status: full.status } : {}) };
}

/** A param as CEL sees it: with apiVersion and kind (Go's wrappedParam, for typed params the informer keeps without them). */
export function paramWithTypeMeta(param: Record<string, unknown> | null, paramKind: ParamKind | undefined): Record<string, unknown> | null {
  if (!param || !paramKind || (param['apiVersion'] && param['kind'])) return param;
  return { ...param, apiVersion: paramKind.apiVersion, kind: paramKind.kind };
}

export interface CompiledCondition {
  name: string;
  compiled: CompiledExpression;
}

export type MatchResult = { matches: boolean } | { error: string };

/**
 * matchconditions.Matcher.Match: false as soon as a condition is false; errors (or the budget
 * spent) are the result's error with failurePolicy Fail, no match with Ignore.
 */
export function matchConditions(conditions: readonly CompiledCondition[], composition: Composition, inputs: PolicyInputs, failurePolicy: FailurePolicy | undefined): MatchResult {
  if (conditions.length === 0) return { matches: true };
  const fail = failurePolicy !== 'Ignore';
  const activation = composition.activation(inputs);
  const budget = new CostBudget(MATCH_CONDITIONS_COST_BUDGET);
  const errors: string[] = [];
  for (const { compiled } of conditions) {
    let result;
    try {
      result = activation.evaluate(compiled, budget);
    } catch (err) {
      if (!(err instanceof BudgetExceeded)) throw err;
      return fail ? { error: err.message } : { matches: false };
    }
    if ('error' in result) errors.push(result.error);
    else if (result.value === false) return { matches: false };
  }
  if (errors.length > 0) return fail ? { error: aggregateMessage(errors) } : { matches: false };
  return { matches: true };
}

