/**
 * ValidatingAdmissionPolicy, ported from k8s.io/apiserver pkg/admission/plugin/policy/validating:
 * validator_test.go (TestValidate: decisions, messages, reasons, budgets, audit annotations, with
 * real CEL where Go fakes the evaluations) and admission_test.go (the plugin on an in-memory host:
 * bindings, params, validation actions, audit annotations).
 */
import { StatusError } from '@kapi/apimachinery';
import { CostBudget } from '../expressions.js';
import { HostNamespaces } from '../host-namespaces.js';
import { ParamSources } from './params.js';
import { PolicySource } from './source.js';
import { ADMISSION_V1, GROUP, TestHost, widgetAttributes } from './test-host.js';
import { compileValidatingPolicy, validatePolicy, validatingAdmissionPolicy, type CompiledValidatingPolicy, type ValidateResult } from './validating.js';
import type { ValidatingAdmissionPolicy } from './types.js';
import type { AdmissionAttributes, AdmissionPlugin } from '../../registry/rest.js';

type Spec = NonNullable<ValidatingAdmissionPolicy['spec']>;

const compile = (spec: Spec): CompiledValidatingPolicy => compileValidatingPolicy({ metadata: { name: 'p' }, spec });
const inputs = { object: { metadata: { name: 'w' }, spec: { replicas: 1 } }, oldObject: null, request: { operation: 'CREATE' } };
const validate = (spec: Spec, budget?: number): ValidateResult => validatePolicy(compile(spec), inputs, null, budget === undefined ? undefined : new CostBudget(budget));
const decisions = (spec: Spec): unknown => validate(spec).decisions;

