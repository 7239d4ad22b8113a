/**
 * MutatingAdmissionPolicy on an in-memory host, ported from k8s.io/apiserver
 * pkg/admission/plugin/policy/mutating: patch/json_patch_test.go, patch/smd_test.go (their
 * Deployment cases on a widget with a Deployment's schema), plugin_test.go and dispatcher_test.go.
 */
import { StatusError, type KubeObject } from '@kapi/apimachinery';
import { HostNamespaces } from '../host-namespaces.js';
import type { OpenAPISchema } from '../../apply/index.js';
import { HostSchemas } from './host-schemas.js';
import { compileMutatingPolicy, mutatingAdmissionPolicy } from './mutating.js';
import { ParamSources } from './params.js';
import { PolicySource } from './source.js';
import { ADMISSION_V1, GROUP, TestHost, widgetAttributes } from './test-host.js';
import { AdmissionChain } from '../../registry/admission.js';
import type { AdmissionPlugin } from '../../registry/rest.js';

const ref = (name: string): OpenAPISchema => ({ $ref: `#/components/schemas/${name}` });
const stringMap: OpenAPISchema = { type: 'object', additionalProperties: { type: 'string' } };
const listMap = (items: string, keys: string[]): OpenAPISchema => ({ type: 'array', items: ref(items), 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': keys });

/** A widget typed like apps/v1 Deployment (the parts the cases use), as the host's OpenAPI v3 would give it. */
const SCHEMAS: Record<string, OpenAPISchema> = {
  'com.example.v1.Widget': {
    type: 'object',
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { allOf: [ref('ObjectMeta')], default: {} }, spec: { allOf: [ref('WidgetSpec')], default: {} } },
    'x-kubernetes-group-version-kind': [{ group: GROUP, version: 'v1', kind: 'Widget' }],
  } as OpenAPISchema,
  ObjectMeta: { type: 'object', properties: { name: { type: 'string' }, namespace: { type: 'string' }, labels: stringMap, annotations: stringMap, resourceVersion: { type: 'string' } } },
  WidgetSpec: { type: 'object', properties: { replicas: { type: 'integer' }, selector: ref('LabelSelector'), template: { allOf: [ref('PodTemplateSpec')], default: {} }, strategy: { type: 'object', properties: { type: { type: 'string' } } } } },
  LabelSelector: { type: 'object', properties: { matchLabels: stringMap }, 'x-kubernetes-map-type': 'atomic' },
  PodTemplateSpec: { type: 'object', properties: { metadata: ref('ObjectMeta'), spec: ref('PodSpec') } },
  PodSpec: { type: 'object', properties: { containers: listMap('Container', ['name']), initContainers: listMap('Container', ['name']), volumes: listMap('Volume', ['name']) } },
  Container: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      image: { type: 'string' },
      command: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'atomic' },
      args: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'atomic' },
      ports: listMap('ContainerPort', ['containerPort', 'protocol']),
      env: listMap('EnvVar', ['name']),
      resources: { type: 'object', properties: { limits: stringMap } },
    },
  },
  ContainerPort: { type: 'object', properties: { containerPort: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } } },
  EnvVar: { type: 'object', properties: { name: { type: 'string' }, value: { type: 'string' } } },
  Volume: { type: 'object', properties: { name: { type: 'string' }, hostPath: { type: 'object', properties: { path: { type: 'string' } } } } },
};

const RULES = [{ apiGroups: [GROUP], apiVersions: ['v1'], operations: ['*'], resources: ['widgets'] }];

interface Harness {
  host: TestHost;
  plugin: AdmissionPlugin;
  /** Puts a policy and its binding `<name>-binding` (no matchResources). */
  policy(name: string, spec: Record<string, unknown>, binding?: Record<string, unknown>): void;
  stop(): void;
}

const running: Harness[] = [];
afterEach(() => {
  for (const h of running.splice(0)) h.stop();
});

