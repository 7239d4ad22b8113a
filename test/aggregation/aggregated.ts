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
  /** The CA of its serving certificate (valid for <service>.<namespace>.svc). */
  caBundlePem: string;
  served?: GroupVersions;
  /** The Service kube-apiserver dials; default wardle/api. */
  service?: { name: string; namespace: string };
  /** The APIServices' priorities (default the aggregation package's). */
  groupPriorityMinimum?: number;
  versionPriority?: number;
  externalName?: string;
  availableTimeoutMs?: number;
}

/**
 * Registers a server as WARDLE's (or `served`'s) backend — the ExternalName Service (wardle/api, or
 * `service`) → localhost:<port> and an APIService per version, replacing what was there — and waits for Available.
 */
export async function registerServer(cluster: Cluster, opts: RegisterOptions): Promise<AggregationObject[]> {
  const objects = buildAggregationObjects({
    served: [opts.served ?? WARDLE],
    caBundlePem: opts.caBundlePem,
    port: opts.port,
    serviceName: opts.service?.name ?? SERVICE_NAME,
    namespace: opts.service?.namespace ?? SERVICE_NAMESPACE,
    externalName: opts.externalName ?? 'localhost',
    ...(opts.groupPriorityMinimum !== undefined ? { groupPriorityMinimum: opts.groupPriorityMinimum } : {}),
    ...(opts.versionPriority !== undefined ? { versionPriority: opts.versionPriority } : {}),
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

export interface ServerBesideOptions extends Omit<RegisterOptions, 'port' | 'caBundlePem' | 'service'> {
  /** The program (compiled main.js); default the sample server. */
  main?: string;
  /** The Service kube-apiserver dials (an ExternalName, to localhost by default). */
  service: { name: string; namespace: string };
  storageBackend?: 'sqlite' | 'etcd3' | 'crd';
  /** --data-dir (sqlite); a temp dir otherwise. */
  dataDir?: string;
  serverArgs?: string[];
}

export interface ServerBeside {
  server: SampleServer;
  /** The CA that signed the server's serving certificate (the APIServices' caBundle). */
  servingCA: CertificateAuthority;
  objects: AggregationObject[];
  /** A request straight to the server, as kube-apiserver's front proxy sends it for `user` (default admin, system:masters). */
  ask(path: string, opts?: Omit<HttpsOptions, 'ca'> & { user?: string; groups?: string[] }): Promise<HttpsResult>;
  /** Stops the server (the cluster and its registration stay). */
  stop(): Promise<void>;
}

/**
 * A server program aggregated on `cluster`: delegated to it (--kubeconfig, which a server may also
 * read the host's objects through), a serving certificate for <service>.<namespace>.svc, and its
 * registration (registerServer), waited on until Available.
 */
export async function startServerBeside(cluster: Cluster, opts: ServerBesideOptions): Promise<ServerBeside> {
  // What is not the program's is its registration's.
  const { main, storageBackend = 'sqlite', dataDir, serverArgs = [], ...registration } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'kapi-beside-'));
  let server: SampleServer | undefined;
  try {
    const host = serviceHost(opts.service.name, opts.service.namespace);
    const servingCA = createCA(`${opts.service.namespace}-serving-ca`);
    const serving = createServingCert(servingCA, { commonName: host, hosts: [host, `${host}.cluster.local`, 'localhost', '127.0.0.1'] });
    writeFileSync(join(dir, 'serving.crt'), serving.cert);
    writeFileSync(join(dir, 'serving.key'), serving.key, { mode: 0o600 });
    server = await startSampleServer({
      storageBackend,
      ...(main ? { main } : {}),
      ...(storageBackend === 'etcd3' ? { etcdServers: cluster.etcdEndpoint } : {}),
      extraArgs: [
        `--tls-cert-file=${join(dir, 'serving.crt')}`,
        `--tls-private-key-file=${join(dir, 'serving.key')}`,
        ...delegatedFlags(cluster.kubeconfig),
        ...(dataDir ? [`--data-dir=${dataDir}`] : []),
        ...serverArgs,
      ],
    });
    const running = server;
    const objects = await registerServer(cluster, { ...registration, port: running.port, caBundlePem: servingCA.cert }).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${main ?? 'sample server'} log (tail):\n${running.logs().split('\n').slice(-30).join('\n')}`);
    });
    return {
      server: running,
      servingCA,
      objects,
      ask: (path, { user = 'admin', groups = ['system:masters'], ...rest } = {}) =>
        httpsRequest(running.url + path, {
          ...rest,
          ca: servingCA.cert,
          cert: cluster.frontProxy.clientCertPem,
          key: cluster.frontProxy.clientKeyPem,
          headers: { 'X-Remote-User': user, ...(groups.length ? { 'X-Remote-Group': groups.join(',') } : {}), ...rest.headers },
        }),
      async stop() {
        await running.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

/** A cluster (or `opts.cluster`) with the sample server (or `opts.program`) aggregated as wardle/api. */
export async function startAggregated(opts: AggregatedOptions = {}): Promise<Aggregated> {
  const cluster = opts.cluster ?? (await startCluster());
  const dir = mkdtempSync(join(tmpdir(), 'kapi-aggregated-'));
  let beside: ServerBeside | undefined;
  const stop = async (): Promise<void> => {
    await beside?.stop();
    if (!opts.cluster) await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    beside = await startServerBeside(cluster, {
      service: { name: SERVICE_NAME, namespace: SERVICE_NAMESPACE },
      served: opts.program?.served ?? WARDLE,
      ...(opts.program ? { main: opts.program.main } : {}),
      ...(opts.storageBackend ? { storageBackend: opts.storageBackend } : {}),
      ...(opts.dataDir ? { dataDir: opts.dataDir } : {}),
      ...(opts.serverArgs ? { serverArgs: opts.serverArgs } : {}),
      ...(opts.externalName ? { externalName: opts.externalName } : {}),
      ...(opts.availableTimeoutMs ? { availableTimeoutMs: opts.availableTimeoutMs } : {}),
    });
    const { server, servingCA, objects } = beside;
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
