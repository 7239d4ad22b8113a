/**
 * The MutatingAdmissionWebhook and ValidatingAdmissionWebhook plugins (k8s.io/apiserver
 * pkg/admission/plugin/webhook/{mutating,validating}): for each webhook of the host that matches
 * the request, an AdmissionReview in the version its rules match, the answer applied. Mutating
 * webhooks run one after another (their JSONPatch applied to the object; those with
 * reinvocationPolicy IfNeeded again in the chain's second pass when the object changed after
 * them), validating ones all at once.
 */
import { randomUUID } from 'node:crypto';
import {
  StatusError,
  isStatusError,
  newBadRequest,
  newForbidden,
  newInternalError,
  type KubeObject,
  type StatusReason,
  deepEqual,
} from '@kapi/apimachinery';
import { applyPatch as applyJsonPatch, type Operation } from 'fast-json-patch';
import { addAuditAnnotation } from '../../registry/admission.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/rest.js';
import { admissionRequestOf, replaceObject, versionedObjectsOf, type VersionedObjects } from '../admission-request.js';
import { BudgetExceeded, CostBudget, MATCH_CONDITIONS_COST_BUDGET, aggregateMessage, evaluateExpression } from '../expressions.js';
import type { HostNamespaces } from '../host-namespaces.js';
import { matchingVersion, namespaceSelectorMatches, objectSelectorMatches } from '../matching.js';
import { HookReinvocation } from '../reinvocation.js';
import { WebhookCallError, type WebhookClient } from './call.js';
import type { WebhookAccessor, WebhookConfigurations } from './configurations.js';

export const MUTATING_ADMISSION_WEBHOOK = 'MutatingAdmissionWebhook';
export const VALIDATING_ADMISSION_WEBHOOK = 'ValidatingAdmissionWebhook';

/** The audit annotations Go's dispatchers write (round_<r>_index_<i>: the webhook's place in the list). */
const MUTATION_ANNOTATION_PREFIX = 'mutation.webhook.admission.k8s.io/';
const VALIDATING_ANNOTATION_PREFIX = 'validating.webhook.admission.k8s.io/';

export interface WebhookDispatchOptions {
  configurations: Pick<WebhookConfigurations, 'webhooks'>;
  namespaces: HostNamespaces;
  /** Calls the webhooks (kept connections, Services resolved through the host). */
  client: WebhookClient;
  /** Told of every failed call that failurePolicy Ignore lets through. */
  onIgnoredFailure?(err: WebhookCallError): void;
}

interface Invocation {
  webhook: WebhookAccessor;
  version: string;
}

interface WebhookResponse {
  uid?: string;
  allowed?: boolean;
  /** The Status of a denial (Go's AdmissionResponse.Result, named status on the wire). */
  status?: { code?: number; status?: string; message?: string; reason?: string; details?: unknown };
  patch?: string;
  patchType?: string;
  warnings?: string[];
  auditAnnotations?: Record<string, unknown>;
}

/** webhookerrors.ToStatusErr: a denial as the Status the client gets. */
function denial(webhookName: string, result: WebhookResponse['status']): StatusError {
  const deniedBy = `admission webhook "${webhookName}" denied the request`;
  const r = result ?? {};
  const message = r.message ? `${deniedBy}: ${r.message}` : r.reason ? `${deniedBy}: ${r.reason}` : `${deniedBy} without explanation`;
  const code = typeof r.code === 'number' && r.code >= 400 ? r.code : 400;
  const details = r.details && typeof r.details === 'object' ? (r.details as StatusError['status']['details']) : undefined;
  const err = new StatusError(code, (r.reason ?? '') as StatusReason, message, details);
  if (!r.reason) delete err.status.reason;
  return err;
}

/** Which webhook applies, and in which version (generic.Webhook.ShouldCallHook, matchConditions after). */
async function invocationOf(webhook: WebhookAccessor, attrs: AdmissionAttributes, opts: WebhookDispatchOptions): Promise<Invocation | undefined> {
  const { spec } = webhook;
  if ('error' in webhook.selectors) throw newInternalError(new Error(`webhook "${spec.name}": ${webhook.selectors.error}`));
  if (!(await namespaceSelectorMatches(webhook.selectors.namespace, attrs, opts.namespaces))) return undefined;
  if (!objectSelectorMatches(webhook.selectors.object, attrs)) return undefined;
  const version = matchingVersion(spec.rules ?? [], attrs, spec.matchPolicy);
  if (version === undefined) return undefined;
  if (webhook.matchConditions.length > 0) {
    const versioned = versionedObjectsOf(attrs, version);
    const outcome = matchConditionsOf(webhook, { object: versioned.object, oldObject: versioned.oldObject, request: admissionRequestOf('', attrs, versioned) });
    if (outcome !== true) {
      if (outcome === false) return undefined;
      // An evaluation error fails closed, unless the webhook's failurePolicy is Ignore.
      if (ignores(webhook)) return undefined;
      throw newForbidden({ group: attrs.group, resource: attrs.resource }, attrs.name, outcome.error);
    }
  }
  return { webhook, version };
}

