/**
 * The host cluster's REST API as the CRD backend uses it: JSON requests and watch streams over
 * HTTPS, authenticated by @kubernetes/client-node's KubeConfig (client certificates, tokens, exec
 * plugins, in-cluster service account). client-node's generated CustomObjectsApi has no
 * resourceVersion on get and no way to read a watch's HTTP error body, so requests are made here
 * with node:https and a keep-alive agent, with the options the KubeConfig applies to each one.
 */
import http from 'node:http';
import https from 'node:https';
import { createInterface } from 'node:readline';

/** client-node is ESM-only: its types come in with resolution-mode import, its code through import(). */
export type ClientNode = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } });
export type KubeConfig = InstanceType<ClientNode['KubeConfig']>;

/** A host answer that was not 2xx: its HTTP code and (when it sent one) its Status. */
export class HostError extends Error {
  constructor(
    readonly code: number,
    readonly hostStatus: HostStatus | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'HostError';
  }

  get reason(): string {
    return this.hostStatus?.reason ?? '';
  }
}

export interface HostStatus {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: Array<{ type?: string; message?: string; field?: string }>; retryAfterSeconds?: number };
}

export type Query = Record<string, string | number | boolean | undefined>;

export interface HostWatchHandlers {
  /** One event of the stream ({type, object}). */
  event(type: string, object: Record<string, unknown>): void;
  /** The stream ended: `err` undefined when the server closed it normally. */
  end(err?: Error): void;
}

export class HostClient {
  private readonly server: URL;
  /** Requests share a bounded keep-alive pool; each watch holds a socket for as long as it runs, so
   * watches get a pool of their own without a bound (else the 65th watch, and every request after
   * it, would wait forever for a free socket). */
  private readonly agents: { requests?: http.Agent; watches?: http.Agent } = {};

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly requestTimeoutMs: number,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  /** One JSON request; resolves to the parsed body, rejects with HostError (or a network error). */
  async request<T>(method: string, path: string, query: Query = {}, body?: string | object): Promise<T> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const { status, text } = await this.send(method, path, query, payload);
    if (status < 200 || status > 299) throw hostError(status, text, `${method} ${path}`);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** Starts a watch; resolves once the server answered 200 (rejects with HostError otherwise). */
  async watch(path: string, query: Query, handlers: HostWatchHandlers): Promise<() => void> {
    const opts = await this.options('GET', path, { ...query, watch: true }, 'watches');
    return new Promise((resolve, reject) => {
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
          res.on('end', () => reject(hostError(res.statusCode ?? 0, text, `watch ${path}`)));
          res.on('error', reject);
          return;
        }
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
        reject(err);
        finish(err);
      });
      req.end();
    });
  }

  close(): void {
    this.agents.requests?.destroy();
    this.agents.watches?.destroy();
  }

  private transport(): typeof https | typeof http {
    return this.server.protocol === 'http:' ? http : https;
  }

  private async options(method: string, path: string, query: Query, pool: 'requests' | 'watches' = 'requests'): Promise<https.RequestOptions> {
    const opts: https.RequestOptions = {};
    // Credentials (and refreshed tokens) per request; the connection pools are ours.
    await this.kubeConfig.applyToHTTPSOptions(opts);
    let agent = this.agents[pool];
    if (!agent) {
      const Agent = this.server.protocol === 'http:' ? http.Agent : https.Agent;
      agent = new Agent({
        keepAlive: true,
        ...(pool === 'requests' ? { maxSockets: 64 } : {}),
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
    const search = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') search.set(k, String(v));
    const qs = search.toString();
    const basePath = this.server.pathname.replace(/\/$/, '');
    return {
      ...opts,
      agent,
      method,
      protocol: this.server.protocol,
      hostname: this.server.hostname,
      port: this.server.port,
      path: `${basePath}${path}${qs ? `?${qs}` : ''}`,
      headers: { ...(opts.headers ?? {}), Accept: 'application/json' },
    };
  }

  private async send(method: string, path: string, query: Query, payload: string | undefined): Promise<{ status: number; text: string }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.sendOnce(method, path, query, payload);
      } catch (err) {
        // Nothing reached the server (a kept-alive socket it had closed, or no listener yet): safe to send again.
        if (err instanceof NotSentError && attempt < 5) {
          await new Promise((r) => setTimeout(r, 50 * attempt));
          continue;
        }
        throw err instanceof NotSentError ? err.cause : err;
      }
    }
  }

  private async sendOnce(method: string, path: string, query: Query, payload: string | undefined): Promise<{ status: number; text: string }> {
    const opts = await this.options(method, path, query);
    if (payload !== undefined) {
      opts.headers = { ...opts.headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) };
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
      req.setTimeout(this.requestTimeoutMs, () => req.destroy(new Error(`${method} ${path} timed out after ${this.requestTimeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        const notSent = !responded && ((req.reusedSocket && err.code === 'ECONNRESET') || err.code === 'ECONNREFUSED');
        const wrapped = new Error(`${method} ${path}: ${err.message}`);
        reject(notSent ? new NotSentError(wrapped) : wrapped);
      });
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }
}

class NotSentError extends Error {
  constructor(override readonly cause: Error) {
    super(cause.message);
  }
}

function hostError(status: number, text: string, what: string): HostError {
  let parsed: HostStatus | undefined;
  try {
    const body = JSON.parse(text) as HostStatus;
    if (body && typeof body === 'object' && body.kind === 'Status') parsed = body;
  } catch {
    // not JSON
  }
  return new HostError(status, parsed, `${what}: ${status} ${parsed?.message ?? text.slice(0, 300)}`);
}
