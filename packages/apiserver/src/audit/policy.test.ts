import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AuditPolicyError,
  PolicyRuleEvaluator,
  loadPolicyFile,
  parsePolicy,
  shouldAuditStage,
  unionStages,
  validatePolicy,
  type AuditAttributes,
  type AuditLevel,
  type AuditPolicy,
  type AuditStage,
  type PolicyRule,
} from './policy.js';

// The cases of k8s.io/apiserver pkg/audit/policy/checker_test.go.
const tim = { username: 'tim@k8s.io', groups: ['humans', 'developers'] };

const attrs: Record<string, AuditAttributes> = {
  namespaced: {
    user: tim,
    verb: 'get',
    namespace: 'default',
    apiGroup: '',
    apiVersion: 'v1',
    resource: 'pods',
    subresource: '',
    name: 'busybox',
    isResourceRequest: true,
    path: '/api/v1/namespaces/default/pods/busybox',
  },
  cluster: {
    user: tim,
    verb: 'get',
    namespace: '',
    apiGroup: 'rbac.authorization.k8s.io',
    apiVersion: 'v1beta1',
    resource: 'clusterroles',
    subresource: '',
    name: 'edit',
    isResourceRequest: true,
    path: '/apis/rbac.authorization.k8s.io/v1beta1/clusterroles/edit',
  },
  nonResource: {
    user: tim,
    verb: 'get',
    namespace: '',
    apiGroup: '',
    apiVersion: '',
    resource: '',
    subresource: '',
    name: '',
    isResourceRequest: false,
    path: '/logs/kubelet.log',
  },
  subresource: {
    user: tim,
    verb: 'get',
    namespace: 'default',
    apiGroup: '',
    apiVersion: 'v1',
    resource: 'pods',
    subresource: 'log',
    name: 'busybox',
    isResourceRequest: true,
    path: '/api/v1/namespaces/default/pods/busybox',
  },
  Unauthorized: {
    verb: 'get',
    namespace: 'default',
    apiGroup: '',
    apiVersion: 'v1',
    resource: 'pods',
    subresource: '',
    name: 'busybox',
    isResourceRequest: true,
    path: '/api/v1/namespaces/default/pods/busybox',
  },
  ClusterRoleUpdate: {
    user: tim,
    verb: 'update',
    namespace: '',
    apiGroup: 'rbac.authorization.k8s.io',
    apiVersion: 'v1beta1',
    resource: 'clusterroles',
    subresource: 'status',
    name: 'somerole',
    isResourceRequest: true,
    path: '/apis/rbac.authorization.k8s.io/v1beta1/clusterroles/somerole',
  },
};

const rules: Record<string, PolicyRule> = {
  default: { level: 'Metadata' },
  create: { level: 'Request', verbs: ['create'] },
  tims: { level: 'Metadata', users: ['tim@k8s.io'] },
  humans: { level: 'Metadata', userGroups: ['humans'] },
  serviceAccounts: { level: 'Request', userGroups: ['system:serviceaccounts'] },
  getPods: { level: 'RequestResponse', verbs: ['get'], resources: [{ resources: ['pods'] }] },
  getPodLogs: { level: 'Request', verbs: ['get'], resources: [{ resources: ['pods/log'] }] },
  getPodWildcardMatching: { level: 'Request', verbs: ['get'], resources: [{ resources: ['*'] }] },
  getPodResourceWildcardMatching: { level: 'Request', verbs: ['get'], resources: [{ resources: ['*/log'] }] },
  getPodSubResourceWildcardMatching: { level: 'Request', verbs: ['get'], resources: [{ resources: ['pods/*'] }] },
  getClusterRoles: {
    level: 'RequestResponse',
    verbs: ['get'],
    resources: [{ group: 'rbac.authorization.k8s.io', resources: ['clusterroles'] }],
    namespaces: [''],
  },
  getGroupWildCardMatchingWithSubresourceWildcardMatching: {
    level: 'RequestResponse',
    verbs: ['update'],
    resources: [{ group: '*', resources: ['*/status'] }],
  },
  getLogs: { level: 'RequestResponse', verbs: ['get'], nonResourceURLs: ['/logs*'] },
  getMetrics: { level: 'Request', verbs: ['get'], nonResourceURLs: ['/metrics'] },
  clusterRoleEdit: {
    level: 'Request',
    resources: [{ group: 'rbac.authorization.k8s.io', resources: ['clusterroles'], resourceNames: ['edit'] }],
  },
  'omit RequestReceived': { level: 'Request', omitStages: ['RequestReceived'] },
  'only audit panic': { level: 'Request', omitStages: ['RequestReceived', 'ResponseStarted', 'ResponseComplete'] },
};

