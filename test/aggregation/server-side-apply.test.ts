/**
 * Server-side apply and managedFields side by side: one schema (test/servers/apply.ts: a
 * list-type=map list, a set, an atomic list, a map, a nested object, status and scale) as (a) a
 * CRD on the pinned kube-apiserver — the oracle — and (b) a kapi kind served by a kapi server
 * aggregated behind it. The same kubectl commands by several managers go to both, in the same
 * order; what kubectl prints, the objects and their managedFields (times, uids and
 * resourceVersions removed, the CRD's group written as kapi's) must agree after every step.
 *
 * Also kubectl's migration from client-side apply (the last-applied-configuration annotation, the
 * kubectl-client-side-apply Update entry; kubectl's kubectl-last-applied apply and managedFields
 * JSON patch after its first server-side apply; the server's lastAppliedManager and
 * lastAppliedUpdater), and client-go's dynamic client Apply (apply-client/, Go, built once per
 * content into ~/.cache/kapi/bin) with its results and error Status compared.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { Kubectl } from '../e2e/kubectl.js';
import { installCRD } from './crd.js';
import { GROUP, ROBOT_SCHEMA } from '../servers/apply.js';
import { httpsRequest, startAggregated, type Aggregated } from './aggregated.js';
import { buildGoProgram } from './go-program.js';

jest.setTimeout(120_000);

const CRD_GROUP = `crd.${GROUP}`;
const NS = 'robots';
const MAIN = resolve(__dirname, '..', 'dist', 'servers', 'apply.js');

type Target = 'crd' | 'kapi';
const groupOf = (t: Target): string => (t === 'crd' ? CRD_GROUP : GROUP);
const TARGETS: Target[] = ['crd', 'kapi'];
const resourceOf = (t: Target): string => `robots.${groupOf(t)}`;

let env: Aggregated;
let kubectl: Kubectl;
let dir: string;

/** The CRD's group written as kapi's, and the targets' directories as one. */
const normalise = (text: string): string => text.split(CRD_GROUP).join(GROUP).split(join(dir, 'crd')).join('DIR').split(join(dir, 'kapi')).join('DIR');

