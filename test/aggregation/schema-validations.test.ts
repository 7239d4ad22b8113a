/**
 * x-kubernetes-validations side by side: one schema with CEL rules (test/servers/validations.ts)
 * as (a) a CRD on the pinned kube-apiserver and (b) a kapi kind served by a kapi server aggregated
 * behind it. The same creates, updates, kubectl create/replace/apply and kubectl explain go to
 * both; status code, reason, message, causes and kubectl's output must agree, with only the group
 * told apart (crd.validations.kapi.dev for the CRD, validations.kapi.dev for kapi).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kubectl } from '../e2e/kubectl.js';
import { installCRD } from './crd.js';
import { GADGET_SCHEMA, GROUP } from '../servers/validations.js';
import { httpsRequest, startAggregated, type Aggregated } from './aggregated.js';

jest.setTimeout(120_000);

const CRD_GROUP = `crd.${GROUP}`;
const NS = 'gadgets';
const MAIN = resolve(__dirname, '..', 'dist', 'servers', 'validations.js');

type Target = 'crd' | 'kapi';
const groupOf = (t: Target): string => (t === 'crd' ? CRD_GROUP : GROUP);
const TARGETS: Target[] = ['crd', 'kapi'];

let env: Aggregated;
let kubectl: Kubectl;
let dir: string;

/** The CRD's group written as kapi's, so that the two answers can be compared. */
const normalise = (text: string): string => text.split(CRD_GROUP).join(GROUP);

interface Answer {
  code: number;
  reason?: string;
  message?: string;
  causes?: unknown;
  warnings?: string;
}

function gadget(t: Target, name: string, spec: Record<string, unknown>, resourceVersion?: string): Record<string, unknown> {
  return { apiVersion: `${groupOf(t)}/v1`, kind: 'Gadget', metadata: { name, namespace: NS, ...(resourceVersion ? { resourceVersion } : {}) }, spec };
}

const collection = (t: Target): string => `/apis/${groupOf(t)}/v1/namespaces/${NS}/gadgets`;

/** A request as the admin through kube-apiserver (to the CRD handler, or proxied to kapi). */
async function ask(t: Target, method: string, path: string, body?: unknown): Promise<Answer> {
  const res = await httpsRequest(env.cluster.server + path, {
    method,
    ca: env.cluster.caPem,
    cert: env.cluster.admin.certPem,
    key: env.cluster.admin.keyPem,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    timeoutMs: 10_000,
  });
  const parsed = JSON.parse(res.body) as { kind?: string; reason?: string; message?: string; details?: { causes?: unknown }; metadata?: { resourceVersion?: string } };
  const warning = res.headers['warning'];
  return {
    code: res.status,
    ...(parsed.kind === 'Status' ? { reason: parsed.reason, message: normalise(parsed.message ?? ''), causes: JSON.parse(normalise(JSON.stringify(parsed.details?.causes ?? []))) } : {}),
    ...(warning ? { warnings: normalise(String(warning)) } : {}),
  };
}

async function create(t: Target, name: string, spec: Record<string, unknown>): Promise<Answer> {
  return ask(t, 'POST', collection(t), gadget(t, name, spec));
}

async function update(t: Target, name: string, change: (spec: Record<string, unknown>) => Record<string, unknown>): Promise<Answer> {
  const current = await httpsRequest(`${env.cluster.server}${collection(t)}/${name}`, {
    ca: env.cluster.caPem,
    cert: env.cluster.admin.certPem,
    key: env.cluster.admin.keyPem,
  });
  const obj = JSON.parse(current.body) as { metadata: { resourceVersion: string }; spec: Record<string, unknown> };
  return ask(t, 'PUT', `${collection(t)}/${name}`, gadget(t, name, change(obj.spec), obj.metadata.resourceVersion));
}

/** Asks both and expects the same answer; returns it. */
async function same(question: (t: Target) => Promise<Answer>): Promise<Answer> {
  const [crd, kapi] = [await question('crd'), await question('kapi')];
  expect(kapi).toEqual(crd);
  return crd;
}

/** A GET as the admin through kube-apiserver; throws unless 200. */
async function get(path: string): Promise<string> {
  const res = await httpsRequest(env.cluster.server + path, {
    ca: env.cluster.caPem,
    cert: env.cluster.admin.certPem,
    key: env.cluster.admin.keyPem,
    headers: { accept: 'application/json' },
    timeoutMs: 20_000,
  });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  return res.body;
}

