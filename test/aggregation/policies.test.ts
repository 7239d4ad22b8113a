/**
 * The host cluster's ValidatingAdmissionPolicies and MutatingAdmissionPolicies (admissionregistration.k8s.io/v1,
 * served by the pinned kube-apiserver without flags) on kapi's resources, through a real
 * kube-apiserver, with the Go sample-apiserver asked the same as the control. Each case has its own
 * namespace, labelled kapi-case=<case>, selected by its binding's namespaceSelector, so that the
 * cases do not see each other's policies. Both servers must answer the same Status (code, reason,
 * message, details) and the same Warning headers, and mutate alike.
 */
import type { Kubectl } from '../e2e/kubectl.js';
import type { GoServer } from '../e2e/go-sample-server.js';
import type { Aggregated } from './aggregated.js';
import { GROUP, SERVERS, startSideBySide, type SideBySide, caseNamespace as caseNamespaceOf, eventually, flunder, statusBodyOf, type Answer, type Server } from './side-by-side.js';

jest.setTimeout(90_000);

let env: Aggregated;
let kubectl: Kubectl;
let go: GoServer;
let servers: SideBySide;

const ADMISSION = 'admissionregistration.k8s.io/v1';
const ask = (server: Server, path: string, opts?: { method?: string; body?: unknown }): Promise<Answer> => servers.ask(server, path, opts);
const create = (server: Server, namespace: string, name: string, labels?: Record<string, string>): Promise<Answer> => servers.create(server, namespace, name, labels ? { labels } : {});
const statusOf = statusBodyOf;
const caseNamespace = (name: string): void => caseNamespaceOf(kubectl, name);

const RULES = [{ operations: ['CREATE', 'UPDATE'], apiGroups: [GROUP], apiVersions: ['*'], resources: ['flunders'] }];

function apply(...objects: Record<string, unknown>[]): void {
  kubectl.ok(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }) });
}

/** A policy named `name` and its binding `name`, which selects the namespace `name` only. */
function policy(kind: 'Validating' | 'Mutating', name: string, spec: Record<string, unknown>, binding: Record<string, unknown> = {}): void {
  apply(
    { apiVersion: ADMISSION, kind: `${kind}AdmissionPolicy`, metadata: { name }, spec: { matchConstraints: { resourceRules: RULES }, ...spec } },
    {
      apiVersion: ADMISSION,
      kind: `${kind}AdmissionPolicyBinding`,
      metadata: { name },
      spec: { policyName: name, matchResources: { namespaceSelector: { matchLabels: { 'kapi-case': name } } }, ...(kind === 'Validating' ? { validationActions: ['Deny'] } : {}), ...binding },
    },
  );
}

beforeAll(async () => {
  ({ env, kubectl, go, servers } = await startSideBySide());
}, 15 * 60_000);

afterAll(async () => {
  await go?.stop();
  await env?.stop();
});

it('a ValidatingAdmissionPolicy denies with the Status Go gives (message, messageExpression, reason, the failed expression); kubectl shows it', async () => {
  caseNamespace('deny');
  policy('Validating', 'deny', {
    validations: [
      { expression: "!object.metadata.name.startsWith('bad')", message: 'flunder names may not start with bad' },
      { expression: "!object.metadata.name.startsWith('worse')", messageExpression: "'no ' + object.metadata.name.split('-')[0] + ' here'", reason: 'Forbidden' },
      { expression: 'object.metadata.name.size() < 16' },
    ],
  });
  await eventually((server, n) => create(server, 'deny', `bad${n}`), (a) => a.status !== 201);
  const cases: Array<[string, number, string, string]> = [
    ['bad', 422, 'Invalid', 'flunder names may not start with bad'],
    ['worse', 403, 'Forbidden', 'no worse here'],
    ['much-too-long-a-name', 422, 'Invalid', 'failed expression: object.metadata.name.size() < 16'],
  ];
  for (const [name, code, reason, message] of cases) {
    const [fromKapi, fromGo] = await Promise.all(SERVERS.map((s) => create(s, 'deny', name)));
    const full = `ValidatingAdmissionPolicy 'deny' with binding 'deny' denied request: ${message}`;
    expect(statusOf(fromKapi!, 'kapi')).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `flunders.${GROUP} "${name}-<server>" is forbidden: ${full}`,
      reason,
      details: { name: `${name}-<server>`, group: GROUP, kind: 'flunders', causes: [{ message: full }] },
      code,
    });
    expect(statusOf(fromKapi!, 'kapi')).toEqual(statusOf(fromGo!, 'go'));
  }
  expect((await create('kapi', 'deny', 'fine')).status).toBe(201);

  const denied = await kubectl.runAsync(['create', '-f', '-'], { input: JSON.stringify(flunder('bad-by-kubectl', 'deny')) });
  expect(denied.code).toBe(1);
  // kubectl words a 422 as `The <kind> "<name>" is invalid: <field>: <cause>`; the cause has no field.
  expect(denied.stderr).toBe(`The flunders "bad-by-kubectl" is invalid: : ValidatingAdmissionPolicy 'deny' with binding 'deny' denied request: flunder names may not start with bad\n`);
});