/**
 * matchConditions.Matcher.Match: any condition false skips the webhook; otherwise an error of any
 * (or the budget spent) is the outcome's error; all true is a match.
 */
function matchConditionsOf(webhook: WebhookAccessor, activation: Record<string, unknown>): boolean | { error: string } {
  const budget = new CostBudget(MATCH_CONDITIONS_COST_BUDGET);
  const errors: string[] = [];
  try {
    for (const { compiled } of webhook.matchConditions) {
      const result = evaluateExpression(compiled, activation, budget);
      if ('error' in result) errors.push(result.error);
      else if (result.value === false) return false;
      else if (result.value !== true) errors.push(`expression '${compiled.expression}' resulted in error: no such overload: cannot use ${typeof result.value} as bool`);
    }
  } catch (err) {
    if (err instanceof BudgetExceeded) return { error: err.message };
    throw err;
  }
  return errors.length > 0 ? { error: aggregateMessage(errors) } : true;
}

/** sideEffects against dryRun: a webhook that may have side effects is not called for a dry run. */
function checkDryRun(webhook: WebhookAccessor, attrs: AdmissionAttributes): void {
  if (!attrs.dryRun) return;
  const sideEffects = webhook.spec.sideEffects;
  if (sideEffects === undefined) throw new WebhookCallError(webhook.spec.name, 'Webhook SideEffects is nil');
  if (sideEffects !== 'None' && sideEffects !== 'NoneOnDryRun') throw newBadRequest(`admission webhook "${webhook.spec.name}" does not support dry run`);
}

/** One call: the review out, its answer verified (VerifyAdmissionResponse); WebhookCallError when it cannot be had. */
async function call(invocation: Invocation, attrs: AdmissionAttributes, versioned: VersionedObjects, mutating: boolean, opts: WebhookDispatchOptions): Promise<WebhookResponse> {
  const { spec } = invocation.webhook;
  const reviewVersion = (spec.admissionReviewVersions ?? []).find((v) => v === 'v1' || v === 'v1beta1');
  if (!reviewVersion) throw new WebhookCallError(spec.name, 'could not create admission objects: webhook does not accept known AdmissionReview versions (v1, v1beta1)');
  const uid = randomUUID();
  const apiVersion = `admission.k8s.io/${reviewVersion}`;
  const review = { kind: 'AdmissionReview', apiVersion, request: admissionRequestOf(uid, attrs, versioned) };
  let answer: unknown;
  try {
    const endpoint = await opts.client.endpointOf(spec.clientConfig);
    answer = await opts.client.postReview(endpoint, review, {
      timeoutSeconds: spec.timeoutSeconds ?? 10,
      ...(spec.clientConfig.caBundle ? { caBundle: spec.clientConfig.caBundle } : {}),
    });
  } catch (err) {
    throw new WebhookCallError(spec.name, err instanceof Error ? err.message : String(err));
  }
  const invalid = (why: string): WebhookCallError => new WebhookCallError(spec.name, `received invalid webhook response: ${why}`);
  const r = answer as { apiVersion?: string; kind?: string; response?: WebhookResponse };
  if (!r || typeof r !== 'object' || !r.response || typeof r.response !== 'object') throw invalid('webhook response was absent');
  const response = r.response;
  if (reviewVersion === 'v1') {
    if (response.uid !== uid) throw invalid(`expected response.uid="${uid}", got "${response.uid ?? ''}"`);
    if (r.apiVersion !== apiVersion || r.kind !== 'AdmissionReview') {
      throw invalid(`expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got ${r.apiVersion ?? ''}, Kind=${r.kind ?? ''}`);
    }
    if (mutating) {
      if (response.patch && response.patchType === undefined) throw invalid('webhook returned response.patch but not response.patchType');
      if (!response.patch && response.patchType !== undefined) throw invalid('webhook returned response.patchType but not response.patch');
    } else {
      if (response.patch) throw invalid('validating webhook may not return response.patch');
      if (response.patchType !== undefined) throw invalid('validating webhook may not return response.patchType');
    }
  } else if (mutating && response.patch) {
    response.patchType = 'JSONPatch';
  }
  for (const warning of response.warnings ?? []) if (typeof warning === 'string') attrs.warnings.push(warning);
  for (const [key, value] of Object.entries(response.auditAnnotations ?? {})) {
    if (typeof value === 'string') addAuditAnnotation(attrs, `${spec.name}/${key}`, value);
  }
  if (response.allowed !== true) throw denial(spec.name, response.status);
  return response;
}

const ignores = (webhook: WebhookAccessor): boolean => webhook.spec.failurePolicy === 'Ignore';

/**
 * An error of one webhook as the request ends with it: a failed call is a 500 unless failurePolicy
 * is Ignore, which lets the request through and says so in the audit event under `failedOpenKey`.
 */