describe('validatePolicy (validator_test.go TestValidate)', () => {
  it('admits when every validation passes', () => {
    expect(decisions({ validations: [{ expression: 'true' }] })).toEqual([{ action: 'admit', evaluation: 'admit' }]);
    expect(decisions({ validations: [{ expression: 'true' }, { expression: 'object.spec.replicas == 1' }] })).toEqual([
      { action: 'admit', evaluation: 'admit' },
      { action: 'admit', evaluation: 'admit' },
    ]);
  });

  it('an evaluation error admits with failurePolicy Ignore, denies without one or with Fail', () => {
    const error = "expression 'object.spec.missing == 1' resulted in error: no such key: missing";
    for (const failurePolicy of [undefined, 'Fail'] as const) {
      expect(decisions({ ...(failurePolicy ? { failurePolicy } : {}), validations: [{ expression: 'object.spec.missing == 1' }, { expression: 'false' }] })).toEqual([
        { action: 'deny', evaluation: 'error', message: error },
        { action: 'deny', evaluation: 'deny', message: 'failed expression: false', reason: 'Invalid' },
      ]);
    }
    expect(decisions({ failurePolicy: 'Ignore', validations: [{ expression: 'object.spec.missing == 1' }, { expression: 'false' }] })).toEqual([
      { action: 'admit', evaluation: 'error', message: error },
      { action: 'deny', evaluation: 'deny', message: 'failed expression: false', reason: 'Invalid' },
    ]);
  });

  it('a failed validation: reason Invalid unless set, its message, else the expression trimmed', () => {
    expect(
      decisions({
        validations: [
          { expression: ' object.spec.replicas == 2 ' },
          { expression: 'false', reason: 'Forbidden', message: ' test ' },
          { expression: 'false', reason: 'Unauthorized' },
        ],
      }),
    ).toEqual([
      { action: 'deny', evaluation: 'deny', message: 'failed expression: object.spec.replicas == 2', reason: 'Invalid' },
      { action: 'deny', evaluation: 'deny', message: 'test', reason: 'Forbidden' },
      { action: 'deny', evaluation: 'deny', message: 'failed expression: false', reason: 'Unauthorized' },
    ]);
  });

  it('messageExpression: its string wins; empty, multi-line, too long, null or an error fall back to the message', () => {
    const messageOf = (messageExpression: string, message?: string): unknown =>
      (validate({ validations: [{ expression: 'false', reason: 'Forbidden', messageExpression, ...(message ? { message } : {}) }] }).decisions[0] as { message: string }).message;
    expect(messageOf("'evaluated message'")).toBe('evaluated message');
    expect(messageOf("'evaluated message'", 'I am overwritten')).toBe('evaluated message');
    expect(messageOf("'  trimmed  '")).toBe('trimmed');
    expect(messageOf("''", 'test1')).toBe('test1');
    expect(messageOf("'multi\\nline'", 'test1')).toBe('test1');
    expect(messageOf(`'${'x'.repeat(5121)}'`, 'test1')).toBe('test1');
    expect(messageOf('null', 'test1')).toBe('test1');
    expect(messageOf('object.spec.missing', 'test1')).toBe('test1');
    expect(messageOf('object.spec.missing')).toBe('failed expression: false');
  });

  it('messageExpressions get what the validations left of the budget; out of it, the decision is an error', () => {
    const spec: Spec = { validations: [{ expression: 'object.spec.replicas == 2', message: 'test1', messageExpression: "'x' + object.metadata.name" }] };
    const cost = (budget: number): unknown => validate(spec, budget).decisions;
    const validationCost = compile(spec).validations[0]!.compiled.program!.evaluateWithCost(inputs).cost;
    expect(cost(100)).toEqual([{ action: 'deny', evaluation: 'deny', message: 'xw', reason: 'Invalid' }]);
    expect(cost(validationCost)).toEqual([{ action: 'deny', evaluation: 'error', message: 'failed messageExpression: validation failed due to running out of cost budget, no further validation rules will be run' }]);
    expect(cost(validationCost - 1)).toEqual([{ action: 'deny', evaluation: 'error', message: 'validation failed due to running out of cost budget, no further validation rules will be run' }]);
  });

  it('matchConditions: a false one suppresses failures; an error is the decision (Fail) or skips the policy (Ignore)', () => {
    const validations = [{ expression: 'object.spec.missing == 1' }];
    expect(decisions({ matchConditions: [{ name: 'no', expression: 'false' }], validations })).toEqual([]);
    expect(decisions({ matchConditions: [{ name: 'broken', expression: 'object.spec.missing' }, { name: 'yes', expression: 'true' }], validations })).toEqual([
      { action: 'deny', evaluation: 'error', message: "expression 'object.spec.missing' resulted in error: no such key: missing" },
    ]);
    expect(decisions({ failurePolicy: 'Ignore', matchConditions: [{ name: 'broken', expression: 'object.spec.missing' }], validations })).toEqual([]);
    // namespaceObject is null to match conditions, params and variables are there.
    expect(decisions({ matchConditions: [{ name: 'ns', expression: 'namespaceObject == null' }], validations: [{ expression: 'false' }] })).toHaveLength(1);
  });

  it('auditAnnotations: strings published (trimmed), null and empty excluded, other types and errors by failurePolicy', () => {
    const annotations = (failurePolicy?: 'Fail' | 'Ignore'): unknown =>
      validate({
        ...(failurePolicy ? { failurePolicy } : {}),
        validations: [{ expression: 'true' }],
        auditAnnotations: [
          { key: 'a', valueExpression: "' string value '" },
          { key: 'b', valueExpression: 'null' },
          { key: 'c', valueExpression: "''" },
          { key: 'd', valueExpression: 'object.spec.missing' },
          { key: 'e', valueExpression: 'object.spec.replicas' },
        ],
      }).auditAnnotations;
    expect(annotations('Fail')).toEqual([
      { action: 'publish', key: 'a', value: 'string value' },
      { action: 'exclude', key: 'b' },
      { action: 'exclude', key: 'c' },
      { action: 'error', key: 'd', error: "expression 'object.spec.missing' resulted in error: no such key: missing" },
      { action: 'error', key: 'e', error: "valueExpression 'object.spec.replicas' resulted in unsupported return type: int. Return type must be either string or null." },
    ]);
    expect((annotations('Ignore') as unknown[])[3]).toEqual({ action: 'exclude', key: 'd' });
  });

  it('variables: evaluated lazily, by later variables too; their errors as Go words them', () => {
    expect(
      decisions({
        variables: [
          { name: 'replicas', expression: 'object.spec.replicas' },
          { name: 'double', expression: 'variables.replicas * 2' },
          { name: 'broken', expression: 'object.spec.missing' },
        ],
        validations: [{ expression: 'variables.double == 2' }, { expression: 'variables.broken == 1' }, { expression: 'variables.undeclared == 1' }],
      }),
    ).toEqual([
      { action: 'admit', evaluation: 'admit' },
      { action: 'deny', evaluation: 'error', message: `expression 'variables.broken == 1' resulted in error: composited variable "broken" fails to evaluate: no such key: missing` },
      { action: 'deny', evaluation: 'error', message: "expression 'variables.undeclared == 1' resulted in error: no such key: undeclared" },
    ]);
    expect(decisions({ variables: [{ name: 'bad', expression: '1 +' }], validations: [{ expression: 'variables.bad == 1' }] })).toEqual([
      { action: 'deny', evaluation: 'error', message: expect.stringMatching(/^expression 'variables.bad == 1' resulted in error: composited variable "bad" fails to compile: compilation failed: ERROR: <input>:1:\d+: Syntax error/) },
    ]);
  });

  it('a validation that does not compile, or is surely not a bool, is an error of the policy', () => {
    expect(decisions({ validations: [{ expression: "'a string'" }, { expression: 'params.x' }] })).toEqual([
      { action: 'deny', evaluation: 'error', message: 'compilation error: must evaluate to bool but got string' },
      { action: 'deny', evaluation: 'error', message: expect.stringContaining("compilation error: compilation failed: ERROR: <input>:1:1: undeclared reference to 'params'") },
    ]);
  });
});