it('validationActions Warn admits with the Warning header Go sends; kubectl prints it', async () => {
  caseNamespace('warn');
  policy('Validating', 'warn', { validations: [{ expression: "has(object.metadata.labels) && 'team' in object.metadata.labels", message: 'a flunder should name its team' }] }, { validationActions: ['Warn'] });
  await eventually((server, n) => create(server, 'warn', `probe${n}`), (a) => a.warnings.length > 0);
  const answers = await Promise.all(SERVERS.map((s) => create(s, 'warn', 'f1')));
  const warning = "Validation failed for ValidatingAdmissionPolicy 'warn' with binding 'warn': a flunder should name its team";
  expect(answers.map((a) => [a.status, a.warnings])).toEqual([
    [201, [warning]],
    [201, [warning]],
  ]);
  const labelled = await Promise.all(SERVERS.map((s) => create(s, 'warn', 'f2', { team: 'a' })));
  expect(labelled.map((a) => [a.status, a.warnings])).toEqual([
    [201, []],
    [201, []],
  ]);
  const created = await kubectl.runAsync(['create', '-f', '-'], { input: JSON.stringify(flunder('by-kubectl', 'warn')) });
  expect(created).toMatchObject({ code: 0, stdout: 'flunder.wardle.example.com/by-kubectl created\n', stderr: `Warning: ${warning}\n` });
});

