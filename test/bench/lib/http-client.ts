/** Plain node:https with a client certificate, for benchmark setup, checks, watch streams and lists too big to hold (drain). */
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

/** A response read as a stream and not kept: what `Http.drain` tells of it. */
export interface Drained {
  status: number;
  /** Bytes of the body received. */
  bytes: number;
  /** From the request until the body's end. */
  ms: number;
  /** How often the needle occurs in the body (0 without a needle). */
  count: number;
  /** The body's first bytes (up to 300), as text: the error of a non-2xx answer. */
  head: string;
}

const HEAD_BYTES = 300;

/** Occurrences of `needle` in `hay`, not overlapping, counting only those starting before `before`. */
function occurrences(hay: Buffer, needle: Buffer, before = Infinity): number {
  let n = 0;
  for (let at = hay.indexOf(needle); at >= 0 && at < before; at = hay.indexOf(needle, at + needle.length)) n++;
  return n;
}

export interface Http {
  send(method: string, path: string, body?: string): Promise<{ status: number; body: string; ms: number }>;
  /**
   * Reads the answer as it streams without keeping it (a body of any size, past V8's longest string):
   * its status, size, time, and how often `needle` occurs in it, across chunk boundaries.
   */
  drain(method: string, path: string, needle?: string): Promise<Drained>;
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
    drain(method, path, needle) {
      const started = performance.now();
      const pattern = needle ? Buffer.from(needle, 'utf8') : undefined;
      return new Promise((resolvePromise, reject) => {
        const req = request(base(method, path, {}), (res) => {
          let bytes = 0;
          let count = 0;
          let head = Buffer.alloc(0);
          // The end of the chunk before, one byte shorter than the needle: a match that spans two
          // chunks starts in it; one wholly inside the chunk before was counted with that chunk.
          let tail = Buffer.alloc(0);
          res.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
            if (!pattern) return;
            if (tail.length > 0) count += occurrences(Buffer.concat([tail, chunk.subarray(0, pattern.length - 1)]), pattern, tail.length);
            count += occurrences(chunk, pattern);
            const keep = pattern.length - 1;
            if (keep === 0) return;
            // A copy: the tail must not hold on to the whole chunk.
            tail = Buffer.from(chunk.length >= keep ? chunk.subarray(chunk.length - keep) : Buffer.concat([tail, chunk]).subarray(-keep));
          });
          res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, bytes, ms: performance.now() - started, count, head: head.toString('utf8') }));
          res.on('error', reject);
        });
        if (t.timeoutMs) req.setTimeout(t.timeoutMs, () => req.destroy(new Error(`${method} ${path} timed out`)));
        req.on('error', reject);
        req.end();
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
