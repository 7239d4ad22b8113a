/**
 * Delegated authentication and authorization of the sample server against a REAL kube-apiserver
 * (test/harness): the server runs with --kubeconfig of the cluster and reads its
 * extension-apiserver-authentication ConfigMap, asks TokenReview and SubjectAccessReview.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { createCA, createClientCert } from '@kapi/apiserver/security';
import { startCluster, type Cluster } from '../harness/index.js';
import { Kubectl } from '../e2e/kubectl.js';
import { startSampleServer, type SampleServer } from '../e2e/sample-server.js';

/** The first run on a fresh machine builds kube-apiserver (about 5 minutes on two cores). */
jest.setTimeout(15 * 60 * 1000);

interface Answer {
  status: number;
  body: string;
  json(): { kind?: string; reason?: string; message?: string; code?: number; items?: unknown[] };
}

interface Call {
  method?: string;
  headers?: Record<string, string | string[]>;
  cert?: { cert: string; key: string };
  body?: object;
}

function call(server: SampleServer, path: string, opts: Call = {}): Promise<Answer> {
  const payload = opts.body ? JSON.stringify(opts.body) : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      server.url + path,
      {
        method: opts.method ?? 'GET',
        rejectUnauthorized: false,
        agent: false,
        ...(opts.cert ? { cert: opts.cert.cert, key: opts.cert.key } : {}),
        headers: { Accept: 'application/json', ...(payload ? { 'Content-Type': 'application/json' } : {}), ...(opts.headers ?? {}) },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) as ReturnType<Answer['json']> }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function eventually(what: string, attempt: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await attempt())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const FLUNDERS = '/apis/wardle.example.com/v1beta1/namespaces/default/flunders';

