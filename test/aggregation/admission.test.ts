/**
 * The host cluster's NamespaceLifecycle on kapi's resources, through a real kube-apiserver, with the
 * Go sample-apiserver asked the same as the control: a create in a namespace the host does not
 * have is 404, in a terminating one 403 with Go's message; a namespace created a moment ago can
 * be used at once. (The cluster runs no namespace controller, so a deleted namespace stays
 * Terminating.)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kubectl } from '../e2e/kubectl.js';
import { startGoSampleServer, type GoSampleServer } from '../e2e/go-sample-server.js';
import { httpsRequest, startAggregated, type Aggregated, type HttpsResult } from './aggregated.js';

jest.setTimeout(120_000);

let env: Aggregated;
let kubectl: Kubectl;
let go: GoSampleServer;
let dir: string;

const flunder = (name: string, namespace: string): string =>
  JSON.stringify({ apiVersion: 'wardle.example.com/v1beta1', kind: 'Flunder', metadata: { name, namespace }, spec: {} });
const path = (namespace: string): string => `/apis/wardle.example.com/v1beta1/namespaces/${namespace}/flunders`;

/** As kube-apiserver's front proxy, straight to kapi's sample server. */
function kapi(namespace: string, name: string): Promise<HttpsResult> {
  return httpsRequest(env.server.url + path(namespace), {
    method: 'POST',
    ca: env.servingCA.cert,
    cert: env.cluster.frontProxy.clientCertPem,
    key: env.cluster.frontProxy.clientKeyPem,
    headers: { 'X-Remote-User': 'admin', 'X-Remote-Group': 'system:masters' },
    body: flunder(name, namespace),
  });
}

const goCreate = (namespace: string, name: string): Promise<HttpsResult> =>
  go.asUser(path(namespace), 'admin', ['system:masters'], { method: 'POST', body: flunder(name, namespace) });

const status = (res: HttpsResult): { code: number; reason: string; message: string; details?: { causes?: unknown[] } } =>
  JSON.parse(res.body) as { code: number; reason: string; message: string };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kapi-admission-'));
  env = await startAggregated({ storageBackend: 'sqlite' });
  kubectl = new Kubectl(env.cluster.kubeconfig);
  kubectl.ok(['create', 'namespace', 'lives']);
  go = await startGoSampleServer(env.cluster, 'lives');
  kubectl.ok(['create', 'namespace', 'doomed']);
  kubectl.ok(['delete', 'namespace', 'doomed', '--wait=false']);
  const deadline = Date.now() + 30_000;
  while (kubectl.ok(['get', 'namespace', 'doomed', '-o', 'jsonpath={.status.phase}']) !== 'Terminating') {
    if (Date.now() > deadline) throw new Error('namespace doomed is not Terminating');
    await new Promise((r) => setTimeout(r, 200));
  }
}, 15 * 60_000);

afterAll(async () => {
  await go?.stop();
  await env?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('refuses a create in a namespace the host does not have with 404, as Go does', async () => {
  const fromGo = await goCreate('nowhere', 'f1');
  expect([fromGo.status, status(fromGo).message]).toEqual([404, 'namespaces "nowhere" not found']);
  const fromKapi = await kapi('nowhere', 'f1');
  expect([fromKapi.status, status(fromKapi).reason, status(fromKapi).message]).toEqual([404, 'NotFound', 'namespaces "nowhere" not found']);

  const manifest = join(dir, 'nowhere.yaml');
  writeFileSync(manifest, flunder('f1', 'nowhere'));
  expect(kubectl.fails(['create', '-f', manifest])).toContain('namespaces "nowhere" not found');
});

it('refuses a create in a terminating namespace with 403 and Go\'s message', async () => {
  const message = 'flunders.wardle.example.com "f2" is forbidden: unable to create new content in namespace doomed because it is being terminated';
  const fromGo = await goCreate('doomed', 'f2');
  expect([fromGo.status, status(fromGo).message]).toEqual([403, message]);
  const fromKapi = await kapi('doomed', 'f2');
  expect([fromKapi.status, status(fromKapi).reason, status(fromKapi).message]).toEqual([403, 'Forbidden', message]);
  expect(status(fromKapi).details?.causes).toEqual(status(fromGo).details?.causes);

  const manifest = join(dir, 'doomed.yaml');
  writeFileSync(manifest, flunder('f2', 'doomed'));
  expect(kubectl.fails(['create', '-f', manifest])).toContain('unable to create new content in namespace doomed because it is being terminated');
});

it('lets a namespace created a moment ago be used at once, and existing ones as before', async () => {
  kubectl.ok(['create', 'namespace', 'fresh']);
  const manifest = join(dir, 'fresh.yaml');
  writeFileSync(manifest, flunder('f3', 'fresh'));
  expect(kubectl.ok(['create', '-f', manifest])).toContain('flunder.wardle.example.com/f3 created');
  expect((await kapi('lives', 'f4')).status).toBe(201);
});
