/**
 * kapi's one client of a host cluster's REST API: JSON requests and watch streams over the
 * credentials a KubeConfig applies (client certificates, tokens, exec plugins, the in-cluster
 * ServiceAccount), on keep-alive connection pools of its own, with a timeout per request. The crd
 * storage backend keeps its objects through it; @kapi/apiserver's delegated authentication and
 * authorization (TokenReview, SubjectAccessReview, the extension-apiserver-authentication
 * ConfigMap) and APIService registration talk to the cluster through it.
 *
 * client-node's generated clients open a new agent per call, have no timeout, no resourceVersion
 * on a custom object's get and no way to read a watch's HTTP error body; requests are therefore
 * made here with node:http(s), with the options the KubeConfig applies to each one.
 */
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';
import type { KubeConfig } from './client-node.js';

/** A metav1.Status as the host sends it with an error. */
export interface KubeStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ reason?: string; message?: string; field?: string }>; retryAfterSeconds?: number };
}

/** A host answer that was not 2xx: its HTTP code and (when it sent one) its Status. */
export class KubeApiError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly status?: KubeStatus,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }

  /** The Status's reason (NotFound, AlreadyExists, Conflict, ...), '' without one. */
  get reason(): string {
    return this.status?.reason ?? '';
  }
}

/** Query parameters; undefined and '' values are left out. */
/** Query parameters; a list is sent as the parameter repeated (exec's command=sh&command=-c). */
export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface KubeWatchHandlers {
  /** One event of the stream ({type, object}). */
  event(type: string, object: Record<string, unknown>): void;
  /** The stream ended after it had started: `err` undefined when the server closed it normally. */
  end(err?: Error): void;
}

export interface KubeRestClientOptions {
  /** Per request (not per watch); default 10 s (Go's delegated authn/authz client timeout). */
  timeoutMs?: number;
  /** Bound on the sockets of requests (watches have a pool of their own, unbounded); default none. */
  maxSockets?: number;
  /**
   * Further tries of a request that never reached the server (a kept-alive socket the server had
   * closed, or nothing listening yet, e.g. a restarting host), 50 ms × n apart; default 4. Callers
   * with a retry policy of their own (the webhook clients) set 0.
   */
  unsentRetries?: number;
}

type Pool = 'requests' | 'watches';

export class KubeRestClient {
  private readonly server: URL;
  private readonly timeoutMs: number;
  private readonly maxSockets: number | undefined;
  private readonly unsentRetries: number;
  /** Each watch holds a socket for as long as it runs, so watches get a pool of their own without a
   * bound (else a bounded pool full of watches would make every request wait for a free socket). */
  private readonly agents: Partial<Record<Pool, http.Agent>> = {};

  constructor(
    readonly kubeConfig: KubeConfig,
    opts: KubeRestClientOptions = {},
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxSockets = opts.maxSockets;
    this.unsentRetries = opts.unsentRetries ?? 4;
  }

  /**
   * One JSON request; resolves to the parsed body ({} when empty), rejects with KubeApiError (or a
   * network error). `contentType` is the body's (default application/json; a patch names its kind:
   * application/merge-patch+json, json-patch+json, apply-patch+yaml).
   */
  async request<T>(method: string, path: string, query: Query = {}, body?: string | object, contentType?: string): Promise<T> {
    const text = await this.requestText(method, path, query, body, contentType);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** One request whose answer is returned as text (e.g. GET /readyz). */
  async requestText(method: string, path: string, query: Query = {}, body?: string | object, contentType = 'application/json'): Promise<string> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const { status, text } = await this.send(method, path, query, payload, contentType);
    if (status < 200 || status > 299) throw kubeApiError(status, text, `${method} ${path}`);
    return text;
  }

