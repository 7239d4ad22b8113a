/**
 * The audit policy (`--audit-policy-file`): an audit.k8s.io/v1 Policy read from YAML or JSON,
 * validated and evaluated as k8s.io/apiserver's pkg/audit/policy (reader.go, checker.go) and
 * pkg/apis/audit/validation do it.
 */
import type { AuthorizationAttributes } from '../security/authz.js';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { isDNS1123Subdomain } from '@kapi/apimachinery';

export type AuditLevel = 'None' | 'Metadata' | 'Request' | 'RequestResponse';
export type AuditStage = 'RequestReceived' | 'ResponseStarted' | 'ResponseComplete' | 'Panic';

/** Least to most detail; the order levelAtLeast compares by. */
export const AUDIT_LEVELS: readonly AuditLevel[] = ['None', 'Metadata', 'Request', 'RequestResponse'];
export const AUDIT_STAGES: readonly AuditStage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'];

export const AUDIT_API_VERSION = 'audit.k8s.io/v1';

/** Whether `level` records at least as much as `min` (Go's !level.Less(min)). */
export function levelAtLeast(level: AuditLevel, min: AuditLevel): boolean {
  return AUDIT_LEVELS.indexOf(level) >= AUDIT_LEVELS.indexOf(min);
}

export interface AuditUser {
  username: string;
  uid?: string;
  groups?: string[];
  extra?: Record<string, string[]>;
}

/**
 * What a policy is evaluated against: the authorizer attributes of a request (Go's
 * authorizer.Attributes, as authorization reads them); `user` is absent when the request was not
 * authenticated, and rules naming users or groups then never match.
 */
export type AuditAttributes = Omit<AuthorizationAttributes, 'user'> & { user?: AuditUser };

export interface GroupResources {
  /** "" is the core group, "*" any group. */
  group?: string;
  /** "pods", "pods/log", "*", "*\/scale", "pods/*"; none means every resource of the group. */
  resources?: string[];
  resourceNames?: string[];
}

export interface PolicyRule {
  level: AuditLevel;
  users?: string[];
  userGroups?: string[];
  verbs?: string[];
  resources?: GroupResources[];
  namespaces?: string[];
  nonResourceURLs?: string[];
  omitStages?: AuditStage[];
  /** Overrides the policy's omitManagedFields when set. */
  omitManagedFields?: boolean;
}

export interface AuditPolicy {
  apiVersion: typeof AUDIT_API_VERSION;
  kind: 'Policy';
  rules: PolicyRule[];
  omitStages?: AuditStage[];
  omitManagedFields?: boolean;
}

/** A rule as decoded, before validation has checked its level and stages. */
export type UncheckedPolicyRule = Omit<PolicyRule, 'level' | 'omitStages'> & { level: string; omitStages?: string[] };

/** A policy as decoded, before validation (AuditPolicy is one too). */
export interface UncheckedPolicy {
  rules: UncheckedPolicyRule[];
  omitStages?: string[];
  omitManagedFields?: boolean;
}

/** How one request is audited (Go's RequestAuditConfig). */
export interface RequestAuditConfig {
  level: AuditLevel;
  omitStages: readonly AuditStage[];
  omitManagedFields: boolean;
}

/** A policy file that cannot be used; `problems` are the field errors, each naming its field. */
export class AuditPolicyError extends Error {
  readonly file: string | undefined;
  readonly problems: readonly string[];

  constructor(problems: string[], file?: string) {
    const where = file === undefined ? 'audit policy' : `audit policy file ${JSON.stringify(file)}`;
    super(`${where}: ${problems.join('; ')}`);
    this.name = 'AuditPolicyError';
    this.file = file;
    this.problems = problems;
  }
}

// ---- decoding ---------------------------------------------------------------------------------

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Collects type errors (decoding fails on them in Go) and unknown fields (Go warns and decodes leniently). */
class Decoder {
  readonly errors: string[] = [];
  readonly warnings: string[] = [];

