/** Plain HTTPS requests with the admin client certificate, for what kubectl can not send (bad input). */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export class RawClient {
  private readonly ca: string;
  private readonly cert: string;
  private readonly key: string;

  /** `certDir` is the server's --cert-dir, where it wrote ca.crt, admin.crt and admin.key. */
  constructor(
    private readonly baseURL: string,
    certDir: string,
    withClientCert = true,
  ) {
    this.ca = readFileSync(join(certDir, 'ca.crt'), 'utf8');
    this.cert = withClientCert ? readFileSync(join(certDir, 'admin.crt'), 'utf8') : '';
    this.key = withClientCert ? readFileSync(join(certDir, 'admin.key'), 'utf8') : '';
  }

  send(method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<RawResponse> {
    const url = new URL(path, this.baseURL);
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca: this.ca,
          ...(this.cert ? { cert: this.cert, key: this.key } : {}),
          headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: text,
              json: <T>() => JSON.parse(text) as T,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      if (body !== undefined) req.write(body);
      req.end();
    });
  }
}
