/**
 * Server-side apply and managedFields side by side: one schema (test/servers/apply.ts: a
 * list-type=map list, a set, an atomic list, a map, a map of maps, an atomic map, a nested object,
 * status and scale; two versions, v2 calling spec.color spec.paint) as (a) a CRD on the pinned
 * kube-apiserver — the oracle, converted by a webhook (robot-conversion.ts) — and (b) a kapi kind
 * served by a kapi server aggregated behind it, which kubectl reaches through kube-apiserver and
 * (c) straight, in a namespace of its own. The same kubectl commands by several managers go to all
 * three, in the same order; what kubectl prints, the objects and their managedFields (times, uids
 * and resourceVersions removed, the CRD's group written as kapi's) must agree after every step.
 *
 * Also kubectl's migration from client-side apply (the last-applied-configuration annotation, the
 * kubectl-client-side-apply Update entry; kubectl's kubectl-last-applied apply and managedFields
 * JSON patch after its first server-side apply; the server's lastAppliedManager and
 * lastAppliedUpdater), and client-go's dynamic client Apply (apply-client/, Go, built once per
 * content into ~/.cache/kapi/bin) with its results and error Status compared.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Kubectl } from '../e2e/kubectl.js';
import { installCRD } from './crd.js';
import { createCA, createServingCert } from '@kapi/apiserver/security';
import { GROUP, ROBOT_SCHEMA, ROBOT_V2_SCHEMA } from '../servers/apply.js';
import { httpsRequest, startAggregated, type Aggregated } from './aggregated.js';
import { buildGoProgram } from './go-program.js';
import { eventually } from '../harness/index.js';

jest.setTimeout(120_000);

const CRD_GROUP = `crd.${GROUP}`;
const NS = 'robots';
/** Where kubectl straight to kapi works (the same objects by name as through kube-apiserver). */
const NS_DIRECT = 'robots-direct';
const MAIN = resolve(__dirname, '..', 'dist', 'servers', 'apply.js');
const CONVERSION_MAIN = resolve(__dirname, '..', 'dist', 'servers', 'robot-conversion.js');

/** The CRD; kapi through kube-apiserver; kapi straight (kubectl's own kubeconfig for kapi's port). */
type Target = 'crd' | 'kapi' | 'direct';
const groupOf = (t: Target): string => (t === 'crd' ? CRD_GROUP : GROUP);
const nsOf = (t: Target): string => (t === 'direct' ? NS_DIRECT : NS);
const TARGETS: Target[] = ['crd', 'kapi', 'direct'];
const resourceOf = (t: Target): string => `robots.${groupOf(t)}`;

let env: Aggregated;
let kubectl: Kubectl;
let directKubectl: Kubectl;
let directKubeconfig: string;
let conversionWebhook: ChildProcess | undefined;
let dir: string;
const kubectlOf = (t: Target): Kubectl => (t === 'direct' ? directKubectl : kubectl);

/** The CRD's group written as kapi's, the direct namespace as the other, and the targets' directories as one. */
const normalise = (text: string): string => {
  let out = text.split(CRD_GROUP).join(GROUP).split(NS_DIRECT).join(NS);
  for (const t of TARGETS) out = out.split(join(dir, t)).join('DIR');
  return out;
};

/** A GET as the admin through kube-apiserver. */
function getAnswer(path: string): ReturnType<typeof httpsRequest> {
  return httpsRequest(env.cluster.server + path, {
    ca: env.cluster.caPem,
    cert: env.cluster.admin.certPem,
    key: env.cluster.admin.keyPem,
    headers: { accept: 'application/json' },
    timeoutMs: 20_000,
  });
}