// ---- the plugin on an in-memory host --------------------------------------------------------

const RULES = [{ apiGroups: [GROUP], apiVersions: ['*'], operations: ['*'], resources: ['widgets'] }];
const CONSTRAINTS = { resourceRules: RULES, namespaceSelector: {}, objectSelector: {}, matchPolicy: 'Equivalent' };
const PARAMS = '/apis/example.com/v1/paramsconfigs';
const CLUSTER_PARAMS = '/apis/example.com/v1/clusterparamsconfigs';
const POLICY = 'denypolicy.example.com';
const BINDING = 'denybinding.example.com';

interface Harness {
  host: TestHost;
  plugin: AdmissionPlugin;
  compiles: () => number;
  policy(spec: Record<string, unknown>, name?: string): void;
  binding(spec: Record<string, unknown>, name?: string, policyName?: string): void;
  start(): Promise<void>;
  stop(): void;
}

const running: Harness[] = [];
afterEach(() => {
  for (const h of running.splice(0)) h.stop();
});

async function harness(opts: { start?: boolean } = {}): Promise<Harness> {
  const host = new TestHost();
  host.serve('/apis/example.com/v1', 'paramsconfigs', 'ParamsConfig', true);
  host.serve('/apis/example.com/v1', 'clusterparamsconfigs', 'ClusterParamsConfig', false);
  for (const ns of ['default', 'mynamespace', 'othernamespace']) host.namespace(ns, { name: ns });
  let compiles = 0;
  const params = new ParamSources(host.client);
  const source = new PolicySource(
    'validating',
    host.client,
    (p: ValidatingAdmissionPolicy) => {
      compiles++;
      return compileValidatingPolicy(p);
    },
    params,
  );
  const namespaces = new HostNamespaces(host.client);
  const h: Harness = {
    host,
    plugin: validatingAdmissionPolicy({ source, params, namespaces, host: host.client }),
    compiles: () => compiles,
    policy(spec, name = POLICY) {
      host.put(`${ADMISSION_V1}/validatingadmissionpolicies`, [{ metadata: { name }, spec: { matchConstraints: CONSTRAINTS, failurePolicy: 'Fail', ...spec } }]);
    },
    binding(spec, name = BINDING, policyName = POLICY) {
      host.put(`${ADMISSION_V1}/validatingadmissionpolicybindings`, [{ metadata: { name }, spec: { policyName, validationActions: ['Deny'], ...spec } }]);
    },
    start: () => Promise.all([source.start(), namespaces.start()]).then(() => undefined),
    stop() {
      source.stop();
      namespaces.stop();
    },
  };
  running.push(h);
  if (opts.start !== false) await h.start();
  return h;
}