  /** GET a path; resolves to the parsed body. */
  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.request<T>('GET', path, query);
  }

  /** GET a path that answers plain text (e.g. /readyz); resolves to the body. */
  getText(path: string): Promise<string> {
    return this.requestText('GET', path);
  }

  /** POST a JSON body (e.g. a TokenReview); resolves to the parsed answer. */
  post<T>(path: string, body: object): Promise<T> {
    return this.request<T>('POST', path, {}, body);
  }

  /** PUT a JSON body (a replace); resolves to the parsed answer. */
  put<T>(path: string, body: object): Promise<T> {
    return this.request<T>('PUT', path, {}, body);
  }

  /**
   * Starts a watch (`?watch=true` with `query`). Resolves to its stop function once the server
   * answered 200; rejects, without calling `end`, when it answered otherwise (KubeApiError) or could
   * not be reached. After it resolved, `end` is called once when the stream ends, unless stopped.
   */
  async watch(path: string, query: Query, handlers: KubeWatchHandlers): Promise<() => void> {
    const opts = await this.options('GET', path, { ...query, watch: true }, 'watches');
    return new Promise((resolve, reject) => {
      let started = false;
      let ended = false;
      const finish = (err?: Error): void => {
        if (ended) return;
        ended = true;
        handlers.end(err);
      };
      const req = this.transport().request(opts, (res) => {
        if (res.statusCode !== 200) {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => reject(kubeApiError(res.statusCode ?? 0, text, `watch ${path}`)));
          res.on('error', reject);
          return;
        }
        started = true;
        resolve(() => {
          ended = true;
          req.destroy();
        });
        const lines = createInterface({ input: res, crlfDelay: Infinity });
        // readline re-emits the stream's errors (e.g. "aborted" when we destroy the request).
        lines.on('error', (err) => finish(err));
        lines.on('line', (line) => {
          if (ended || !line.trim()) return;
          let parsed: { type?: string; object?: Record<string, unknown> };
          try {
            parsed = JSON.parse(line) as typeof parsed;
          } catch (err) {
            finish(err as Error);
            req.destroy();
            return;
          }
          if (parsed.type && parsed.object) handlers.event(parsed.type, parsed.object);
        });
        res.on('error', (err) => finish(err));
        res.on('close', () => finish(res.complete ? undefined : new Error('watch connection closed')));
      });
      req.on('error', (err) => {
        if (started) finish(err);
        else reject(new Error(`watch ${path}: ${err.message}`));
      });
      req.end();
    });
  }

  /** Closes the kept-alive connections (and any watch still running). */
  close(): void {
    this.agents.requests?.destroy();
    this.agents.watches?.destroy();
    delete this.agents.requests;
    delete this.agents.watches;
  }

  private transport(): typeof https | typeof http {
    return this.server.protocol === 'http:' ? http : https;
  }

  /**
   * What a WebSocket to `path` needs (a connect subresource, as pods/exec): its ws(s):// URL, and the
   * kubeconfig's credentials and TLS settings as ws's client options take them (no pooled agent: the
   * connection is the session's own).
   */
  async upgradeRequest(path: string, query: Query): Promise<{ url: string; options: https.RequestOptions }> {
    const opts: https.RequestOptions = {};
    await this.kubeConfig.applyToHTTPSOptions(opts);
    const url = new URL(this.pathWithQuery(path, query), this.server);
    url.protocol = this.server.protocol === 'http:' ? 'ws:' : 'wss:';
    return { url: url.toString(), options: opts };
  }

  private async options(method: string, path: string, query: Query, pool: Pool = 'requests'): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {};
    // Credentials (and refreshed tokens) per request; the connection pools are ours.
    await this.kubeConfig.applyToHTTPSOptions(opts);
    let agent = this.agents[pool];
    if (!agent) {
      const Agent = this.server.protocol === 'http:' ? http.Agent : https.Agent;
      agent = new Agent({
        keepAlive: true,
        ...(pool === 'requests' && this.maxSockets !== undefined ? { maxSockets: this.maxSockets } : {}),
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        pfx: opts.pfx,
        passphrase: opts.passphrase,
        ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
        ...(opts.servername ? { servername: opts.servername } : {}),
      } as https.AgentOptions);
      this.agents[pool] = agent;
    }
    const applied = opts.headers && !Array.isArray(opts.headers) ? (opts.headers as http.OutgoingHttpHeaders) : {};
    return {
      ...opts,
      agent,
      method,
      protocol: this.server.protocol,
      hostname: this.server.hostname,
      port: this.server.port,
      path: this.pathWithQuery(path, query),
      headers: { ...applied, Accept: 'application/json' },
    };
  }

  /** The server's base path (a kubeconfig server may have one), `path`, and the query. */
  private pathWithQuery(path: string, query: Query): string {
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (Array.isArray(v)) for (const item of v as readonly string[]) search.append(k, item);
      else if (v !== undefined && v !== '') search.set(k, String(v));
    }
    const qs = search.toString();
    return `${this.server.pathname.replace(/\/$/, '')}${path}${qs ? `?${qs}` : ''}`;
  }

  private async send(method: string, path: string, query: Query, payload: string | undefined, contentType: string): Promise<{ status: number; text: string }> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.sendOnce(method, path, query, payload, contentType);
      } catch (err) {
        // Nothing reached the server (a kept-alive socket it had closed, or no listener yet): safe to send again.
        if (err instanceof NotSentError && attempt < this.unsentRetries) {
          await new Promise((r) => setTimeout(r, 50 * (attempt + 1)));
          continue;
        }
        throw err instanceof NotSentError ? err.cause : err;
      }
    }
  }

  private async sendOnce(method: string, path: string, query: Query, payload: string | undefined, contentType: string): Promise<{ status: number; text: string }> {
    const opts = await this.options(method, path, query);
    if (payload !== undefined) {
      opts.headers = { ...opts.headers, 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) };
    }
    return new Promise((resolve, reject) => {
      let responded = false;
      const req = this.transport().request(opts, (res) => {
        responded = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => reject(new Error(`${method} ${path}: the response was cut short: ${err.message}`)));
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out after ${this.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // Refused: it never left. Reset on a kept-alive socket: the server may have closed it idle
        // before reading — or read and applied it, then died; only a request that is safe to
        // repeat is taken as unsent then (Go's transport replays GET, HEAD, OPTIONS so too).
        const notSent = !responded && (err.code === 'ECONNREFUSED' || (req.reusedSocket && err.code === 'ECONNRESET' && REPLAYABLE.has(method)));
        const wrapped = new Error(`${method} ${path}: ${err.message}`);
        reject(notSent ? new NotSentError(wrapped) : wrapped);
      });
      req.end(payload);
    });
  }
}

/** Methods a server applies the same however often they arrive. */
const REPLAYABLE = new Set(['GET', 'HEAD', 'OPTIONS']);

class NotSentError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

function kubeApiError(status: number, text: string, what: string): KubeApiError {
  let parsed: KubeStatus | undefined;
  try {
    const body = JSON.parse(text) as KubeStatus;
    if (body && typeof body === 'object' && body.kind === 'Status') parsed = body;
  } catch {
    // not JSON
  }
  return new KubeApiError(status, `${what}: ${status} ${parsed?.message ?? text.slice(0, 300)}`, parsed);
}
