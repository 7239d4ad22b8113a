/** The one HTTPS client of this package: to kube-apiserver and the components, with a client certificate. */
import { request } from 'node:https';

export interface TlsClient {
  ca: string;
  cert?: string;
  key?: string;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** A request over TLS; resolves to status and body (never rejects on an HTTP error status). */
export function requestTls(url: string, tls: TlsClient, opts: { method?: string; body?: unknown; timeoutMs?: number } = {}): Promise<HttpAnswer> {
  const method = opts.method ?? 'GET';
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = payload === undefined ? {} : { 'content-type': 'application/json' };
    const req = request(url, { method, ...tls, headers, timeout: opts.timeoutMs ?? 2_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}