/** A GET as the admin through kube-apiserver; throws unless 200. */
async function get(path: string): Promise<string> {
  const res = await httpsRequest(env.cluster.server + path, {
    ca: env.cluster.caPem,
    cert: env.cluster.admin.certPem,
    key: env.cluster.admin.keyPem,
    headers: { accept: 'application/json' },
    timeoutMs: 20_000,
  });
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
async function comparable(t: Target, name: string): Promise<Obj> {
  return comparableObject(JSON.parse(normalise(await get(`/apis/${groupOf(t)}/v1/namespaces/${NS}/robots/${name}`))) as Obj);
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

async function sameObjects(name: string): Promise<Obj> {
  const crd = await comparable('crd', name);
  expect(await comparable('kapi', name)).toEqual(crd);
  return crd;
}

function file(t: Target, name: string, text: string): string {
  const path = join(dir, t, name);
  writeFileSync(path, text);
  return path;
}

/** A Robot as a YAML apply configuration of `t`'s group. */
function robotYaml(t: Target, name: string, body: string): string {
  return `apiVersion: ${groupOf(t)}/v1\nkind: Robot\nmetadata:\n  name: ${name}\n  namespace: ${NS}\n${body}`;
}

/** Runs kubectl for both (`args` of each target), expects the same exit code and output (normalised); returns the CRD's. */
function both(args: (t: Target) => string[]): { code: number; out: string } {
  const [crd, kapi] = TARGETS.map((t) => {
    const res = kubectl.run(args(t));
    return { code: res.code, out: normalise(res.stdout + res.stderr) };
  });
  expect(kapi).toEqual(crd);
  return crd!;
}

/** kubectl apply --server-side of `body` (YAML under the object's head) by `manager`, for both. */
function applyBoth(name: string, body: string, flags: string[] = []): { code: number; out: string } {
  return both((t) => ['apply', '--server-side', ...flags, '-f', file(t, `${name}.yaml`, robotYaml(t, name, body))]);
}

/** apply-client/ (built once per content), the dynamic client's Apply. */
let goClient: Promise<string> | undefined;

/** The dynamic client's Apply of `spec` by `manager` to both; expects the same exit code and (comparable) output. */
async function goApplyBoth(name: string, spec: Record<string, unknown>, manager: string, force = false): Promise<{ code: number; out: unknown }> {
  goClient ??= buildGoProgram('apply-client');
  const client = await goClient;
  const [crd, kapi] = TARGETS.map((t) => {
    const path = file(t, `${name}-go.json`, JSON.stringify({ apiVersion: `${groupOf(t)}/v1`, kind: 'Robot', metadata: { name, namespace: NS }, spec }));
    const res = spawnSync(client, [env.cluster.kubeconfig, groupOf(t), 'v1', 'robots', NS, manager, String(force), path], { encoding: 'utf8', timeout: 30_000 });
    if (res.status !== 0 && res.status !== 1) throw new Error(`apply-client: ${res.status} ${res.stderr}`);
    const out = JSON.parse(normalise(res.stdout)) as Obj;
    return { code: res.status, out: res.status === 0 ? comparableObject(out) : out };
  });
  expect(kapi).toEqual(crd);
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

beforeAll(async () => {
  goClient = buildGoProgram('apply-client');
  // Awaited where used; a failed build fails those tests only.
  goClient.catch(() => undefined);
  dir = mkdtempSync(join(tmpdir(), 'kapi-ssa-'));
  for (const sub of TARGETS) mkdirSync(join(dir, sub));
  env = await startAggregated({ storageBackend: 'sqlite', program: { main: MAIN, served: { group: GROUP, versions: ['v1'] } } });
  kubectl = new Kubectl(env.cluster.kubeconfig);
  kubectl.ok(['create', 'namespace', NS]);
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `robots.${CRD_GROUP}` },
    spec: {
      group: CRD_GROUP,
      scope: 'Namespaced',
      names: { plural: 'robots', singular: 'robot', kind: 'Robot', listKind: 'RobotList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: ROBOT_SCHEMA },
          subresources: { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } },
        },
      ],
    },
  };
  await installCRD(kubectl, crd, () => TARGETS.every((t) => kubectl.run(['get', resourceOf(t), '-n', NS]).code === 0));
}, 5 * 60_000);

afterAll(async () => {
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
        const doc = JSON.parse(await get(`/openapi/v3/apis/${g}/v1`)) as { paths: Record<string, { patch: { requestBody: { content: Record<string, unknown> } } }> };
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
    expect(both((t) => ['label', resourceOf(t), 'r1', '-n', NS, 'team=blue']).code).toBe(0);
    expect(both((t) => ['patch', resourceOf(t), 'r1', '-n', NS, '--type=merge', '-p', '{"spec":{"arm":{"joint":{"angle":90}}}}']).code).toBe(0);
    expect(both((t) => ['scale', resourceOf(t), 'r1', '-n', NS, '--replicas=3']).code).toBe(0);
    expect(both((t) => ['patch', resourceOf(t), 'r1', '-n', NS, '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}']).code).toBe(0);
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
    const out = TARGETS.map((t) => normalise(kubectl.ok(['get', resourceOf(t), 'r1', '-n', NS, '-o', 'yaml', '--show-managed-fields'])));
    expect(comparableObject(parseYaml(out[1]!) as Obj)).toEqual(comparableObject(parseYaml(out[0]!) as Obj));
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
    const [crd, kapi] = TARGETS.map((t) => {
      const res = kubectl.run(['diff', '--server-side', '--field-manager=carol', '--force-conflicts', '-f', file(t, 'r1-diff.yaml', robotYaml(t, 'r1', change))]);
      return { code: res.code, out: normalise(res.stdout + res.stderr).replace(/^(diff|---|\+\+\+) .*$/gm, '$1').replace(/creationTimestamp: .*$/m, '') };
    });
    expect(kapi).toEqual(crd);
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