function settle(webhook: WebhookAccessor, err: unknown, opts: WebhookDispatchOptions, attrs: AdmissionAttributes, failedOpenKey: string): void {
  if (err instanceof WebhookCallError) {
    if (ignores(webhook)) {
      opts.onIgnoredFailure?.(err);
      addAuditAnnotation(attrs, failedOpenKey, webhook.spec.name);
      return;
    }
    throw newInternalError(err);
  }
  throw err;
}

/** Applies a JSONPatch answer to the webhook's copy of the object; true when it changed it. */
function applyPatch(webhookName: string, response: WebhookResponse, versioned: VersionedObjects): boolean {
  if (!response.patch) return false;
  if (response.patchType !== 'JSONPatch') throw new WebhookCallError(webhookName, `unsupported patch type "${response.patchType ?? ''}"`);
  let operations: Operation[];
  try {
    operations = JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')) as Operation[];
    if (!Array.isArray(operations)) throw new Error('a JSON patch is an array of operations');
  } catch (err) {
    throw new WebhookCallError(webhookName, `received undecodable patch in webhook response: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (operations.length === 0) return false;
  if (!versioned.object) {
    throw newInternalError(new Error(`admission webhook "${webhookName}" attempted to modify the object, which is not supported for this operation`));
  }
  let patched: KubeObject;
  try {
    patched = applyJsonPatch(versioned.object, operations, true, false).newDocument;
  } catch (err) {
    throw newInternalError(err);
  }
  const changed = !deepEqual(patched, versioned.object);
  versioned.object = patched;
  return changed;
}

export function mutatingWebhooks(opts: WebhookDispatchOptions): AdmissionPlugin {
  return {
    name: MUTATING_ADMISSION_WEBHOOK,
    async admit(attrs) {
      const webhooks = opts.configurations.webhooks();
      if (webhooks.length === 0) return;
      const reinvocation = HookReinvocation.of(attrs, MUTATING_ADMISSION_WEBHOOK);
      reinvocation.begin(attrs.object);
      const round = reinvocation.isReinvoke ? 1 : 0;
      // The object as the webhooks change it, in the version the last one saw it; converted back at the end.
      let current: VersionedObjects | undefined;
      let dirty = false;
      const inVersion = (version: string): VersionedObjects => {
        if (current && current.version === version) return current;
        if (current && dirty && current.object) replaceObject(attrs, attrs.objects.decode(current.object));
        dirty = false;
        return (current = versionedObjectsOf(attrs, version));
      };
      try {
        for (const [index, webhook] of webhooks.entries()) {
          const invocation = await invocationOf(webhook, attrs, opts);
          if (!invocation || !reinvocation.shouldCall(webhook.uid)) continue;
          const versioned = inVersion(invocation.version);
          let changed = false;
          const key = `round_${round}_index_${index}`;
          try {
            checkDryRun(webhook, attrs);
            const response = await call(invocation, attrs, versioned, true, opts);
            changed = applyPatch(webhook.spec.name, response, versioned);
          } catch (err) {
            settle(webhook, err, opts, attrs, `failed-open.${MUTATION_ANNOTATION_PREFIX}${key}`);
          } finally {
            const mutation = { configuration: webhook.configurationName, webhook: webhook.spec.name, mutated: changed };
            addAuditAnnotation(attrs, `${MUTATION_ANNOTATION_PREFIX}${key}`, JSON.stringify(mutation));
          }
          if (changed) {
            dirty = true;
            reinvocation.changed();
          }
          reinvocation.invoked(webhook.uid, webhook.spec.reinvocationPolicy === 'IfNeeded');
        }
        if (current && dirty && current.object) replaceObject(attrs, attrs.objects.decode(current.object));
      } finally {
        reinvocation.end(attrs.object);
      }
    },
  };
}

export function validatingWebhooks(opts: WebhookDispatchOptions): AdmissionPlugin {
  return {
    name: VALIDATING_ADMISSION_WEBHOOK,
    async validate(attrs) {
      const webhooks = opts.configurations.webhooks();
      if (webhooks.length === 0) return;
      const invocations: Array<{ invocation: Invocation; index: number }> = [];
      for (const [index, webhook] of webhooks.entries()) {
        const invocation = await invocationOf(webhook, attrs, opts);
        if (invocation) invocations.push({ invocation, index });
      }
      const results = await Promise.allSettled(
        invocations.map(async ({ invocation, index }) => {
          try {
            checkDryRun(invocation.webhook, attrs);
            await call(invocation, attrs, versionedObjectsOf(attrs, invocation.version), false, opts);
          } catch (err) {
            settle(invocation.webhook, err, opts, attrs, `failed-open.${VALIDATING_ANNOTATION_PREFIX}round_0_index_${index}`);
          }
        }),
      );
      // Go returns the first error it collects; the others are logged.
      for (const result of results) if (result.status === 'rejected') throw isStatusError(result.reason) ? result.reason : newInternalError(result.reason);
    },
  };
}
