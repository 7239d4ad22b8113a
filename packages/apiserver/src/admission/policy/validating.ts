/**
 * The ValidatingAdmissionPolicy plugin (k8s.io/apiserver pkg/admission/plugin/policy/validating):
 * for each policy of the host whose matchConstraints match the request, and each of its bindings
 * that matches too, the policy's validations are evaluated once per param the binding selects, in
 * the version the policy's rules matched; a failed validation is acted on as the binding's
 * validationActions say (Deny refuses the request, Warn adds a Warning, Audit an audit annotation), an
 * error as the policy's failurePolicy says. The first denial refuses the request, worded as Go words it.
 */
import { StatusError, newForbidden, type StatusReason } from '@kapi/apimachinery';
import type { KubeRestClient } from '../../kube/index.js';
import { addAuditAnnotation } from '../../registry/admission.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/rest.js';
import { versionedObjectsOf, type VersionedObjects } from '../admission-request.js';
import { BudgetExceeded, CostBudget, POLICY_COST_BUDGET, type CompiledExpression, type Evaluation } from '../expressions.js';
import type { HostNamespaces, Namespace } from '../host-namespaces.js';
import { celRequestOf, matchConditions, namespaceObjectOf, namespaceOf, paramWithTypeMeta, resourceNameOf, type CompiledCondition } from './common.js';
import { Composition, type PolicyInputs } from './composition.js';
import { policyInvocations } from './invocations.js';
import type { ParamSources } from './params.js';
import { VALIDATING_ADMISSION_POLICY, type PolicyHook, type PolicySource } from './source.js';
import type { AuditAnnotation, FailurePolicy, ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding, Validation } from './types.js';

export { VALIDATING_ADMISSION_POLICY };

/** celconfig.MaxEvaluatedMessageExpressionSizeBytes. */
const MAX_MESSAGE_BYTES = 5 * 1024;
/** maxAuditAnnotationValueLength. */
const MAX_AUDIT_ANNOTATION_VALUE = 10 * 1024;
/** maxValidationFailures in the validation_failure audit annotation. */
const MAX_VALIDATION_FAILURES = 50;

/** A policy compiled (compilePolicy): its expressions, with the variables they share. */
export interface CompiledValidatingPolicy {
  composition: Composition;
  failurePolicy: FailurePolicy | undefined;
  matchConditions: CompiledCondition[];
  validations: Array<{ validation: Validation; compiled: CompiledExpression; message?: CompiledExpression }>;
  auditAnnotations: Array<{ annotation: AuditAnnotation; compiled: CompiledExpression }>;
}

export function compileValidatingPolicy(policy: ValidatingAdmissionPolicy): CompiledValidatingPolicy {
  const spec = policy.spec ?? {};
  const composition = new Composition(spec.variables ?? [], spec.paramKind !== undefined);
  return {
    composition,
    failurePolicy: spec.failurePolicy,
    matchConditions: (spec.matchConditions ?? []).map((c) => ({ name: c.name, compiled: composition.compile(c.expression, ['bool']) })),
    validations: (spec.validations ?? []).map((validation) => ({
      validation,
      compiled: composition.compile(validation.expression, ['bool']),
      ...(validation.messageExpression ? { message: composition.compile(validation.messageExpression, ['string']) } : {}),
    })),
    auditAnnotations: (spec.auditAnnotations ?? []).map((annotation) => ({ annotation, compiled: composition.compile(annotation.valueExpression, ['string', 'null_type']) })),
  };
}

export type PolicyDecision =
  | { action: 'admit'; evaluation: 'admit' | 'error'; message?: string }
  | { action: 'deny'; evaluation: 'deny' | 'error'; message: string; reason?: string };

export type AuditAnnotationResult = { action: 'publish'; key: string; value: string } | { action: 'error'; key: string; error: string } | { action: 'exclude'; key: string };

export interface ValidateResult {
  decisions: PolicyDecision[];
  auditAnnotations: AuditAnnotationResult[];
}

const errorDecision = (failurePolicy: FailurePolicy | undefined, message: string): PolicyDecision =>
  failurePolicy === 'Ignore' ? { action: 'admit', evaluation: 'error', message } : { action: 'deny', evaluation: 'error', message };

/** The message of a failed validation: its messageExpression's string, else its message, else the expression. */
function failureMessage(validation: Validation, messageResult: Evaluation | undefined): string {
  let message = '';
  if (messageResult && 'value' in messageResult && typeof messageResult.value === 'string') {
    message = messageResult.value.trim();
    if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES || message.includes('\n')) message = '';
  }
  if (!message && validation.message) message = validation.message.trim();
  if (!message) message = `failed expression: ${validation.expression.trim()}`;
  return message;
}

