/**
 * The one place @kapi/apiserver loads @kubernetes/client-node. client-node is ESM-only and this
 * package compiles to CommonJS: its types come in with a resolution-mode import, its code through
 * a real dynamic import() (kept as such by module NodeNext), loaded once and shared.
 */
import http from 'node:http';
import https from 'node:https';

export type ClientNode = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } });
export type KubeConfig = InstanceType<ClientNode['KubeConfig']>;

let loading: Promise<ClientNode> | undefined;

/** client-node's module, imported on first use. */
export function loadClientNode(): Promise<ClientNode> {
  loading ??= import('@kubernetes/client-node').catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

export interface LoadKubeConfigOptions {
  /** Use this context instead of the file's current-context. */
  context?: string;
}

/**
 * A KubeConfig from a kubeconfig file, or, without a path, the in-cluster configuration (the pod's
 * ServiceAccount token and CA, KUBERNETES_SERVICE_HOST/PORT), as Go's clientcmd does for
 * --kubeconfig="" when running in a pod.
 */
export async function loadKubeConfig(path?: string, opts: LoadKubeConfigOptions = {}): Promise<KubeConfig> {
  const k8s = await loadClientNode();
  const kc = new k8s.KubeConfig();
  if (path) {
    kc.loadFromFile(path);
  } else {
    if (!process.env['KUBERNETES_SERVICE_HOST']) {
      throw new Error('no kubeconfig given and not running in a cluster (KUBERNETES_SERVICE_HOST is not set)');
    }
    kc.loadFromCluster();
  }
  if (opts.context) kc.setCurrentContext(opts.context);
  if (!kc.getCurrentCluster()) throw new Error(`the kubeconfig ${path ?? '(in-cluster)'} has no current cluster`);
  return kc;
}

/** A host cluster answer that was not 2xx (its Status message when it sent one). */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export interface KubeRestClientOptions {
  /** Per request; default 10 s (Go's delegated authn/authz client timeout). */
  timeoutMs?: number;
}

/**
 * JSON requests to the host cluster with the credentials the KubeConfig applies (client
 * certificates, tokens, exec plugins, in-cluster ServiceAccount) over one keep-alive connection
 * pool, with a timeout per request: what TokenReview and SubjectAccessReview calls need on the
 * hot path (client-node's generated clients open a new agent per call and have no timeout).
 */
export class KubeRestClient {
  private readonly server: URL;
  private readonly timeoutMs: number;
  private agent: https.Agent | http.Agent | undefined;

  constructor(
    readonly kubeConfig: KubeConfig,
    opts: KubeRestClientOptions = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
  }

  /** GET a path; resolves to the parsed body. */
  async get<T>(path: string): Promise<T> {
    return JSON.parse(await this.send('GET', path)) as T;
  }

  /** GET a path that answers plain text (e.g. /readyz); resolves to the body. */
  getText(path: string): Promise<string> {
    return this.send('GET', path);
  }

  /** POST a JSON body (e.g. a TokenReview); resolves to the parsed answer. */
  async post<T>(path: string, body: object): Promise<T> {
    return JSON.parse(await this.send('POST', path, JSON.stringify(body))) as T;
  }

  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private async send(method: string, path: string, payload?: string): Promise<string> {
    const opts: https.RequestOptions = {};
    // Credentials per request (tokens may be refreshed); the connection pool is ours.
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const secure = this.server.protocol !== 'http:';
    this.agent ??= secure
      ? new https.Agent({
          keepAlive: true,
          ...(opts.ca ? { ca: opts.ca } : {}),
          ...(opts.cert ? { cert: opts.cert } : {}),
          ...(opts.key ? { key: opts.key } : {}),
          ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
          ...(opts.servername ? { servername: opts.servername } : {}),
        })
      : new http.Agent({ keepAlive: true });
    const applied = opts.headers && !Array.isArray(opts.headers) ? (opts.headers as http.OutgoingHttpHeaders) : {};
    const headers: http.OutgoingHttpHeaders = { ...applied, Accept: 'application/json' };
    if (payload !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    const base = this.server.pathname.replace(/\/$/, '');
    const transport = secure ? https : http;
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = transport.request(
        { ...opts, agent: this.agent, method, protocol: this.server.protocol, hostname: this.server.hostname, port: this.server.port, path: base + path, headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out after ${this.timeoutMs} ms`)));
      req.on('error', (err) => reject(new Error(`${method} ${path}: ${err.message}`)));
      req.end(payload);
    });
    if (status < 200 || status > 299) {
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // not a Status
      }
      throw new KubeApiError(status, `${method} ${path}: ${status} ${message}`);
    }
    return text;
  }
}

export interface RetryOptions {
  /** Tries in all; default 3. */
  attempts?: number;
  /** Wait before the second try, ×1.5 each further try; default 200 ms. */
  delayMs?: number;
}

/**
 * Runs `call` again after a network error, a 5xx or a 429 (Go's webhook clients retry the same
 * way, with a backoff), and rethrows the last error.
 */
export async function withRetry<T>(call: () => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 3;
  let delay = opts.delayMs ?? 200;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const retriable = !(err instanceof KubeApiError) || err.code >= 500 || err.code === 429;
      if (!retriable || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay *= 1.5;
    }
  }
}