const param = (name: string, namespace: string | undefined, labels: Record<string, string> = {}, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  apiVersion: 'example.com/v1',
  kind: namespace ? 'ParamsConfig' : 'ClusterParamsConfig',
  metadata: { name, ...(namespace ? { namespace } : {}), labels },
  ...extra,
});

async function denial(plugin: AdmissionPlugin, attrs: AdmissionAttributes): Promise<StatusError | undefined> {
  try {
    await plugin.validate!(attrs);
    return undefined;
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw err;
  }
}

const paramKind = { apiVersion: 'example.com/v1', kind: 'ParamsConfig' };
const request = (name = 'replicas-test.example.com', namespace: string | undefined = 'default'): AdmissionAttributes => widgetAttributes({ name, ...(namespace ? { namespace } : {}) });

describe('the ValidatingAdmissionPolicy plugin (admission_test.go)', () => {
  it('is not ready before its informers listed (TestPluginNotReady)', async () => {
    const h = await harness({ start: false });
    expect((await denial(h.plugin, request()))?.status.message).toBe(`widgets.${GROUP} "replicas-test.example.com" is forbidden: not yet ready to handle request`);
    await h.start();
    expect(await denial(h.plugin, request())).toBeUndefined();
  });

  it('denies with Go\'s Status: Forbidden\'s message, the decision\'s reason and code, the message as a cause (TestBasicPolicyDefinitionFailure)', async () => {
    const h = await harness();
    h.host.put(PARAMS, [param('replicas-test.example.com', 'default', {}, { maxReplicas: 3 })]);
    h.policy({ paramKind, validations: [{ expression: 'object.metadata.name.size() < params.maxReplicas', message: 'Denied' }] });
    h.binding({ paramRef: { name: 'replicas-test.example.com', namespace: 'default', parameterNotFoundAction: 'Deny' } });
    const attrs = request();
    const err = await denial(h.plugin, attrs);
    const message = `ValidatingAdmissionPolicy '${POLICY}' with binding '${BINDING}' denied request: Denied`;
    expect(err?.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `widgets.${GROUP} "replicas-test.example.com" is forbidden: ${message}`,
      reason: 'Invalid',
      details: { name: 'replicas-test.example.com', group: GROUP, kind: 'widgets', causes: [{ message }] },
      code: 422,
    });
    expect(attrs.warnings).toEqual([]);
    expect(attrs.auditAnnotations).toEqual({});
  });

  it('a policy applies only where its constraints match, compiled once (TestDefinitionDoesntMatch)', async () => {
    const h = await harness();
    h.policy({ matchConstraints: { ...CONSTRAINTS, objectSelector: { matchLabels: { even: 'yes' } } }, validations: [{ expression: 'false', message: 'Denied' }] });
    h.binding({});
    expect(await denial(h.plugin, widgetAttributes({ name: 'oddlength', namespace: 'default', labels: { even: 'no' } }))).toBeUndefined();
    expect((await denial(h.plugin, widgetAttributes({ name: 'evenlength', namespace: 'default', labels: { even: 'yes' } })))?.status.message).toContain('denied request: Denied');
    expect(h.compiles()).toBe(1);
  });

  it('a changed binding takes effect; a changed policy is compiled again (TestReconfigureBinding)', async () => {
    const h = await harness();
    h.host.put(PARAMS, [param('replicas-test.example.com', 'default')]);
    h.policy({ paramKind, validations: [{ expression: 'false', message: 'Denied' }] });
    h.binding({ paramRef: { name: 'replicas-test.example.com', namespace: 'default', parameterNotFoundAction: 'Deny' } });
    expect((await denial(h.plugin, request()))?.status.message).toContain('Denied');
    expect(h.compiles()).toBe(1);
    h.binding({ paramRef: { name: 'replicas-test2.example.com', namespace: 'default', parameterNotFoundAction: 'Deny' } });
    expect((await denial(h.plugin, request()))?.status.message).toContain('failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction');
    h.host.put(PARAMS, [param('replicas-test2.example.com', 'default')]);
    expect((await denial(h.plugin, request()))?.status.message).toContain('Denied');
    expect(h.compiles()).toBe(1);
    h.policy({ paramKind, validations: [{ expression: 'false', message: 'Denied again' }] });
    expect((await denial(h.plugin, request()))?.status.message).toContain('Denied again');
    expect(h.compiles()).toBe(2);
  });

  it('a removed policy or binding stops applying (TestRemoveDefinition, TestRemoveBinding)', async () => {
    const h = await harness();
    h.policy({ validations: [{ expression: 'false', message: 'Denied' }] });
    h.binding({});
    expect(await denial(h.plugin, request())).toBeDefined();
    h.host.remove(`${ADMISSION_V1}/validatingadmissionpolicies`, POLICY);
    expect(await denial(h.plugin, request())).toBeUndefined();
    h.policy({ validations: [{ expression: 'false', message: 'Denied' }] });
    expect(await denial(h.plugin, request())).toBeDefined();
    h.host.remove(`${ADMISSION_V1}/validatingadmissionpolicybindings`, BINDING);
    expect(await denial(h.plugin, request())).toBeUndefined();
  });

  it('a paramKind discovery does not know is a configuration error of the policy (TestInvalidParamSourceGVK); failurePolicy Ignore drops it', async () => {
    const h = await harness();
    h.policy({ paramKind: { apiVersion: 'example.com/v1', kind: 'BadParamKind' }, validations: [{ expression: 'false' }] });
    h.binding({ paramRef: { name: 'x', namespace: 'default' } });
    const err = await denial(h.plugin, request());
    expect([err?.status.code, err?.status.reason, err?.status.message]).toEqual([
      422,
      'Invalid',
      `widgets.${GROUP} "replicas-test.example.com" is forbidden: ValidatingAdmissionPolicy '${POLICY}' denied request: failed to configure policy: failed to find resource referenced by paramKind: 'example.com/v1, Kind=BadParamKind'`,
    ]);
    h.policy({ failurePolicy: 'Ignore', paramKind: { apiVersion: 'example.com/v1', kind: 'BadParamKind' }, validations: [{ expression: 'false' }] });
    expect(await denial(h.plugin, request())).toBeUndefined();
  });

  it('without its param: Deny refuses, Allow skips (TestInvalidParamSourceInstanceName); no paramRef, or no paramKind, means params null (TestEmptyParamRef, TestEmptyParamSource)', async () => {
    const h = await harness();
    h.policy({ paramKind, validations: [{ expression: 'params != null', message: 'Denied' }] });
    h.binding({ paramRef: { name: 'absent', namespace: 'default', parameterNotFoundAction: 'Deny' } });
    expect((await denial(h.plugin, request()))?.status.message).toContain('no params found for policy binding with `Deny` parameterNotFoundAction');
    h.binding({ paramRef: { name: 'absent', namespace: 'default', parameterNotFoundAction: 'Allow' } });
    expect(await denial(h.plugin, request())).toBeUndefined();
    h.binding({});
    expect((await denial(h.plugin, request()))?.status.message).toContain('denied request: Denied');
    h.policy({ validations: [{ expression: 'false', message: 'Denied' }] });
    expect((await denial(h.plugin, request()))?.status.message).toContain('denied request: Denied');
  });

  it('a built-in kind as params has apiVersion and kind (TestNativeTypeParam); namespaceObject is the request\'s namespace', async () => {
    const h = await harness();
    h.host.put('/api/v1/configmaps', [{ metadata: { name: 'cm', namespace: 'default' }, data: { a: 'b' } }]);
    h.policy({
      paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
      validations: [{ expression: "params.kind == 'ConfigMap' && params.apiVersion == 'v1' && params.data.a == 'b' && namespaceObject.metadata.name == 'default' && has(namespaceObject.metadata.resourceVersion) && !has(namespaceObject.metadata.managedFields)" }],
    });
    h.binding({ paramRef: { name: 'cm', parameterNotFoundAction: 'Deny' } });
    expect(await denial(h.plugin, request())).toBeUndefined();
  });

  it('validationActions: Audit annotates, Warn warns with Go\'s text, all three together (TestAuditValidationAction, TestWarnValidationAction, TestAllValidationActions)', async () => {
    const h = await harness();
    h.policy({ validations: [{ expression: 'false', message: "I'm sorry Dave" }] }, 'denypolicy1.example.com');
    h.policy({ validations: [{ expression: 'false', message: "I can't do that" }] }, 'denypolicy2.example.com');
    h.binding({ validationActions: ['Audit'] }, 'denybinding1.example.com', 'denypolicy1.example.com');
    h.binding({ validationActions: ['Audit'] }, 'denybinding2.example.com', 'denypolicy2.example.com');
    const audited = request();
    expect(await denial(h.plugin, audited)).toBeUndefined();
    expect(audited.warnings).toEqual([]);
    expect(Object.keys(audited.auditAnnotations!)).toEqual(['validation.policy.admission.k8s.io/validation_failure']);
    expect(JSON.parse(audited.auditAnnotations!['validation.policy.admission.k8s.io/validation_failure']!)).toEqual([
      { message: "I'm sorry Dave", policy: 'denypolicy1.example.com', binding: 'denybinding1.example.com', expressionIndex: 0, validationActions: ['Audit'] },
      { message: "I can't do that", policy: 'denypolicy2.example.com', binding: 'denybinding2.example.com', expressionIndex: 0, validationActions: ['Audit'] },
    ]);

    h.binding({ validationActions: ['Warn'] }, 'denybinding1.example.com', 'denypolicy1.example.com');
    h.host.remove(`${ADMISSION_V1}/validatingadmissionpolicybindings`, 'denybinding2.example.com');
    const warned = request();
    expect(await denial(h.plugin, warned)).toBeUndefined();
    expect(warned.warnings).toEqual(["Validation failed for ValidatingAdmissionPolicy 'denypolicy1.example.com' with binding 'denybinding1.example.com': I'm sorry Dave"]);
    expect(warned.auditAnnotations).toEqual({});

    h.binding({ validationActions: ['Deny', 'Warn', 'Audit'] }, 'denybinding1.example.com', 'denypolicy1.example.com');
    const all = request();
    expect((await denial(h.plugin, all))?.status.message).toContain("I'm sorry Dave");
    expect(all.warnings).toHaveLength(1);
    expect(JSON.parse(all.auditAnnotations!['validation.policy.admission.k8s.io/validation_failure']!)).toEqual([
      { message: "I'm sorry Dave", policy: 'denypolicy1.example.com', binding: 'denybinding1.example.com', expressionIndex: 0, validationActions: ['Deny', 'Warn', 'Audit'] },
    ]);
  });

  it('auditAnnotations of several bindings: distinct values joined, an erroring one denies (TestAuditAnnotations)', async () => {
    const h = await harness();
    h.host.put(PARAMS, ['replicas-test.example.com', 'replicas-test2.example.com', 'replicas-test3.example.com'].map((n) => param(n, 'default')));
    h.policy({
      paramKind,
      validations: [{ expression: 'true' }],
      auditAnnotations: [
        { key: 'example-key', valueExpression: "params.metadata.name == 'replicas-test2.example.com' ? 'special-value' : 'normal-value'" },
        { key: 'excluded-key', valueExpression: 'null' },
        { key: 'error-key', valueExpression: "params.metadata.name == 'replicas-test.example.com' ? string(params.nope) : null" },
      ],
    });
    for (const [i, name] of ['', '2', '3'].entries()) h.binding({ paramRef: { name: `replicas-test${name}.example.com`, namespace: 'default', parameterNotFoundAction: 'Deny' } }, `denybinding${i === 0 ? '' : i + 1}.example.com`);
    const attrs = request();
    const err = await denial(h.plugin, attrs);
    expect(err?.status.message).toContain("expression 'params.metadata.name == 'replicas-test.example.com' ? string(params.nope) : null' resulted in error: no such key: nope");
    expect(attrs.auditAnnotations).toEqual({ [`${POLICY}/example-key`]: 'normal-value, special-value' });
  });

  it('paramRef.namespace is refused for a cluster-scoped paramKind (TestNamespaceParamRefClusterScopedParamError)', async () => {
    const h = await harness();
    h.policy({ paramKind: { apiVersion: 'example.com/v1', kind: 'ClusterParamsConfig' }, validations: [{ expression: 'true' }] });
    h.binding({ paramRef: { name: 'p', namespace: 'mynamespace' } });
    expect((await denial(h.plugin, request()))?.status.message).toContain('failed to configure binding: paramRef.namespace must not be provided for a cluster-scoped `paramKind`');
  });

  it('a param created a moment before the request is found on the host (TestCollectParamsHandlesCacheMiss)', async () => {
    const h = await harness();
    h.policy({ paramKind, validations: [{ expression: "params.metadata.name == 'fresh'" }] });
    h.binding({ paramRef: { name: 'fresh', namespace: 'default', parameterNotFoundAction: 'Deny' } });
    // Let the param informer start and list before the param exists.
    expect((await denial(h.plugin, request()))?.status.message).toContain('no params found');
    h.host.put(PARAMS, [param('fresh', 'default')], { silently: true });
    expect(await denial(h.plugin, request())).toBeUndefined();
    expect(h.host.gets).toContain('/apis/example.com/v1/namespaces/default/paramsconfigs/fresh');
  });

  it('Equivalent: a v1beta1 request for a policy of v1 is seen in v1 (object, request.kind), requestKind v1beta1', async () => {
    const h = await harness();
    h.policy({
      matchConstraints: { ...CONSTRAINTS, resourceRules: [{ ...RULES[0], apiVersions: ['v1'] }] },
      validations: [{ expression: "object.apiVersion == 'example.com/v1' && object.spec.size == 3 && request.kind.version == 'v1' && request.requestKind.version == 'v1beta1'" }],
    });
    h.binding({});
    const attrs = widgetAttributes({ name: 'w', namespace: 'default', version: 'v1beta1', spec: { size: 3 } });
    expect(await denial(h.plugin, attrs)).toBeUndefined();
    h.policy({ matchConstraints: { ...CONSTRAINTS, matchPolicy: 'Exact', resourceRules: [{ ...RULES[0], apiVersions: ['v1'] }] }, validations: [{ expression: 'false' }] });
    expect(await denial(h.plugin, attrs)).toBeUndefined();
  });
});