/**
 * validator.Validate: the decisions of one policy for one param, and its audit annotations. The
 * validations share one budget; the messageExpressions get what is left of it.
 */
export function validatePolicy(c: CompiledValidatingPolicy, base: Omit<PolicyInputs, 'namespaceObject'>, namespaceObject: unknown, budget = new CostBudget(POLICY_COST_BUDGET)): ValidateResult {
  const f = c.failurePolicy;
  const only = (message: string): ValidateResult => ({ decisions: [errorDecision(f, message)], auditAnnotations: [] });
  const matched = matchConditions(c.matchConditions, c.composition, { ...base, namespaceObject: null }, f);
  if ('error' in matched) return only(matched.error);
  if (!matched.matches) return { decisions: [], auditAnnotations: [] };

  const inputs: PolicyInputs = { ...base, namespaceObject };
  const activation = c.composition.activation(inputs);
  const results: Evaluation[] = [];
  try {
    for (const v of c.validations) results.push(activation.evaluate(v.compiled, budget));
  } catch (err) {
    if (err instanceof BudgetExceeded) return only(err.message);
    throw err;
  }
  const messages: Array<Evaluation | undefined> = [];
  let messagesError: string | undefined;
  const messageActivation = c.composition.activation(inputs);
  const messageBudget = new CostBudget(budget.remaining);
  try {
    for (const v of c.validations) messages.push(v.message ? messageActivation.evaluate(v.message, messageBudget) : undefined);
  } catch (err) {
    if (!(err instanceof BudgetExceeded)) throw err;
    messagesError = err.message;
    messages.length = 0;
  }
  const decisions = c.validations.map(({ validation }, i): PolicyDecision => {
    const result = results[i]!;
    if ('error' in result) return errorDecision(f, result.error);
    if (messagesError !== undefined) return errorDecision(f, `failed messageExpression: ${messagesError}`);
    if (result.value !== true) return { action: 'deny', evaluation: 'deny', message: failureMessage(validation, messages[i]), reason: validation.reason ?? 'Invalid' };
    return { action: 'admit', evaluation: 'admit' };
  });

  const annotationActivation = c.composition.activation(inputs);
  const annotationBudget = new CostBudget(POLICY_COST_BUDGET);
  const annotations: AuditAnnotationResult[] = [];
  try {
    for (const { annotation, compiled } of c.auditAnnotations) {
      const result = annotationActivation.evaluate(compiled, annotationBudget);
      const key = annotation.key;
      if ('error' in result) annotations.push(f === 'Ignore' ? { action: 'exclude', key } : { action: 'error', key, error: result.error });
      else if (typeof result.value === 'string') {
        const value = result.value.trim();
        annotations.push(value ? { action: 'publish', key, value } : { action: 'exclude', key });
      } else if (result.value === null) annotations.push({ action: 'exclude', key });
      else {
        annotations.push({
          action: 'error',
          key,
          error: `valueExpression '${annotation.valueExpression}' resulted in unsupported return type: ${celTypeName(result.value)}. Return type must be either string or null.`,
        });
      }
    }
  } catch (err) {
    if (err instanceof BudgetExceeded) return only(err.message);
    throw err;
  }
  return { decisions, auditAnnotations: annotations };
}

function celTypeName(value: unknown): string {
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'double';
  if (Array.isArray(value)) return 'list';
  if (typeof value === 'object') return 'map';
  return typeof value;
}

/** reasonToCode. */
function codeOf(reason: string): number {
  switch (reason) {
    case 'Forbidden':
      return 403;
    case 'Unauthorized':
      return 401;
    case 'RequestEntityTooLarge':
      return 413;
    default:
      return 422;
  }
}

interface Denied {
  policy: string;
  binding?: string;
  message: string;
  reason?: string;
}

/** The Status of the first denial: Forbidden's message and details, with the decision's reason and its code. */
function denialError(attrs: AdmissionAttributes, denied: Denied): StatusError {
  const message = denied.binding
    ? `ValidatingAdmissionPolicy '${denied.policy}' with binding '${denied.binding}' denied request: ${denied.message}`
    : `ValidatingAdmissionPolicy '${denied.policy}' denied request: ${denied.message}`;
  const forbidden = newForbidden({ group: attrs.group, resource: attrs.resource }, resourceNameOf(attrs), message);
  const reason = denied.reason || 'Invalid';
  const details = { ...forbidden.status.details, causes: [{ message }] };
  return new StatusError(codeOf(reason), reason as StatusReason, forbidden.status.message ?? message, details);
}

