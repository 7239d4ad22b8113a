/**
 * Which requests a webhook or a policy applies to (k8s.io/apiserver pkg/admission/plugin/webhook/predicates
 * and policy/matching): rules on operation, group, version, resource/subresource and scope;
 * namespaceSelector on the host namespace's labels; objectSelector on the object's (or the old
 * object's) labels; matchPolicy Equivalent trying the kind's other served versions when the
 * request's does not match.
 */
import { labelSelectorOf, newInternalError, type LabelSelector, type LabelSelectorSpec } from '@kapi/apimachinery';
import type { AdmissionAttributes } from '../registry/rest.js';
import type { HostNamespaces } from './host-namespaces.js';

/** admissionregistration.k8s.io/v1 RuleWithOperations. */
export interface RuleWithOperations {
  operations?: readonly string[];
  apiGroups?: readonly string[];
  apiVersions?: readonly string[];
  resources?: readonly string[];
  scope?: 'Cluster' | 'Namespaced' | '*';
}

/** NamedRuleWithOperations (policies' matchResources): a rule limited to some object names. */
export interface NamedRuleWithOperations extends RuleWithOperations {
  resourceNames?: readonly string[];
}

export type MatchPolicy = 'Exact' | 'Equivalent';

/** The request as the rules see it, in one version. */
interface RuleTarget {
  operation: string;
  group: string;
  version: string;
  resource: string;
  subresource: string;
  namespace: string;
}

const anyOr = (values: readonly string[] | undefined, value: string): boolean => (values ?? []).some((v) => v === '*' || v === value);

/** rules.Matcher.Matches. */
export function ruleMatches(rule: RuleWithOperations, target: RuleTarget): boolean {
  const scope = rule.scope ?? '*';
  // A request for a namespace object names it as its namespace; namespaces are cluster-scoped.
  const clusterScoped = target.namespace === '' || (target.group === '' && target.resource === 'namespaces');
  if (scope === 'Namespaced' && clusterScoped) return false;
  if (scope === 'Cluster' && !clusterScoped) return false;
  if (!anyOr(rule.operations, target.operation)) return false;
  if (!anyOr(rule.apiGroups, target.group)) return false;
  if (!anyOr(rule.apiVersions, target.version)) return false;
  return (rule.resources ?? []).some((entry) => {
    const slash = entry.indexOf('/');
    const resource = slash < 0 ? entry : entry.slice(0, slash);
    const subresource = slash < 0 ? '' : entry.slice(slash + 1);
    return (resource === '*' || resource === target.resource) && (subresource === '*' || subresource === target.subresource);
  });
}

const targetOf = (attrs: AdmissionAttributes, version: string): RuleTarget => ({
  operation: attrs.operation,
  group: attrs.group,
  version,
  resource: attrs.resource,
  subresource: attrs.subresource ?? '',
  namespace: attrs.namespace ?? '',
});

/** An empty resourceNames matches every name. */
const named = (rule: NamedRuleWithOperations, name: string): boolean => !rule.resourceNames || rule.resourceNames.length === 0 || rule.resourceNames.includes(name);

/**
 * The version in which `rules` match the request: the request's own, else (matchPolicy Equivalent)
 * the first of the kind's other served versions that a rule matches, rules in order. Undefined
 * when none matches. A rule with resourceNames matches only those names, in either pass
 * (policy/matching.matchesResourceRules; webhooks' rules have no names).
 */
export function matchingVersion(rules: readonly NamedRuleWithOperations[], attrs: AdmissionAttributes, matchPolicy: MatchPolicy | undefined): string | undefined {
  const own = targetOf(attrs, attrs.version);
  for (const rule of rules) {
    if (ruleMatches(rule, own) && named(rule, attrs.name)) return attrs.version;
  }
  if (matchPolicy !== 'Equivalent') return undefined;
  for (const rule of rules) {
    for (const version of attrs.objects.versions) {
      if (version !== attrs.version && ruleMatches(rule, targetOf(attrs, version)) && named(rule, attrs.name)) return version;
    }
  }
  return undefined;
}

const labelsOf = (obj: AdmissionAttributes['object']): Record<string, string> | undefined => obj?.metadata?.labels;

/** A parsed selector, or the Error of a malformed one (the webhook or binding is then an error, not a match). */
export function parseSelector(spec: LabelSelectorSpec | undefined): LabelSelector {
  // Absent means everything here: the host defaults both selectors to {}.
  return labelSelectorOf(spec ?? {});
}

/** objectSelector: the object's labels, or the old object's (a DELETE has only the old one). */
export function objectSelectorMatches(selector: LabelSelector, attrs: AdmissionAttributes): boolean {
  if (selector.isEmpty()) return true;
  return (attrs.object !== undefined && selector.matches(labelsOf(attrs.object) ?? {})) || (attrs.oldObject !== undefined && selector.matches(labelsOf(attrs.oldObject) ?? {}));
}

/** namespaceSelector: cluster-scoped objects always match; a namespaced one by its host namespace's labels. */
export async function namespaceSelectorMatches(selector: LabelSelector, attrs: AdmissionAttributes, namespaces: HostNamespaces): Promise<boolean> {
  if (!attrs.namespace || selector.isEmpty()) return true;
  const namespace = await namespaces.get(attrs.namespace);
  if (!namespace) throw newInternalError(new Error(`namespace "${attrs.namespace}" not found`));
  return selector.matches(namespace.metadata?.labels ?? {});
}
