/**
 * The host cluster's NamespaceLifecycle on kapi's resources, through a real kube-apiserver, with the
 * Go sample-apiserver asked the same as the control: a create in a namespace the host does not
 * have is 404, in a terminating one 403 with Go's message; a namespace created a moment ago can
 * be used at once. (The cluster runs no namespace controller, so a deleted namespace stays
 * Terminating.)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kubectl } from '../e2e/kubectl.js';
import { startGoSampleServer, type GoServer } from '../e2e/go-sample-server.js';
import { startSampleServer } from '../e2e/sample-server.js';
import { eventually, writeTokenKubeconfig } from '../harness/index.js';
import { delegatedFlags, httpsRequest, startAggregated, type Aggregated, type HttpsResult } from './aggregated.js';

jest.setTimeout(120_000);

let env: Aggregated;
let kubectl: Kubectl;
let go: GoServer;
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

describe('a server whose host refuses its first lists (RBAC not applied yet)', () => {
  /** A kubeconfig for a service account that may delegate authentication and authorization, and nothing else yet. */
  function lateAccountKubeconfig(): string {
    kubectl.ok(['create', 'serviceaccount', 'late', '-n', 'default']);
    kubectl.ok(['create', 'clusterrolebinding', 'late-auth-delegator', '--clusterrole=system:auth-delegator', '--serviceaccount=default:late']);
    kubectl.ok(['create', 'rolebinding', 'late-auth-reader', '-n', 'kube-system', '--role=extension-apiserver-authentication-reader', '--serviceaccount=default:late']);
    const token = kubectl.ok(['create', 'token', 'late', '-n', 'default', '--duration=30m']).trim();
    const file = join(dir, 'late.kubeconfig');
    writeTokenKubeconfig(file, env.cluster.server, env.cluster.caPem, 'late', token);
    return file;
  }

  it('serves at once, is not ready and refuses writes as Go does ("not yet ready"), then admits once the role is bound', async () => {
    const server = await startSampleServer({ storageBackend: 'sqlite', extraArgs: delegatedFlags(lateAccountKubeconfig()) });
    try {
      const asFrontProxy = (path: string, method = 'GET', body?: string): Promise<HttpsResult> =>
        httpsRequest(server.url + path, {
          method,
          ca: readFileSync(join(server.dir, 'ca.crt'), 'utf8'),
          cert: env.cluster.frontProxy.clientCertPem,
          key: env.cluster.frontProxy.clientKeyPem,
          headers: { 'X-Remote-User': 'admin', 'X-Remote-Group': 'system:masters' },
          ...(body ? { body } : {}),
          timeoutMs: 30_000,
        });
      const notReady = await asFrontProxy('/readyz?verbose');
      expect(notReady.status).toBe(500);
      expect(notReady.body).toContain('[-]informer-sync failed');

      const started = Date.now();
      const refused = await asFrontProxy(path('lives'), 'POST', flunder('early', 'lives'));
      expect([refused.status, status(refused).reason, status(refused).message]).toEqual([403, 'Forbidden', 'flunders.wardle.example.com "early" is forbidden: not yet ready to handle request']);
      // It waited for the informers first (Go's WaitForReady: 10 s).
      expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
      expect(server.logs()).toContain("listing the host's objects failed; trying again");

      kubectl.ok(['apply', '-f', '-'], {
        input: JSON.stringify({
          apiVersion: 'v1',
          kind: 'List',
          items: [
            {
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'ClusterRole',
              metadata: { name: 'late-host-admission' },
              rules: [
                { apiGroups: [''], resources: ['namespaces'], verbs: ['get', 'list', 'watch'] },
                {
                  apiGroups: ['admissionregistration.k8s.io'],
                  resources: ['mutatingwebhookconfigurations', 'validatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'mutatingadmissionpolicies', 'mutatingadmissionpolicybindings'],
                  verbs: ['get', 'list', 'watch'],
                },
              ],
            },
            {
              apiVersion: 'rbac.authorization.k8s.io/v1',
              kind: 'ClusterRoleBinding',
              metadata: { name: 'late-host-admission' },
              roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'late-host-admission' },
              subjects: [{ kind: 'ServiceAccount', name: 'late', namespace: 'default' }],
            },
          ],
        }),
      });
      await eventually('the server is ready', async () => (await asFrontProxy('/readyz')).status === 200, 30_000);
      const created = await asFrontProxy(path('lives'), 'POST', flunder('late', 'lives'));
      expect([created.status, created.body]).toEqual([201, expect.stringContaining('"name":"late"')]);
      // NamespaceLifecycle works as ever once listed.
      expect((await asFrontProxy(path('nowhere'), 'POST', flunder('late', 'nowhere'))).status).toBe(404);
    } finally {
      await server.stop();
    }
  });
});