  unknownFields(obj: JsonObject, known: readonly string[], path: string): void {
    for (const key of Object.keys(obj)) {
      if (!known.includes(key)) this.warnings.push(`unknown field ${JSON.stringify(path === '' ? key : `${path}.${key}`)}`);
    }
  }

  /** A list of strings; null or absent is "none", as Go decodes a nil slice. */
  strings(obj: JsonObject, key: string, path: string): string[] | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (!Array.isArray(value) || !value.every((v): v is string => typeof v === 'string')) {
      this.errors.push(`${path}.${key}: must be a list of strings`);
      return undefined;
    }
    return value;
  }

  string(obj: JsonObject, key: string, path: string): string | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') {
      this.errors.push(`${join(path, key)}: must be a string`);
      return undefined;
    }
    return value;
  }

  boolean(obj: JsonObject, key: string, path: string): boolean | undefined {
    const value = obj[key];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') {
      this.errors.push(`${join(path, key)}: must be a boolean`);
      return undefined;
    }
    return value;
  }
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

const POLICY_FIELDS = ['apiVersion', 'kind', 'metadata', 'rules', 'omitStages', 'omitManagedFields'] as const;
const RULE_FIELDS = [
  'level',
  'users',
  'userGroups',
  'verbs',
  'resources',
  'namespaces',
  'nonResourceURLs',
  'omitStages',
  'omitManagedFields',
] as const;
const GROUP_RESOURCES_FIELDS = ['group', 'resources', 'resourceNames'] as const;

function decodeGroupResources(d: Decoder, value: unknown, path: string): GroupResources {
  if (!isObject(value)) {
    d.errors.push(`${path}: must be an object`);
    return {};
  }
  d.unknownFields(value, GROUP_RESOURCES_FIELDS, path);
  const gr: GroupResources = {};
  const group = d.string(value, 'group', path);
  if (group !== undefined) gr.group = group;
  const resources = d.strings(value, 'resources', path);
  if (resources !== undefined) gr.resources = resources;
  const resourceNames = d.strings(value, 'resourceNames', path);
  if (resourceNames !== undefined) gr.resourceNames = resourceNames;
  return gr;
}

function decodeRule(d: Decoder, value: unknown, path: string): UncheckedPolicyRule {
  // An unset level stays "" so validation reports it as required, as Go's does.
  const rule: UncheckedPolicyRule = { level: '' };
  if (!isObject(value)) {
    d.errors.push(`${path}: must be an object`);
    return rule;
  }
  d.unknownFields(value, RULE_FIELDS, path);
  const level = d.string(value, 'level', path);
  if (level !== undefined) rule.level = level;
  for (const key of ['users', 'userGroups', 'verbs', 'namespaces', 'nonResourceURLs'] as const) {
    const list = d.strings(value, key, path);
    if (list !== undefined) rule[key] = list;
  }
  const resources = value['resources'];
  if (resources !== undefined && resources !== null) {
    if (Array.isArray(resources)) {
      rule.resources = resources.map((gr, i) => decodeGroupResources(d, gr, `${path}.resources[${i}]`));
    } else {
      d.errors.push(`${path}.resources: must be a list`);
    }
  }
  const omitStages = d.strings(value, 'omitStages', path);
  if (omitStages !== undefined) rule.omitStages = omitStages;
  const omitManagedFields = d.boolean(value, 'omitManagedFields', path);
  if (omitManagedFields !== undefined) rule.omitManagedFields = omitManagedFields;
  return rule;
}

