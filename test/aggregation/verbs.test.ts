/**
 * The verb authorized is the verb served. A user whom RBAC allows only to `watch` flunders must
 * never receive a list, and one allowed only to `list` never a watch, whatever form `?watch=`
 * takes. Go reads `watch` with one rule for authorization and for serving
 * (k8s.io/apimachinery runtime.Convert_Slice_string_To_bool: the first value decides; only "0"
 * and "false", in any case, are false; "" and "yes" are true). The same table runs on:
 *   - kapi's sample server through a real kube-apiserver (impersonating the user: kube-apiserver
 *     authorizes first, then the aggregated server authorizes again with a SubjectAccessReview);
 *   - kapi's sample server straight, as the front proxy (only kapi's own reading decides);
 *   - the Go sample-apiserver straight, as the front proxy: the control that the table is Go's.
 * Before the one RequestInfo, kapi authorized `?watch=` and `?watch=1&watch=0` as a watch and
 * served a list, and answered `?watch=yes` 400.
 */
import { Kubectl } from '../e2e/kubectl.js';
import { startGoSampleServer, type GoServer } from '../e2e/go-sample-server.js';
import { httpsRequest, startAggregated, type Aggregated, type HttpsResult } from './aggregated.js';

jest.setTimeout(120_000);

const NS = 'verbs';
const COLLECTION = `/apis/wardle.example.com/v1beta1/namespaces/${NS}/flunders`;
/** Forms of `watch` Go reads as true, then as false. */
const WATCH_FORMS = ['watch=1', 'watch=true', 'watch=True', 'watch=', 'watch', 'watch=yes', 'watch=1&watch=0'];
const LIST_FORMS = ['watch=0', 'watch=false', 'watch=FALSE', 'watch=0&watch=1'];

type Seen = 'watch' | 'list' | 'forbidden' | string;

/** What the user was given: a watch stream, a list, a 403, or something else (named with its status). */
function seen(res: HttpsResult): Seen {
  if (res.status === 403) return 'forbidden';
  if (res.status !== 200) return `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
  const lines = res.body.split('\n').filter((l) => l.trim() !== '');
  try {
    const parsed = lines.map((l) => JSON.parse(l) as { kind?: string; type?: string });
    if (parsed.length === 1 && parsed[0]!.kind === 'FlunderList') return 'list';
    if (parsed.length > 0 && parsed.every((e) => typeof e.type === 'string')) return 'watch';
  } catch {
    // neither
  }
  return `200 with ${res.body.slice(0, 200)}`;
}

/** Each form → what `user` is given by `ask`. */
async function table(user: string, ask: (path: string, user: string) => Promise<HttpsResult>): Promise<Record<string, Seen>> {
  const result: Record<string, Seen> = {};
  for (const form of [...WATCH_FORMS, ...LIST_FORMS]) result[form] = seen(await ask(`${COLLECTION}?${form}&timeoutSeconds=1`, user));
  return result;
}

function expected(allowed: 'watch' | 'list'): Record<string, Seen> {
  const result: Record<string, Seen> = {};
  for (const form of WATCH_FORMS) result[form] = allowed === 'watch' ? 'watch' : 'forbidden';
  for (const form of LIST_FORMS) result[form] = allowed === 'list' ? 'list' : 'forbidden';
  return result;
}

let env: Aggregated;
let kubectl: Kubectl;
let go: GoServer;

beforeAll(async () => {
  env = await startAggregated({ storageBackend: 'sqlite' });
  kubectl = new Kubectl(env.cluster.kubeconfig);
  kubectl.ok(['create', 'namespace', NS]);
  for (const verb of ['watch', 'list']) {
    kubectl.ok(['create', 'clusterrole', `flunder-${verb}`, `--verb=${verb}`, '--resource=flunders.wardle.example.com']);
    kubectl.ok(['create', 'clusterrolebinding', `${verb}er-flunders`, `--clusterrole=flunder-${verb}`, `--user=${verb}er`]);
  }
  // RBAC is an informer in kube-apiserver: ask until it says yes, so no denial is cached by the servers.
  for (const verb of ['watch', 'list']) {
    const deadline = Date.now() + 30_000;
    while (kubectl.run(['auth', 'can-i', verb, 'flunders.wardle.example.com', '-n', NS, `--as=${verb}er`]).code !== 0) {
      if (Date.now() > deadline) throw new Error(`RBAC for ${verb}er not in effect`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  const flunder = JSON.stringify({ apiVersion: 'wardle.example.com/v1beta1', kind: 'Flunder', metadata: { name: 'seen', namespace: NS }, spec: {} });
  go = await startGoSampleServer(env.cluster, NS);
  const created = await go.asUser(COLLECTION, 'admin', ['system:masters'], { method: 'POST', body: flunder });
  if (created.status !== 201) throw new Error(`create on the Go server: ${created.status} ${created.body}`);
  const createdOnKapi = await direct(COLLECTION, 'admin', ['system:masters'], { method: 'POST', body: flunder });
  if (createdOnKapi.status !== 201) throw new Error(`create on kapi: ${createdOnKapi.status} ${createdOnKapi.body}`);
}, 15 * 60_000);

afterAll(async () => {
  await go?.stop();
  await env?.stop();
});

/** Straight to kapi's sample server as kube-apiserver's front proxy. */
function direct(path: string, user: string, groups: string[] = [], opts: { method?: string; body?: string } = {}): Promise<HttpsResult> {
  return httpsRequest(env.server.url + path, {
    ca: env.servingCA.cert,
    cert: env.cluster.frontProxy.clientCertPem,
    key: env.cluster.frontProxy.clientKeyPem,
    headers: { 'X-Remote-User': user, ...(groups.length ? { 'X-Remote-Group': groups.join(',') } : {}) },
    ...opts,
  });
}

/** Through kube-apiserver, impersonating `user` with the cluster admin's certificate. */
function throughKubeApiserver(path: string, user: string): Promise<HttpsResult> {
  return httpsRequest(env.cluster.server + path, {
    ca: env.cluster.caPem,
    cert: env.cluster.admin.certPem,
    key: env.cluster.admin.keyPem,
    headers: { 'Impersonate-User': user },
  });
}

describe.each(['watch', 'list'] as const)('a user allowed only to %s flunders', (allowed) => {
  const user = `${allowed}er`;

  it('is given exactly that by the Go sample-apiserver (the control)', async () => {
    expect(await table(user, (path, u) => go.asUser(path, u))).toEqual(expected(allowed));
  });

  it('is given exactly that by kapi, asked straight as the front proxy', async () => {
    expect(await table(user, direct)).toEqual(expected(allowed));
  });

  it('is given exactly that by kapi through kube-apiserver', async () => {
    expect(await table(user, throughKubeApiserver)).toEqual(expected(allowed));
  });
});
