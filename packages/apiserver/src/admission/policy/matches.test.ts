/**
 * Policy matching, ported from k8s.io/apiserver pkg/admission/plugin/policy/matching/matching_test.go
 * (TestMatcher) on kapi's model of equivalence: a kind's other served versions (widgets in v1 and
 * v1beta1); Go's cases of equivalent resources in other groups have no counterpart. A selector error
 * here is one labelSelectorOf reports (the host refuses the "bad value" of Go's cases at create).
 */
import { HostNamespaces } from '../host-namespaces.js';
import type { NamedRuleWithOperations } from '../matching.js';
import { bindingMatches, criteriaMatch, definitionMatches } from './matches.js';
import type { MatchResources } from './types.js';
import { GROUP, TestHost, widgetAttributes } from './test-host.js';
import type { AdmissionAttributes } from '../../registry/rest.js';

let host: TestHost;
let namespaces: HostNamespaces;

beforeAll(async () => {
  host = new TestHost();
  host.namespace('ns', { env: 'prod' });
  namespaces = new HostNamespaces(host.client);
  await namespaces.start();
});
afterAll(() => namespaces.stop());

const rule = (apiVersions: string[], resources: string[], extra: Partial<NamedRuleWithOperations> = {}): NamedRuleWithOperations => ({ operations: ['*'], apiGroups: [GROUP], apiVersions, resources, scope: '*', ...extra });
const EVERYTHING = rule(['*'], ['*'], { apiGroups: ['*'] });
const base = { namespaceSelector: {}, objectSelector: {} };
const request = (opts: { version?: string; subresource?: string; name?: string } = {}): AdmissionAttributes => ({
  ...widgetAttributes({ name: opts.name ?? 'name', namespace: 'ns', ...(opts.version ? { version: opts.version } : {}) }),
  ...(opts.subresource ? { subresource: opts.subresource } : {}),
});
const match = (criteria: MatchResources, attrs: AdmissionAttributes = request()): Promise<unknown> => criteriaMatch(criteria, attrs, namespaces);

