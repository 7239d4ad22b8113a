/**
 * admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy, MutatingAdmissionPolicy and their
 * bindings, as the host serves them (defaulted: matchPolicy Equivalent, selectors {}, failurePolicy
 * Fail), in the part the plugins read (k8s.io/api admissionregistration/v1 types.go).
 */
import type { LabelSelectorSpec } from '@kapi/apimachinery';
import type { MatchPolicy, NamedRuleWithOperations } from '../matching.js';

export type FailurePolicy = 'Fail' | 'Ignore';

export interface ObjectMetaLite {
  name?: string;
  namespace?: string;
  resourceVersion?: string;
}

/** MatchResources: which requests a policy (matchConstraints) or a binding (matchResources) applies to. */
export interface MatchResources {
  namespaceSelector?: LabelSelectorSpec;
  objectSelector?: LabelSelectorSpec;
  resourceRules?: NamedRuleWithOperations[];
  excludeResourceRules?: NamedRuleWithOperations[];
  matchPolicy?: MatchPolicy;
}

export interface ParamKind {
  apiVersion?: string;
  kind?: string;
}

export interface ParamRef {
  name?: string;
  namespace?: string;
  selector?: LabelSelectorSpec;
  parameterNotFoundAction?: 'Allow' | 'Deny';
}

export interface MatchCondition {
  name: string;
  expression: string;
}

export interface Variable {
  name: string;
  expression: string;
}

export interface Validation {
  expression: string;
  message?: string;
  reason?: string;
  messageExpression?: string;
}

export interface AuditAnnotation {
  key: string;
  valueExpression: string;
}

export interface ValidatingAdmissionPolicy {
  metadata?: ObjectMetaLite;
  spec?: {
    paramKind?: ParamKind;
    matchConstraints?: MatchResources;
    validations?: Validation[];
    failurePolicy?: FailurePolicy;
    auditAnnotations?: AuditAnnotation[];
    matchConditions?: MatchCondition[];
    variables?: Variable[];
  };
}

export type ValidationAction = 'Deny' | 'Warn' | 'Audit';

export interface ValidatingAdmissionPolicyBinding {
  metadata?: ObjectMetaLite;
  spec?: {
    policyName?: string;
    paramRef?: ParamRef;
    matchResources?: MatchResources;
    validationActions?: ValidationAction[];
  };
}

export interface Mutation {
  patchType: 'ApplyConfiguration' | 'JSONPatch';
  applyConfiguration?: { expression?: string };
  jsonPatch?: { expression?: string };
}

export interface MutatingAdmissionPolicy {
  metadata?: ObjectMetaLite;
  spec?: {
    paramKind?: ParamKind;
    matchConstraints?: MatchResources;
    variables?: Variable[];
    mutations?: Mutation[];
    failurePolicy?: FailurePolicy;
    matchConditions?: MatchCondition[];
    reinvocationPolicy?: 'Never' | 'IfNeeded';
  };
}

export interface MutatingAdmissionPolicyBinding {
  metadata?: ObjectMetaLite;
  spec?: {
    policyName?: string;
    paramRef?: ParamRef;
    matchResources?: MatchResources;
  };
}

/** What the generic parts (source, matching, params) read of any policy and binding. */
export interface PolicyLike {
  metadata?: ObjectMetaLite;
  spec?: { paramKind?: ParamKind; matchConstraints?: MatchResources; failurePolicy?: FailurePolicy };
}

export interface BindingLike {
  metadata?: ObjectMetaLite;
  spec?: { policyName?: string; paramRef?: ParamRef; matchResources?: MatchResources };
}