/** A GET as the admin through kube-apiserver; throws unless 200. */
async function get(path: string): Promise<string> {
  const res = await getAnswer(path);
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${res.body}`);
  return res.body;
}

interface Entry {
  manager: string;
  operation: string;
  subresource?: string;
  time?: string;
}
type Obj = { metadata: { managedFields?: Entry[]; [k: string]: unknown }; [k: string]: unknown };

/** The object as both must show it: no times, uid or resourceVersion; entries in a stable order. */
async function comparable(t: Target, name: string, version = 'v1'): Promise<Obj> {
  return comparableObject(JSON.parse(normalise(await get(`/apis/${groupOf(t)}/${version}/namespaces/${nsOf(t)}/robots/${name}`))) as Obj);
}

function comparableObject(obj: Obj): Obj {
  const m = obj.metadata;
  delete m.uid;
  delete m.resourceVersion;
  delete m.creationTimestamp;
  for (const e of m.managedFields ?? []) delete e.time;
  // Entries are sorted by operation, time, manager: times differ between the two runs by a second here and there.
  m.managedFields?.sort((a, b) => `${a.operation}/${a.manager}/${a.subresource ?? ''}`.localeCompare(`${b.operation}/${b.manager}/${b.subresource ?? ''}`));
  return obj;
}

/** The object (read in `version`) as the CRD has it; kapi's, reached either way, must be the same. */
async function sameObjects(name: string, version = 'v1'): Promise<Obj> {
  const crd = await comparable('crd', name, version);
  expect(await comparable('kapi', name, version)).toEqual(crd);
  expect(await comparable('direct', name, version)).toEqual(crd);
  return crd;
}

function file(t: Target, name: string, text: string): string {
  const path = join(dir, t, name);
  writeFileSync(path, text);
  return path;
}

/** A Robot as a YAML apply configuration of `t`'s group (in `version`). */
function robotYaml(t: Target, name: string, body: string, version = 'v1'): string {
  return `apiVersion: ${groupOf(t)}/${version}\nkind: Robot\nmetadata:\n  name: ${name}\n  namespace: ${nsOf(t)}\n${body}`;
}

/** Runs kubectl for every target (`args` of each), expects the same exit code and output (normalised); returns the CRD's. */
function both(args: (t: Target) => string[]): { code: number; out: string } {
  const [crd, ...kapi] = TARGETS.map((t) => {
    const res = kubectlOf(t).run(args(t));
    return { code: res.code, out: normalise(res.stdout + res.stderr) };
  });
  for (const k of kapi) expect(k).toEqual(crd);
  return crd!;
}

/** kubectl apply --server-side of `body` (YAML under the object's head, in `version`), for every target. */
function applyBoth(name: string, body: string, flags: string[] = [], version = 'v1'): { code: number; out: string } {
  return both((t) => ['apply', '--server-side', ...flags, '-f', file(t, `${name}-${version}.yaml`, robotYaml(t, name, body, version))]);
}

/** apply-client/ (built once per content), the dynamic client's Apply. */
let goClient: Promise<string> | undefined;

/** The dynamic client's Apply of `spec` by `manager` to both; expects the same exit code and (comparable) output. */
async function goApplyBoth(name: string, spec: Record<string, unknown>, manager: string, force = false): Promise<{ code: number; out: unknown }> {
  goClient ??= buildGoProgram('apply-client');
  const client = await goClient;
  const [crd, ...kapi] = TARGETS.map((t) => {
    const path = file(t, `${name}-go.json`, JSON.stringify({ apiVersion: `${groupOf(t)}/v1`, kind: 'Robot', metadata: { name, namespace: nsOf(t) }, spec }));
    const kubeconfig = t === 'direct' ? directKubeconfig : env.cluster.kubeconfig;
    const res = spawnSync(client, [kubeconfig, groupOf(t), 'v1', 'robots', nsOf(t), manager, String(force), path], { encoding: 'utf8', timeout: 30_000 });
    if (res.status !== 0 && res.status !== 1) throw new Error(`apply-client: ${res.status} ${res.stderr}`);
    const out = JSON.parse(normalise(res.stdout)) as Obj;
    return { code: res.status, out: res.status === 0 ? comparableObject(out) : out };
  });
  for (const k of kapi) expect(k).toEqual(crd);
  return crd!;
}

const FIRST = `spec:
  replicas: 1
  color: red
  ports:
  - name: http
    port: 80
  tags: [a, b]
  args: [run, --fast]
  settings:
    mode: auto
  arm:
    length: 3
    joint:
      kind: ball
`;

/** robot-conversion.ts on loopback with a serving certificate of its own; resolves its port. */
async function startConversionWebhook(): Promise<{ port: number; caBundle: string }> {
  const ca = createCA('kapi-ssa-conversion-ca');
  const serving = createServingCert(ca, { hosts: ['127.0.0.1'] });
  writeFileSync(join(dir, 'conversion.crt'), serving.cert);
  writeFileSync(join(dir, 'conversion.key'), serving.key, { mode: 0o600 });
  const child = spawn(process.execPath, [CONVERSION_MAIN, join(dir, 'conversion.crt'), join(dir, 'conversion.key')], { stdio: ['ignore', 'pipe', 'inherit'] });
  conversionWebhook = child;
  const port = await new Promise<number>((resolvePort, reject) => {
    child.once('exit', (code) => reject(new Error(`robot-conversion exited (${code})`)));
    child.stdout!.once('data', (chunk: Buffer) => resolvePort(Number(chunk.toString().trim())));
  });
  return { port, caBundle: Buffer.from(ca.cert).toString('base64') };
}

/** A kubeconfig for kapi's own port: its serving CA, the cluster admin's client certificate (kapi trusts the cluster's client CA). */

beforeAll(async () => {
  goClient = buildGoProgram('apply-client');
  // Awaited where used; a failed build fails those tests only.
  goClient.catch(() => undefined);
  dir = mkdtempSync(join(tmpdir(), 'kapi-ssa-'));
  for (const sub of TARGETS) mkdirSync(join(dir, sub));
  const [aggregated, conversion] = await Promise.all([
    startAggregated({ storageBackend: 'sqlite', program: { main: MAIN, served: { group: GROUP, versions: ['v2', 'v1'] } } }),
    startConversionWebhook(),
  ]);
  env = aggregated;
  kubectl = new Kubectl(env.cluster.kubeconfig);
  directKubeconfig = env.directKubeconfig;
  directKubectl = new Kubectl(directKubeconfig);
  kubectl.ok(['create', 'namespace', NS]);
  kubectl.ok(['create', 'namespace', NS_DIRECT]);
  const subresources = { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } };
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `robots.${CRD_GROUP}` },
    spec: {
      group: CRD_GROUP,
      scope: 'Namespaced',
      names: { plural: 'robots', singular: 'robot', kind: 'Robot', listKind: 'RobotList' },
      versions: [
        { name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: ROBOT_SCHEMA }, subresources },
        { name: 'v2', served: true, storage: false, schema: { openAPIV3Schema: ROBOT_V2_SCHEMA }, subresources },
      ],
      conversion: {
        strategy: 'Webhook',
        webhook: { conversionReviewVersions: ['v1'], clientConfig: { url: `https://127.0.0.1:${conversion.port}/convert`, caBundle: conversion.caBundle } },
      },
    },
  };
  await installCRD(kubectl, crd, () => TARGETS.every((t) => kubectlOf(t).run(['get', resourceOf(t), '-n', nsOf(t)]).code === 0));
}, 5 * 60_000);