function policyOf(ruleNames: string[], omitStages?: AuditStage[]): AuditPolicy {
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    rules: ruleNames.map((name) => {
      const rule = rules[name];
      if (rule === undefined) throw new Error(`no rule ${name}`);
      return rule;
    }),
    ...(omitStages !== undefined ? { omitStages } : {}),
  };
}

type LevelCase = [request: string, level: AuditLevel, ...ruleNames: string[]];

// testAuditLevel in checker_test.go: the level of a request under a list of rules.
const levelCases: LevelCase[] = [
  ['namespaced', 'Metadata', 'default'],
  ['namespaced', 'None', 'create'],
  ['namespaced', 'Metadata', 'tims'],
  ['namespaced', 'Metadata', 'humans'],
  ['namespaced', 'None', 'serviceAccounts'],
  ['namespaced', 'RequestResponse', 'getPods'],
  ['namespaced', 'None', 'getClusterRoles'],
  ['namespaced', 'None', 'getLogs'],
  ['namespaced', 'None', 'getMetrics'],
  ['namespaced', 'Metadata', 'getMetrics', 'serviceAccounts', 'default'],
  ['namespaced', 'RequestResponse', 'getMetrics', 'getPods', 'default'],
  ['namespaced', 'RequestResponse', 'getPodLogs', 'getPods'],

  ['cluster', 'Metadata', 'default'],
  ['cluster', 'None', 'create'],
  ['cluster', 'Metadata', 'tims'],
  ['cluster', 'Metadata', 'humans'],
  ['cluster', 'None', 'serviceAccounts'],
  ['cluster', 'None', 'getPods'],
  ['cluster', 'RequestResponse', 'getClusterRoles'],
  ['cluster', 'Request', 'clusterRoleEdit', 'getClusterRoles'],
  ['cluster', 'None', 'getLogs'],
  ['cluster', 'None', 'getMetrics'],
  ['cluster', 'Metadata', 'getMetrics', 'serviceAccounts', 'default'],
  ['cluster', 'RequestResponse', 'getMetrics', 'getClusterRoles', 'default'],
  ['cluster', 'None', 'getPodLogs', 'getPods'],

  ['nonResource', 'Metadata', 'default'],
  ['nonResource', 'None', 'create'],
  ['nonResource', 'Metadata', 'tims'],
  ['nonResource', 'Metadata', 'humans'],
  ['nonResource', 'None', 'serviceAccounts'],
  ['nonResource', 'None', 'getPods'],
  ['nonResource', 'None', 'getClusterRoles'],
  ['nonResource', 'RequestResponse', 'getLogs'],
  ['nonResource', 'None', 'getMetrics'],
  ['nonResource', 'Metadata', 'getMetrics', 'serviceAccounts', 'default'],
  ['nonResource', 'RequestResponse', 'getLogs', 'getClusterRoles', 'default'],
  ['nonResource', 'None', 'getPodLogs', 'getPods'],

  ['subresource', 'Request', 'getPodLogs', 'getPods'],
  ['subresource', 'Request', 'getPodWildcardMatching'],
  ['subresource', 'Request', 'getPodResourceWildcardMatching'],
  ['subresource', 'Request', 'getPodSubResourceWildcardMatching'],

  ['Unauthorized', 'None', 'tims'],
  ['Unauthorized', 'Metadata', 'tims', 'default'],
  ['Unauthorized', 'None', 'humans'],
  ['Unauthorized', 'Metadata', 'humans', 'default'],
  ['ClusterRoleUpdate', 'RequestResponse', 'getGroupWildCardMatchingWithSubresourceWildcardMatching'],
];

function evaluate(request: string, ruleNames: string[], policyStages?: AuditStage[]) {
  const a = attrs[request];
  if (a === undefined) throw new Error(`no request ${request}`);
  return new PolicyRuleEvaluator(policyOf(ruleNames, policyStages)).evaluate(a);
}

