/**
 * Audit logging through a real kube-apiserver: the sample server with --audit-policy-file and
 * --audit-log-path, driven by kubectl as an impersonated user. The log file is read the moment
 * kubectl returns: an event written after the response would not be there yet.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kubectl } from '../e2e/kubectl.js';
import { startAggregated, type Aggregated } from './aggregated.js';

jest.setTimeout(120_000);

const NS = 'audited';
const USER = 'auditor';

interface Event {
  kind: string;
  apiVersion: string;
  level: string;
  stage: string;
  auditID: string;
  verb: string;
  requestURI: string;
  user: { username: string; groups?: string[] };
  sourceIPs?: string[];
  objectRef?: { resource?: string; namespace?: string; name?: string; apiGroup?: string; apiVersion?: string };
  responseStatus?: { code: number };
  requestObject?: Record<string, unknown>;
  responseObject?: Record<string, unknown>;
}

const POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  resources: [{group: wardle.example.com, resources: [fischers]}]
- level: RequestResponse
  verbs: [create]
  resources: [{group: wardle.example.com, resources: [flunders]}]
- level: Request
  verbs: [update, patch]
  resources: [{group: wardle.example.com, resources: [flunders]}]
- level: Metadata
  verbs: [delete]
- level: None
`;

let env: Aggregated;
let kubectl: Kubectl;
let dir: string;
let logFile: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kapi-audit-'));
  writeFileSync(join(dir, 'policy.yaml'), POLICY);
  logFile = join(dir, 'audit.log');
  env = await startAggregated({ storageBackend: 'sqlite', serverArgs: [`--audit-policy-file=${join(dir, 'policy.yaml')}`, `--audit-log-path=${logFile}`] });
  kubectl = new Kubectl(env.cluster.kubeconfig);
  kubectl.ok(['create', 'namespace', NS]);
  kubectl.ok(['create', 'clusterrole', 'flunder-all', '--verb=*', '--resource=flunders.wardle.example.com,fischers.wardle.example.com']);
  kubectl.ok(['create', 'clusterrolebinding', 'auditor-flunders', '--clusterrole=flunder-all', `--user=${USER}`]);
  const deadline = Date.now() + 30_000;
  while (kubectl.run(['auth', 'can-i', 'create', 'flunders.wardle.example.com', '-n', NS, `--as=${USER}`]).code !== 0) {
    if (Date.now() > deadline) throw new Error('RBAC not in effect');
    await new Promise((r) => setTimeout(r, 250));
  }
}, 15 * 60_000);

afterAll(async () => {
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function events(): Event[] {
  if (!existsSync(logFile)) return [];
  return readFileSync(logFile, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Event);
}

/** The events of the flunder `name` since `before`. */
function eventsOf(before: number, name: string): Event[] {
  return events().slice(before).filter((e) => e.objectRef?.name === name || e.requestURI.includes(`/${name}`));
}

it('records a create with both bodies, as the real user, before kubectl has its answer', () => {
  const before = events().length;
  const manifest = join(dir, 'f1.yaml');
  writeFileSync(manifest, `apiVersion: wardle.example.com/v1beta1\nkind: Flunder\nmetadata:\n  name: f1\n  namespace: ${NS}\nspec:\n  referenceType: Flunder\n  flunderReference: other\n`);
  kubectl.ok([`--as=${USER}`, 'create', '-f', manifest]);
  // Read at once: the event must already be on file.
  const [event, ...rest] = events().slice(before).filter((e) => e.verb === 'create');
  expect(rest).toEqual([]);
  expect(event).toMatchObject({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    stage: 'ResponseComplete',
    verb: 'create',
    user: { username: USER },
    objectRef: { resource: 'flunders', namespace: NS, name: 'f1', apiGroup: 'wardle.example.com', apiVersion: 'v1beta1' },
    responseStatus: { code: 201 },
    requestObject: { kind: 'Flunder', metadata: { name: 'f1' }, spec: { flunderReference: 'other' } },
    responseObject: { kind: 'Flunder', metadata: { name: 'f1', namespace: NS } },
  });
  expect(event!.user.groups).toContain('system:authenticated');
  expect(event!.auditID).toMatch(/^[0-9a-f-]{36}$/);
  expect(event!.sourceIPs?.length).toBeGreaterThan(0);
});

it('records a patch at Request level (the patch, no response body) and a delete at Metadata level', () => {
  const before = events().length;
  kubectl.ok([`--as=${USER}`, 'patch', 'flunder', 'f1', '-n', NS, '--type=merge', '-p', '{"metadata":{"labels":{"audited":"yes"}}}']);
  const [patch] = eventsOf(before, 'f1').filter((e) => e.verb === 'patch');
  expect(patch).toMatchObject({ level: 'Request', stage: 'ResponseComplete', user: { username: USER }, responseStatus: { code: 200 }, requestObject: { metadata: { labels: { audited: 'yes' } } } });
  expect(patch!.responseObject).toBeUndefined();

  const beforeDelete = events().length;
  kubectl.ok([`--as=${USER}`, 'delete', 'flunder', 'f1', '-n', NS]);
  const [del] = eventsOf(beforeDelete, 'f1').filter((e) => e.verb === 'delete');
  expect(del).toMatchObject({ level: 'Metadata', stage: 'ResponseComplete', user: { username: USER }, responseStatus: { code: 200 } });
  expect(del!.requestObject).toBeUndefined();
  expect(del!.responseObject).toBeUndefined();
});

it('records nothing the policy leaves at None, and no stage it omits', () => {
  const before = events().length;
  kubectl.ok([`--as=${USER}`, 'get', 'flunders', '-n', NS]);
  kubectl.ok([`--as=${USER}`, 'get', 'fischers']);
  const manifest = join(dir, 'fi.yaml');
  writeFileSync(manifest, 'apiVersion: wardle.example.com/v1alpha1\nkind: Fischer\nmetadata:\n  name: fi1\ndisallowedFlunders: []\n');
  kubectl.ok([`--as=${USER}`, 'create', '-f', manifest]);
  expect(events().slice(before)).toEqual([]);
  expect(events().filter((e) => e.stage === 'RequestReceived')).toEqual([]);
});