/** Retries `fn` for up to 30 s. */
async function eventually<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** kubectl's stderr for both, each given its own file (named alike), normalised. */
function kubectlBoth(verb: string[], name: string, spec: Record<string, unknown>): [string, string] {
  const out = TARGETS.map((t) => {
    const path = file(join(t === 'crd' ? 'crd' : 'kapi', `${name}.json`), JSON.stringify(gadget(t, name, spec)));
    const res = kubectl.run([...verb, '-f', path]);
    return normalise(`${res.code}\n${res.stdout}${res.stderr}`).split(path).join(`${name}.json`);
  });
  return [out[0]!, out[1]!];
}

const VALID = { name: 'a', minReplicas: 1, maxReplicas: 2, ports: [{ name: 'http', port: 80 }], tags: ['x'], limits: { cpu: '1' } };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kapi-validations-'));
  for (const sub of ['crd', 'kapi']) mkdirSync(join(dir, sub));
  env = await startAggregated({ storageBackend: 'sqlite', program: { main: MAIN, served: { group: GROUP, versions: ['v1'] } } });
  kubectl = new Kubectl(env.cluster.kubeconfig);
  kubectl.ok(['create', 'namespace', NS]);
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `gadgets.${CRD_GROUP}` },
    spec: {
      group: CRD_GROUP,
      scope: 'Namespaced',
      names: { plural: 'gadgets', singular: 'gadget', kind: 'Gadget', listKind: 'GadgetList' },
      versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: GADGET_SCHEMA } }],
    },
  };
  await installCRD(kubectl, crd, async () => (await ask('crd', 'GET', collection('crd'))).code === 200, 20_000);
}, 15 * 60_000);