describe('paramRef (admission_test.go TestParamRef)', () => {
  const MATCHING = 'replicas-test.example.com';
  const yes = { doesitmatch: 'yes' };
  const no = { doesitmatch: 'no' };
  const other = { notaffiliated: 'no' };
  const namespaced = [
    ['', 'default', no],
    ['', 'mynamespace', no],
    ['', 'othernamespace', no],
    ['1', 'default', yes],
    ['1', 'mynamespace', yes],
    ['1', 'othernamespace', yes],
    ['2', 'default', other],
    ['2', 'mynamespace', other],
    ['2', 'othernamespace', other],
    ['3', 'default', other],
    ['3', 'mynamespace', yes],
    ['3', 'othernamespace', yes],
  ] as const;
  const clusterScoped = [
    ['', yes],
    ['1', no],
    ['2', other],
    ['3', yes],
    ['4', no],
    ['5', other],
  ] as const;

  const cases: Array<[string, { clusterScoped: boolean; name: boolean; namespace: boolean; selector: boolean; deny: boolean }]> = [];
  for (const cs of [false, true])
    for (const name of [false, true])
      for (const namespace of [false, true]) {
        if (cs && namespace) continue;
        for (const selector of [false, true]) {
          if (selector && name) continue;
          for (const deny of [false, true]) {
            const title = `${cs ? 'ClusterScoped' : ''}ParamRef${name ? 'WithName' : selector ? 'WithLabelSelector' : 'WithEverythingSelector'}${namespace ? 'WithNamespace' : ''}${deny ? 'DenyNotFound' : 'AllowNotFound'}`;
            cases.push([title, { clusterScoped: cs, name, namespace, selector, deny }]);
          }
        }
      }

  it.each(cases)('%s', async (_title, c) => {
    const h = await harness();
    h.host.put(PARAMS, namespaced.map(([suffix, ns, labels]) => param(MATCHING + suffix, ns, labels)));
    h.host.put(CLUSTER_PARAMS, clusterScoped.map(([suffix, labels]) => param(MATCHING + suffix, undefined, labels)));
    h.policy({
      paramKind: { apiVersion: 'example.com/v1', kind: c.clusterScoped ? 'ClusterParamsConfig' : 'ParamsConfig' },
      validations: [{ expression: 'false', messageExpression: "'Denied by policy ' + (has(params.metadata.namespace) ? params.metadata.namespace : '') + '/' + params.metadata.name" }],
    });
    h.binding({
      validationActions: ['Warn', 'Deny'],
      paramRef: {
        ...(c.name ? { name: MATCHING } : c.selector ? { selector: { matchLabels: yes } } : { selector: {} }),
        ...(c.namespace ? { namespace: 'mynamespace' } : {}),
        parameterNotFoundAction: c.deny ? 'Deny' : 'Allow',
      },
    });
    const expected = (requestNamespace: string): string[] => {
      const pool = c.clusterScoped ? clusterScoped.map(([suffix, labels]) => ({ name: MATCHING + suffix, ns: '', labels })) : namespaced.map(([suffix, ns, labels]) => ({ name: MATCHING + suffix, ns, labels }));
      return pool
        .filter((p) => !c.name || p.name === MATCHING)
        .filter((p) => c.clusterScoped || p.ns === (c.namespace ? 'mynamespace' : requestNamespace))
        .filter((p) => !c.selector || p.labels === yes)
        .map((p) => `Validation failed for ValidatingAdmissionPolicy '${POLICY}' with binding '${BINDING}': Denied by policy ${p.ns}/${p.name}`)
        .sort();
    };
    const namespacedRequest = widgetAttributes({ name: 'some param', namespace: 'othernamespace' });
    expect((await denial(h.plugin, namespacedRequest))?.status.message).toContain('Denied by policy');
    expect([...namespacedRequest.warnings].sort()).toEqual(expected('othernamespace'));

    const clusterRequest = widgetAttributes({ name: 'other param' });
    const err = await denial(h.plugin, clusterRequest);
    if (!c.namespace && !c.clusterScoped) {
      expect(err?.status.message).toContain('failed to configure binding: cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
    } else {
      expect(err?.status.message).toContain('Denied by policy');
      expect([...clusterRequest.warnings].sort()).toEqual(expected('default'));
    }
  });
});
