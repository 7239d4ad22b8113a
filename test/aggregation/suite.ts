/**
 * The aggregation path end to end: kubectl → kube-apiserver (real, v1.37.2, RBAC, front proxy)
 * → the sample server (delegated authentication and authorization) → its storage. One cluster
 * and one sample server for the file, registered through an ExternalName Service (wardle/api →
 * localhost:<port>) and an APIService per version, as `npm run local-up` does.
 *
 * kube-apiserver comes from hack/build-kube.sh (cached in ~/.cache/kapi/bin). Timings
 * on this project's 2-core machine (go1.26, v1.37.2; the script prints "took …"), 2026-11-25:
 *   - first build on a fresh machine (empty GOMODCACHE and GOCACHE, 550 MB of modules fetched,
 *     2.7 GB build cache written): 6 min 21 s — measured niced while a jest suite shared the two
 *     cores; shared/ECOSYSTEM.md reports 4 min 36 s on an idle machine.
 *   - the same build with the Go caches warm (binary deleted): 10 s.
 *   - binary in ~/.cache/kapi/bin: reused at once; this suite then takes about 60 s
 *     (cluster + server + registration ≈ 8 s, the two RBAC tests ≈ 10 s each because denied
 *     SubjectAccessReviews are cached for 10 s, the kube-apiserver restart ≈ 13 s).
 * beforeAll allows 15 minutes so that the first run, which builds kube-apiserver, fits.
 *
 * The suite runs once per storage backend of the sample server (aggregation.test.ts: sqlite;
 * aggregation-crd.test.ts: crd, its objects kept as custom resources of the same cluster).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerAPIServices, waitForAPIServicesAvailable } from '@kapi/apiserver/aggregation';
import { createCA, createClientCert } from '@kapi/apiserver/security';
import { Kubectl } from '../e2e/kubectl.js';
import { httpsRequest, startAggregated, WARDLE, type Aggregated, type AggregatedOptions, type HttpsResult } from './aggregated.js';

/** Everything below, against a sample server on `storageBackend`. */
export function describeAggregation(storageBackend: NonNullable<AggregatedOptions['storageBackend']>): void {
jest.setTimeout(120_000);

const FIRST_RUN_TIMEOUT_MS = 15 * 60 * 1000;
const VERSIONS = ['v1alpha1', 'v1beta1'] as const;
type Version = (typeof VERSIONS)[number];

let env: Aggregated;
let kubectl: Kubectl;
let files: string;

beforeAll(async () => {
  env = await startAggregated({ storageBackend });
  kubectl = new Kubectl(env.cluster.kubeconfig);
  files = mkdtempSync(join(tmpdir(), 'kapi-aggregation-'));
}, FIRST_RUN_TIMEOUT_MS);

afterAll(async () => {
  await env?.stop();
  if (files) rmSync(files, { recursive: true, force: true });
});

/** Writes a manifest to a file and returns its path. */
function manifest(name: string, text: string): string {
  const path = join(files, name);
  writeFileSync(path, text);
  return path;
}

function flunder(version: Version, name: string, namespace: string, reference: string, labels: Record<string, string> = {}): string {
  const spec = version === 'v1alpha1' ? `  reference: ${reference}\n` : `  referenceType: Flunder\n  flunderReference: ${reference}\n`;
  const labelLines = Object.entries(labels).map(([k, v]) => `    ${k}: "${v}"\n`).join('');
  return `apiVersion: wardle.example.com/${version}
kind: Flunder
metadata:
  name: ${name}
  namespace: ${namespace}
${labelLines ? `  labels:\n${labelLines}` : ''}spec:
${spec}`;
}

/** The spec field that holds the reference in each version. */
const referenceField = (version: Version): string => (version === 'v1alpha1' ? 'reference' : 'flunderReference');

/** A request straight to the sample server (not through kube-apiserver), verified against its serving CA. */
function direct(path: string, opts: { method?: string; cert?: string; key?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpsResult> {
  return httpsRequest(env.server.url + path, { ca: env.servingCA.cert, ...opts });
}

/** Retries `attempt` until it returns true (authorization answers are cached for 10 s). */
async function eventually(what: string, attempt: () => Promise<boolean> | boolean, timeoutMs = 30_000, intervalMs = 500): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await attempt()) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

const statusOf = (res: HttpsResult): { reason?: string; message?: string; code?: number } => {
  try {
    return JSON.parse(res.body) as { reason?: string; message?: string; code?: number };
  } catch {
    return {};
  }
};

describe('registration', () => {
  it('makes every APIService Available=True, pointing at the ExternalName Service', () => {
    for (const version of WARDLE.versions) {
      const name = `${version}.${WARDLE.group}`;
      const available = kubectl.ok(['get', 'apiservice', name, '-o', 'jsonpath={.status.conditions[?(@.type=="Available")].status}']);
      expect(`${name} ${available}`).toBe(`${name} True`);
      expect(kubectl.ok(['get', 'apiservice', name, '-o', 'jsonpath={.spec.service.namespace}/{.spec.service.name}:{.spec.service.port}'])).toBe(
        `wardle/api:${env.server.port}`,
      );
    }
    expect(kubectl.ok(['get', 'service', 'api', '-n', 'wardle', '-o', 'jsonpath={.spec.type} {.spec.externalName}'])).toBe('ExternalName localhost');
  });

  it('registers again over existing objects (replace), and they stay Available', async () => {
    const result = await registerAPIServices(env.cluster.kubeconfig, env.objects);
    expect(result.applied.map((a) => `${a.kind} ${a.action}`)).toEqual([
      'Namespace kept',
      'ClusterRoleBinding replaced',
      'RoleBinding replaced',
      'Service replaced',
      'APIService replaced',
      'APIService replaced',
    ]);
    const conditions = await waitForAPIServicesAvailable(env.cluster.kubeconfig, env.objects, { timeoutMs: 30_000 });
    expect(Object.keys(conditions).sort()).toEqual(['v1alpha1.wardle.example.com', 'v1beta1.wardle.example.com']);
  });
});

describe('discovery and OpenAPI through kube-apiserver', () => {
  it('lists flunders and fischers in kubectl api-resources', () => {
    const out = kubectl.ok(['api-resources', '--api-group=wardle.example.com']);
    expect(out).toMatch(/^fischers\s+wardle\.example\.com\/v1alpha1\s+false\s+Fischer$/m);
    expect(out).toMatch(/^flunders\s+fl\s+wardle\.example\.com\/v1beta1\s+true\s+Flunder$/m);
  });

  it('explains flunders.spec from kube-apiserver’s merged OpenAPI v3', async () => {
    // kube-apiserver's OpenAPI v3 aggregation controller fetches our documents on its own schedule, after Available.
    await eventually('kube-apiserver publishes apis/wardle.example.com/<version> in /openapi/v3', () => {
      const result = kubectl.run(['get', '--raw', '/openapi/v3']);
      if (result.code !== 0) return false;
      const paths = Object.keys((JSON.parse(result.stdout) as { paths: Record<string, unknown> }).paths);
      return WARDLE.versions.every((v) => paths.includes(`apis/${WARDLE.group}/${v}`));
    }, 90_000);
    const out = kubectl.ok(['explain', 'flunders.spec']);
    expect(out).toMatch(/GROUP:\s+wardle\.example\.com/);
    expect(out).toMatch(/KIND:\s+Flunder/);
    expect(out).toMatch(/VERSION:\s+v1beta1/);
    expect(out).toContain('flunderReference');
    const alpha = kubectl.ok(['explain', 'flunders.spec', '--api-version=wardle.example.com/v1alpha1']);
    expect(alpha).toMatch(/VERSION:\s+v1alpha1/);
    expect(alpha).toMatch(/^\s+reference\s+<string>/m);
  });
});

describe.each(VERSIONS)('flunders.%s through kube-apiserver', (version) => {
  const resource = `flunders.${version}.wardle.example.com`;
  const ns = `crud-${version}`;

  beforeAll(() => {
    kubectl.ok(['create', 'namespace', ns]);
  });

  it('creates, gets, lists, patches and deletes', () => {
    const field = referenceField(version);
    expect(kubectl.ok(['create', '-f', manifest(`${version}-one.yaml`, flunder(version, 'one', ns, 'a'))])).toBe('flunder.wardle.example.com/one created\n');
    kubectl.ok(['create', '-f', manifest(`${version}-two.yaml`, flunder(version, 'two', ns, 'b'))]);

    const got = JSON.parse(kubectl.ok(['get', resource, 'one', '-n', ns, '-o', 'json'])) as {
      apiVersion: string;
      metadata: { uid: string; namespace: string };
      spec: Record<string, string>;
    };
    expect(got.apiVersion).toBe(`wardle.example.com/${version}`);
    expect(got.metadata.namespace).toBe(ns);
    expect(got.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(got.spec[field]).toBe('a');

    expect(kubectl.ok(['get', resource, '-n', ns, '-o', 'name']).trim().split('\n')).toEqual([
      'flunder.wardle.example.com/one',
      'flunder.wardle.example.com/two',
    ]);
    const table = kubectl.ok(['get', resource, '-n', ns]);
    expect(table).toMatch(/^NAME\s+REFERENCE TYPE\s+AGE$/m);
    expect(table).toMatch(/^one\s+Flunder\s+\d+s$/m);
    expect(kubectl.ok(['get', resource, '-A', '-o', 'name'])).toContain('flunder.wardle.example.com/one');

    expect(kubectl.ok(['patch', resource, 'one', '-n', ns, '--type', 'merge', '-p', JSON.stringify({ spec: { [field]: 'patched' } })])).toBe(
      'flunder.wardle.example.com/one patched\n',
    );
    expect(kubectl.ok(['get', resource, 'one', '-n', ns, '-o', `jsonpath={.spec.${field}}`])).toBe('patched');
    kubectl.ok(['patch', resource, 'one', '-n', ns, '--type', 'json', '-p', JSON.stringify([{ op: 'replace', path: `/spec/${field}`, value: 'json' }])]);
    expect(kubectl.ok(['get', resource, 'one', '-n', ns, '-o', `jsonpath={.spec.${field}}`])).toBe('json');

    expect(kubectl.ok(['delete', resource, 'one', 'two', '-n', ns])).toBe(
      'flunder.wardle.example.com "one" deleted\nflunder.wardle.example.com "two" deleted\n',
    );
    expect(kubectl.fails(['get', resource, 'one', '-n', ns])).toContain('Error from server (NotFound): flunders.wardle.example.com "one" not found');
  });

  it('streams ADDED, MODIFIED and DELETED to kubectl get -w', async () => {
    const field = referenceField(version);
    const watch = kubectl.stream(['get', resource, '-n', ns, '-w', '--output-watch-events', '-l', `watched=${version}`]);
    try {
      // Give the watch a moment to be established before the first event.
      await new Promise((r) => setTimeout(r, 1_000));
      kubectl.ok(['create', '-f', manifest(`${version}-watched.yaml`, flunder(version, 'watched', ns, 'a', { watched: version }))]);
      await watch.waitFor((l) => /^ADDED\s+watched\s/.test(l));
      kubectl.ok(['patch', resource, 'watched', '-n', ns, '--type', 'merge', '-p', JSON.stringify({ spec: { [field]: 'b' } })]);
      await watch.waitFor((l) => /^MODIFIED\s+watched\s/.test(l));
      kubectl.ok(['delete', resource, 'watched', '-n', ns]);
      await watch.waitFor((l) => /^DELETED\s+watched\s/.test(l));
    } finally {
      await watch.stop();
    }
  });
});

describe('delegated authorization (SubjectAccessReview) and authentication (front proxy, TokenReview)', () => {
  const ns = 'rbac-test';
  const path = `/apis/wardle.example.com/v1beta1/namespaces/${ns}/flunders`;

  beforeAll(() => {
    kubectl.ok(['create', 'namespace', ns]);
  });

  /** As kube-apiserver's front proxy: its client certificate, and the user in X-Remote-User. */
  const asFrontProxy = (user: string, groups: string[] = []): Promise<HttpsResult> =>
    direct(path, {
      cert: env.cluster.frontProxy.clientCertPem,
      key: env.cluster.frontProxy.clientKeyPem,
      headers: { 'X-Remote-User': user, ...(groups.length ? { 'X-Remote-Group': groups.join(',') } : {}) },
    });

  it('forbids a user with no binding (403), and allows them after a RoleBinding', async () => {
    // Through kube-apiserver, impersonated: kubectl --as=alice.
    const denied = kubectl.fails(['--as=alice', 'get', 'flunders', '-n', ns]);
    expect(denied).toContain('Error from server (Forbidden)');
    expect(denied).toContain('User "alice" cannot list resource "flunders" in API group "wardle.example.com"');

    // Straight to the sample server as the front proxy: the 403 is the sample server's own, from its SubjectAccessReview.
    const direct403 = await asFrontProxy('alice');
    expect(direct403.status).toBe(403);
    expect(statusOf(direct403)).toMatchObject({ reason: 'Forbidden', code: 403 });
    expect(statusOf(direct403).message).toContain('User "alice" cannot list resource "flunders" in API group "wardle.example.com"');

    kubectl.ok(['create', 'role', 'flunder-editor', '-n', ns, '--verb=get,list,watch,create,delete', '--resource=flunders.wardle.example.com']);
    kubectl.ok(['create', 'rolebinding', 'alice-flunders', '-n', ns, '--role=flunder-editor', '--user=alice']);

    await eventually('alice may list flunders straight at the sample server', async () => (await asFrontProxy('alice')).status === 200);
    await eventually('kubectl --as=alice get flunders', () => kubectl.run(['--as=alice', 'get', 'flunders', '-n', ns]).code === 0);
    kubectl.ok(['--as=alice', 'create', '-f', manifest('alice.yaml', flunder('v1alpha1', 'alices', ns, 'x'))]);
    expect(kubectl.ok(['--as=alice', 'get', 'flunders', '-n', ns, '-o', 'name'])).toBe('flunder.wardle.example.com/alices\n');
    // The binding is namespaced: another namespace stays forbidden.
    expect(kubectl.fails(['--as=alice', 'get', 'flunders', '-n', 'default'])).toContain('Forbidden');
  });

  it('authenticates a ServiceAccount token with TokenReview, then authorizes it with SubjectAccessReview', async () => {
    kubectl.ok(['create', 'serviceaccount', 'reader', '-n', ns]);
    const token = kubectl.ok(['create', 'token', 'reader', '-n', ns, '--duration=10m']).trim();
    const bearer = { headers: { Authorization: `Bearer ${token}` } };

    const forbidden = await direct(path, bearer);
    expect(forbidden.status).toBe(403);
    expect(statusOf(forbidden).message).toContain(`User "system:serviceaccount:${ns}:reader" cannot list resource "flunders"`);

    kubectl.ok(['create', 'role', 'flunder-reader', '-n', ns, '--verb=get,list', '--resource=flunders.wardle.example.com']);
    kubectl.ok(['create', 'rolebinding', 'reader-flunders', '-n', ns, '--role=flunder-reader', `--serviceaccount=${ns}:reader`]);
    let last: HttpsResult | undefined;
    await eventually('the ServiceAccount may list flunders', async () => {
      last = await direct(path, bearer);
      return last.status === 200;
    });
    expect(JSON.parse(last!.body)).toMatchObject({ kind: 'FlunderList', apiVersion: 'wardle.example.com/v1beta1' });

    // A token kube-apiserver did not issue is not authenticated.
    const bogus = await direct(path, { headers: { Authorization: 'Bearer not-a-real-token' } });
    expect(bogus.status).toBe(401);
  });
});

describe('security straight at the sample server', () => {
  const path = '/apis/wardle.example.com/v1beta1/flunders';

  it('ignores X-Remote-User without a verified front-proxy client certificate', async () => {
    const headers = { 'X-Remote-User': 'system:admin', 'X-Remote-Group': 'system:masters' };
    const res = await direct(path, { headers });
    expect([401, 403]).toContain(res.status);
    const message = statusOf(res).message ?? '';
    expect(message).not.toContain('system:admin');
    if (res.status === 403) expect(message).toContain('system:anonymous');

    const create = await direct('/apis/wardle.example.com/v1beta1/namespaces/default/flunders', {
      method: 'POST',
      headers,
      body: JSON.stringify({ apiVersion: 'wardle.example.com/v1beta1', kind: 'Flunder', metadata: { name: 'sneaky' } }),
    });
    expect([401, 403]).toContain(create.status);
    expect(kubectl.run(['get', 'flunder', 'sneaky', '-n', 'default']).code).not.toBe(0);
  });

  it('refuses client certificates from another CA (401), as a user or as the front proxy', async () => {
    const rogueCA = createCA('rogue-ca');
    const asMaster = createClientCert(rogueCA, { commonName: 'system:admin', organizations: ['system:masters'] });
    const res = await direct(path, { cert: asMaster.cert, key: asMaster.key });
    expect(res.status).toBe(401);

    const asProxy = createClientCert(rogueCA, { commonName: 'front-proxy-client' });
    const proxied = await direct(path, { cert: asProxy.cert, key: asProxy.key, headers: { 'X-Remote-User': 'system:admin', 'X-Remote-Group': 'system:masters' } });
    expect(proxied.status).toBe(401);
  });

  it('serves a client certificate of the cluster CA only as what it says (no masters from a header)', async () => {
    // The cluster admin certificate is trusted (client-ca-file of the ConfigMap): the request is served.
    const admin = await direct(path, { cert: env.cluster.admin.certPem, key: env.cluster.admin.keyPem });
    expect(admin.status).toBe(200);
  });
});

describe('kube-apiserver restart', () => {
  it('keeps serving, reports not ready on /readyz while kube-apiserver is down, and recovers', async () => {
    const readyz: number[] = [];
    const livez: number[] = [];
    let polling = true;
    const poll = (async () => {
      while (polling) {
        const [r, l] = await Promise.all([
          direct('/readyz').then((res) => res.status, () => -1),
          direct('/livez').then((res) => res.status, () => -1),
        ]);
        readyz.push(r);
        livez.push(l);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    try {
      await env.cluster.restartApiserver();
      // kube-apiserver is back: the sample server becomes ready again.
      await eventually('/readyz ok after the restart', () => readyz.length > 0 && readyz[readyz.length - 1] === 200, 60_000, 200);
    } finally {
      polling = false;
      await poll;
    }

    const summary = (codes: number[]): string => codes.map(String).join(' ').replace(/\b(\d+)( \1\b)+/g, (m, c: string) => `${c}×${m.split(' ').length}`);
    // Not ready at some point while kube-apiserver was down (5xx, as k8s answers a failed /readyz).
    expect(readyz.some((s) => s >= 500) ? 'saw not ready' : `never not ready: /readyz ${summary(readyz)}`).toBe('saw not ready');
    expect(readyz.filter((s) => s !== 200 && s < 500)).toEqual([]);
    // It kept serving throughout: every /livez was answered 200.
    expect(livez.every((s) => s === 200) ? 'always live' : `/livez ${summary(livez)}`).toBe('always live');
    expect(readyz[readyz.length - 1]).toBe(200);

    await eventually('kubectl get flunders through kube-apiserver', () => kubectl.run(['get', 'flunders', '-A']).code === 0, 60_000, 1_000);
    kubectl.ok(['create', '-f', manifest('after-restart.yaml', flunder('v1beta1', 'after-restart', 'default', 'a'))]);
    expect(kubectl.ok(['get', 'flunder', 'after-restart', '-n', 'default', '-o', 'name'])).toBe('flunder.wardle.example.com/after-restart\n');
  });
});
}
