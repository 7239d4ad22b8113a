/**
 * A server program aggregated beside what a suite already runs on a cluster (startServerBeside):
 * delegated to it (--kubeconfig, which a server may also read the host's objects through), a
 * serving certificate for <service>.<namespace>.svc, an ExternalName Service → localhost:<port> and
 * an APIService per version, waited on until Available. cmd/metrics-apiserver is one
 * (startMetricsServer: external.metrics.k8s.io, priorities 100/100 as Go's adapters are deployed),
 * for the metrics suite and the HPA test.
 *
 *   const env = await startAggregated();                       // the sample server: Flunders
 *   const metrics = await startMetricsServer(env.cluster);     // external.metrics.k8s.io: flunders, fischers
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAggregationObjects, registerAPIServices, serviceHost, waitForAPIServicesAvailable, type AggregationObject, type GroupVersions } from '@kapi/apiserver/aggregation';
import { createCA, createServingCert, type CertificateAuthority } from '@kapi/apiserver/security';
import { repoRoot, type Cluster } from '../harness/index.js';
import { startSampleServer, type SampleServer } from '../e2e/sample-server.js';
import { delegatedFlags, httpsRequest, type HttpsOptions, type HttpsResult } from './aggregated.js';

/** The compiled metrics server (`npx tsc -b` makes it). */
export const METRICS_MAIN = join(repoRoot(), 'cmd/metrics-apiserver/dist/main.js');
export const EXTERNAL_METRICS: GroupVersions = { group: 'external.metrics.k8s.io', versions: ['v1beta1'] };
export const METRICS_SERVICE = { name: 'api', namespace: 'wardle-metrics' };

export interface MetricsServerOptions {
  /** Another program serving external.metrics.k8s.io (compiled main.js); default cmd/metrics-apiserver. */
  main?: string;
  /** More flags for it. */
  serverArgs?: string[];
  /** Bound on the wait for Available; default 90 s. */
  availableTimeoutMs?: number;
}

export interface ServerBesideOptions {
  /** The program (compiled main.js). */
  main: string;
  served: GroupVersions;
  /** The Service kube-apiserver dials (an ExternalName to localhost). */
  service: { name: string; namespace: string };
  /** The APIServices' priorities (default the aggregation package's). */
  groupPriorityMinimum?: number;
  versionPriority?: number;
  serverArgs?: string[];
  availableTimeoutMs?: number;
}

export interface ServerBeside {
  server: SampleServer;
  servingCA: CertificateAuthority;
  objects: AggregationObject[];
  /** A request straight to the server, as kube-apiserver's front proxy sends it for `user` (default admin, system:masters). */
  ask(path: string, opts?: Omit<HttpsOptions, 'ca'> & { user?: string; groups?: string[] }): Promise<HttpsResult>;
  /** Stops the server (the cluster and its registration stay). */
  stop(): Promise<void>;
}

export type MetricsServer = ServerBeside;

export function startMetricsServer(cluster: Cluster, opts: MetricsServerOptions = {}): Promise<MetricsServer> {
  return startServerBeside(cluster, {
    main: opts.main ?? METRICS_MAIN,
    served: EXTERNAL_METRICS,
    service: METRICS_SERVICE,
    groupPriorityMinimum: 100,
    versionPriority: 100,
    ...(opts.serverArgs ? { serverArgs: opts.serverArgs } : {}),
    ...(opts.availableTimeoutMs ? { availableTimeoutMs: opts.availableTimeoutMs } : {}),
  });
}

export async function startServerBeside(cluster: Cluster, opts: ServerBesideOptions): Promise<ServerBeside> {
  const dir = mkdtempSync(join(tmpdir(), 'kapi-beside-'));
  let server: SampleServer | undefined;
  try {
    const host = serviceHost(opts.service.name, opts.service.namespace);
    const servingCA = createCA(`${opts.service.namespace}-serving-ca`);
    const serving = createServingCert(servingCA, { commonName: host, hosts: [host, `${host}.cluster.local`, 'localhost', '127.0.0.1'] });
    writeFileSync(join(dir, 'serving.crt'), serving.cert);
    writeFileSync(join(dir, 'serving.key'), serving.key, { mode: 0o600 });
    server = await startSampleServer({
      storageBackend: 'sqlite',
      main: opts.main,
      extraArgs: [`--tls-cert-file=${join(dir, 'serving.crt')}`, `--tls-private-key-file=${join(dir, 'serving.key')}`, ...delegatedFlags(cluster.kubeconfig), ...(opts.serverArgs ?? [])],
    });
    const running = server;
    const objects = buildAggregationObjects({
      served: [opts.served],
      caBundlePem: servingCA.cert,
      port: server.port,
      serviceName: opts.service.name,
      namespace: opts.service.namespace,
      externalName: 'localhost',
      ...(opts.groupPriorityMinimum !== undefined ? { groupPriorityMinimum: opts.groupPriorityMinimum } : {}),
      ...(opts.versionPriority !== undefined ? { versionPriority: opts.versionPriority } : {}),
      identity: { user: 'admin' },
    });
    await registerAPIServices(cluster.kubeconfig, objects);
    await waitForAPIServicesAvailable(cluster.kubeconfig, objects, { timeoutMs: opts.availableTimeoutMs ?? 90_000 }).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}\n${opts.main} log (tail):\n${running.logs().split('\n').slice(-30).join('\n')}`);
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