function decodePolicy(d: Decoder, doc: unknown): UncheckedPolicy | undefined {
  if (doc === null || doc === undefined) {
    d.errors.push('the policy is empty');
    return undefined;
  }
  if (!isObject(doc)) {
    d.errors.push('the policy must be an object');
    return undefined;
  }
  d.unknownFields(doc, POLICY_FIELDS, '');
  // Only audit.k8s.io/v1 is served; v1alpha1 and v1beta1 were removed from Kubernetes.
  const apiVersion = d.string(doc, 'apiVersion', '');
  if (apiVersion !== AUDIT_API_VERSION) {
    d.errors.push(
      apiVersion === undefined
        ? `apiVersion: Required value: must be ${AUDIT_API_VERSION}`
        : `apiVersion: Unsupported value: ${JSON.stringify(apiVersion)}: supported values: "${AUDIT_API_VERSION}"`,
    );
  }
  const kind = d.string(doc, 'kind', '');
  if (kind !== 'Policy') {
    d.errors.push(
      kind === undefined ? 'kind: Required value: must be Policy' : `kind: Unsupported value: ${JSON.stringify(kind)}: supported values: "Policy"`,
    );
  }
  const policy: UncheckedPolicy = { rules: [] };
  const rules = doc['rules'];
  if (rules !== undefined && rules !== null) {
    if (Array.isArray(rules)) policy.rules = rules.map((rule, i) => decodeRule(d, rule, `rules[${i}]`));
    else d.errors.push('rules: must be a list');
  }
  const omitStages = d.strings(doc, 'omitStages', '');
  if (omitStages !== undefined) policy.omitStages = omitStages;
  const omitManagedFields = d.boolean(doc, 'omitManagedFields', '');
  if (omitManagedFields !== undefined) policy.omitManagedFields = omitManagedFields;
  return policy;
}

// ---- validation (pkg/apis/audit/validation) ----------------------------------------------------