export type ValidatingHook = PolicyHook<ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding, CompiledValidatingPolicy>;

export interface ValidatingPolicyOptions {
  source: PolicySource<ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding, CompiledValidatingPolicy>;
  params: ParamSources;
  namespaces: HostNamespaces;
  host: KubeRestClient;
}

/** validating.dispatcher.Dispatch. */
async function dispatch(attrs: AdmissionAttributes, hooks: readonly ValidatingHook[], opts: ValidatingPolicyOptions): Promise<void> {
  const denied: Denied[] = [];
  const failures: Array<{ message: string; policy: string; binding: string; expressionIndex: number; validationActions: string[] }> = [];
  const configError = (hook: ValidatingHook, binding: ValidatingAdmissionPolicyBinding | undefined, err: unknown): void => {
    if (hook.policy.spec?.failurePolicy === 'Ignore') return;
    const why = err instanceof Error ? err.message : String(err);
    denied.push({ policy: hook.name, ...(binding ? { binding: binding.metadata?.name ?? '' } : {}), message: binding ? `failed to configure binding: ${why}` : `failed to configure policy: ${why}` });
  };
  const versioned = new Map<string, VersionedObjects>();
  let namespace: Namespace | undefined;
  let namespaceLooked = false;

  // Each policy's published audit annotations, joined over its bindings and params, as Go does.
  const published = new Map<ValidatingHook, Map<string, string[]>>();
  for (const { hook, binding, version, param } of await policyInvocations(attrs, hooks, opts, configError)) {
    const bindingName = binding.metadata?.name ?? '';
    const paramKind = hook.policy.spec?.paramKind;
    let objects = versioned.get(version);
    if (!objects) {
      try {
        objects = versionedObjectsOf(attrs, version);
      } catch (err) {
        configError(hook, binding, new Error(`failed to convert object version: ${err instanceof Error ? err.message : String(err)}`));
        continue;
      }
      versioned.set(version, objects);
    }
    if (!namespaceLooked) {
      namespace = await namespaceOf(attrs, opts.namespaces);
      namespaceLooked = true;
    }
    const base = { object: objects.object, oldObject: objects.oldObject, request: celRequestOf(attrs, objects) };
    const actions = binding.spec?.validationActions ?? [];
    const result = validatePolicy(hook.compiled, { ...base, ...(paramKind ? { params: paramWithTypeMeta(param, paramKind) } : {}) }, namespaceObjectOf(namespace));
    result.decisions.forEach((decision, i) => {
      if (decision.action !== 'deny') return;
      for (const action of actions) {
        if (action === 'Deny') denied.push({ policy: hook.name, binding: bindingName, message: decision.message, ...(decision.evaluation === 'deny' ? { reason: decision.reason } : {}) });
        else if (action === 'Audit') failures.push({ message: decision.message, policy: binding.spec?.policyName ?? '', binding: bindingName, expressionIndex: i, validationActions: [...actions] });
        else if (action === 'Warn') attrs.warnings.push(`Validation failed for ValidatingAdmissionPolicy '${hook.name}' with binding '${bindingName}': ${decision.message}`);
      }
    });
    for (const annotation of result.auditAnnotations) {
      if (annotation.action === 'publish') {
        let keys = published.get(hook);
        if (!keys) published.set(hook, (keys = new Map()));
        const values = keys.get(annotation.key) ?? [];
        const value = annotation.value.slice(0, MAX_AUDIT_ANNOTATION_VALUE);
        if (!values.includes(value)) values.push(value);
        keys.set(annotation.key, values);
      } else if (annotation.action === 'error') {
        denied.push({ policy: hook.name, binding: bindingName, message: annotation.error });
      }
    }
  }
  for (const [hook, keys] of published) for (const [key, values] of keys) addAuditAnnotation(attrs, `${hook.name}/${key}`, values.join(', '));
  if (failures.length > 0) addAuditAnnotation(attrs, 'validation.policy.admission.k8s.io/validation_failure', JSON.stringify(failures.slice(0, MAX_VALIDATION_FAILURES)));
  if (denied.length > 0) throw denialError(attrs, denied[0]!);
}

export function validatingAdmissionPolicy(opts: ValidatingPolicyOptions): AdmissionPlugin {
  return {
    name: VALIDATING_ADMISSION_POLICY,
    async validate(attrs) {
      if (!opts.source.hasSynced) throw newForbidden({ group: attrs.group, resource: attrs.resource }, resourceNameOf(attrs), 'not yet ready to handle request');
      const hooks = opts.source.hooks();
      if (hooks.length > 0) await dispatch(attrs, hooks, opts);
    },
  };
}