describe('PolicyRuleEvaluator (checker_test.go)', () => {
  describe.each([
    ['no policy omitStages', undefined],
    ['policy omitStages RequestReceived,ResponseStarted', ['RequestReceived', 'ResponseStarted'] as AuditStage[]],
  ])('%s', (_name, policyStages) => {
    it.each(levelCases)('%s is %s under %s', (request, level, ...ruleNames) => {
      const config = evaluate(request, ruleNames, policyStages);
      expect(config.level).toBe(level);
      // Without a rule's own stages the policy's apply, matched or not.
      expect([...config.omitStages].sort()).toEqual([...(policyStages ?? [])].sort());
    });
  });

  type StageCase = [request: string, level: AuditLevel, omitStages: AuditStage[], ...ruleNames: string[]];
  const panicOnly: AuditStage[] = ['RequestReceived', 'ResponseStarted', 'ResponseComplete'];

  // TestChecker: a rule's omitStages.
  it.each<StageCase>([
    ['namespaced', 'Request', ['RequestReceived'], 'omit RequestReceived', 'getPods', 'default'],
    ['namespaced', 'Request', panicOnly, 'only audit panic', 'getPods', 'default'],
    ['cluster', 'Request', ['RequestReceived'], 'omit RequestReceived', 'getPods', 'default'],
    ['cluster', 'Request', panicOnly, 'only audit panic', 'getPods', 'default'],
    ['nonResource', 'Request', ['RequestReceived'], 'omit RequestReceived', 'getPods', 'default'],
    ['nonResource', 'Request', panicOnly, 'only audit panic', 'getPods', 'default'],
  ])('rule stages: %s is %s omitting %j', (request, level, omitStages, ...ruleNames) => {
    const config = evaluate(request, ruleNames);
    expect(config.level).toBe(level);
    expect([...config.omitStages].sort()).toEqual([...omitStages].sort());
  });

  // TestCheckerPolicyOmitStages: the policy's omitStages joined with the rule's.
  const policyStages: AuditStage[] = ['RequestReceived', 'ResponseStarted'];
  it.each<StageCase>([
    ['namespaced', 'Request', ['RequestReceived', 'ResponseStarted'], 'omit RequestReceived', 'getPods', 'default'],
    ['namespaced', 'Request', panicOnly, 'only audit panic', 'getPods', 'default'],
    ['cluster', 'Request', ['RequestReceived', 'ResponseStarted'], 'omit RequestReceived', 'getPods', 'default'],
    ['cluster', 'Request', panicOnly, 'only audit panic', 'getPods', 'default'],
    ['nonResource', 'Metadata', ['RequestReceived', 'ResponseStarted'], 'default', 'omit RequestReceived', 'getPods'],
    ['nonResource', 'Request', panicOnly, 'only audit panic', 'getPods', 'default'],
  ])('policy stages: %s is %s omitting %j', (request, level, omitStages, ...ruleNames) => {
    const config = evaluate(request, ruleNames, policyStages);
    expect(config.level).toBe(level);
    expect([...config.omitStages].sort()).toEqual([...omitStages].sort());
  });

  // TestOmitManagedFields: the rule's setting overrides the policy's.
  it.each([
    ['global false, rule unset', false, undefined, false],
    ['global true, rule unset', true, undefined, true],
    ['global true, rule false', true, false, false],
    ['global false, rule true', false, true, true],
  ] as const)('omitManagedFields: %s', (_name, global, rule, want) => {
    const policy: AuditPolicy = {
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      omitManagedFields: global,
      rules: [{ level: 'RequestResponse', verbs: ['get'], ...(rule !== undefined ? { omitManagedFields: rule } : {}) }],
    };
    const config = new PolicyRuleEvaluator(policy).evaluate({ ...(attrs['nonResource'] as AuditAttributes), user: undefined });
    expect(config.level).toBe('RequestResponse');
    expect(config.omitManagedFields).toBe(want);
  });

  it('answers level None with the policy settings when no rule matches', () => {
    const policy: AuditPolicy = {
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      omitStages: ['Panic'],
      omitManagedFields: true,
      rules: [{ level: 'Request', verbs: ['create'], omitStages: ['RequestReceived'], omitManagedFields: false }],
    };
    expect(new PolicyRuleEvaluator(policy).evaluate(attrs['namespaced'] as AuditAttributes)).toEqual({
      level: 'None',
      omitStages: ['Panic'],
      omitManagedFields: true,
    });
  });
});