function quoteAll(values: readonly string[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function validateOmitStages(stages: readonly string[] | undefined, path: string, errs: string[]): void {
  (stages ?? []).forEach((stage, i) => {
    if (!(AUDIT_STAGES as readonly string[]).includes(stage)) {
      errs.push(`${path}[${i}]: Invalid value: ${JSON.stringify(stage)}: allowed stages are ${AUDIT_STAGES.join(',')}`);
    }
  });
}

function validateRule(rule: UncheckedPolicyRule, path: string, errs: string[]): void {
  const level = rule.level;
  if (level === '') errs.push(`${path}.level: Required value`);
  else if (!(AUDIT_LEVELS as readonly string[]).includes(level)) {
    errs.push(`${path}.level: Unsupported value: ${JSON.stringify(level)}: supported values: ${quoteAll(AUDIT_LEVELS)}`);
  }

  (rule.nonResourceURLs ?? []).forEach((url, i) => {
    if (url === '*') return;
    const at = `${path}.nonResourceURLs[${i}]`;
    if (!url.startsWith('/')) errs.push(`${at}: Invalid value: ${JSON.stringify(url)}: non-resource URL rules must begin with a '/' character`);
    if (url !== '' && url.slice(0, -1).includes('*')) {
      errs.push(`${at}: Invalid value: ${JSON.stringify(url)}: non-resource URL wildcards '*' must be the final character of the rule`);
    }
  });

  (rule.resources ?? []).forEach((gr, i) => {
    const at = `${path}.resources[${i}]`;
    const group = gr.group ?? '';
    // Group names are DNS subdomains: "rbac.authorization.k8s.io/v1beta1" (a group version) is refused.
    if (group !== '' && group !== '*') {
      const msgs = isDNS1123Subdomain(group);
      if (msgs.length > 0) errs.push(`${at}.group: Invalid value: ${JSON.stringify(group)}: ${msgs.join(',')}`);
    }
    if ((gr.resourceNames ?? []).length > 0 && (gr.resources ?? []).length === 0) {
      errs.push(`${at}.resourceNames: Invalid value: ${JSON.stringify(gr.resourceNames)}: using resourceNames requires at least one resource`);
    }
  });

  validateOmitStages(rule.omitStages, `${path}.omitStages`, errs);

  if ((rule.nonResourceURLs ?? []).length > 0 && ((rule.resources ?? []).length > 0 || (rule.namespaces ?? []).length > 0)) {
    errs.push(
      `${path}.nonResourceURLs: Invalid value: ${JSON.stringify(rule.nonResourceURLs)}: rules cannot apply to both regular resources and non-resource URLs`,
    );
  }
}

/** The field errors of a policy (Go's ValidatePolicy); empty when it is valid. A policy without rules is valid here. */
export function validatePolicy(policy: UncheckedPolicy): string[] {
  const errs: string[] = [];
  validateOmitStages(policy.omitStages, 'omitStages', errs);
  policy.rules.forEach((rule, i) => validateRule(rule, `rules[${i}]`, errs));
  return errs;
}

// ---- loading ----------------------------------------------------------------------------------

export interface LoadPolicyOptions {
  /** Told about unknown fields, which are ignored as Go's lenient decoding ignores them; default process.emitWarning. */
  onWarning?: (message: string) => void;
}

/**
 * Parses and validates a policy from YAML or JSON text (Go's LoadPolicyFromBytes); `file` only
 * names the source in errors. Throws AuditPolicyError.
 */
export function parsePolicy(text: string, file?: string, options: LoadPolicyOptions = {}): AuditPolicy {
  // Later duplicate keys win, as in Go's lenient JSON decoding.
  const doc = parseDocument(text, { uniqueKeys: false });
  if (doc.errors.length > 0) {
    throw new AuditPolicyError(
      doc.errors.map((e) => `failed decoding: ${e.message}`),
      file,
    );
  }
  const d = new Decoder();
  const policy = decodePolicy(d, doc.toJS());
  const errs = [...d.errors];
  if (policy !== undefined && errs.length === 0) errs.push(...validatePolicy(policy));
  if (errs.length === 0 && policy !== undefined && policy.rules.length === 0) errs.push('loaded illegal policy with 0 rules');
  if (errs.length > 0 || policy === undefined) throw new AuditPolicyError(errs, file);
  // Validation has checked every level and stage against the AuditLevel and AuditStage values.
  const checked = { apiVersion: AUDIT_API_VERSION, kind: 'Policy', ...policy } as AuditPolicy;

  const warn = options.onWarning ?? ((message: string) => process.emitWarning(message, 'AuditPolicyWarning'));
  for (const w of d.warnings) {
    warn(`${file === undefined ? 'audit policy' : `audit policy file ${JSON.stringify(file)}`} contains errors, falling back to lenient decoding: ${w}`);
  }
  return checked;
}

/**
 * Reads `--audit-policy-file` (Go's LoadPolicyFromFile). A missing file is an error here; whether
 * a server without a policy audits nothing is for the caller to decide.
 */
export function loadPolicyFile(file: string, options: LoadPolicyOptions = {}): AuditPolicy {
  if (file === '') throw new AuditPolicyError(['file path not specified']);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new AuditPolicyError([`failed to read file: ${(err as Error).message}`], file);
  }
  return parsePolicy(text, file, options);
}

// ---- evaluation (checker.go) ------------------------------------------------------------------

/** Go's default when no rule matches. */
export const DEFAULT_AUDIT_LEVEL: AuditLevel = 'None';

/** The union of stage lists, in AUDIT_STAGES order so results are stable. */
export function unionStages(...lists: ReadonlyArray<readonly AuditStage[] | undefined>): AuditStage[] {
  const all = new Set<AuditStage>();
  for (const list of lists) for (const s of list ?? []) all.add(s);
  return AUDIT_STAGES.filter((s) => all.has(s));
}

function hasString(list: readonly string[] | undefined, value: string): boolean {
  return list !== undefined && list.includes(value);
}

function nonEmpty(list: readonly unknown[] | undefined): boolean {
  return list !== undefined && list.length > 0;
}

function pathMatches(path: string, spec: string): boolean {
  if (spec === '*' || spec === path) return true;
  // Trailing "*" matches by prefix: "/logs*" matches "/logs" and "/logs/kubelet.log".
  return spec.endsWith('*') && path.startsWith(spec.replace(/\*+$/, ''));
}

function ruleMatchesNonResource(rule: PolicyRule, attrs: AuditAttributes): boolean {
  if (attrs.isResourceRequest) return false;
  return (rule.nonResourceURLs ?? []).some((spec) => pathMatches(attrs.path, spec));
}

function ruleMatchesResource(rule: PolicyRule, attrs: AuditAttributes): boolean {
  if (!attrs.isResourceRequest) return false;
  // Cluster-scoped resources have namespace "", which a rule lists as "".
  if (nonEmpty(rule.namespaces) && !hasString(rule.namespaces, attrs.namespace)) return false;
  if (!nonEmpty(rule.resources)) return true;

  const { resource, subresource, name } = attrs;
  const combined = subresource !== '' ? `${resource}/${subresource}` : resource;
  for (const gr of rule.resources ?? []) {
    const group = gr.group ?? '';
    if (group !== attrs.apiGroup && group !== '*') continue;
    if (!nonEmpty(gr.resources)) return true;
    for (const res of gr.resources ?? []) {
      if (nonEmpty(gr.resourceNames) && !hasString(gr.resourceNames, name)) continue;
      if (res === combined || res === '*') return true;
      if (subresource !== '' && res.startsWith('*/') && subresource === res.slice(2)) return true;
      if (res.endsWith('/*') && resource === res.slice(0, -2)) return true;
    }
  }
  return false;
}

/** Whether a rule applies to a request (Go's ruleMatches). */
export function ruleMatches(rule: PolicyRule, attrs: AuditAttributes): boolean {
  const user = attrs.user;
  if (nonEmpty(rule.users) && (user === undefined || !hasString(rule.users, user.username))) return false;
  if (nonEmpty(rule.userGroups)) {
    if (user === undefined || !(user.groups ?? []).some((g) => hasString(rule.userGroups, g))) return false;
  }
  if (nonEmpty(rule.verbs) && !hasString(rule.verbs, attrs.verb)) return false;
  // Resource fields win over nonResourceURLs; validation refuses rules with both.
  if (nonEmpty(rule.namespaces) || nonEmpty(rule.resources)) return ruleMatchesResource(rule, attrs);
  if (nonEmpty(rule.nonResourceURLs)) return ruleMatchesNonResource(rule, attrs);
  return true;
}

/** Decides the audit level of requests from a policy: the first matching rule wins (Go's policyRuleEvaluator). */
export class PolicyRuleEvaluator {
  private readonly rules: ReadonlyArray<{ rule: PolicyRule; config: RequestAuditConfig }>;
  private readonly fallback: RequestAuditConfig;

  constructor(policy: AuditPolicy) {
    const policyOmitManagedFields = policy.omitManagedFields ?? false;
    // Each rule's result is fixed, so it is computed once: its stages joined with the policy's.
    this.rules = policy.rules.map((rule) => ({
      rule,
      config: Object.freeze({
        level: rule.level,
        omitStages: Object.freeze(unionStages(policy.omitStages, rule.omitStages)),
        omitManagedFields: rule.omitManagedFields ?? policyOmitManagedFields,
      }),
    }));
    this.fallback = Object.freeze({
      level: DEFAULT_AUDIT_LEVEL,
      omitStages: Object.freeze(unionStages(policy.omitStages)),
      omitManagedFields: policyOmitManagedFields,
    });
  }

  evaluate(attrs: AuditAttributes): RequestAuditConfig {
    for (const { rule, config } of this.rules) if (ruleMatches(rule, attrs)) return config;
    return this.fallback;
  }
}

/** Whether an event is written at `stage` under `config`: never at level None, nor at an omitted stage. */
export function shouldAuditStage(config: RequestAuditConfig, stage: AuditStage): boolean {
  return config.level !== 'None' && !config.omitStages.includes(stage);
}
