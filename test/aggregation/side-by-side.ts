/**
 * kapi's sample server and the Go sample-apiserver asked the same, as kube-apiserver's front proxy
 * asks them for admin: the admission suites (webhooks, policies) compare their answers. Each case
 * has a namespace of its own labelled kapi-case=<case>, which its webhook or binding selects.
 */
import { Kubectl } from '../e2e/kubectl.js';
import { startGoSampleServer, type GoServer } from '../e2e/go-sample-server.js';
import { httpsRequest, startAggregated, type Aggregated, type HttpsResult } from './aggregated.js';

export type Server = 'kapi' | 'go';
export const SERVERS: readonly Server[] = ['kapi', 'go'];
export const GROUP = 'wardle.example.com';

export interface Answer {
  status: number;
  reason?: string;
  message?: string;
  body: Record<string, unknown>;
  /** The Warning headers' texts. */
  warnings: string[];
}

export interface CreateOptions {
  version?: string;
  labels?: Record<string, string>;
  dryRun?: boolean;
}

export const flunder = (name: string, namespace: string, opts: Omit<CreateOptions, 'dryRun'> = {}): Record<string, unknown> => ({
  apiVersion: `${GROUP}/${opts.version ?? 'v1beta1'}`,
  kind: 'Flunder',
  metadata: { name, namespace, ...(opts.labels ? { labels: opts.labels } : {}) },
  spec: {},
});

/** The cluster with kapi's sample server aggregated (sqlite, `serverArgs` added), and the Go sample-apiserver beside it. */
export async function startSideBySide(serverArgs: string[] = []): Promise<{ env: Aggregated; kubectl: Kubectl; go: GoServer; servers: SideBySide }> {
  const env = await startAggregated({ storageBackend: 'sqlite', serverArgs });
  const kubectl = new Kubectl(env.cluster.kubeconfig);
  // The Go server is ready once it answers a namespaced list (its NamespaceLifecycle informer synced).
  kubectl.ok(['create', 'namespace', 'ready']);
  const go = await startGoSampleServer(env.cluster, 'ready');
  return { env, kubectl, go, servers: new SideBySide(env, go) };
}

export class SideBySide {
  constructor(
    private readonly env: Aggregated,
    private readonly go: GoServer,
  ) {}

  /** A request to `server` as kube-apiserver's front proxy sends it for admin. */
  async ask(server: Server, path: string, opts: { method?: string; body?: unknown } = {}): Promise<Answer> {
    const init = { method: opts.method ?? 'GET', ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}), timeoutMs: 20_000 };
    const res: HttpsResult =
      server === 'go'
        ? await this.go.asUser(path, 'admin', ['system:masters'], init)
        : await httpsRequest(this.env.server.url + path, {
            ...init,
            ca: this.env.servingCA.cert,
            cert: this.env.cluster.frontProxy.clientCertPem,
            key: this.env.cluster.frontProxy.clientKeyPem,
            headers: { 'X-Remote-User': 'admin', 'X-Remote-Group': 'system:masters' },
          });
    const body = JSON.parse(res.body) as Record<string, unknown>;
    const warning = res.headers['warning'];
    const warnings = (Array.isArray(warning) ? warning : warning ? [warning] : []).map((w) => w.replace(/^299 - "(.*)"$/, '$1'));
    return { status: res.status, reason: body['reason'] as string | undefined, message: body['message'] as string | undefined, body, warnings };
  }

  /** Creates a flunder on `server` in `namespace`, named `<name>-<server>` so that both can hold it. */
  create(server: Server, namespace: string, name: string, opts: CreateOptions = {}): Promise<Answer> {
    const query = opts.dryRun ? '?dryRun=All' : '';
    return this.ask(server, `/apis/${GROUP}/${opts.version ?? 'v1beta1'}/namespaces/${namespace}/flunders${query}`, {
      method: 'POST',
      body: flunder(`${name}-${server}`, namespace, opts),
    });
  }
}

/** status, reason and message of an answer. */
export const statusOf = (a: Answer): [number, string | undefined, string | undefined] => [a.status, a.reason, a.message];

/** The whole Status body, with what differs between the servers by construction (the name carries the server) made equal. */
export const statusBodyOf = (a: Answer, server: Server): unknown => JSON.parse(JSON.stringify(a.body).replaceAll(`-${server}`, '-<server>'));

/**
 * Retries `attempt` on both servers at once until `done` holds for each: a webhook configuration
 * or policy reaching their informers.
 */
export async function eventually(attempt: (server: Server, n: number) => Promise<Answer>, done: (a: Answer, server: Server, n: number) => boolean): Promise<void> {
  await Promise.all(
    SERVERS.map(async (server) => {
      const deadline = Date.now() + 30_000;
      for (let n = 0; ; n++) {
        const a = await attempt(server, n);
        if (done(a, server, n)) return;
        if (Date.now() > deadline) throw new Error(`${server}: the admission configuration did not take effect: ${a.status} ${JSON.stringify(a.body)}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }),
  );
}

/** The namespace of one case, labelled kapi-case=<name>. */
export function caseNamespace(kubectl: Kubectl, name: string): void {
  kubectl.ok(['create', 'namespace', name]);
  kubectl.ok(['label', 'namespace', name, `kapi-case=${name}`]);
}