describe('rule matching beyond checker_test.go', () => {
  const base = attrs['namespaced'] as AuditAttributes;
  const level = (rule: PolicyRule, a: AuditAttributes): AuditLevel =>
    new PolicyRuleEvaluator({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [rule] }).evaluate(a).level;

  it('matches resourceNames only for the listed names', () => {
    const rule: PolicyRule = { level: 'Request', resources: [{ resources: ['pods'], resourceNames: ['busybox'] }] };
    expect(level(rule, base)).toBe('Request');
    expect(level(rule, { ...base, name: 'other' })).toBe('None');
  });

  it('matches a group without resources for every resource of that group only', () => {
    const rule: PolicyRule = { level: 'Metadata', resources: [{ group: 'wardle.example.com' }] };
    expect(level(rule, { ...base, apiGroup: 'wardle.example.com', resource: 'flunders' })).toBe('Metadata');
    expect(level(rule, base)).toBe('None');
  });

  it('does not let "pods" match the pods/log subresource, nor "*/log" the pod itself', () => {
    const sub = attrs['subresource'] as AuditAttributes;
    expect(level({ level: 'Request', resources: [{ resources: ['pods'] }] }, sub)).toBe('None');
    expect(level({ level: 'Request', resources: [{ resources: ['*/log'] }] }, base)).toBe('None');
    expect(level({ level: 'Request', resources: [{ resources: ['*/status'] }] }, sub)).toBe('None');
  });

  it('lets "pods/*" match the pod itself as well as its subresources, as Go does', () => {
    const rule: PolicyRule = { level: 'Request', resources: [{ resources: ['pods/*'] }] };
    expect(level(rule, base)).toBe('Request');
    expect(level(rule, { ...base, subresource: 'status' })).toBe('Request');
    expect(level(rule, { ...base, resource: 'services' })).toBe('None');
  });

  it('matches namespaces, with "" for cluster-scoped, and never a non-resource request', () => {
    const rule: PolicyRule = { level: 'Metadata', namespaces: ['kube-system', ''] };
    expect(level(rule, base)).toBe('None');
    expect(level(rule, { ...base, namespace: 'kube-system' })).toBe('Metadata');
    expect(level(rule, attrs['cluster'] as AuditAttributes)).toBe('Metadata');
    expect(level(rule, attrs['nonResource'] as AuditAttributes)).toBe('None');
  });

  it('matches nonResourceURLs exactly, by "*" prefix, or "*" for all, never a resource request', () => {
    const nonResource = attrs['nonResource'] as AuditAttributes;
    expect(level({ level: 'Metadata', nonResourceURLs: ['/logs'] }, nonResource)).toBe('None');
    expect(level({ level: 'Metadata', nonResourceURLs: ['/logs/*'] }, nonResource)).toBe('Metadata');
    expect(level({ level: 'Metadata', nonResourceURLs: ['/logs/kubelet.log'] }, nonResource)).toBe('Metadata');
    expect(level({ level: 'Metadata', nonResourceURLs: ['/healthz*'] }, nonResource)).toBe('None');
    expect(level({ level: 'Metadata', nonResourceURLs: ['*'] }, nonResource)).toBe('Metadata');
    expect(level({ level: 'Metadata', nonResourceURLs: ['*'] }, base)).toBe('None');
  });

  it('needs one of the user groups, and no groups match none', () => {
    const rule: PolicyRule = { level: 'Metadata', userGroups: ['system:masters', 'developers'] };
    expect(level(rule, base)).toBe('Metadata');
    expect(level(rule, { ...base, user: { username: 'tim@k8s.io' } })).toBe('None');
  });
});

describe('unionStages (TestUnionStages)', () => {
  it.each<[AuditStage[] | undefined, AuditStage[], AuditStage[]]>([
    [[], [], []],
    [['RequestReceived'], [], ['RequestReceived']],
    [['RequestReceived'], ['RequestReceived'], ['RequestReceived']],
    [['RequestReceived'], ['ResponseStarted'], ['RequestReceived', 'ResponseStarted']],
    [['RequestReceived', 'RequestReceived'], ['RequestReceived', 'RequestReceived'], ['RequestReceived']],
    [['RequestReceived', 'ResponseStarted'], ['Panic', 'RequestReceived'], ['RequestReceived', 'ResponseStarted', 'Panic']],
    [undefined, ['RequestReceived'], ['RequestReceived']],
  ])('%j ∪ %j = %j', (a, b, want) => {
    expect(unionStages(a, b)).toEqual(want);
  });
});

describe('shouldAuditStage', () => {
  it('is false at level None and at omitted stages', () => {
    expect(shouldAuditStage({ level: 'None', omitStages: [], omitManagedFields: false }, 'ResponseComplete')).toBe(false);
    const config = { level: 'Metadata' as const, omitStages: ['RequestReceived' as const], omitManagedFields: false };
    expect(shouldAuditStage(config, 'RequestReceived')).toBe(false);
    expect(shouldAuditStage(config, 'ResponseComplete')).toBe(true);
  });
});

