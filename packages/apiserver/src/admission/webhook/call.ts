/**
 * Calling a webhook: where its clientConfig points (a URL, or a Service of the host cluster),
 * the POST of the AdmissionReview with its CA and timeout, and the errors worded as Go's
 * client reports them (they end up in the Status a refused request gets).
 */
import { lookup as dnsLookup } from 'node:dns';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { KubeRestClient } from '../../kube/index.js';
import type { WebhookClientConfig } from './configurations.js';

/** What the rest of a failed call is told: Go's ErrCallingWebhook reason, e.g. `failed to call webhook: Post "…": context deadline exceeded`. */
export class WebhookCallError extends Error {
  constructor(
    readonly webhookName: string,
    readonly reason: string,
  ) {
    super(`failed calling webhook "${webhookName}": ${reason}`);
  }
}

/** How long a Service's address is used before it is looked up again. */
const SERVICE_CACHE_MS = 10_000;

/** A webhook response larger than this is refused (the server keeps it in memory). */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

interface Service {
  spec?: { type?: string; clusterIP?: string; externalName?: string };
}

export interface WebhookEndpoint {
  url: URL;
  /** How the URL's host is reached: a Service's address (its DNS name stays the TLS server name). */
  lookup?: LookupFunction;
}

/** Go's time.Duration for whole seconds, as the rest client writes ?timeout=. */
const goSeconds = (seconds: number): string => (seconds >= 60 ? `${Math.floor(seconds / 60)}m${seconds % 60}s` : `${seconds}s`);

/** What Go's net/http would say of `err` (the messages users search for). */
function describeNetError(err: NodeJS.ErrnoException, url: URL): string {
  const port = url.port || '443';
  switch (err.code) {
    case 'ECONNREFUSED':
      return `dial tcp ${(err as { address?: string }).address ?? url.hostname}:${(err as { port?: number }).port ?? port}: connect: connection refused`;
    case 'ENOTFOUND':
      return `dial tcp: lookup ${url.hostname}: no such host`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
      return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `tls: failed to verify certificate: x509: certificate is not valid for ${url.hostname}`;
    default:
      return err.message;
  }
}

/**
 * The connections to webhooks, kept open between calls (as Go's per-webhook clients keep theirs):
 * a TLS handshake per admission request would cost more than most webhooks take to answer.
 */
export class WebhookClient {
  private readonly agent = new https.Agent({ keepAlive: true, keepAliveMsecs: 30_000, scheduling: 'lifo' });

  /** The Services' addresses, looked up at most every SERVICE_CACHE_MS. */
  private readonly services = new Map<string, { address: Promise<string>; at: number }>();

  constructor(private readonly host: KubeRestClient) {}

  /** Closes the kept connections. */
  close(): void {
    this.agent.destroy();
  }

  /**
   * clientConfig → where to POST. A Service is `https://<name>.<namespace>.svc:<port><path>` as Go
   * names it, reached at the address the host gives the Service (its clusterIP, or for an
   * ExternalName service that name), so that it works without the cluster's DNS.
   */
  async endpointOf(config: WebhookClientConfig): Promise<WebhookEndpoint> {
    if (config.url) return { url: new URL(config.url) };
    const service = config.service;
    if (!service) throw new Error('the webhook has neither url nor service in its clientConfig');
    const url = new URL(`https://${service.name}.${service.namespace}.svc:${service.port ?? 443}${service.path ?? ''}`);
    const address = await this.serviceAddress(service.namespace, service.name);
    const lookup: LookupFunction = (_hostname, options, callback) => {
      const family = isIP(address);
      if (family === 0) {
        dnsLookup(address, options, callback);
        return;
      }
      if (options.all) callback(null, [{ address, family }]);
      else callback(null, address, family);
    };
    return { url, lookup };
  }

  private serviceAddress(namespace: string, name: string): Promise<string> {
    const key = `${namespace}/${name}`;
    const cached = this.services.get(key);
    if (cached && Date.now() - cached.at < SERVICE_CACHE_MS) return cached.address;
    const address = this.host.get<Service>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/services/${encodeURIComponent(name)}`).then((found) => {
      const a = found.spec?.type === 'ExternalName' ? found.spec.externalName : found.spec?.clusterIP;
      if (!a || a === 'None') throw new Error(`service "${key}" has no address to reach`);
      return a;
    });
    this.services.set(key, { address, at: Date.now() });
    address.catch(() => this.services.delete(key));
    return address;
  }

  /**
   * POSTs `review` (JSON) and resolves to the parsed answer; rejects with the reason text of Go's
   * ErrCallingWebhook (`failed to call webhook: Post "<url>": …`) when it cannot be had in time.
   */
  postReview(endpoint: WebhookEndpoint, review: unknown, opts: { caBundle?: string; timeoutSeconds: number; signal?: AbortSignal }): Promise<unknown> {
    const url = new URL(endpoint.url);
    url.searchParams.set('timeout', goSeconds(opts.timeoutSeconds));
    const shown = `Post "${url.toString()}"`;
    const body = Buffer.from(JSON.stringify(review));
    return new Promise((resolve, reject) => {
      const fail = (why: string): void => reject(new Error(`failed to call webhook: ${shown}: ${why}`));
      const signals = [AbortSignal.timeout(opts.timeoutSeconds * 1000), ...(opts.signal ? [opts.signal] : [])];
      const signal = AbortSignal.any(signals);
      const req = https.request(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json, */*', 'Content-Length': body.length },
        ...(opts.caBundle ? { ca: Buffer.from(opts.caBundle, 'base64').toString('utf8') } : {}),
        ...(endpoint.lookup ? { lookup: endpoint.lookup } : {}),
        signal,
        agent: this.agent,
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (signal.aborted) fail(signals[0]!.aborted ? 'context deadline exceeded' : 'context canceled');
        else fail(describeNetError(err, url));
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy();
            fail(`the response is larger than ${MAX_RESPONSE_BYTES} bytes`);
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (err) => fail(err.message));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const code = res.statusCode ?? 0;
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
          } catch {
            if (code < 200 || code > 299) return fail(`the server responded with the status code ${code} but did not return more information`);
            return reject(new Error(`received invalid webhook response: couldn't get version/kind; json parse error: ${text.slice(0, 200)}`));
          }
          if (code < 200 || code > 299) {
            const message = (parsed as { message?: unknown }).message;
            return fail(typeof message === 'string' && message ? message : `the server responded with the status code ${code} but did not return more information`);
          }
          resolve(parsed);
        });
      });
      req.end(body);
    });
  }
}