it('a policy with ConfigMap params: denied without its param (parameterNotFoundAction Deny), then by what the param says', async () => {
  caseNamespace('params');
  const spec = {
    paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
    variables: [{ name: 'banned', expression: "params.data.banned.split(',')" }],
    validations: [{ expression: "!variables.banned.exists(b, object.metadata.name.startsWith(b + '-'))", messageExpression: "'the name ' + object.metadata.name + ' is banned by ' + params.metadata.name" }],
  };
  policy('Validating', 'params', spec, { paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' } });
  const noParams = "ValidatingAdmissionPolicy 'params' with binding 'params' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction";
  await eventually((server, n) => create(server, 'params', `probe${n}`), (a) => a.status === 422);
  const missing = await Promise.all(SERVERS.map((s) => create(s, 'params', 'f1')));
  for (const [i, a] of missing.entries()) expect([a.status, a.body['reason'], a.body['message']]).toEqual([422, 'Invalid', `flunders.${GROUP} "f1-${SERVERS[i]}" is forbidden: ${noParams}`]);
  expect(statusOf(missing[0]!, 'kapi')).toEqual(statusOf(missing[1]!, 'go'));

  // Created a moment before the request: the informers may not have it yet, the host has.
  kubectl.ok(['create', 'configmap', 'limits', '-n', 'params', '--from-literal=banned=nope,never']);
  const [kapiNope, goNope] = await Promise.all(SERVERS.map((s) => create(s, 'params', 'nope')));
  expect([kapiNope!.status, kapiNope!.body['message']]).toEqual([422, `flunders.${GROUP} "nope-kapi" is forbidden: ValidatingAdmissionPolicy 'params' with binding 'params' denied request: the name nope-kapi is banned by limits`]);
  expect(statusOf(kapiNope!, 'kapi')).toEqual(statusOf(goNope!, 'go'));
  expect((await Promise.all(SERVERS.map((s) => create(s, 'params', 'fine')))).map((a) => a.status)).toEqual([201, 201]);

  // parameterNotFoundAction Allow: no param, no validation.
  policy('Validating', 'params', spec, { paramRef: { name: 'absent', parameterNotFoundAction: 'Allow' } });
  await eventually((server, n) => create(server, 'params', `nope-allowed${n}`), (a) => a.status === 201);
});

it('a MutatingAdmissionPolicy adds a label (ApplyConfiguration) and an annotation (JSONPatch), as Go does', async () => {
  caseNamespace('mutate');
  policy('Mutating', 'mutate', {
    reinvocationPolicy: 'Never',
    mutations: [
      { patchType: 'ApplyConfiguration', applyConfiguration: { expression: 'Object{metadata: Object.metadata{labels: {"mutated-by": "policy"}}}' } },
      { patchType: 'JSONPatch', jsonPatch: { expression: '[JSONPatch{op: "add", path: "/metadata/annotations", value: {"patched": object.metadata.name}}]' } },
    ],
  });
  const mutatedOf = (a: Answer): unknown => {
    const meta = (a.body['metadata'] ?? {}) as { labels?: unknown; annotations?: unknown };
    return JSON.parse(JSON.stringify({ labels: meta.labels, annotations: meta.annotations }).replaceAll(/-(kapi|go)"/g, '-<server>"'));
  };
  await eventually((server, n) => create(server, 'mutate', `probe${n}`, { keep: 'me' }), (a) => a.status === 201 && (a.body['metadata'] as { labels?: Record<string, string> }).labels?.['mutated-by'] === 'policy');
  const answers = await Promise.all(SERVERS.map((s) => create(s, 'mutate', 'f1', { keep: 'me' })));
  expect(answers.map((a) => a.status)).toEqual([201, 201]);
  expect(mutatedOf(answers[0]!)).toEqual({ labels: { keep: 'me', 'mutated-by': 'policy' }, annotations: { patched: 'f1-<server>' } });
  expect(mutatedOf(answers[0]!)).toEqual(mutatedOf(answers[1]!));

  const created = await kubectl.runAsync(['create', '-f', '-'], { input: JSON.stringify(flunder('by-kubectl', 'mutate')) });
  expect(created).toMatchObject({ code: 0, stdout: 'flunder.wardle.example.com/by-kubectl created\n' });
  expect(kubectl.ok(['get', 'flunders', 'by-kubectl', '-n', 'mutate', '-o', 'jsonpath={.metadata.labels.mutated-by}/{.metadata.annotations.patched}'])).toBe('policy/by-kubectl');
});

it('a VAP whose rules name v1alpha1 sees a v1beta1 request converted (matchPolicy Equivalent), as Go does', async () => {
  caseNamespace('equivalent');
  policy('Validating', 'equivalent', {
    matchConstraints: { resourceRules: [{ ...RULES[0], apiVersions: ['v1alpha1'] }] },
    validations: [{ expression: "object.apiVersion == 'wardle.example.com/v1alpha1' && request.requestKind.version == 'v1beta1' && (!has(object.spec.reference) || object.spec.reference != 'banned')", messageExpression: "'seen as ' + object.apiVersion + ' with ' + object.spec.referenceType + ' ' + object.spec.reference" }],
  });
  const body = (server: Server, name: string): Record<string, unknown> => ({ ...flunder(`${name}-${server}`, 'equivalent'), spec: { referenceType: 'Flunder', flunderReference: 'banned' } });
  const post = (server: Server, name: string): Promise<Answer> => ask(server, `/apis/${GROUP}/v1beta1/namespaces/equivalent/flunders`, { method: 'POST', body: body(server, name) });
  await eventually((server, n) => post(server, `probe${n}`), (a) => a.status !== 201);
  const [fromKapi, fromGo] = await Promise.all(SERVERS.map((s) => post(s, 'f1')));
  expect([fromKapi!.status, fromKapi!.body['message']]).toEqual([422, `flunders.${GROUP} "f1-kapi" is forbidden: ValidatingAdmissionPolicy 'equivalent' with binding 'equivalent' denied request: seen as wardle.example.com/v1alpha1 with Flunder banned`]);
  expect(statusOf(fromKapi!, 'kapi')).toEqual(statusOf(fromGo!, 'go'));
});

it('a MAP that cannot apply refuses the request with the Status Go gives', async () => {
  caseNamespace('mutate-error');
  policy('Mutating', 'mutate-error', {
    reinvocationPolicy: 'Never',
    mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: '[JSONPatch{op: "remove", path: "/metadata/labels/absent"}]' } }],
  });
  await eventually((server, n) => create(server, 'mutate-error', `probe${n}`, { present: 'yes' }), (a) => a.status === 403);
  const [fromKapi, fromGo] = await Promise.all(SERVERS.map((s) => create(s, 'mutate-error', 'f1', { present: 'yes' })));
  const message = "policy 'mutate-error' with binding 'mutate-error' denied request: JSON Patch: error in remove for path: '/metadata/labels/absent': Unable to remove nonexistent key: absent: missing value";
  expect(statusOf(fromKapi!, 'kapi')).toEqual({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason: 'Invalid',
    details: { name: 'f1-<server>', group: GROUP, kind: 'flunders', causes: [{ message }] },
    code: 403,
  });
  expect(statusOf(fromKapi!, 'kapi')).toEqual(statusOf(fromGo!, 'go'));

  // An apply configuration typed by the host's OpenAPI (this server's schema): an undeclared field, an atomic list and struct.
  for (const [expression, why] of [
    ['Object{spec: Object.spec{nope: "x"}}', 'error applying patch: failed to convert patch object to typed object: .spec.nope: field not declared in schema'],
    [
      // One atomic part only: Go lists several in its map's (random) order.
      'Object{metadata: Object.metadata{ownerReferences: [Object.metadata.ownerReferences{apiVersion: "v1", kind: "ConfigMap", name: "c", uid: "u"}]}}',
      'error applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: .metadata.ownerReferences[0]',
    ],
  ]) {
    policy('Mutating', 'mutate-error', { reinvocationPolicy: 'Never', mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression } }] });
    const text = `policy 'mutate-error' with binding 'mutate-error' denied request: ${why}`;
    await eventually((server, n) => create(server, 'mutate-error', `typed${n}`), (a) => a.body['message'] === text);
    const [typedKapi, typedGo] = await Promise.all(SERVERS.map((s) => create(s, 'mutate-error', `typed-${why.length}`)));
    expect([typedKapi!.status, typedKapi!.body['reason']]).toEqual([403, 'Invalid']);
    expect(statusOf(typedKapi!, 'kapi')).toEqual(statusOf(typedGo!, 'go'));
  }
});
