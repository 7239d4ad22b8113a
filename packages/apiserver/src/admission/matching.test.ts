import { ruleMatches, type RuleWithOperations } from './matching.js';

// Ported from k8s.io/apiserver pkg/admission/plugin/webhook/predicates/rules/rules_test.go.
type Target = Parameters<typeof ruleMatches>[1];
const a = (group: string, version: string, resource: string, subresource: string, operation = 'CREATE', namespace = 'ns'): Target => ({
  group,
  version,
  resource,
  subresource,
  operation,
  namespace,
});
const cluster = (group: string, version: string, resource: string, subresource: string): Target => a(group, version, resource, subresource, 'CREATE', '');
const all = (rule: Partial<RuleWithOperations>): RuleWithOperations => ({ operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*/*'], ...rule });

const table: Record<string, { rule: RuleWithOperations; match: Target[]; noMatch: Target[] }> = {
  'resource: no subresources': {
    rule: all({ resources: ['*'] }),
    match: [a('g', 'v', 'r', ''), a('2', 'v', 'r2', '')],
    noMatch: [a('g', 'v', 'r', 'exec'), a('2', 'v', 'r2', 'proxy')],
  },
  'resource: r & subresources': {
    rule: all({ resources: ['r/*'] }),
    match: [a('g', 'v', 'r', ''), a('g', 'v', 'r', 'exec')],
    noMatch: [a('2', 'v', 'r2', ''), a('2', 'v', 'r2', 'proxy')],
  },
  'resource: r & subresources or r2': {
    rule: all({ resources: ['r/*', 'r2'] }),
    match: [a('g', 'v', 'r', ''), a('g', 'v', 'r', 'exec'), a('2', 'v', 'r2', '')],
    noMatch: [a('2', 'v', 'r2', 'proxy')],
  },
  'resource: proxy or exec': {
    rule: all({ resources: ['*/proxy', '*/exec'] }),
    match: [a('g', 'v', 'r', 'exec'), a('2', 'v', 'r2', 'proxy'), a('2', 'v', 'r3', 'proxy')],
    noMatch: [a('g', 'v', 'r', ''), a('2', 'v', 'r2', ''), a('2', 'v', 'r4', 'scale')],
  },
  'scope: cluster': {
    rule: all({ resources: ['*'], scope: 'Cluster' }),
    match: [cluster('g', 'v', 'r', ''), cluster('', 'v1', 'namespaces', ''), a('', 'v1', 'namespaces', '')],
    noMatch: [a('g', 'v', 'r', '')],
  },
  'scope: namespaced': {
    rule: all({ resources: ['*'], scope: 'Namespaced' }),
    match: [a('g', 'v', 'r', '')],
    noMatch: [cluster('', 'v1', 'namespaces', ''), a('', 'v1', 'namespaces', ''), cluster('g', 'v', 'r', '')],
  },
  'scope: all': {
    rule: all({ resources: ['*'], scope: '*' }),
    match: [a('g', 'v', 'r', ''), cluster('g', 'v', 'r', ''), a('', 'v1', 'namespaces', '')],
    noMatch: [],
  },
  'operation: create': {
    rule: all({ operations: ['CREATE'] }),
    match: [a('g', 'v', 'r', '', 'CREATE')],
    noMatch: [a('g', 'v', 'r', '', 'UPDATE'), a('g', 'v', 'r', '', 'DELETE'), a('g', 'v', 'r', '', 'CONNECT')],
  },
  'group and version': {
    rule: all({ apiGroups: ['g1', 'g2'], apiVersions: ['v1'] }),
    match: [a('g1', 'v1', 'r', ''), a('g2', 'v1', 'r', '')],
    noMatch: [a('g3', 'v1', 'r', ''), a('g1', 'v2', 'r', '')],
  },
  'nothing named': {
    rule: { resources: ['*'] },
    match: [],
    noMatch: [a('g', 'v', 'r', '')],
  },
};

describe('ruleMatches (Go rules_test.go)', () => {
  for (const [name, { rule, match, noMatch }] of Object.entries(table)) {
    it(name, () => {
      for (const t of match) expect([t, ruleMatches(rule, t)]).toEqual([t, true]);
      for (const t of noMatch) expect([t, ruleMatches(rule, t)]).toEqual([t, false]);
    });
  }
});
