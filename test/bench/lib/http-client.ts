/** Plain node:https with a client certificate, for benchmark setup, checks and watch streams. */
import { Agent, request, type RequestOptions } from 'node:https';
import { performance } from 'node:perf_hooks';

export interface HttpTarget {
  host: string;
  port: number;
  ca: string | Buffer;
  cert: string | Buffer;
  key: string | Buffer;
  /** TLS server name (default localhost). */
  servername?: string;
  /** Sent with every request (e.g. the front proxy's X-Remote-* headers). */
  headers?: Record<string, string>;
  /** Per request; none by default. */
  timeoutMs?: number;
}

export interface Http {
  send(method: string, path: string, body?: string): Promise<{ status: number; body: string; ms: number }>;
  /** A long-lived response stream; `onData` gets each chunk as text. */
  stream(path: string, onData: (text: string) => void, onEnd: (why: string) => void): Promise<() => void>;
  close(): void;
}

export function httpClient(t: HttpTarget): Http {
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity, ca: t.ca, cert: t.cert, key: t.key, servername: t.servername ?? 'localhost' });
  const base = (method: string, path: string, headers: Record<string, string>): RequestOptions => ({
    host: t.host,
    port: t.port,
    method,
    path,
    agent,
    headers: { accept: 'application/json', ...t.headers, ...headers },
  });
  return {
    send(method, path, body) {
      const started = performance.now();
      return new Promise((resolvePromise, reject) => {
        const req = request(base(method, path, body !== undefined ? { 'content-type': 'application/json' } : {}), (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - started }));
          res.on('error', reject);
        });
        if (t.timeoutMs) req.setTimeout(t.timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out`)));
        req.on('error', reject);
        req.end(body);
      });
    },
    stream(path, onData, onEnd) {
      return new Promise((resolvePromise, reject) => {
        const req = request(base('GET', path, {}), (res) => {
          if (res.statusCode !== 200) {
            let text = '';
            res.setEncoding('utf8').on('data', (c: string) => (text += c));
            res.on('end', () => reject(new Error(`watch ${path}: HTTP ${res.statusCode}: ${text.slice(0, 300)}`)));
            return;
          }
          res.setEncoding('utf8');
          res.on('data', onData);
          res.on('end', () => onEnd('stream ended'));
          res.on('error', (err) => onEnd(err.message));
          resolvePromise(() => req.destroy());
        });
        req.on('error', (err) => reject(err));
        req.end();
      });
    },
    close: () => agent.destroy(),
  };
}