afterAll(async () => {
  conversionWebhook?.kill();
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('OpenAPI', () => {
  it('lists the apply patch type for PATCH as kube-apiserver does for the CRD (v2 consumes, v3 request bodies)', async () => {
    const v2 = JSON.parse(await get('/openapi/v2')) as { paths: Record<string, { patch?: { consumes?: string[] } }> };
    const item = (g: string) => `/apis/${g}/v1/namespaces/{namespace}/robots/{name}`;
    const crdConsumes = v2.paths[item(CRD_GROUP)]!.patch!.consumes;
    expect(crdConsumes).toContain('application/apply-patch+yaml');
    expect(v2.paths[item(GROUP)]!.patch!.consumes).toEqual(crdConsumes);
    for (const sub of ['', '/status']) {
      const content = async (g: string) => {
        // kube-apiserver publishes a new CRD's v3 document a moment after its v2 paths: 404 until then.
        const path = `/openapi/v3/apis/${g}/v1`;
        let last = '';
        const body = await eventually(`${path} is published`, async () => {
          const res = await getAnswer(path);
          last = `${res.status} ${res.body.slice(0, 200)}`;
          return res.status === 200 && res.body;
        }, 30_000, () => last);
        const doc = JSON.parse(body) as { paths: Record<string, { patch: { requestBody: { content: Record<string, unknown> } } }> };
        return Object.keys(doc.paths[`${item(g)}${sub}`]!.patch.requestBody.content).sort();
      };
      expect(await content(GROUP)).toEqual(await content(CRD_GROUP));
    }
  });
});

describe('kubectl apply --server-side and the other writes, CRD and kapi alike', () => {
  it('creates (serverside-applied), with one Apply entry of kubectl', async () => {
    const res = applyBoth('r1', FIRST);
    expect(res).toEqual({ code: 0, out: `robot.${GROUP}/r1 serverside-applied\n` });
    const obj = await sameObjects('r1');
    expect(obj.metadata.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        apiVersion: `${GROUP}/v1`,
        fieldsType: 'FieldsV1',
        fieldsV1: {
          'f:spec': {
            'f:args': {},
            'f:arm': { 'f:joint': { 'f:kind': {} }, 'f:length': {} },
            'f:color': {},
            'f:ports': { 'k:{"name":"http"}': { '.': {}, 'f:name': {}, 'f:port': {} } },
            'f:replicas': {},
            'f:settings': { 'f:mode': {} },
            'f:tags': { 'v:"a"': {}, 'v:"b"': {} },
          },
        },
      },
    ]);
    // The schema's default is in the object, owned by no one.
    expect((obj.spec as { size: string }).size).toBe('medium');
  });

  it("refuses a second manager's conflicting apply with the same conflict text", () => {
    const bob = `spec:
  color: blue
  ports:
  - name: https
    port: 443
  tags: [c]
  args: [idle]
  settings:
    level: high
`;
    const res = applyBoth('r1', bob, ['--field-manager=bob']);
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/^error: Apply failed with 2 conflicts: conflicts with "kubectl":\n- \.spec\.args\n- \.spec\.color\nPlease review the fields above/);
    expect(res.out).toContain('--force-conflicts');
  });

  it('--force-conflicts takes the fields over; the list map, the set and the map merge, the atomic list is replaced', async () => {
    const bob = `spec:
  color: blue
  ports:
  - name: https
    port: 443
  tags: [c]
  args: [idle]
  settings:
    level: high
`;
    expect(applyBoth('r1', bob, ['--field-manager=bob', '--force-conflicts'])).toEqual({ code: 0, out: `robot.${GROUP}/r1 serverside-applied\n` });
    const obj = await sameObjects('r1');
    expect(obj.spec).toMatchObject({
      color: 'blue',
      ports: [
        { name: 'http', port: 80 },
        { name: 'https', port: 443 },
      ],
      tags: ['a', 'b', 'c'],
      args: ['idle'],
      settings: { mode: 'auto', level: 'high' },
    });
    expect(obj.metadata.managedFields!.map((e) => e.manager)).toEqual(['bob', 'kubectl']);
  });

  it('a manager that stops applying a field it alone owns removes it; a field someone else also owns stays', async () => {
    const fewer = `spec:
  replicas: 1
  ports:
  - name: http
    port: 80
  tags: [a]
  arm:
    length: 3
`;
    expect(applyBoth('r1', fewer).code).toBe(0);
    const obj = await sameObjects('r1');
    const spec = obj.spec as Record<string, unknown>;
    expect(spec.settings).toEqual({ level: 'high' });
    expect(spec.tags).toEqual(['a', 'c']);
    expect(spec.arm).toEqual({ length: 3 });
    expect(spec.color).toBe('blue');
  });

  it('kubectl label, patch, scale and a status patch are recorded as Update entries (with their subresource)', async () => {
    expect(both((t) => ['label', resourceOf(t), 'r1', '-n', nsOf(t), 'team=blue']).code).toBe(0);
    expect(both((t) => ['patch', resourceOf(t), 'r1', '-n', nsOf(t), '--type=merge', '-p', '{"spec":{"arm":{"joint":{"angle":90}}}}']).code).toBe(0);
    expect(both((t) => ['scale', resourceOf(t), 'r1', '-n', nsOf(t), '--replicas=3']).code).toBe(0);
    expect(both((t) => ['patch', resourceOf(t), 'r1', '-n', nsOf(t), '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}']).code).toBe(0);
    const obj = await sameObjects('r1');
    const entries = obj.metadata.managedFields!.map((e) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`);
    expect(entries).toEqual(expect.arrayContaining(['kubectl-label/Update', 'kubectl-patch/Update', 'kubectl-patch/Update/status']));
    expect((obj.spec as { replicas: number }).replicas).toBe(3);
  });

  it('a status apply by a controller is recorded under status; an apply of the resource does not touch status', async () => {
    const status = `status:
  conditions:
  - type: Synced
    status: "True"
`;
    expect(both((t) => ['apply', '--server-side', '--subresource=status', '--field-manager=controller', '-f', file(t, 'r1-status.yaml', robotYaml(t, 'r1', status))]).code).toBe(0);
    expect(applyBoth('r1', `spec:\n  replicas: 3\n  tags: [a]\n  arm:\n    length: 3\n${status}`).code).toBe(0);
    const obj = await sameObjects('r1');
    expect((obj.status as { conditions: unknown[] }).conditions).toHaveLength(2);
  });

  it('get -o yaml --show-managed-fields shows the same entries', () => {
    const out = TARGETS.map((t) => normalise(kubectlOf(t).ok(['get', resourceOf(t), 'r1', '-n', nsOf(t), '-o', 'yaml', '--show-managed-fields'])));
    for (const kapi of out.slice(1)) expect(comparableObject(parseYaml(kapi) as Obj)).toEqual(comparableObject(parseYaml(out[0]!) as Obj));
    expect(out[1]).toContain('managedFields:');
    expect(out[1]).toContain('manager: kubectl-label');
    // Without the flag kubectl hides them.
    expect(kubectl.ok(['get', resourceOf('kapi'), 'r1', '-n', NS, '-o', 'yaml'])).not.toContain('managedFields');
  });

  it('apply --server-side --dry-run=server answers without writing; diff --server-side shows the change', async () => {
    const before = await sameObjects('r1');
    const change = `spec:\n  replicas: 3\n  color: green\n  tags: [a, d]\n  arm:\n    length: 3\n`;
    expect(applyBoth('r1', change, ['--dry-run=server', '--field-manager=carol', '--force-conflicts'])).toEqual({ code: 0, out: `robot.${GROUP}/r1 serverside-applied (server dry run)\n` });
    expect(await sameObjects('r1')).toEqual(before);
    // The diff's header names temporary files and times: the rest must be the same.
    const [crd, ...kapi] = TARGETS.map((t) => {
      const res = kubectlOf(t).run(['diff', '--server-side', '--field-manager=carol', '--force-conflicts', '-f', file(t, 'r1-diff.yaml', robotYaml(t, 'r1', change))]);
      return { code: res.code, out: normalise(res.stdout + res.stderr).replace(/^(diff|---|\+\+\+) .*$/gm, '$1').replace(/creationTimestamp: .*$/m, '') };
    });
    for (const k of kapi) expect(k).toEqual(crd);
    expect(crd!.code).toBe(1);
    const changed = crd!.out.split('\n').filter((l) => /^[-+] /.test(l));
    expect(changed).toEqual(expect.arrayContaining(['-  color: blue', '+  color: green', '+  - d']));
  });

  it('a value of the wrong type is answered as Go answers it (500, the typed patch error)', () => {
    const res = applyBoth('r1', 'spec:\n  color: 5\n', ['--field-manager=typo']);
    expect(res).toEqual({ code: 1, out: `Error from server: failed to create typed patch object (${NS}/r1; ${GROUP}/v1, Kind=Robot): .spec.color: expected string, got &value.valueUnstructured{Value:5}\n` });
  });

  it('an unknown field fails the apply whatever the fieldValidation, as Go does for a CRD', () => {
    for (const validate of ['strict', 'warn', 'ignore']) {
      const res = applyBoth('r1', 'spec:\n  bogus: 1\n', ['--field-manager=typo', `--validate=${validate}`]);
      expect(res).toEqual({ code: 1, out: `Error from server: failed to create typed patch object (${NS}/r1; ${GROUP}/v1, Kind=Robot): .spec.bogus: field not declared in schema\n` });
    }
  });

  it('kubectl create is an Update entry; an apply of the same object adds an Apply one', async () => {
    expect(both((t) => ['create', '-f', file(t, 'r2.yaml', robotYaml(t, 'r2', 'spec:\n  color: red\n  tags: [x]\n'))]).code).toBe(0);
    expect(applyBoth('r2', 'spec:\n  color: red\n  tags: [w]\n').code).toBe(0);
    const obj = await sameObjects('r2');
    expect(obj.metadata.managedFields!.map((e) => `${e.manager}/${e.operation}`)).toEqual(['kubectl/Apply', 'kubectl-create/Update']);
  });
});

describe("kubectl's migration from client-side apply to server-side apply, CRD and kapi alike", () => {
  /** kubectl apply (client-side, no flags unless given) of `body`, for both. */
  const clientApplyBoth = (name: string, body: string, flags: string[] = []) => both((t) => ['apply', ...flags, '-f', file(t, `${name}-csa.yaml`, robotYaml(t, name, body))]);
  const lastApplied = (obj: Obj): string | undefined => (obj.metadata.annotations as Record<string, string> | undefined)?.['kubectl.kubernetes.io/last-applied-configuration'];

  it('a client-side apply creates with the last-applied annotation and a kubectl-client-side-apply Update entry', async () => {
    expect(clientApplyBoth('m1', 'spec:\n  color: red\n  tags: [a, b]\n  settings:\n    mode: auto\n')).toEqual({ code: 0, out: `robot.${GROUP}/m1 created\n` });
    const obj = await sameObjects('m1');
    expect(obj.metadata.managedFields!.map((e) => `${e.manager}/${e.operation}`)).toEqual(['kubectl-client-side-apply/Update']);
    expect(JSON.parse(lastApplied(obj)!)).toMatchObject({ spec: { color: 'red', tags: ['a', 'b'] } });
  });

  it('a server-side apply of a changed manifest takes the fields over (kubectl/Apply) and rewrites the annotation', async () => {
    const res = applyBoth('m1', 'spec:\n  color: green\n  tags: [a, b, c]\n  settings:\n    mode: auto\n');
    expect(res).toEqual({ code: 0, out: `robot.${GROUP}/m1 serverside-applied\n` });
    const obj = await sameObjects('m1');
    expect(obj.metadata.managedFields!.map((e) => `${e.manager}/${e.operation}`)).toContain('kubectl/Apply');
    expect(JSON.parse(lastApplied(obj)!)).toMatchObject({ spec: { color: 'green', tags: ['a', 'b', 'c'] } });
  });

  it('a server-side apply that drops a field removes it and the annotation follows', async () => {
    expect(applyBoth('m1', 'spec:\n  color: green\n  tags: [a]\n').code).toBe(0);
    const obj = await sameObjects('m1');
    expect(obj.spec).toMatchObject({ color: 'green', tags: ['a'] });
    expect((obj.spec as Record<string, unknown>).settings).toBeUndefined();
    expect(JSON.parse(lastApplied(obj)!)).toEqual(expect.objectContaining({ spec: { color: 'green', tags: ['a'] } }));
  });

  it("a field another manager co-owns at the last-applied value does not conflict with kubectl's apply (lastAppliedManager); one it changed does", async () => {
    expect(clientApplyBoth('m2', 'spec:\n  color: red\n  replicas: 1\n')).toEqual({ code: 0, out: `robot.${GROUP}/m2 created\n` });
    // bob (client-go: kubectl --field-manager=bob would migrate the client-side entry to bob) owns
    // color at the value the annotation has, and replicas at another one.
    expect((await goApplyBoth('m2', { color: 'red', replicas: 2 }, 'bob', true)).code).toBe(0);
    const conflict = applyBoth('m2', 'spec:\n  color: blue\n  replicas: 5\n');
    expect(conflict.code).toBe(1);
    expect(conflict.out).toMatch(/^error: Apply failed with 1 conflict: conflict with "bob": \.spec\.replicas\n/);
    await sameObjects('m2');
    // Another manager than kubectl gets every conflict.
    const other = applyBoth('m2', 'spec:\n  color: blue\n  replicas: 5\n', ['--field-manager=carol']);
    expect(other.out).toMatch(/^error: Apply failed with 3 conflicts: conflicts with "bob":\n- \.spec\.color\n- \.spec\.replicas\nconflicts with "kubectl-client-side-apply" using apply\.kapi\.dev\/v1:\n- \.spec\.color\n/);
    expect(applyBoth('m2', 'spec:\n  color: blue\n  replicas: 2\n')).toEqual({ code: 0, out: `robot.${GROUP}/m2 serverside-applied\n` });
    const obj = await sameObjects('m2');
    expect(obj.spec).toMatchObject({ color: 'blue', replicas: 2 });
    expect(JSON.parse(lastApplied(obj)!)).toMatchObject({ spec: { color: 'blue', replicas: 2 } });
    expect(obj.metadata.managedFields!.map((e) => `${e.manager}/${e.operation}`)).toEqual(['bob/Apply', 'kubectl-last-applied/Apply', 'kubectl/Apply']);
  });

  it('a client-side apply after the server-side ones is recorded as before', async () => {
    expect(clientApplyBoth('m1', 'spec:\n  color: yellow\n  tags: [a]\n')).toEqual({ code: 0, out: `robot.${GROUP}/m1 configured\n` });
    const obj = await sameObjects('m1');
    expect(obj.spec).toMatchObject({ color: 'yellow' });
  });
});

describe('a map of maps and an atomic map, CRD and kapi alike', () => {
  it('merges a map of maps key by key at both levels; an atomic map is owned whole', async () => {
    expect(applyBoth('n1', 'spec:\n  zones:\n    east:\n      a: "1"\n  selector:\n    app: web\n    tier: front\n', ['--field-manager=alpha']).code).toBe(0);
    expect(applyBoth('n1', 'spec:\n  zones:\n    east:\n      b: "2"\n    west:\n      c: "3"\n', ['--field-manager=beta']).code).toBe(0);
    const obj = await sameObjects('n1');
    expect((obj.spec as Record<string, unknown>).zones).toEqual({ east: { a: '1', b: '2' }, west: { c: '3' } });
    const alpha = obj.metadata.managedFields!.find((e) => e.manager === 'alpha') as unknown as { fieldsV1: unknown };
    expect(alpha.fieldsV1).toEqual({ 'f:spec': { 'f:selector': {}, 'f:zones': { 'f:east': { '.': {}, 'f:a': {} } } } });
  });

  it('another manager setting one key of the atomic map conflicts on the whole map; forced, it replaces it', async () => {
    const res = applyBoth('n1', 'spec:\n  selector:\n    app: api\n', ['--field-manager=beta']);
    expect(res.out).toMatch(/^error: Apply failed with 1 conflict: conflict with "alpha": \.spec\.selector\n/);
    expect(applyBoth('n1', 'spec:\n  selector:\n    app: api\n', ['--field-manager=beta', '--force-conflicts']).code).toBe(0);
    const obj = await sameObjects('n1');
    expect((obj.spec as Record<string, unknown>).selector).toEqual({ app: 'api' });
  });

  it('a manager dropping its inner key removes it and an inner map left empty by it', async () => {
    expect(applyBoth('n1', 'spec:\n  zones:\n    east:\n      b: "2"\n', ['--field-manager=beta']).code).toBe(0);
    const obj = await sameObjects('n1');
    expect((obj.spec as Record<string, unknown>).zones).toEqual({ east: { a: '1', b: '2' } });
  });
});

describe('the entries Go keeps, CRD and kapi alike', () => {
  it('beyond 10 Update entries the oldest are merged into ancient-changes', async () => {
    expect(applyBoth('u1', 'spec:\n  color: red\n').code).toBe(0);
    for (let i = 0; i < 11; i++) {
      expect(both((t) => ['patch', resourceOf(t), 'u1', '-n', nsOf(t), `--field-manager=updater-${i}`, '--type=merge', '-p', `{"spec":{"settings":{"k${i}":"v"}}}`]).code).toBe(0);
    }
    const obj = await sameObjects('u1');
    const managers = obj.metadata.managedFields!.map((e) => e.manager);
    expect(managers).toContain('ancient-changes');
    expect(managers.filter((m) => m !== 'kubectl')).toHaveLength(10);
  });

  it('a request sending managedFields [{}] resets them; updates are not tracked again until an apply', async () => {
    expect(both((t) => ['patch', resourceOf(t), 'u1', '-n', nsOf(t), '--type=merge', '-p', '{"metadata":{"managedFields":[{}]}}']).code).toBe(0);
    expect((await sameObjects('u1')).metadata.managedFields).toBeUndefined();
    expect(both((t) => ['label', resourceOf(t), 'u1', '-n', nsOf(t), 'fresh=yes']).code).toBe(0);
    expect((await sameObjects('u1')).metadata.managedFields).toBeUndefined();
    // The first apply meets everything the object had as before-first-apply's.
    expect(applyBoth('u1', 'spec:\n  color: green\n').out).toMatch(/^error: Apply failed with 1 conflict: conflict with "before-first-apply" using apply\.kapi\.dev\/v1: \.spec\.color\n/);
    expect(applyBoth('u1', 'spec:\n  color: green\n', ['--force-conflicts']).code).toBe(0);
    expect((await sameObjects('u1')).metadata.managedFields!.map((e) => `${e.manager}/${e.operation}`)).toEqual(['kubectl/Apply', 'before-first-apply/Update']);
  });
});

describe('two versions (v2 calls spec.color spec.paint; the CRD converts by webhook), CRD and kapi alike', () => {
  it("an apply in v2 conflicts with a v1 manager's field, named as the manager's version has it", async () => {
    expect(applyBoth('c1', 'spec:\n  color: red\n  tags: [a]\n  arm:\n    length: 2\n', ['--field-manager=alpha'])).toEqual({ code: 0, out: `robot.${GROUP}/c1 serverside-applied\n` });
    const res = applyBoth('c1', 'spec:\n  paint: blue\n', ['--field-manager=beta'], 'v2');
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/^error: Apply failed with 1 conflict: conflict with "alpha": \.spec\.color\n/);
  });

  it('forced in v2, the field is taken over; each entry keeps its version, and reads the same in either', async () => {
    expect(applyBoth('c1', 'spec:\n  paint: blue\n', ['--field-manager=beta', '--force-conflicts'], 'v2').code).toBe(0);
    const v1 = await sameObjects('c1');
    const v2 = await sameObjects('c1', 'v2');
    expect((v1.spec as Record<string, unknown>).color).toBe('blue');
    expect((v2.spec as Record<string, unknown>).paint).toBe('blue');
    expect(v2.metadata.managedFields).toEqual(v1.metadata.managedFields);
    const entries = Object.fromEntries(v1.metadata.managedFields!.map((e) => [e.manager, e] as const)) as Record<string, Entry & { apiVersion: string; fieldsV1: unknown }>;
    expect(entries.alpha).toMatchObject({ apiVersion: `${GROUP}/v1`, fieldsV1: { 'f:spec': { 'f:arm': { 'f:length': {} }, 'f:tags': { 'v:"a"': {} } } } });
    expect(entries.beta).toMatchObject({ apiVersion: `${GROUP}/v2`, fieldsV1: { 'f:spec': { 'f:paint': {} } } });
  });

  it('a v1 manager applying in v2 without a field it alone owned removes it; its entry is now of v2', async () => {
    expect(applyBoth('c1', 'spec:\n  tags: [a]\n', ['--field-manager=alpha'], 'v2').code).toBe(0);
    const obj = await sameObjects('c1', 'v2');
    expect((obj.spec as Record<string, unknown>).arm).toBeUndefined();
    expect((obj.spec as Record<string, unknown>).paint).toBe('blue');
    expect(obj.metadata.managedFields!.find((e) => e.manager === 'alpha')).toMatchObject({ apiVersion: `${GROUP}/v2` });
  });
});

describe("client-go's dynamic client Apply (apply-client/), CRD and kapi alike", () => {
  it('creates, with an Apply entry of its field manager', async () => {
    const res = await goApplyBoth('g1', { color: 'red', tags: ['a'], ports: [{ name: 'http', port: 80 }] }, 'go-client');
    expect(res.code).toBe(0);
    const obj = res.out as Obj;
    expect(obj.metadata.managedFields!.map((e) => `${e.manager}/${e.operation}`)).toEqual(['go-client/Apply']);
    expect(await sameObjects('g1')).toEqual(obj);
  });

  it("another manager's conflicting Apply fails with the same Status (409, the conflicts as causes)", async () => {
    const res = await goApplyBoth('g1', { color: 'blue', tags: ['b'] }, 'other');
    expect(res.code).toBe(1);
    expect(res.out).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Conflict', code: 409 });
    expect(JSON.stringify(res.out)).toContain('.spec.color');
  });

  it('Force takes the field over; the object is the same', async () => {
    const res = await goApplyBoth('g1', { color: 'blue', tags: ['b'] }, 'other', true);
    expect(res.code).toBe(0);
    const obj = res.out as Obj;
    expect(obj.spec).toMatchObject({ color: 'blue', tags: ['a', 'b'] });
    expect(obj.metadata.managedFields!.map((e) => `${e.manager}/${e.operation}`)).toEqual(['go-client/Apply', 'other/Apply']);
    expect(await sameObjects('g1')).toEqual(obj);
  });
});

describe('server-side apply of the scale subresource (autoscaling/v1 Scale), CRD and kapi alike', () => {
  const APPLY_PATCH = 'application/apply-patch+yaml';
  const KAPI: Target[] = ['kapi', 'direct'];
  type Reply = { status: number; body: unknown };
  type Opts = { query?: string; contentType?: string; body?: string };

  /** A request to `t`'s Robot `name`/scale (v1) as the admin: through kube-apiserver, or straight to kapi. */
  async function scaleRequest(t: Target, name: string, method: string, opts: Opts = {}): Promise<Reply> {
    const [base, ca] = t === 'direct' ? [env.server.url, env.servingCA.cert] : [env.cluster.server, env.cluster.caPem];
    const res = await httpsRequest(`${base}/apis/${groupOf(t)}/v1/namespaces/${nsOf(t)}/robots/${name}/scale${opts.query ? `?${opts.query}` : ''}`, {
      method,
      ca,
      cert: env.cluster.admin.certPem,
      key: env.cluster.admin.keyPem,
      headers: { accept: 'application/json', ...(opts.contentType ? { 'content-type': opts.contentType } : {}) },
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      timeoutMs: 20_000,
    });
    const body = JSON.parse(normalise(res.body)) as { metadata?: Record<string, unknown> };
    // A Scale's uid, resourceVersion and creationTimestamp are those of each target's object.
    for (const k of ['uid', 'resourceVersion', 'creationTimestamp']) delete body.metadata?.[k];
    return { status: res.status, body };
  }

  /** The same request to `targets` (default all); the answers must be the first's, which is returned. */
  async function scaleAll(name: string, method: string, opts: (t: Target) => Opts, targets: Target[] = TARGETS): Promise<Reply> {
    const [first, ...others] = await Promise.all(targets.map((t) => scaleRequest(t, name, method, opts(t))));
    for (const o of others) expect(o).toEqual(first);
    return first!;
  }

  /** The apply of a Scale of `spec` (JSON is YAML) by `manager`. */
  const scaleApply = (name: string, spec: Record<string, unknown>, manager: string, flags: string[] = []) => (t: Target): Opts => ({
    query: [`fieldManager=${manager}`, ...flags].join('&'),
    contentType: APPLY_PATCH,
    body: JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name, namespace: nsOf(t) }, spec }),
  });
  const applyScale = (name: string, spec: Record<string, unknown>, manager: string, flags: string[] = [], targets: Target[] = TARGETS) =>
    scaleAll(name, 'PATCH', scaleApply(name, spec, manager, flags), targets);

  /** kapi's object, reached either way: the same; returned. */
  async function sameKapiObjects(name: string): Promise<Obj> {
    const kapi = await comparable('kapi', name);
    expect(await comparable('direct', name)).toEqual(kapi);
    return kapi;
  }

  /** kubectl on kapi, reached either way: the same exit code and output; returned. */
  function kapiKubectl(args: (t: Target) => string[]): { code: number; out: string } {
    const [kapi, direct] = KAPI.map((t) => {
      const res = kubectlOf(t).run(args(t));
      return { code: res.code, out: normalise(res.stdout + res.stderr) };
    });
    expect(direct).toEqual(kapi);
    return kapi!;
  }

  /** The entries as manager/operation[/subresource], marked when without a time (Go gives none to a manager new to the object through /scale). */
  async function entriesWithTimes(name: string, targets: Target[] = TARGETS): Promise<string[]> {
    const [first, ...others] = await Promise.all(
      targets.map(async (t) => {
        const obj = JSON.parse(await get(`/apis/${groupOf(t)}/v1/namespaces/${nsOf(t)}/robots/${name}`)) as Obj;
        return (obj.metadata.managedFields ?? []).map((e) => `${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}${e.time ? '' : ' (no time)'}`).sort();
      }),
    );
    for (const o of others) expect(o).toEqual(first);
    return first!;
  }

  const fieldsOf = (obj: Obj): Record<string, unknown> =>
    Object.fromEntries(obj.metadata.managedFields!.map((e) => [`${e.manager}/${e.operation}${e.subresource ? `/${e.subresource}` : ''}`, (e as unknown as { fieldsV1: unknown }).fieldsV1]));

  const failure = (code: number, reason: string, message: string, details?: unknown) => ({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    ...(reason ? { reason } : {}),
    ...(details ? { details } : {}),
    code,
  });
  const conflict = (manager: string) =>
    failure(409, 'Conflict', `Apply failed with 1 conflict: conflict with ${manager}: .spec.replicas`, {
      causes: [{ reason: 'FieldManagerConflict', message: `conflict with ${manager}`, field: '.spec.replicas' }],
    });

  /** Go's answer to a Scale apply of a custom resource that changes the Scale (the result is converted as a custom resource). */
  const CRD_APPLY_FAILURE = `failed to convert new object (${NS}/s1; autoscaling/v1, Kind=Scale) to proper version: request to convert CR to an invalid group/version: autoscaling/v1`;

  it('an apply to the /scale of a missing object is NotFound (/scale never creates), as is its GET', async () => {
    const notFound = { status: 404, body: failure(404, 'NotFound', `robots.${GROUP} "s1" not found`, { name: 's1', group: GROUP, kind: 'robots' }) };
    expect(await applyScale('s1', { replicas: 2 }, 'scaler')).toEqual(notFound);
    expect(await scaleAll('s1', 'GET', () => ({}))).toEqual(notFound);
  });

  it('kubectl apply --server-side --subresource=scale of a Robot manifest is a 400: the Scale field manager takes only a Scale', async () => {
    expect(applyBoth('s1', 'spec:\n  replicas: 1\n  color: red\n')).toEqual({ code: 0, out: `robot.${GROUP}/s1 serverside-applied\n` });
    const res = both((t) => ['apply', '--server-side', '--subresource=scale', '--field-manager=scaler', '-f', file(t, 's1-scale.yaml', robotYaml(t, 's1', 'spec:\n  replicas: 4\n'))]);
    expect(res).toEqual({ code: 1, out: `Error from server (BadRequest): invalid object type: ${GROUP}/v1, Kind=Robot\n` });
    await sameObjects('s1');
  });

  it("a Scale apply of other replicas than the ones another manager applied conflicts with it (409, the Scale's path)", async () => {
    expect(await applyScale('s1', { replicas: 4 }, 'scaler')).toEqual({ status: 409, body: conflict('"kubectl"') });
    expect((await sameObjects('s1')).spec).toMatchObject({ replicas: 1 });
  });

  it('a Scale apply of the same replicas co-owns them: the Scale manager gets an entry of its own, under subresource scale, with no time', async () => {
    const scale = { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 's1', namespace: NS }, spec: { replicas: 1 }, status: { replicas: 0 } };
    expect(await applyScale('s1', { replicas: 1 }, 'scaler')).toEqual({ status: 200, body: scale });
    expect(await scaleAll('s1', 'GET', () => ({}))).toEqual({ status: 200, body: scale });
    const obj = await sameObjects('s1');
    expect(fieldsOf(obj)).toEqual({ 'kubectl/Apply': { 'f:spec': { 'f:color': {}, 'f:replicas': {} } }, 'scaler/Apply/scale': { 'f:spec': { 'f:replicas': {} } } });
    expect(obj.metadata.managedFields!.find((e) => e.manager === 'scaler')).toMatchObject({ apiVersion: `${GROUP}/v1` });
    expect(await entriesWithTimes('s1')).toEqual(['kubectl/Apply', 'scaler/Apply/scale (no time)']);
  });

  it('a Scale apply of a wrong type, an unknown field, managedFields, another kind or version, or no field manager is answered as Go answers it', async () => {
    const apply = (body: (t: Target) => Record<string, unknown>, query = 'fieldManager=scaler') => scaleAll('s1', 'PATCH', (t) => ({ query, contentType: APPLY_PATCH, body: JSON.stringify(body(t)) }));
    const scale = (t: Target, more: Record<string, unknown>) => ({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 's1', namespace: nsOf(t) }, ...more });
    const typedError = (message: string) => ({ status: 500, body: failure(500, '', `failed to create typed patch object (${NS}/s1; autoscaling/v1, Kind=Scale): ${message}`) });
    expect(await apply((t) => scale(t, { spec: { replicas: 'many' } }))).toEqual(typedError('.spec.replicas: expected numeric (int or float), got string'));
    expect(await apply((t) => scale(t, { spec: { replicas: 1, bogus: true } }))).toEqual(typedError('.spec.bogus: field not declared in schema'));
    expect(await apply((t) => scale(t, { bogus: 1 }))).toEqual(typedError('.bogus: field not declared in schema'));
    expect(await apply((t) => ({ ...scale(t, { spec: { replicas: 1 } }), metadata: { name: 's1', namespace: nsOf(t), managedFields: [{ manager: 'x', operation: 'Apply' }] } }))).toEqual({
      status: 400,
      body: failure(400, 'BadRequest', 'metadata.managedFields must be nil'),
    });
    expect(await apply((t) => ({ ...scale(t, { spec: { replicas: 1 } }), apiVersion: 'autoscaling/v2' }))).toEqual({ status: 400, body: failure(400, 'BadRequest', 'invalid object type: autoscaling/v2, Kind=Scale') });
    const noManager = await apply((t) => scale(t, { spec: { replicas: 1 } }), '');
    expect(noManager).toMatchObject({ status: 422, body: { message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch' } });
    await sameObjects('s1');
  });

  it('the CRD fails a Scale apply that changes the Scale (500: Go converts its Scale as a custom resource); kapi applies it as Go does for its own kinds: forced, the replicas go to the Scale manager', async () => {
    const forced = scaleApply('s1', { replicas: 4 }, 'scaler', ['force=true']);
    expect(await scaleRequest('crd', 's1', 'PATCH', forced('crd'))).toEqual({ status: 500, body: failure(500, '', CRD_APPLY_FAILURE) });
    const res = await applyScale('s1', { replicas: 4 }, 'scaler', ['force=true'], KAPI);
    expect(res).toEqual({ status: 200, body: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 's1', namespace: NS }, spec: { replicas: 4 }, status: { replicas: 0 } } });
    const obj = await sameKapiObjects('s1');
    expect(obj.spec).toMatchObject({ replicas: 4, color: 'red' });
    expect(obj.metadata.managedFields).toEqual([
      { manager: 'kubectl', operation: 'Apply', apiVersion: `${GROUP}/v1`, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:color': {} } } },
      { manager: 'scaler', operation: 'Apply', apiVersion: `${GROUP}/v1`, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } }, subresource: 'scale' },
    ]);
    expect(await entriesWithTimes('s1', KAPI)).toEqual(['kubectl/Apply', 'scaler/Apply/scale (no time)']);
    expect(await scaleAll('s1', 'GET', () => ({}), KAPI)).toMatchObject({ status: 200, body: { spec: { replicas: 4 } } });
  });

  it('kapi: a dry-run Scale apply answers the Scale it would write and writes nothing', async () => {
    const before = await sameKapiObjects('s1');
    expect(await applyScale('s1', { replicas: 7 }, 'scaler', ['dryRun=All'], KAPI)).toMatchObject({ status: 200, body: { spec: { replicas: 7 } } });
    expect(await sameKapiObjects('s1')).toEqual(before);
  });

  it('kapi: the parent apply of other replicas then conflicts with the Scale manager (with subresource "scale"); forced, it takes them back', () => {
    const args = (flags: string[]) => (t: Target) => ['apply', '--server-side', ...flags, '-f', file(t, 's1-back.yaml', robotYaml(t, 's1', 'spec:\n  replicas: 1\n  color: red\n'))];
    const res = kapiKubectl(args([]));
    expect(res.code).toBe(1);
    expect(res.out).toMatch(/^error: Apply failed with 1 conflict: conflict with "scaler" with subresource "scale": \.spec\.replicas\n/);
    expect(kapiKubectl(args(['--force-conflicts']))).toEqual({ code: 0, out: `robot.${GROUP}/s1 serverside-applied\n` });
  });

  it('on an object none of whose entries owns the replicas, the first Scale apply meets what the object had (before-first-apply) in kapi; the CRD fails it (500)', async () => {
    expect(both((t) => ['create', '-f', file(t, 's2.yaml', robotYaml(t, 's2', 'spec:\n  color: red\n'))]).code).toBe(0);
    const apply = scaleApply('s2', { replicas: 2 }, 'scaler');
    expect(await scaleRequest('crd', 's2', 'PATCH', apply('crd'))).toEqual({
      status: 500,
      body: failure(500, '', 'failed to create manager for existing fields: failed to convert live object (/; autoscaling/v1, Kind=Scale) to proper version: request to convert CR to an invalid group/version: autoscaling/v1'),
    });
    expect(await applyScale('s2', { replicas: 2 }, 'scaler', [], KAPI)).toEqual({ status: 409, body: conflict('"before-first-apply" with subresource "scale" using autoscaling/v1') });
    expect(await applyScale('s2', { replicas: 2 }, 'scaler', ['force=true'], KAPI)).toMatchObject({ status: 200, body: { spec: { replicas: 2 } } });
    const obj = await sameKapiObjects('s2');
    expect(obj.spec).toMatchObject({ replicas: 2, color: 'red' });
    expect(fieldsOf(obj)).toEqual({ 'kubectl-create/Update': { 'f:spec': { '.': {}, 'f:color': {}, 'f:size': {} } }, 'scaler/Apply/scale': { 'f:spec': { 'f:replicas': {} } } });
  });

  it('kubectl scale, a PUT and a merge patch of /scale are recorded through the Scale as Go records them (a no-op scale included)', async () => {
    expect(both((t) => ['create', '-f', file(t, 's3.yaml', robotYaml(t, 's3', 'spec:\n  replicas: 1\n  color: red\n'))]).code).toBe(0);
    // The same replicas (kubectl scales in the preferred v2): the Update entry's replicas, seen by
    // the Scale under another identity (its version), come back as a second entry of v2, with no time.
    expect(both((t) => ['scale', resourceOf(t), 's3', '-n', nsOf(t), '--replicas=1']).code).toBe(0);
    let obj = await sameObjects('s3');
    expect(obj.metadata.managedFields).toEqual([
      { manager: 'kubectl-create', operation: 'Update', apiVersion: `${GROUP}/v2`, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } } },
      { manager: 'kubectl-create', operation: 'Update', apiVersion: `${GROUP}/v1`, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { '.': {}, 'f:color': {}, 'f:size': {} } } },
    ]);
    expect(await entriesWithTimes('s3')).toEqual(['kubectl-create/Update', 'kubectl-create/Update (no time)']);
    expect(both((t) => ['scale', resourceOf(t), 's3', '-n', nsOf(t), '--replicas=2']).code).toBe(0);
    obj = await sameObjects('s3');
    expect(fieldsOf(obj)).toEqual({ 'kubectl-create/Update': { 'f:spec': { '.': {}, 'f:color': {}, 'f:size': {} } }, 'kubectl/Update/scale': { 'f:spec': { 'f:replicas': {} } } });
    expect(await entriesWithTimes('s3')).toEqual(['kubectl-create/Update', 'kubectl/Update/scale (no time)']);

    const put = await scaleAll('s3', 'PUT', (t) => ({ query: 'fieldManager=putter', body: JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 's3', namespace: nsOf(t) }, spec: { replicas: 3 } }) }));
    expect(put).toMatchObject({ status: 200, body: { spec: { replicas: 3 } } });
    expect(Object.keys(fieldsOf(await sameObjects('s3')))).toEqual(['kubectl-create/Update', 'putter/Update/scale']);
    // An apply of the same value co-owns with the putter; a merge patch takes them from both.
    expect((await applyScale('s3', { replicas: 3 }, 'scaler')).status).toBe(200);
    expect(Object.keys(fieldsOf(await sameObjects('s3'))).sort()).toEqual(['kubectl-create/Update', 'putter/Update/scale', 'scaler/Apply/scale']);
    const patched = await scaleAll('s3', 'PATCH', () => ({ query: 'fieldManager=patcher', contentType: 'application/merge-patch+json', body: '{"spec":{"replicas":5}}' }));
    expect(patched).toMatchObject({ status: 200, body: { spec: { replicas: 5 } } });
    expect(Object.keys(fieldsOf(await sameObjects('s3')))).toEqual(['kubectl-create/Update', 'patcher/Update/scale']);
    expect(await entriesWithTimes('s3')).toEqual(['kubectl-create/Update', 'patcher/Update/scale (no time)']);
  });

  it('without spec replicas: GET /scale is a 500, a patch that leaves them unset a 400, a PUT of 0 sets them (recording no one); negative replicas are invalid', async () => {
    expect(both((t) => ['create', '-f', file(t, 's4.yaml', robotYaml(t, 's4', 'spec:\n  color: red\n'))]).code).toBe(0);
    const missing = 'the spec replicas field ".spec.replicas" does not exist';
    expect(await scaleAll('s4', 'GET', () => ({}))).toEqual({ status: 500, body: failure(500, 'InternalError', `Internal error occurred: ${missing}`, { causes: [{ message: missing }] }) });
    const merge = (body: string) => () => ({ query: 'fieldManager=m', contentType: 'application/merge-patch+json', body });
    expect(await scaleAll('s4', 'PATCH', merge('{"status":{"replicas":3}}'))).toEqual({ status: 400, body: failure(400, 'BadRequest', 'the spec replicas field ".spec.replicas" cannot be empty') });
    const put = await scaleAll('s4', 'PUT', (t) => ({ query: 'fieldManager=p', body: JSON.stringify({ apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 's4', namespace: nsOf(t) }, spec: {} }) }));
    expect(put).toEqual({ status: 200, body: { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 's4', namespace: NS }, spec: {}, status: { replicas: 0 } } });
    const obj = await sameObjects('s4');
    expect((obj.spec as { replicas: number }).replicas).toBe(0);
    expect(Object.keys(fieldsOf(obj))).toEqual(['kubectl-create/Update']);
    const negative = await scaleAll('s4', 'PATCH', merge('{"spec":{"replicas":-1}}'));
    expect(negative).toEqual({
      status: 422,
      body: failure(422, 'Invalid', `Robot.${GROUP} "s4" is invalid: .spec.replicas: Invalid value: -1: should be a non-negative integer`, {
        name: 's4',
        group: GROUP,
        kind: 'Robot',
        causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: -1: should be a non-negative integer', field: '.spec.replicas' }],
      }),
    });
  });
});
