/**
 * Whether a policy's matchConstraints, or a binding's matchResources, apply to a request
 * (k8s.io/apiserver pkg/admission/plugin/policy/matching Matcher.Matches and generic/policy_matcher.go):
 * namespaceSelector and objectSelector first, then excludeResourceRules, then resourceRules (none in
 * a binding: every resource the policy matched); a selector that cannot be used is an error only
 * when the rules match.
 */
import type { AdmissionAttributes } from '../../registry/rest.js';
import type { HostNamespaces } from '../host-namespaces.js';
import { matchingVersion, namespaceSelectorMatches, objectSelectorMatches, parseSelector } from '../matching.js';
import type { MatchResources } from './types.js';

/** A policy that matches, in the version its rules name (the request's, or an equivalent one). */
export type MatchOutcome = { matches: false } | { matches: true; version: string };

const NO: MatchOutcome = { matches: false };

const nilSelector = (which: string): Error => new Error(`a nil ${which} selector was passed, please ensure selectors are initialized properly`);

/** Go's selector errors are InternalErrors, and so worded in the policy's denial. */
const internal = (err: unknown): Error => new Error(`Internal error occurred: ${err instanceof Error ? err.message : String(err)}`);

/** Matcher.Matches; throws the Error a policy or binding is refused with (a configuration error). */
export async function criteriaMatch(criteria: MatchResources, attrs: AdmissionAttributes, namespaces: HostNamespaces): Promise<MatchOutcome> {
  let namespaceError: Error | undefined;
  try {
    if (!(await namespaceSelectorMatches(parseSelector(criteria.namespaceSelector), attrs, namespaces))) return NO;
  } catch (err) {
    namespaceError = err instanceof Error && err.message.startsWith('Internal error occurred: ') ? err : internal(err);
  }
  let objectError: Error | undefined;
  try {
    if (!objectSelectorMatches(parseSelector(criteria.objectSelector), attrs)) return NO;
  } catch (err) {
    objectError = internal(err);
  }
  if (matchingVersion(criteria.excludeResourceRules ?? [], attrs, criteria.matchPolicy) !== undefined) return NO;
  const rules = criteria.resourceRules ?? [];
  const version = rules.length === 0 ? attrs.version : matchingVersion(rules, attrs, criteria.matchPolicy);
  if (version === undefined) return NO;
  if (namespaceError) throw namespaceError;
  if (objectError) throw objectError;
  return { matches: true, version };
}

/** DefinitionMatches: a policy's matchConstraints are required, with both selectors (the host defaults them). */
export function definitionMatches(constraints: MatchResources | undefined, attrs: AdmissionAttributes, namespaces: HostNamespaces): Promise<MatchOutcome> {
  if (!constraints) return Promise.reject(new Error('policy contained no match constraints, a required field'));
  if (!constraints.namespaceSelector) return Promise.reject(nilSelector('namespace'));
  if (!constraints.objectSelector) return Promise.reject(nilSelector('object'));
  return criteriaMatch(constraints, attrs, namespaces);
}

/** BindingMatches: a binding without matchResources applies to whatever its policy matched. */
export async function bindingMatches(matchResources: MatchResources | undefined, attrs: AdmissionAttributes, namespaces: HostNamespaces): Promise<boolean> {
  if (!matchResources) return true;
  if (!matchResources.namespaceSelector) throw nilSelector('namespace');
  if (!matchResources.objectSelector) throw nilSelector('object');
  return (await criteriaMatch(matchResources, attrs, namespaces)).matches;
}
