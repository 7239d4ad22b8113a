/**
 * What the builder adds, through a real kube-apiserver with kubectl: a resource that is not stored
 * (WidgetMetrics: get, list and Table only, computed from the Widgets, selectors applied) and an
 * action subresource (POST widgets/<name>/approve with its own request kind), each under RBAC.
 * The server is test/servers/features.ts, built with apiServer(...).withKind(...).withResource(...).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kubectl } from '../e2e/kubectl.js';
import { startAggregated, type Aggregated } from './aggregated.js';

jest.setTimeout(120_000);

const GROUP = 'features.kapi.dev';
const NS = 'features';
const MAIN = resolve(__dirname, '..', 'dist', 'servers', 'features.js');

let env: Aggregated;
let kubectl: Kubectl;
let dir: string;

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function until(what: string, ok: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 30 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kapi-builder-'));
  env = await startAggregated({ storageBackend: 'sqlite', program: { main: MAIN, served: { group: GROUP, versions: ['v1'] } } });
  kubectl = new Kubectl(env.cluster.kubeconfig);
  kubectl.ok(['create', 'namespace', NS]);
  for (const [name, size, team] of [['small', 1, 'a'], ['medium-sized', 5, 'b']] as const) {
    kubectl.ok(['create', '-f', file(`${name}.yaml`, `apiVersion: ${GROUP}/v1\nkind: Widget\nmetadata:\n  name: ${name}\n  namespace: ${NS}\n  labels:\n    team: ${team}\nspec:\n  size: ${size}\n`)]);
  }
}, 15 * 60_000);

afterAll(async () => {
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a resource that is not stored', () => {
  it('is discovered with exactly the verbs it offers, and no storage version hash', () => {
    const list = JSON.parse(kubectl.ok(['get', '--raw', `/apis/${GROUP}/v1`])) as { resources: Array<{ name: string; verbs: string[]; storageVersionHash?: string }> };
    const byName = Object.fromEntries(list.resources.map((r) => [r.name, r]));
    expect(byName['widgetmetrics']).toMatchObject({ verbs: ['get', 'list'] });
    expect(byName['widgetmetrics']!.storageVersionHash).toBeUndefined();
    expect(byName['widgets']!.verbs).toEqual(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    expect(byName['widgets/approve']).toMatchObject({ kind: 'Widget', verbs: ['create'] });
    expect(kubectl.ok(['api-resources', `--api-group=${GROUP}`, '-o', 'wide'])).toMatch(/widgetmetrics\s+features\.kapi\.dev\/v1\s+true\s+WidgetMetrics\s+get,list/);
  });

  it('publishes only its get and list operations in OpenAPI v3', () => {
    const doc = JSON.parse(kubectl.ok(['get', '--raw', `/openapi/v3/apis/${GROUP}/v1`])) as { paths: Record<string, Record<string, unknown>> };
    const ops = (path: string): string[] => Object.keys(doc.paths[path] ?? {}).filter((k) => k !== 'parameters').sort();
    expect(ops(`/apis/${GROUP}/v1/namespaces/{namespace}/widgetmetrics`)).toEqual(['get']);
    expect(ops(`/apis/${GROUP}/v1/namespaces/{namespace}/widgetmetrics/{name}`)).toEqual(['get']);
    expect(doc.paths[`/apis/${GROUP}/v1/watch/namespaces/{namespace}/widgetmetrics`]).toBeUndefined();
    expect(ops(`/apis/${GROUP}/v1/namespaces/{namespace}/widgets/{name}/approve`)).toEqual(['post']);
  });

  it('lists as a Table with its columns, computed from the stored kind, with label and field selectors', () => {
    const table = kubectl.ok(['get', 'widgetmetrics', '-n', NS]);
    expect(table).toMatch(/^NAME\s+SIZE\s+NAME LENGTH\n/);
    expect(table).toMatch(/\nmedium-sized\s+5\s+12\n/);
    expect(table).toMatch(/\nsmall\s+1\s+5\n/);
    expect(kubectl.ok(['get', 'widgetmetrics', '-n', NS, '-l', 'team=b', '-o', 'name'])).toBe('widgetmetrics.features.kapi.dev/medium-sized\n');
    expect(kubectl.ok(['get', 'widgetmetrics', '-n', NS, '--field-selector', 'metadata.name=small', '-o', 'name'])).toBe('widgetmetrics.features.kapi.dev/small\n');
    const one = JSON.parse(kubectl.ok(['get', 'widgetmetrics', 'small', '-n', NS, '-o', 'json'])) as { usage: { size: number; nameLength: number } };
    expect(one.usage).toEqual({ size: 1, nameLength: 5 });
    expect(kubectl.fails(['get', 'widgetmetrics', 'none', '-n', NS])).toContain('widgetmetrics.features.kapi.dev "none" not found');
  });

  it('refuses the verbs it does not offer with 405', () => {
    expect(kubectl.fails(['delete', 'widgetmetrics', 'small', '-n', NS])).toContain('MethodNotAllowed');
    const watch = kubectl.run(['get', '--raw', `/apis/${GROUP}/v1/namespaces/${NS}/widgetmetrics?watch=1`]);
    expect(watch.code).not.toBe(0);
    expect(watch.stderr).toContain('MethodNotAllowed');
  });
});

describe('an action subresource', () => {
  const approval = (reason: string): string => JSON.stringify({ apiVersion: `${GROUP}/v1`, kind: 'WidgetApproval', reason });

  it('takes its own request kind and answers the approved object (kubectl create --raw)', () => {
    const answer = JSON.parse(kubectl.ok(['create', '--raw', `/apis/${GROUP}/v1/namespaces/${NS}/widgets/small/approve`, '-f', file('approval.json', approval('looks fine'))])) as {
      kind: string;
      status: { approved: boolean; approvedBecause: string };
    };
    expect(answer).toMatchObject({ kind: 'Widget', status: { approved: true, approvedBecause: 'looks fine' } });
    expect(kubectl.ok(['get', 'widget', 'small', '-n', NS, '-o', 'jsonpath={.status.approvedBecause}'])).toBe('looks fine');
  });

  it('refuses a body of another kind, one its schema does not allow, and a missing object', () => {
    const wrong = kubectl.run(['create', '--raw', `/apis/${GROUP}/v1/namespaces/${NS}/widgets/small/approve`, '-f', file('wrong.json', JSON.stringify({ apiVersion: `${GROUP}/v1`, kind: 'Widget' }))]);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('must be a WidgetApproval');
    // Validated against the request kind's schema, as a kind's objects are: 422 with the field.
    const noReason = kubectl.run(['create', '--raw', `/apis/${GROUP}/v1/namespaces/${NS}/widgets/small/approve`, '-f', file('no-reason.json', JSON.stringify({ apiVersion: `${GROUP}/v1`, kind: 'WidgetApproval' }))]);
    expect(noReason.code).not.toBe(0);
    expect(noReason.stderr).toContain('The WidgetApproval "small" is invalid: reason: Required value');
    const missing = kubectl.run(['create', '--raw', `/apis/${GROUP}/v1/namespaces/${NS}/widgets/none/approve`, '-f', file('approval.json', approval('x'))]);
    expect(missing.stderr).toContain('NotFound');
  });

  it('is authorized as its own subresource: widgets alone do not allow approving them', async () => {
    kubectl.ok(['create', 'role', 'widget-editor', '-n', NS, '--verb=get,list,create,update,patch', `--resource=widgets.${GROUP},widgetmetrics.${GROUP}`]);
    kubectl.ok(['create', 'rolebinding', 'editor', '-n', NS, '--role=widget-editor', '--user=editor']);
    await until('editor may get widgets', () => kubectl.run(['auth', 'can-i', 'get', `widgets.${GROUP}`, '-n', NS, '--as=editor']).code === 0);
    expect(kubectl.ok(['--as=editor', 'get', 'widgetmetrics', '-n', NS, '-o', 'name'])).toContain('small');
    const refused = kubectl.run(['--as=editor', 'create', '--raw', `/apis/${GROUP}/v1/namespaces/${NS}/widgets/medium-sized/approve`, '-f', file('approval.json', approval('no'))]);
    expect(refused.stderr).toContain('Forbidden');
    expect(refused.stderr).toContain(`cannot create resource "widgets/approve" in API group "${GROUP}"`);

    kubectl.ok(['create', 'role', 'widget-approver', '-n', NS, '--verb=create', `--resource=widgets.${GROUP}/approve`]);
    kubectl.ok(['create', 'rolebinding', 'approver', '-n', NS, '--role=widget-approver', '--user=editor']);
    await until('editor may approve', () => kubectl.run(['auth', 'can-i', 'create', `widgets.${GROUP}/approve`, '-n', NS, '--as=editor']).code === 0);
    // The aggregated server caches a denial for 10 s (its SubjectAccessReview cache), as Go's does.
    await until('the approval goes through', () => kubectl.run(['--as=editor', 'create', '--raw', `/apis/${GROUP}/v1/namespaces/${NS}/widgets/medium-sized/approve`, '-f', file('approval.json', approval('yes'))]).code === 0);
    expect(kubectl.ok(['get', 'widget', 'medium-sized', '-n', NS, '-o', 'jsonpath={.status.approved}'])).toBe('true');
  });
});