describe('delegated authentication and authorization against a real kube-apiserver', () => {
  let cluster: Cluster;
  let server: SampleServer;
  let kubectl: Kubectl;
  let frontProxy: { cert: string; key: string };

  beforeAll(async () => {
    cluster = await startCluster();
    kubectl = new Kubectl(cluster.kubeconfig);
    frontProxy = { cert: cluster.frontProxy.clientCertPem, key: cluster.frontProxy.clientKeyPem };
    server = await startSampleServer({
      storageBackend: 'sqlite',
      // Short deny cache so the RBAC change shows within the test; allow stays at Go's 10 s.
      extraArgs: [`--kubeconfig=${cluster.kubeconfig}`, '--authorization-webhook-cache-unauthorized-ttl=1s'],
    });
  });

  afterAll(async () => {
    await server?.stop();
    await cluster?.stop();
  });

  const asProxy = (user: string, extra: Record<string, string | string[]> = {}): Call => ({
    cert: frontProxy,
    headers: { 'X-Remote-User': user, ...extra },
  });

  it('keeps /readyz, /healthz and /livez open, with the ConfigMap check in /readyz', async () => {
    for (const path of ['/readyz', '/healthz', '/livez']) {
      const res = await call(server, path);
      expect([path, res.status, res.body]).toEqual([path, 200, 'ok']);
    }
    const verbose = await call(server, '/readyz?verbose');
    expect(verbose.body).toContain('[+]extension-apiserver-authentication ok');
  });

  it('front proxy + X-Remote-User: alice → 403 from SubjectAccessReview with Go\'s Forbidden message', async () => {
    const res = await call(server, FLUNDERS, asProxy('alice'));
    expect(res.status).toBe(403);
    expect(res.json()).toMatchObject({
      kind: 'Status',
      reason: 'Forbidden',
      code: 403,
      message: 'flunders.wardle.example.com is forbidden: User "alice" cannot list resource "flunders" in API group "wardle.example.com" in the namespace "default"',
    });
    const path = await call(server, '/version-not-there', asProxy('alice'));
    expect(path.status).toBe(403);
    expect(path.json().message).toBe('forbidden: User "alice" cannot get path "/version-not-there"');
  });

  it('→ 200 once RBAC lets alice (and the groups the proxy asserts) in', async () => {
    kubectl.ok(['apply', '-f', '-'], {
      input: JSON.stringify({
        apiVersion: 'v1',
        kind: 'List',
        items: [
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            metadata: { name: 'wardle-reader' },
            rules: [{ apiGroups: ['wardle.example.com'], resources: ['flunders'], verbs: ['get', 'list', 'watch'] }],
          },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'ClusterRole',
            metadata: { name: 'wardle-writer' },
            rules: [{ apiGroups: ['wardle.example.com'], resources: ['flunders'], verbs: ['create'] }],
          },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'RoleBinding',
            metadata: { name: 'alice-reads-flunders', namespace: 'default' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'wardle-reader' },
            subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'alice' }],
          },
          {
            apiVersion: 'rbac.authorization.k8s.io/v1',
            kind: 'RoleBinding',
            metadata: { name: 'writers-create-flunders', namespace: 'default' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'wardle-writer' },
            subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'wardle-writers' }],
          },
        ],
      }),
    });
    await eventually('alice may list flunders', async () => (await call(server, FLUNDERS, asProxy('alice'))).status === 200);
    const list = await call(server, FLUNDERS, asProxy('alice'));
    expect(list.json()).toMatchObject({ kind: 'FlunderList', items: [] });

    // Groups come from repeated X-Remote-Group headers; alice alone may not create.
    const flunder = { apiVersion: 'wardle.example.com/v1beta1', kind: 'Flunder', metadata: { name: 'f1' }, spec: {} };
    const denied = await call(server, FLUNDERS, { ...asProxy('alice'), method: 'POST', body: flunder });
    expect(denied.status).toBe(403);
    const created = await call(server, FLUNDERS, {
      ...asProxy('carol', { 'X-Remote-Group': ['ops', 'wardle-writers'], 'X-Remote-Extra-Scopes': 'a' }),
      method: 'POST',
      body: flunder,
    });
    expect([created.status, created.body]).toEqual([201, expect.any(String)]);
  });

  it('ignores X-Remote-* without the front-proxy certificate', async () => {
    // No client certificate at all: nobody (401).
    const none = await call(server, FLUNDERS, { headers: { 'X-Remote-User': 'alice', 'X-Remote-Group': 'system:masters' } });
    expect(none.status).toBe(401);
    expect(none.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });

    // A client certificate of the cluster's client CA: that user, not the header's.
    const ca = { cert: cluster.caPem, key: readFileSync(join(cluster.dir, 'ca.key'), 'utf8') };
    const bob = createClientCert(ca, { commonName: 'bob', organizations: ['bobs'] });
    const asBob = await call(server, FLUNDERS, { cert: bob, headers: { 'X-Remote-User': 'alice' } });
    expect(asBob.status).toBe(403);
    expect(asBob.json().message).toContain('User "bob" cannot list resource "flunders"');

    // A certificate named like the front proxy but from another CA: not trusted.
    const other = createCA('not-the-front-proxy-ca');
    const impostor = createClientCert(other, { commonName: 'front-proxy-client' });
    const fake = await call(server, FLUNDERS, { cert: impostor, headers: { 'X-Remote-User': 'alice' } });
    expect(fake.status).toBe(401);
  });

  it('rejects a client certificate from another CA', async () => {
    const other = createCA('some-other-ca');
    const alice = createClientCert(other, { commonName: 'alice', organizations: ['system:masters'] });
    const res = await call(server, FLUNDERS, { cert: alice });
    expect(res.status).toBe(401);
  });

  it('lets system:masters in without asking (the cluster admin certificate)', async () => {
    const res = await call(server, FLUNDERS, { cert: { cert: cluster.admin.certPem, key: cluster.admin.keyPem } });
    expect(res.status).toBe(200);
  });

  it('gets the client certificate of a Go client (kubectl): the TLS layer names no acceptable CA it would filter by', () => {
    const b64 = (pem: string): string => Buffer.from(pem).toString('base64');
    const kubeconfig = join(server.dir, 'admin-of-cluster.kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'wardle', cluster: { server: server.url, 'insecure-skip-tls-verify': true } }],
        users: [{ name: 'admin', user: { 'client-certificate-data': b64(cluster.admin.certPem), 'client-key-data': b64(cluster.admin.keyPem) } }],
        contexts: [{ name: 'wardle', context: { cluster: 'wardle', user: 'admin' } }],
        'current-context': 'wardle',
      }),
    );
    expect(new Kubectl(kubeconfig).ok(['get', 'flunders', '-n', 'default', '-o', 'name'])).toBeDefined();
  });

  it('authenticates a ServiceAccount token with TokenReview; its RBAC decides', async () => {
    kubectl.ok(['create', 'serviceaccount', 'robot', '-n', 'default']);
    const token = kubectl.ok(['create', 'token', 'robot', '-n', 'default']).trim();
    const bearer = { headers: { Authorization: `Bearer ${token}` } };
    const forbidden = await call(server, FLUNDERS, bearer);
    expect(forbidden.status).toBe(403);
    expect(forbidden.json().message).toContain('User "system:serviceaccount:default:robot" cannot list resource "flunders"');

    kubectl.ok(['create', 'rolebinding', 'robot-reads-flunders', '-n', 'default', '--clusterrole=wardle-reader', '--serviceaccount=default:robot']);
    await eventually('the robot may list flunders', async () => (await call(server, FLUNDERS, bearer)).status === 200);

    const bad = await call(server, FLUNDERS, { headers: { Authorization: `Bearer ${token.slice(0, -4)}abcd` } });
    expect(bad.status).toBe(401);
  });

  it('follows changes of the ConfigMap: a CA added to client-ca-file is trusted without a restart', async () => {
    const newCA = createCA('added-client-ca');
    const dave = createClientCert(newCA, { commonName: 'dave' });
    expect((await call(server, FLUNDERS, { cert: dave })).status).toBe(401);

    const configMap = JSON.parse(kubectl.ok(['get', 'configmap', '-n', 'kube-system', 'extension-apiserver-authentication', '-o', 'json'])) as {
      data: Record<string, string>;
    };
    const bundle = `${configMap.data['client-ca-file']!.trimEnd()}\n${newCA.cert}`;
    kubectl.ok(['patch', 'configmap', '-n', 'kube-system', 'extension-apiserver-authentication', '--type=merge', '-p', JSON.stringify({ data: { 'client-ca-file': bundle } })]);
    await eventually('dave authenticated by the added CA', async () => (await call(server, FLUNDERS, { cert: dave })).status === 403, 20_000);
    expect((await call(server, FLUNDERS, { cert: dave })).json().message).toContain('User "dave" cannot list');
  });
});
