/**
 * The whole aggregation path on loopback, for the e2e suite and `npm run local-up`: a real
 * kube-apiserver with its etcd (test/harness), the sample server in delegated mode (the cluster's
 * admin kubeconfig for TokenReview, SubjectAccessReview and the front-proxy ConfigMap; a serving
 * certificate for api.wardle.svc), and its registration: an ExternalName Service `api` in
 * `wardle` pointing at localhost:<port> and an APIService per version, waited on until Available.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildAggregationObjects,
  registerAPIServices,
  serviceHost,
  waitForAPIServicesAvailable,
  type AggregationObject,
  type GroupVersions,
} from '@kapi/apiserver/aggregation';
import { adminKubeconfig, createCA, createServingCert, type CertificateAuthority } from '@kapi/apiserver/security';
import { startCluster, type Cluster, type ControllerManagerOptions } from '../harness/index.js';
import { startSampleServer, type SampleServer } from '../e2e/sample-server.js';

/** What the sample server serves, preferred version first (cmd/sample-apiserver/src/wardle). */
export const WARDLE: GroupVersions = { group: 'wardle.example.com', versions: ['v1beta1', 'v1alpha1'] };
export const SERVICE_NAME = 'api';
export const SERVICE_NAMESPACE = 'wardle';

export interface AggregatedOptions {
  storageBackend?: 'sqlite' | 'etcd3' | 'crd';
  /** The sample server's --data-dir (sqlite); a temp dir otherwise. */
  dataDir?: string;
  /** Where kube-apiserver's ExternalName Service points; default 'localhost'. */
  externalName?: string;
  /** Bound on the wait for Available; default 90 s. */
  availableTimeoutMs?: number;
  /** More flags for the sample server. */
  serverArgs?: string[];
  /** Another server program built with kapi (compiled main.js) and what it serves; default the sample server and WARDLE. */
  program?: { main: string; served: GroupVersions };
  /** Run against this cluster (stop() then leaves it running) instead of starting one. */
  cluster?: Cluster;
  /**
   * Start kube-controller-manager once the APIServices are Available (true: the garbage collector
   * and the namespace controller), so that its garbage collector's first discovery sees the group.
   */
  controllerManager?: boolean | ControllerManagerOptions;
}

export interface Aggregated {
  cluster: Cluster;
  server: SampleServer;
  /** The CA that signed the sample server's serving certificate (the APIServices' caBundle). */
  servingCA: CertificateAuthority;
  /** The registration objects that were applied. */
  objects: AggregationObject[];
  /** A kubeconfig straight to the sample server (not through kube-apiserver), as the cluster's admin. */
  directKubeconfig: string;
  /** Stops the sample server, then the cluster (unless it was given); removes the temp dir. */
  stop(): Promise<void>;
}

export interface RegisterOptions {
  /** The server's port on localhost. */
  port: number;
  /** The CA of its serving certificate (valid for api.wardle.svc). */
  caBundlePem: string;
  served?: GroupVersions;
  externalName?: string;
  availableTimeoutMs?: number;
}

/**
 * Registers a server as WARDLE's (or `served`'s) backend — the ExternalName Service wardle/api →
 * localhost:<port> and an APIService per version, replacing what was there — and waits for Available.
 */
export async function registerServer(cluster: Cluster, opts: RegisterOptions): Promise<AggregationObject[]> {
  const objects = buildAggregationObjects({
    served: [opts.served ?? WARDLE],
    caBundlePem: opts.caBundlePem,
    port: opts.port,
    serviceName: SERVICE_NAME,
    namespace: SERVICE_NAMESPACE,
    externalName: opts.externalName ?? 'localhost',
    // The servers talk to the cluster with the admin kubeconfig (CN=admin).
    identity: { user: 'admin' },
  });
  await registerAPIServices(cluster.kubeconfig, objects);
  await waitForAPIServicesAvailable(cluster.kubeconfig, objects, { timeoutMs: opts.availableTimeoutMs ?? 90_000 });
  return objects;
}

/** The sample server's flags for delegated authentication and authorization against `cluster`. */
export function delegatedFlags(kubeconfig: string): string[] {
  return [`--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`];
}

export async function startAggregated(opts: AggregatedOptions = {}): Promise<Aggregated> {
  const cluster = opts.cluster ?? (await startCluster());
  const dir = mkdtempSync(join(tmpdir(), 'kapi-aggregated-'));
  let server: SampleServer | undefined;
  const stop = async (): Promise<void> => {
    await server?.stop();
    if (!opts.cluster) await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const servingCA = createCA('wardle-serving-ca');
    const serving = createServingCert(servingCA, {
      commonName: serviceHost(SERVICE_NAME, SERVICE_NAMESPACE),
      hosts: [serviceHost(SERVICE_NAME, SERVICE_NAMESPACE), `${serviceHost(SERVICE_NAME, SERVICE_NAMESPACE)}.cluster.local`, 'localhost', '127.0.0.1'],
    });
    const certFile = join(dir, 'serving.crt');
    const keyFile = join(dir, 'serving.key');
    writeFileSync(certFile, serving.cert);
    writeFileSync(keyFile, serving.key, { mode: 0o600 });

    const storageBackend = opts.storageBackend ?? 'sqlite';
    server = await startSampleServer({
      storageBackend,
      ...(opts.program ? { main: opts.program.main } : {}),
      ...(storageBackend === 'etcd3' ? { etcdServers: cluster.etcdEndpoint } : {}),
      extraArgs: [
        `--tls-cert-file=${certFile}`,
        `--tls-private-key-file=${keyFile}`,
        ...delegatedFlags(cluster.kubeconfig),
        ...(opts.dataDir ? [`--data-dir=${opts.dataDir}`] : []),
        ...(opts.serverArgs ?? []),
      ],
    });

    const running = server;
    const objects = await registerServer(cluster, {
      port: server.port,
      caBundlePem: servingCA.cert,
      ...(opts.program ? { served: opts.program.served } : {}),
      ...(opts.externalName ? { externalName: opts.externalName } : {}),
      ...(opts.availableTimeoutMs ? { availableTimeoutMs: opts.availableTimeoutMs } : {}),
    }).catch((err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      throw new Error(`${message}\nsample server log (tail):\n${running.logs().split('\n').slice(-30).join('\n')}`);
    });
    if (opts.controllerManager) await cluster.startControllerManager(opts.controllerManager === true ? {} : opts.controllerManager);
    const directKubeconfig = join(dir, 'direct.kubeconfig');
    writeFileSync(directKubeconfig, adminKubeconfig('direct', server.url, servingCA.cert, { cert: cluster.admin.certPem, key: cluster.admin.keyPem }), { mode: 0o600 });
    return { cluster, server, servingCA, objects, directKubeconfig, stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}

export interface HttpsResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpsOptions {
  method?: string;
  /** CA to verify the server with. */
  ca: string;
  /** Client certificate and key (PEM). */
  cert?: string;
  key?: string;
  headers?: Record<string, string>;
  body?: string;
  /** The TLS server name, e.g. api.wardle.svc; default the URL's host. */
  servername?: string;
  timeoutMs?: number;
}

/** One HTTPS request; resolves to status, headers and body (never rejects on an HTTP error status). */
export function httpsRequest(url: string, opts: HttpsOptions): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        ca: opts.ca,
        ...(opts.cert ? { cert: opts.cert, key: opts.key } : {}),
        ...(opts.servername ? { servername: opts.servername } : {}),
        headers: { ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}), ...opts.headers },
        timeout: opts.timeoutMs ?? 5_000,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${opts.method ?? 'GET'} ${url} timed out`)));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}