async function harness(opts: { schema?: boolean } = {}): Promise<Harness> {
  const host = new TestHost();
  host.namespace('default', { env: 'test' });
  if (opts.schema !== false) {
    host.answers.set('/openapi/v3', { paths: { 'apis/example.com/v1': { serverRelativeURL: '/openapi/v3/apis/example.com/v1?hash=1' } } });
    host.answers.set('/openapi/v3/apis/example.com/v1', { components: { schemas: SCHEMAS } });
  }
  const params = new ParamSources(host.client);
  const source = new PolicySource('mutating', host.client, compileMutatingPolicy, params);
  const namespaces = new HostNamespaces(host.client);
  await Promise.all([source.start(), namespaces.start()]);
  const plugin = mutatingAdmissionPolicy({ source, params, namespaces, host: host.client, schemas: new HostSchemas(host.client) });
  const h: Harness = {
    host,
    plugin,
    policy(name, spec, binding = {}) {
      host.put(`${ADMISSION_V1}/mutatingadmissionpolicies`, [
        { metadata: { name }, spec: { matchConstraints: { resourceRules: RULES, namespaceSelector: {}, objectSelector: {}, matchPolicy: 'Equivalent' }, failurePolicy: 'Fail', ...spec } },
      ]);
      host.put(`${ADMISSION_V1}/mutatingadmissionpolicybindings`, [{ metadata: { name: `${name}-binding` }, spec: { policyName: name, ...binding } }]);
    },
    stop() {
      source.stop();
      namespaces.stop();
    },
  };
  running.push(h);
  return h;
}

const withContainers = (containers: unknown[], init?: unknown[]): Record<string, unknown> => ({ template: { spec: { containers, ...(init ? { initContainers: init } : {}) } } });

/** Admits a widget whose spec (and metadata) are given through one mutation; the widget after it, or the error. */
async function mutate(patchType: 'JSONPatch' | 'ApplyConfiguration', expression: string, spec: Record<string, unknown>, labels?: Record<string, string>): Promise<{ object?: KubeObject; error?: StatusError }> {
  const h = await harness();
  h.policy('p', { mutations: [patchType === 'JSONPatch' ? { patchType, jsonPatch: { expression } } : { patchType, applyConfiguration: { expression } }] });
  const attrs = widgetAttributes({ name: 'w', namespace: 'default', spec, ...(labels ? { labels } : {}) });
  try {
    await h.plugin.admit!(attrs);
    return { object: attrs.object! };
  } catch (err) {
    if (err instanceof StatusError) return { error: err };
    throw err;
  }
}

const specOf = (o: KubeObject | undefined): unknown => (o as { spec?: unknown } | undefined)?.spec;
const labelsOf = (o: KubeObject | undefined): unknown => o?.metadata?.labels;
/** The text a policy error ends with (after "policy 'p' with binding 'p-binding' denied request: "). */
const errorText = (r: { error?: StatusError }): string | undefined => r.error?.status.message?.replace("policy 'p' with binding 'p-binding' denied request: ", '');