afterAll(async () => {
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('create', () => {
  it('a valid object is created by both', async () => {
    expect((await same((t) => create(t, 'g-ok', VALID))).code).toBe(201);
  });

  it.each([
    ['a rule with a message, on an object', 'g-minmax', { ...VALID, minReplicas: 3 }],
    ['messageExpression, fieldPath and reason Forbidden', 'g-legacy', { ...VALID, mode: 'legacy' }],
    ['a rule with the default message, on a scalar', 'g-longmode', { ...VALID, mode: 'much-too-long' }],
    ['an evaluation error (no such key)', 'g-nomin', { name: 'a', maxReplicas: 2 }],
    ['reason Required with a fieldPath', 'g-gold', { ...VALID, tier: 'gold' }],
    ['a rule on a list', 'g-tags', { ...VALID, tags: ['Upper'] }],
    ['a rule on map values', 'g-limits', { ...VALID, limits: { cpu: 'lots' } }],
    ['several errors at once, in order', 'g-many', { ...VALID, minReplicas: 5, mode: 'legacy', tags: ['A'] }],
    ['a schema error blocks the rules', 'g-typed', { ...VALID, minReplicas: 'one' }],
    ['a rule over its per-call cost limit (nested all() over 100 items)', 'g-costly', { ...VALID, grid: Array.from({ length: 100 }, (_, i) => i) }],
  ])('%s: 422 with the same message and causes', async (_what, name, spec) => {
    const answer = await same((t) => create(t, name, spec));
    expect(answer).toMatchObject({ code: 422, reason: 'Invalid' });
  });

  it('the texts are as Go writes them', async () => {
    expect((await create('kapi', 'g-texts', { ...VALID, minReplicas: 5, mode: 'legacy' })).message).toBe(
      'Gadget.validations.kapi.dev "g-texts" is invalid: [spec: Invalid value: minReplicas must not exceed maxReplicas, spec.mode: Forbidden: mode legacy is no longer offered]',
    );
    expect((await create('kapi', 'g-texts', { ...VALID, minReplicas: 'one' })).message).toContain(
      '<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation',
    );
  });

  it('a rule at the root (the field path is <nil>)', async () => {
    const answer = await same((t) => create(t, 'bad-name', VALID));
    expect(answer.code).toBe(422);
    expect(answer.message).toContain("a gadget's name starts with g-");
  });
});

describe('update', () => {
  beforeAll(async () => {
    for (const t of TARGETS) {
      expect((await create(t, 'g-up', { ...VALID, tier: 'silver', ports: [{ name: 'http', port: 80 }] })).code).toBe(201);
    }
  });

  it('a transition rule (name is immutable)', async () => {
    const answer = await same((t) => update(t, 'g-up', (spec) => ({ ...spec, name: 'b' })));
    expect(answer.code).toBe(422);
  });

  it('a transition rule on list-map items, correlated by key (not by index)', async () => {
    const answer = await same((t) => update(t, 'g-up', (spec) => ({ ...spec, ports: [{ name: 'https', port: 1 }, { name: 'http', port: 70 }] })));
    expect(answer.code).toBe(422);
    expect(JSON.stringify(answer.causes)).toContain('spec.ports[1]');
  });

  it('optionalOldSelf: tier cannot be removed', async () => {
    const answer = await same((t) =>
      update(t, 'g-up', (spec) => {
        const { tier: _tier, ...rest } = spec;
        return rest;
      }),
    );
    expect(answer.code).toBe(422);
  });

  it('an update the rules allow', async () => {
    expect((await same((t) => update(t, 'g-up', (spec) => ({ ...spec, maxReplicas: 3, ports: [{ name: 'http', port: 81 }] })))).code).toBe(200);
  });
});

describe('kubectl', () => {
  it('create -f prints the same error', () => {
    const [crd, kapi] = kubectlBoth(['create'], 'g-kubectl', { ...VALID, minReplicas: 9, mode: 'legacy' });
    expect(kapi).toBe(crd);
    expect(crd).toContain('is invalid');
  });

  it('replace -f and apply -f print the same errors for a transition rule', () => {
    for (const t of TARGETS) {
      const path = file(join(t, 'g-applied.json'), JSON.stringify(gadget(t, 'g-applied', VALID)));
      kubectl.ok(['apply', '-f', path]);
    }
    const [crdReplace, kapiReplace] = kubectlBoth(['replace'], 'g-applied', { ...VALID, name: 'other' });
    expect(kapiReplace).toBe(crdReplace);
    expect(crdReplace).toContain('name is immutable');
    const [crdApply, kapiApply] = kubectlBoth(['apply'], 'g-applied', { ...VALID, name: 'other', tags: ['Bad'] });
    expect(kapiApply).toBe(crdApply);
    expect(crdApply).toContain('tags are lower case');
  });

  it('explain shows the same', async () => {
    const explain = async (t: Target): Promise<string> => {
      // kubectl's discovery cache may not know the CRD's group yet: ask again for a while.
      const deadline = Date.now() + 15_000;
      for (;;) {
        const res = kubectl.run(['explain', 'gadgets.spec', `--api-version=${groupOf(t)}/v1`]);
        if (res.code === 0) return normalise(res.stdout);
        if (Date.now() > deadline) throw new Error(res.stderr);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    const [crd, kapi] = [await explain('crd'), await explain('kapi')];
    expect(kapi).toBe(crd);
    expect(crd).toMatch(/minReplicas\s+<integer>/);
  });

  it('OpenAPI v3 publishes the rules as the CRD does', async () => {
    const rulesOf = async (t: Target): Promise<unknown> => {
      // kube-apiserver publishes a new CRD's document a moment after it is served.
      const res = await eventually(() => get(`/openapi/v3/apis/${groupOf(t)}/v1`));
      const doc = JSON.parse(res) as { components: { schemas: Record<string, Record<string, unknown>> } };
      const [name, schema] = Object.entries(doc.components.schemas).find(([key]) => key.endsWith('.Gadget'))!;
      return { name: name.replace('dev.kapi.validations.crd.', 'dev.kapi.validations.'), root: schema['x-kubernetes-validations'], spec: (schema['properties'] as Record<string, Record<string, unknown>>)['spec'] };
    };
    const crd = (await rulesOf('crd')) as { root: unknown };
    expect(crd.root).toBeDefined();
    expect(await rulesOf('kapi')).toEqual(crd);
  });

  it('OpenAPI v2 publishes them as the CRD does', async () => {
    const definitions = async (): Promise<Record<string, Record<string, unknown>>> => {
      const doc = JSON.parse(await get('/openapi/v2')) as { definitions: Record<string, Record<string, unknown>> };
      if (!doc.definitions['dev.kapi.validations.crd.v1.Gadget'] || !doc.definitions['dev.kapi.validations.v1.Gadget']) throw new Error('not yet published');
      return doc.definitions;
    };
    const defs = await eventually(definitions);
    const rulesOf = (name: string): unknown => {
      const spec = (defs[name]!['properties'] as Record<string, Record<string, unknown>>)['spec']!;
      return { root: defs[name]!['x-kubernetes-validations'], spec: spec['x-kubernetes-validations'] };
    };
    expect(rulesOf('dev.kapi.validations.v1.Gadget')).toEqual(rulesOf('dev.kapi.validations.crd.v1.Gadget'));
  });
});