// reader_test.go and validation_test.go.
describe('loading a policy', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kapi-audit-policy-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };
  const noWarn = { onWarning: (w: string): void => void w };

  const policyYaml = `
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
  - level: None
    nonResourceURLs:
      - /healthz*
      - /version
  - level: RequestResponse
    users: ["tim"]
    userGroups: ["testers", "developers"]
    verbs: ["patch", "delete", "create"]
    resources:
      - group: ""
      - group: "rbac.authorization.k8s.io"
        resources: ["clusterroles", "clusterrolebindings"]
    namespaces: ["default", "kube-system"]
  - level: Metadata
`;

  it('reads the YAML of TestParser into the same rules', () => {
    const policy = loadPolicyFile(write('policy.yaml', policyYaml), noWarn);
    expect(policy).toEqual({
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      rules: [
        { level: 'None', nonResourceURLs: ['/healthz*', '/version'] },
        {
          level: 'RequestResponse',
          users: ['tim'],
          userGroups: ['testers', 'developers'],
          verbs: ['patch', 'delete', 'create'],
          resources: [{ group: '' }, { group: 'rbac.authorization.k8s.io', resources: ['clusterroles', 'clusterrolebindings'] }],
          namespaces: ['default', 'kube-system'],
        },
        { level: 'Metadata' },
      ],
    });
  });

  it('reads JSON as well', () => {
    const json = JSON.stringify({
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      omitStages: ['RequestReceived'],
      omitManagedFields: true,
      rules: [{ level: 'Metadata', omitManagedFields: false }],
    });
    const policy = loadPolicyFile(write('policy.json', json), noWarn);
    expect(policy.omitStages).toEqual(['RequestReceived']);
    expect(policy.omitManagedFields).toBe(true);
    expect(policy.rules).toEqual([{ level: 'Metadata', omitManagedFields: false }]);
  });

  it('refuses a policy without apiVersion and kind', () => {
    const file = write('policy.yaml', policyYaml.replace('apiVersion: audit.k8s.io/v1\nkind: Policy\n', ''));
    expect(() => loadPolicyFile(file, noWarn)).toThrow(/apiVersion: Required value/);
    expect(() => loadPolicyFile(file, noWarn)).toThrow(/kind: Required value/);
  });

  it('refuses removed API versions and other kinds', () => {
    expect(() => parsePolicy(policyYaml.replace('audit.k8s.io/v1', 'audit.k8s.io/v1beta1'))).toThrow(
      'apiVersion: Unsupported value: "audit.k8s.io/v1beta1"',
    );
    expect(() => parsePolicy(policyYaml.replace('kind: Policy', 'kind: Event'))).toThrow('kind: Unsupported value: "Event"');
  });

  it('accepts unknown fields with a warning naming them (TestParsePolicyWithUnknownField)', () => {
    const warnings: string[] = [];
    const policy = parsePolicy(
      `
apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  resources:
  - group: coordination.k8s.io
    resources:
    - "leases"
    verbs: ["watch", "get", "list"] # invalid indentation on verbs
`,
      'p.yaml',
      { onWarning: (w) => warnings.push(w) },
    );
    expect(policy.rules).toEqual([{ level: 'None', resources: [{ group: 'coordination.k8s.io', resources: ['leases'] }] }]);
    expect(warnings).toEqual([expect.stringContaining('unknown field "rules[0].resources[0].verbs"')]);
  });

  it.each([
    ['no rules', 'apiVersion: audit.k8s.io/v1\nkind: Policy\n', 'loaded illegal policy with 0 rules'],
    ['an empty file', '', 'the policy is empty'],
  ])('refuses %s (TestPolicyCntCheck)', (_name, text, message) => {
    expect(() => loadPolicyFile(write('policy.yaml', text))).toThrow(message);
  });

  it('names the file and the field of an unknown level', () => {
    const file = write('policy.yaml', 'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n- level: Everything\n');
    let err: unknown;
    try {
      loadPolicyFile(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AuditPolicyError);
    expect((err as AuditPolicyError).message).toBe(
      `audit policy file ${JSON.stringify(file)}: rules[1].level: Unsupported value: "Everything": supported values: "None", "Metadata", "Request", "RequestResponse"`,
    );
    expect((err as AuditPolicyError).file).toBe(file);
  });

  it('says which file could not be read', () => {
    const file = join(dir, 'missing.yaml');
    expect(() => loadPolicyFile(file)).toThrow(`audit policy file ${JSON.stringify(file)}: failed to read file`);
  });

  it('reports wrongly typed fields and broken YAML', () => {
    expect(() => parsePolicy('apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  users: tim\n')).toThrow(
      'rules[0].users: must be a list of strings',
    );
    expect(() => parsePolicy('apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [\n')).toThrow('failed decoding');
  });
});