describe('JSONPatch (json_patch_test.go)', () => {
  it('a failed test operation leaves the object as it was; a passing one lets the rest apply', async () => {
    const failed = await mutate('JSONPatch', '[JSONPatch{op: "test", path: "/spec/replicas", value: 100}, JSONPatch{op: "replace", path: "/spec/replicas", value: 3},]', { replicas: 1 });
    expect(specOf(failed.object)).toEqual({ replicas: 1 });
    const passed = await mutate('JSONPatch', '[JSONPatch{op: "test", path: "/spec/replicas", value: 1}, JSONPatch{op: "replace", path: "/spec/replicas", value: 3},]', { replicas: 1 });
    expect(specOf(passed.object)).toEqual({ replicas: 3 });
  });

  it.each([
    ['remove to unset field', '[JSONPatch{op: "remove", path: "/spec/replicas"}]', { replicas: 1 }, {}],
    ['remove element in list', '[JSONPatch{op: "remove", path: "/spec/template/spec/containers/1"}]', withContainers([{ name: 'a' }, { name: 'b' }, { name: 'c' }]), withContainers([{ name: 'a' }, { name: 'c' }])],
    [
      'copy first element to end of list',
      '[JSONPatch{op: "copy", from: "/spec/template/spec/containers/0", path: "/spec/template/spec/containers/-"}]',
      withContainers([{ name: 'a' }, { name: 'b' }, { name: 'c' }]),
      withContainers([{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'a' }]),
    ],
    [
      'move first element to end of list',
      '[JSONPatch{op: "move", from: "/spec/template/spec/containers/0", path: "/spec/template/spec/containers/-"}]',
      withContainers([{ name: 'a' }, { name: 'b' }, { name: 'c' }]),
      withContainers([{ name: 'b' }, { name: 'c' }, { name: 'a' }]),
    ],
    ['add to start of list', '[JSONPatch{op: "add", path: "/spec/template/spec/containers/0", value: {"name": "x"}}]', withContainers([{ name: 'a' }]), withContainers([{ name: 'x' }, { name: 'a' }])],
    ['add to end of list', '[JSONPatch{op: "add", path: "/spec/template/spec/containers/-", value: {"name": "x"}}]', withContainers([{ name: 'a' }]), withContainers([{ name: 'a' }, { name: 'x' }])],
    ['replace first element in list', '[JSONPatch{op: "replace", path: "/spec/template/spec/containers/0", value: {"name": "x"}}]', withContainers([{ name: 'a' }]), withContainers([{ name: 'x' }])],
    ['add a typed Object as a value', '[JSONPatch{op: "add", path: "/spec", value: Object.spec{selector: Object.spec.selector{}, replicas: 10}}]', {}, { selector: {}, replicas: 10 }],
    [
      'CEL initializer',
      '[JSONPatch{op: "add", path: "/spec/template/spec/containers/-", value: Object.spec.template.spec.containers{name: "x", ports: [Object.spec.template.spec.containers.ports{containerPort: 8080}]}},]',
      withContainers([{ name: 'a' }]),
      withContainers([{ name: 'a' }, { name: 'x', ports: [{ containerPort: 8080 }] }]),
    ],
    ['complex struct as value', '[JSONPatch{op: "add", path: "/spec/template/spec/containers/1", value: object.spec.template.spec.containers[0]},]', withContainers([{ name: 'a' }]), withContainers([{ name: 'a' }, { name: 'a' }])],
    [
      'slice of complex struct as value',
      '[JSONPatch{op: "add", path: "/spec/template/spec/initContainers", value: object.spec.template.spec.containers},]',
      withContainers([{ name: 'a', image: 'nginx' }]),
      withContainers([{ name: 'a', image: 'nginx' }], [{ name: 'a', image: 'nginx' }]),
    ],
    [
      'list concatenation',
      '[JSONPatch{op: "add", path: "/spec/template/spec/containers", value: object.spec.template.spec.containers + [object.spec.template.spec.containers[0]]},]',
      withContainers([{ name: 'a' }]),
      withContainers([{ name: 'a' }, { name: 'a' }]),
    ],
    [
      'list concatenation with constants',
      '[JSONPatch{op: "add", path: "/spec/template/spec/containers/0/args", value: object.spec.template.spec.containers[0].command + ["--debug", "-v"]},]',
      withContainers([{ name: 'c1', command: ['server', 'start'] }]),
      withContainers([{ name: 'c1', command: ['server', 'start'], args: ['server', 'start', '--debug', '-v'] }]),
    ],
    [
      'list concatenation of typed and structured objects',
      '[JSONPatch{op: "add", path: "/spec/template/spec/initContainers", value: object.spec.template.spec.containers + [Object.spec.template.spec.initContainers{name: "init-1", image: "alpine:3.18", command: ["echo", "init1"]}]},]',
      withContainers([{ name: 'main-app', image: 'nginx:1.24' }]),
      withContainers([{ name: 'main-app', image: 'nginx:1.24' }], [{ name: 'main-app', image: 'nginx:1.24' }, { name: 'init-1', image: 'alpine:3.18', command: ['echo', 'init1'] }]),
    ],
    [
      'list concatenation of two structured objects',
      '[JSONPatch{op: "add", path: "/spec/template/spec/initContainers", value: [Object.spec.template.spec.initContainers{name: "init-1", image: "alpine:3.18"}] + [Object.spec.template.spec.initContainers{name: "init-2", image: "alpine:3.18"}]},]',
      withContainers([{ name: 'main-app' }]),
      withContainers([{ name: 'main-app' }], [{ name: 'init-1', image: 'alpine:3.18' }, { name: 'init-2', image: 'alpine:3.18' }]),
    ],
  ])('%s', async (_name, expression, spec, expected) => {
    const { object, error } = await mutate('JSONPatch', expression, spec);
    expect(error).toBeUndefined();
    expect(specOf(object)).toEqual(expected);
  });

  it.each([
    ['remove map entry by key', '[JSONPatch{op: "remove", path: "/metadata/labels/y"}]', { x: '1', y: '1' }, { x: '1' }],
    ['copy map entry by key', '[JSONPatch{op: "copy", from: "/metadata/labels/x", path: "/metadata/labels/y"}]', { x: '1' }, { x: '1', y: '1' }],
    ['move map entry by key', '[JSONPatch{op: "move", from: "/metadata/labels/x", path: "/metadata/labels/y"}]', { x: '1' }, { y: '1' }],
    ['add map entry by key and value', '[JSONPatch{op: "add", path: "/metadata/labels/x", value: "2"}]', { y: '1' }, { y: '1', x: '2' }],
    ['add map value to field', '[JSONPatch{op: "add", path: "/metadata/labels", value: {"y": "2"}}]', undefined, { y: '2' }],
    ['add map to existing map (a replacement)', '[JSONPatch{op: "add", path: "/metadata/labels", value: {"y": "2"}}]', { x: '1' }, { y: '2' }],
    ['replace key in map (adds it)', '[JSONPatch{op: "replace", path: "/metadata/labels/x", value: "2"}]', { y: '1' }, { y: '1', x: '2' }],
    ['replace map value of unset field (adds it)', '[JSONPatch{op: "replace", path: "/metadata/labels", value: {"y": "2"}}]', undefined, { y: '2' }],
    ['replace map value of set field', '[JSONPatch{op: "replace", path: "/metadata/labels", value: {"y": "2"}}]', { x: '1' }, { y: '2' }],
    [
      'JSONPatch field access',
      '[JSONPatch{op: "add", path: "/metadata/labels", value: {"op": JSONPatch{op: "opValue"}.op, "path": JSONPatch{path: "pathValue"}.path, "from": JSONPatch{from: "fromValue"}.from, "value": string(JSONPatch{value: "valueValue"}.value)}}]',
      {},
      { op: 'opValue', path: 'pathValue', from: 'fromValue', value: 'valueValue' },
    ],
    [
      'JSONPatch field testing',
      '[JSONPatch{op: "add", path: "/metadata/labels", value: {"op": string(has(JSONPatch{op: "opValue"}.op)), "value": string(has(JSONPatch{value: "valueValue"}.value)), "op-unset": string(has(JSONPatch{}.op)), "value-unset": string(has(JSONPatch{}.value))}}]',
      {},
      { op: 'true', value: 'true', 'op-unset': 'false', 'value-unset': 'false' },
    ],
    [
      'JSONPatch equality',
      '[JSONPatch{op: "add", path: "/metadata/labels", value: {"empty": string(JSONPatch{} == JSONPatch{}), "partial": string(JSONPatch{op: "add"} == JSONPatch{op: "add"}), "same-all": string(JSONPatch{op: "add", path: "path", from: "from", value: 1} == JSONPatch{op: "add", path: "path", from: "from", value: 1}), "different-op": string(JSONPatch{op: "add"} == JSONPatch{op: "remove"}), "different-value": string(JSONPatch{op: "add", value: "1"} == JSONPatch{op: "add", value: 1})}}]',
      {},
      { empty: 'true', partial: 'true', 'same-all': 'true', 'different-op': 'false', 'different-value': 'false' },
    ],
    ['map key comprehension', '[JSONPatch{op: "add", path: "/metadata/labels/added", value: object.metadata.labels.all(k, k != "invalid") ? "true" : "false"}]', { env: 'prod', app: 'demo' }, { env: 'prod', app: 'demo', added: 'true' }],
  ])('%s', async (_name, expression, labels, expected) => {
    const { object, error } = await mutate('JSONPatch', expression, {}, labels);
    expect(error).toBeUndefined();
    expect(labelsOf(object)).toEqual(expected);
  });

  it('refuses with the policy error Go gives: a wrong Object type name, "-" replaced, a missing path, not a list', async () => {
    const wrongType = await mutate(
      'JSONPatch',
      '[JSONPatch{op: "add", path: "/spec/template/spec/containers/-", value: Object.spec.template.spec.containers{name: "x", ports: [Object.spec.template.spec.containers.portsZ{containerPort: 8080}]}}]',
      withContainers([{ name: 'a' }]),
    );
    expect(errorText(wrongType)).toBe('type mismatch: unexpected type name "Object.spec.template.spec.containers.portsZ", expected "Object.spec.template.spec.containers.ports", which matches field name path from root Object type');
    const dash = await mutate('JSONPatch', '[JSONPatch{op: "replace", path: "/spec/template/spec/containers/-", value: {"name": "x"}},]', withContainers([{ name: 'a' }]));
    expect(errorText(dash)).toBe('JSON Patch: replace operation does not apply: doc is missing key: /spec/template/spec/containers/-: missing value');
    const missing = await mutate('JSONPatch', '[JSONPatch{op: "add", path: "/spec/x/y", value: 1}]', {});
    expect(errorText(missing)).toBe('JSON Patch: add operation does not apply: doc is missing path: "/spec/x/y": missing value');
    const notList = await mutate('JSONPatch', 'object.spec', {});
    expect(errorText(notList)).toBe('type mismatch: JSONPatchType.expression should evaluate to array');
    const notPatches = await mutate('JSONPatch', '[{"op": "add"}]', {});
    expect(errorText(notPatches)).toBe("type mismatch: JSONPatchType.expression should evaluate to array of JSONPatch: type conversion error from 'map' to 'JSONPatch'");
    const unknownField = await mutate('JSONPatch', '[JSONPatch{op: "add", paths: "/x"}]', {});
    expect(errorText(unknownField)).toBe("compilation failed: undefined field 'paths'");
  });
});