describe('criteriaMatch (TestMatcher)', () => {
  it.each<[string, MatchResources, AdmissionAttributes, unknown]>([
    ['wildcard rule, match as requested', { ...base, resourceRules: [EVERYTHING] }, request(), { matches: true, version: 'v1' }],
    ['specific rules, prefer exact match', { ...base, resourceRules: [rule(['v1beta1'], ['widgets']), rule(['v1'], ['widgets'])] }, request(), { matches: true, version: 'v1' }],
    ['specific rules, match miss', { ...base, resourceRules: [rule(['v2'], ['widgets'])] }, request(), { matches: false }],
    ['specific rules, exact match miss', { ...base, matchPolicy: 'Exact', resourceRules: [rule(['v1beta1'], ['widgets'])] }, request(), { matches: false }],
    ['specific rules, equivalent match', { ...base, matchPolicy: 'Equivalent', resourceRules: [rule(['v1beta1'], ['widgets'])] }, request(), { matches: true, version: 'v1beta1' }],
    ['specific rules, subresource prefer exact match', { ...base, resourceRules: [rule(['v1'], ['widgets/scale'])] }, request({ subresource: 'scale' }), { matches: true, version: 'v1' }],
    ['specific rules, subresource match miss', { ...base, resourceRules: [rule(['v1'], ['widgets'])] }, request({ subresource: 'scale' }), { matches: false }],
    ['specific rules, subresource equivalent match', { ...base, matchPolicy: 'Equivalent', resourceRules: [rule(['v1beta1'], ['widgets/*'])] }, request({ subresource: 'scale' }), { matches: true, version: 'v1beta1' }],
    ['specific rules, prefer exact match and name match', { ...base, resourceRules: [rule(['v1'], ['widgets'], { resourceNames: ['name'] })] }, request(), { matches: true, version: 'v1' }],
    ['specific rules, prefer exact match and name match miss', { ...base, resourceRules: [rule(['v1'], ['widgets'], { resourceNames: ['wrong-name'] })] }, request(), { matches: false }],
    ['equivalent match and name match', { ...base, matchPolicy: 'Equivalent', resourceRules: [rule(['v1beta1'], ['widgets'], { resourceNames: ['name'] })] }, request(), { matches: true, version: 'v1beta1' }],
    ['equivalent match and name match miss', { ...base, matchPolicy: 'Equivalent', resourceRules: [rule(['v1beta1'], ['widgets'], { resourceNames: ['wrong-name'] })] }, request(), { matches: false }],
    ['exclude resource match on miss', { ...base, resourceRules: [EVERYTHING], excludeResourceRules: [rule(['v1beta1'], ['widgets'])] }, request(), { matches: true, version: 'v1' }],
    ['exclude resource miss on match', { ...base, resourceRules: [EVERYTHING], excludeResourceRules: [rule(['v1beta1'], ['widgets'])] }, request({ version: 'v1beta1' }), { matches: false }],
    ['an Equivalent exclusion excludes the other versions too', { ...base, matchPolicy: 'Equivalent', resourceRules: [EVERYTHING], excludeResourceRules: [rule(['v1beta1'], ['widgets'])] }, request(), { matches: false }],
    ['treat empty ResourceRules as match', { ...base, excludeResourceRules: [rule(['v1beta1'], ['widgets'])] }, request(), { matches: true, version: 'v1' }],
    ['treat non-empty ResourceRules as no match', { ...base, resourceRules: [{}] }, request(), { matches: false }],
    ['a namespaceSelector on the namespace\'s labels', { ...base, namespaceSelector: { matchLabels: { env: 'prod' } }, resourceRules: [EVERYTHING] }, request(), { matches: true, version: 'v1' }],
    ['a namespaceSelector miss', { ...base, namespaceSelector: { matchLabels: { env: 'dev' } }, resourceRules: [EVERYTHING] }, request(), { matches: false }],
    ['an objectSelector miss', { ...base, objectSelector: { matchLabels: { app: 'x' } }, resourceRules: [EVERYTHING] }, request(), { matches: false }],
  ])('%s', async (_name, criteria, attrs, expected) => {
    expect(await match(criteria, attrs)).toEqual(expected);
  });

  it('an erroring selector is an error only when the rules match', async () => {
    const bad = { matchExpressions: [{ key: 'key', operator: 'In' as const, values: [] }] };
    const error = "Internal error occurred: for 'in', 'notin' operators, values set can't be empty";
    expect(await match({ namespaceSelector: bad, objectSelector: {}, resourceRules: [rule(['*'], ['gadgets'])] })).toEqual({ matches: false });
    await expect(match({ namespaceSelector: bad, objectSelector: {}, resourceRules: [rule(['*'], ['widgets'])] })).rejects.toThrow(error);
    expect(await match({ namespaceSelector: {}, objectSelector: bad, resourceRules: [rule(['*'], ['gadgets'])] })).toEqual({ matches: false });
    await expect(match({ namespaceSelector: {}, objectSelector: bad, resourceRules: [rule(['*'], ['widgets'])] })).rejects.toThrow(error);
  });
});

describe('definitionMatches and bindingMatches (generic/policy_matcher.go)', () => {
  it('a policy needs matchConstraints and both selectors; a binding without matchResources matches', async () => {
    await expect(definitionMatches(undefined, request(), namespaces)).rejects.toThrow('policy contained no match constraints, a required field');
    await expect(definitionMatches({ objectSelector: {}, resourceRules: [EVERYTHING] }, request(), namespaces)).rejects.toThrow('a nil namespace selector was passed, please ensure selectors are initialized properly');
    await expect(definitionMatches({ namespaceSelector: {}, resourceRules: [EVERYTHING] }, request(), namespaces)).rejects.toThrow('a nil object selector was passed, please ensure selectors are initialized properly');
    expect(await bindingMatches(undefined, request(), namespaces)).toBe(true);
    await expect(bindingMatches({ namespaceSelector: {} }, request(), namespaces)).rejects.toThrow('a nil object selector was passed');
    expect(await bindingMatches({ ...base, namespaceSelector: { matchLabels: { env: 'dev' } } }, request(), namespaces)).toBe(false);
  });
});