describe('validatePolicy (validation_test.go)', () => {
  const validRules: PolicyRule[] = [
    { level: 'Metadata' },
    { level: 'None', userGroups: ['system:serviceaccounts', 'system:nodes'] },
    {
      level: 'RequestResponse',
      verbs: ['get'],
      resources: [{ group: 'rbac.authorization.k8s.io', resources: ['roles', 'rolebindings'] }],
      namespaces: ['kube-system'],
    },
    { level: 'Metadata', userGroups: ['developers'], nonResourceURLs: ['/logs*', '/healthz*', '/metrics', '*'] },
    { level: 'Metadata', omitStages: ['RequestReceived'] },
  ];

  it.each(validRules.map((r) => [r]))('accepts %j', (rule) => {
    expect(validatePolicy({ rules: [rule] })).toEqual([]);
  });

  it('accepts an empty policy, policy omitStages and several rules', () => {
    expect(validatePolicy({ rules: [] })).toEqual([]);
    expect(validatePolicy({ rules: [], omitStages: ['RequestReceived'] })).toEqual([]);
    expect(validatePolicy({ rules: validRules })).toEqual([]);
  });

  it.each<[string, { level: string } & Omit<PolicyRule, 'level' | 'omitStages'> & { omitStages?: string[] }, string]>([
    ['an empty rule', { level: '' }, 'rules[0].level: Required value'],
    [
      'a missing level',
      { level: '', verbs: ['get'], resources: [{ resources: ['secrets'] }], namespaces: ['kube-system'] },
      'rules[0].level: Required value',
    ],
    ['an invalid level', { level: 'FooBar' }, 'rules[0].level: Unsupported value: "FooBar"'],
    [
      'nonResourceURLs with namespaces',
      { level: 'Metadata', namespaces: ['default'], nonResourceURLs: ['/logs*'] },
      'rules cannot apply to both regular resources and non-resource URLs',
    ],
    [
      'nonResourceURLs with resources',
      { level: 'Metadata', resources: [{ resources: ['secrets'] }], nonResourceURLs: ['/logs*'] },
      'rules cannot apply to both regular resources and non-resource URLs',
    ],
    [
      'a group version as group',
      { level: 'Metadata', resources: [{ group: 'rbac.authorization.k8s.io/v1beta1', resources: ['roles'] }] },
      'rules[0].resources[0].group: Invalid value: "rbac.authorization.k8s.io/v1beta1"',
    ],
    ['a relative URL', { level: 'Metadata', nonResourceURLs: ['logs', '/healthz*'] }, "rules[0].nonResourceURLs[0]: Invalid value: \"logs\": non-resource URL rules must begin with a '/' character"],
    ['an empty URL', { level: 'Metadata', nonResourceURLs: ['', '/healthz*'] }, 'rules[0].nonResourceURLs[0]'],
    ['two wildcards', { level: 'Metadata', nonResourceURLs: ['/logs/*/*', '/metrics'] }, "wildcards '*' must be the final character"],
    ['a wildcard inside', { level: 'Metadata', nonResourceURLs: ['/logs/*.log', '/metrics'] }, "wildcards '*' must be the final character"],
    [
      'resourceNames without resources',
      { level: 'Metadata', verbs: ['get'], resources: [{ resourceNames: ['leader'] }], namespaces: ['kube-system'] },
      'using resourceNames requires at least one resource',
    ],
    ['an unknown rule stage', { level: 'Metadata', omitStages: ['foo'] }, 'rules[0].omitStages[0]: Invalid value: "foo"'],
  ])('refuses %s', (_name, rule, message) => {
    const errs = validatePolicy({ rules: [rule] });
    expect(errs).toEqual(expect.arrayContaining([expect.stringContaining(message)]));
  });

  it('refuses an invalid rule among valid ones, and an unknown policy stage', () => {
    expect(validatePolicy({ rules: [...validRules, { level: '' }] })).toEqual(['rules[5].level: Required value']);
    expect(validatePolicy({ rules: [{ level: 'Metadata' }], omitStages: ['foo'] })).toEqual([
      'omitStages[0]: Invalid value: "foo": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic',
    ]);
  });
});