const deploymentSpec = (volumes: unknown[]): Record<string, unknown> => ({ template: { spec: { volumes } } });

describe('ApplyConfiguration (smd_test.go)', () => {
  it.each([
    [
      'add to listType=map',
      'Object{spec: Object.spec{template: Object.spec.template{spec: Object.spec.template.spec{volumes: [Object.spec.template.spec.volumes{name: "y"}]}}}}',
      deploymentSpec([{ name: 'x' }]),
      deploymentSpec([{ name: 'x' }, { name: 'y' }]),
    ],
    [
      'update listType=map entry',
      'Object{spec: Object.spec{template: Object.spec.template{spec: Object.spec.template.spec{volumes: [Object.spec.template.spec.volumes{name: "y", hostPath: Object.spec.template.spec.volumes.hostPath{path: "a"}}]}}}}',
      deploymentSpec([{ name: 'x' }, { name: 'y' }]),
      deploymentSpec([{ name: 'x' }, { name: 'y', hostPath: { path: 'a' } }]),
    ],
    ['conditionals', 'Object{spec: Object.spec{replicas: object.spec.replicas % 2 == 0?object.spec.replicas + 1:object.spec.replicas}}', { replicas: 2 }, { replicas: 3 }],
    [
      'complex initialization (a list-map key defaulted by the schema)',
      'Object{spec: Object.spec{replicas: 1, template: Object.spec.template{metadata: Object.spec.template.metadata{labels: {"app": "nginx"}}, spec: Object.spec.template.spec{containers: [Object.spec.template.spec.containers{name: "nginx", image: "nginx:1.14.2", ports: [Object.spec.template.spec.containers.ports{containerPort: 80}], resources: Object.spec.template.spec.containers.resources{limits: {"cpu": "128M"},}}]}}}}',
      {},
      { replicas: 1, template: { metadata: { labels: { app: 'nginx' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.14.2', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '128M' } } }] } } },
    ],
    [
      'duplicate env vars in the original object are kept where the patch does not touch them',
      'Object{spec: Object.spec{replicas: 3}}',
      { replicas: 1, template: { spec: { containers: [{ name: 'nginx', env: [{ name: 'test', value: 'a' }, { name: 'test', value: 'b' }] }] } } },
      { replicas: 3, template: { spec: { containers: [{ name: 'nginx', env: [{ name: 'test', value: 'a' }, { name: 'test', value: 'b' }] }] } } },
    ],
    [
      'modifying a duplicated env var consolidates it',
      'Object{spec: Object.spec{template: Object.spec.template{spec: Object.spec.template.spec{containers: [Object.spec.template.spec.containers{name: "nginx", env: [Object.spec.template.spec.containers.env{name: "test", value: "c"}]}]}}}}',
      { replicas: 1, template: { spec: { containers: [{ name: 'nginx', env: [{ name: 'test', value: 'a' }, { name: 'test', value: 'b' }, { name: 'foo', value: 'bar' }] }] } } },
      { replicas: 1, template: { spec: { containers: [{ name: 'nginx', env: [{ name: 'test', value: 'c' }, { name: 'foo', value: 'bar' }] }] } } },
    ],
  ])('%s', async (_name, expression, spec, expected) => {
    const { object, error } = await mutate('ApplyConfiguration', expression, spec);
    expect(error).toBeUndefined();
    expect(specOf(object)).toEqual(expected);
  });

  it.each([
    ['change to atomic', 'Object{spec: Object.spec{selector: Object.spec.selector{matchLabels: {"l": "v"}}}}', 'error applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: .spec.selector'],
    ['invalid type name', 'Object{spec: Object.specx{replicas: 1}}', 'type mismatch: unexpected type name "Object.specx", expected "Object.spec", which matches field name path from root Object type'],
    ['invalid field name', 'Object{spec: Object.spec{replicasx: 1}}', 'error applying patch: failed to convert patch object to typed object: .spec.replicasx: field not declared in schema'],
    ['invalid return type', `"I'm a teapot!"`, 'must evaluate to Object but got string'],
    ['invalid initializer return type', 'Object.spec.metadata{}', 'must evaluate to Object but got Object.spec.metadata'],
  ])('%s', async (_name, expression, message) => {
    const result = await mutate('ApplyConfiguration', expression, { replicas: 1 });
    expect(errorText(result)).toBe(message);
  });

  it('merges labels into the object (TestSSAPatch) and appends to a list-map (TestSSAMapList)', async () => {
    const { object } = await mutate(
      'ApplyConfiguration',
      'Object{metadata: Object.metadata{annotations: {"foo": "bar"}}, spec: Object.spec{template: Object.spec.template{spec: Object.spec.template.spec{initContainers: [Object.spec.template.spec.initContainers{name: "injected-init-container", image: "injected-image"}]}}}}',
      withContainers([], [{ name: 'init-container', image: 'image' }]),
      { keep: 'me' },
    );
    expect(object?.metadata).toEqual({ name: 'w', namespace: 'default', labels: { keep: 'me' }, annotations: { foo: 'bar' } });
    expect(specOf(object)).toEqual(withContainers([], [{ name: 'init-container', image: 'image' }, { name: 'injected-init-container', image: 'injected-image' }]));
  });
});

describe('the plugin (plugin_test.go, dispatcher_test.go)', () => {
  const applyLabels = (labels: string): { patchType: 'ApplyConfiguration'; applyConfiguration: { expression: string } } => ({
    patchType: 'ApplyConfiguration',
    applyConfiguration: { expression: `Object{metadata: Object.metadata{labels: ${labels}}}` },
  });

  it('a simple patch reads the object; the request object is changed in place', async () => {
    const h = await harness();
    h.policy('policy1', { mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: 'Object{spec: Object.spec{replicas: object.spec.replicas + 100}}' } }] });
    const attrs = widgetAttributes({ name: 'd1', namespace: 'default', spec: { replicas: 1, template: { spec: { volumes: [{ name: 'x' }] } } } });
    const before = attrs.object;
    await h.plugin.admit!(attrs);
    expect(attrs.object).toBe(before);
    expect(specOf(attrs.object)).toEqual({ replicas: 101, template: { spec: { volumes: [{ name: 'x' }] } } });
  });

  it('with a param: the ConfigMap the binding names, in the request namespace', async () => {
    const h = await harness();
    h.host.put('/api/v1/configmaps', [{ metadata: { name: 'cm1', namespace: 'default' }, data: { env: 'production' } }]);
    h.policy('policy1', { paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, mutations: [applyLabels('{"environment": params.data.env}')] }, { paramRef: { name: 'cm1', parameterNotFoundAction: 'Deny' } });
    const attrs = widgetAttributes({ name: 'd1', namespace: 'default' });
    await h.plugin.admit!(attrs);
    expect(labelsOf(attrs.object)).toEqual({ environment: 'production' });
  });

  it('each policy sees what the ones before it did; a match condition another policy makes true (policies in name order)', async () => {
    const h = await harness();
    h.policy('policy1', { mutations: [applyLabels('{"environment": "production"}')] });
    h.policy('policy2', { matchConditions: [{ name: 'prodonly', expression: 'has(object.metadata.labels) && "environment" in object.metadata.labels && object.metadata.labels["environment"] == "production"' }], mutations: [applyLabels('{"policy1invoked": "true"}')] });
    const attrs = widgetAttributes({ name: 'd1', namespace: 'default' });
    await h.plugin.admit!(attrs);
    expect(labelsOf(attrs.object)).toEqual({ environment: 'production', policy1invoked: 'true' });

    const h2 = await harness();
    h2.policy('policy1', { matchConditions: [{ name: 'prodonly', expression: `has(object.metadata.labels) && "environment" in object.metadata.labels` }], mutations: [applyLabels('{"policy1invoked": "true"}')] });
    h2.policy('policy2', { mutations: [applyLabels('{"environment": "production"}')] });
    const attrs2 = widgetAttributes({ name: 'd1', namespace: 'default' });
    await h2.plugin.admit!(attrs2);
    expect(labelsOf(attrs2.object)).toEqual({ environment: 'production' });
  });

  it('reinvocationPolicy IfNeeded runs a policy again (in the chain\'s second pass) after a later one changed the object; Never does not', async () => {
    for (const [reinvocationPolicy, expected] of [
      ['IfNeeded', { count: '2', seen: '2' }],
      ['Never', { count: '2', seen: 'none' }],
    ] as const) {
      const h = await harness();
      h.policy('a-copies', { reinvocationPolicy, mutations: [applyLabels(`{"seen": has(object.metadata.labels) && "count" in object.metadata.labels ? object.metadata.labels["count"] : "none"}`)] });
      h.policy('b-counts', { mutations: [applyLabels(`{"count": "2"}`)] });
      const attrs = widgetAttributes({ name: 'd1', namespace: 'default' });
      await new AdmissionChain([h.plugin]).admit(attrs);
      expect(labelsOf(attrs.object)).toEqual(expected);
    }
  });

  it('mutations see variables and namespaceObject; mutations in v1 for a v1beta1 request (matchPolicy Equivalent) end in the hub', async () => {
    const h = await harness();
    h.policy('policy1', {
      variables: [{ name: 'env', expression: 'namespaceObject.metadata.labels.env' }],
      mutations: [applyLabels('{"env": variables.env, "version": request.kind.version, "asked": request.requestKind.version}'), { patchType: 'JSONPatch', jsonPatch: { expression: '[JSONPatch{op: "add", path: "/spec/replicas", value: 5}]' } }],
    });
    const attrs = widgetAttributes({ name: 'd1', namespace: 'default', version: 'v1beta1' });
    await h.plugin.admit!(attrs);
    expect(attrs.object).toEqual({ apiVersion: `${GROUP}/v1`, kind: 'Widget', metadata: { name: 'd1', namespace: 'default', labels: { env: 'test', version: 'v1', asked: 'v1beta1' } }, spec: { replicas: 5 } });
  });

  it('errors refuse the request as Go does: Forbidden, the first error the message, reason Invalid, every error a cause; Ignore drops them', async () => {
    const h = await harness();
    h.policy('p1', { mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: '[JSONPatch{op: "remove", path: "/metadata/labels/none"}]' } }, applyLabels('{"after": "error"}')] });
    h.policy('p2', { paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, mutations: [applyLabels('{"x": "y"}')] }, { paramRef: { name: 'absent', parameterNotFoundAction: 'Deny' } });
    h.policy('p3', { failurePolicy: 'Ignore', mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: '[JSONPatch{op: "add", path: "/x/y", value: 1}]' } }] });
    const attrs = widgetAttributes({ name: 'd1', namespace: 'default', labels: { a: 'b' } });
    let error: StatusError | undefined;
    try {
      await h.plugin.admit!(attrs);
    } catch (err) {
      error = err as StatusError;
    }
    const first = "policy 'p1' with binding 'p1-binding' denied request: JSON Patch: error in remove for path: '/metadata/labels/none': Unable to remove nonexistent key: none: missing value";
    const second = "policy 'p2' with binding 'p2-binding' denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction";
    expect(error?.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: second,
      reason: 'Forbidden',
      details: { name: 'd1', group: GROUP, kind: 'widgets', causes: [{ message: second }, { message: first }] },
      code: 403,
    });
    // The mutation after the failed one still ran.
    expect(labelsOf(attrs.object)).toEqual({ a: 'b', after: 'error' });

    const onlyMutation = await mutate('JSONPatch', '[JSONPatch{op: "remove", path: "/spec/none"}]', {});
    expect([onlyMutation.error?.status.code, onlyMutation.error?.status.reason]).toEqual([403, 'Invalid']);
  });

  it('a matchCondition error is the policy\'s error (reason Invalid), false skips it; deletes and objects without a schema', async () => {
    const h = await harness();
    h.policy('p', { matchConditions: [{ name: 'broken', expression: 'object.spec.missing == 1' }], mutations: [applyLabels('{"x": "y"}')] });
    await expect(h.plugin.admit!(widgetAttributes({ name: 'w', namespace: 'default' }))).rejects.toMatchObject({
      status: { code: 403, reason: 'Invalid', message: "policy 'p' with binding 'p-binding' denied request: expression 'object.spec.missing == 1' resulted in error: no such key: missing" },
    });
    const deleted = widgetAttributes({ name: 'w', namespace: 'default', operation: 'DELETE' });
    await h.plugin.admit!(deleted);

    const noSchema = await harness({ schema: false });
    noSchema.host.answers.set('/openapi/v3', { paths: {} });
    noSchema.policy('p', { mutations: [applyLabels('{"x": "y"}')] });
    await expect(noSchema.plugin.admit!(widgetAttributes({ name: 'w', namespace: 'default' }))).rejects.toMatchObject({
      status: { code: 503, reason: 'ServiceUnavailable', message: 'Resource kind example.com/v1, Kind=Widget not found. There can be a delay between when CustomResourceDefinitions are created and when they are available.' },
    });
  });
});
