/**
 * A real kube-apiserver (with its own etcd) for tests and local runs, set up the way an aggregated
 * API server finds a cluster: admin client certificate, front-proxy CA and client certificate for
 * the aggregator, service-account keys, RBAC. Optionally kube-controller-manager beside it
 * (controller-manager.ts). Everything lives in one temp dir and is stopped by `stop()`, at the
 * latest when this process exits.
 */
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCA, createClientCert, createServingCert } from '@kapi/apiserver/security';
import { freePort, spawnLogged, startEtcd, stopProcess, type EtcdServer } from '@kapi/storage/etcd-server';
import { LOG_TAIL_LINES, tail, writeKubeconfig, type Component } from './component.js';
import { launchControllerManager, type ControllerManager, type ControllerManagerOptions } from './controller-manager.js';
import { APISERVER_KUBELET_CLIENT_USER, launchNode, type KubeNode, type NodeHost, type NodeOptions } from './node.js';
import { launchScheduler, type Scheduler, type SchedulerOptions } from './scheduler.js';
import { requestTls, type TlsClient } from './http.js';
import { ensureKubeBinaries, ensureKubeBinary } from './kube-binaries.js';
import { findChildPid, Watchdog } from './watchdog.js';

export interface ClusterOptions {
  /** kube-apiserver binary; the pinned version (built when missing) otherwise. */
  binary?: string;
  /** Use this etcd instead of starting one (it is then neither restarted nor stopped here). */
  etcdEndpoint?: string;
  /** The etcd started here: its --quota-backend-bytes (etcd's default, 2 GiB, otherwise); not with etcdEndpoint. */
  etcdQuotaBackendBytes?: number;
  /** Appended to the generated flags (a later flag wins in kube-apiserver). */
  extraArgs?: string[];
  /** Bound on the wait for /readyz and the bootstrap objects; default 90 s. */
  readyTimeoutMs?: number;
  /** Keep the temp dir (certs, kubeconfig, log) after stop(), for debugging. Default false. */
  keepDir?: boolean;
  /**
   * Also start kube-controller-manager (true: its default controllers, the garbage collector and
   * the namespace controller) once kube-apiserver is ready. cluster.startControllerManager() starts
   * it later instead, e.g. after an aggregated API is Available.
   */
  controllerManager?: boolean | ControllerManagerOptions;
}

export interface FrontProxy {
  /** The CA kube-apiserver trusts for --requestheader-client-ca-file. */
  caPem: string;
  /** The aggregator's client certificate (CN=front-proxy-client), also --proxy-client-cert-file. */
  clientCertPem: string;
  clientKeyPem: string;
}

export interface Cluster {
  /** https://127.0.0.1:<port> */
  server: string;
  /** Path of the admin kubeconfig (CN=admin, O=system:masters). */
  kubeconfig: string;
  /** The temp dir holding certs, kubeconfig and kube-apiserver.log. */
  dir: string;
  /** The cluster CA: signs the serving certificate and the client certificates (--client-ca-file). */
  caPem: string;
  /** The admin client certificate and key (as in the kubeconfig). */
  admin: { certPem: string; keyPem: string };
  frontProxy: FrontProxy;
  /** http://127.0.0.1:<port> */
  etcdEndpoint: string;
  /** kube-apiserver's stdout and stderr. */
  logFile: string;
  /** kube-controller-manager when it was started (options.controllerManager or startControllerManager) and not stopped. */
  readonly controllerManager: ControllerManager | undefined;
  /** Starts kube-controller-manager against this kube-apiserver (one at a time); it is stopped with the cluster. */
  startControllerManager(opts?: ControllerManagerOptions): Promise<ControllerManager>;
  /** Starts kube-scheduler (one at a time), to place the Pods of Deployments on the nodes; stopped with the cluster. */
  startScheduler(opts?: SchedulerOptions): Promise<Scheduler>;
  /** Starts a node (a kubelet on its own containerd, node.ts), e.g. '127.0.0.2'; stopped with the cluster. Needs root. */
  startNode(opts?: NodeOptions): Promise<KubeNode>;
  /** The nodes started and not stopped. */
  readonly nodes: readonly KubeNode[];
  /** Stops the nodes, kube-scheduler, kube-controller-manager, kube-apiserver and etcd (SIGTERM, then SIGKILL) and removes the temp dir. */
  stop(): Promise<void>;
  /** Stops kube-apiserver and starts it again with the same flags and port; waits for /readyz. */
  restartApiserver(): Promise<void>;
}

const DEFAULT_READY_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 10_000;
export const SERVICE_CLUSTER_IP_RANGE = '10.0.0.0/24';
export const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc';
export const FRONT_PROXY_CLIENT_NAME = 'front-proxy-client';

/** kube-apiservers started here and not yet stopped; temp dirs not yet removed; clusters not yet stopped. */
const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
const liveClusters = new Set<Cluster>();
let hooksInstalled = false;

/** Stops every cluster this process started and has not stopped (a test that failed before its stop()). */
export async function stopAllClusters(): Promise<void> {
  await Promise.all([...liveClusters].map((cluster) => cluster.stop()));
}

function killAllNow(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/**
 * In-process cleanup for plain node (the CLI): on exit, and on SIGINT/SIGTERM when nobody else
 * handles them. Under jest these listeners never run (its `process` is a sandbox copy); there the
 * afterAll below and each cluster's Watchdog do the job.
 */
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    if (process.listenerCount(signal) > 0) continue;
    const onSignal = (): void => {
      killAllNow();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}

// In a jest test file (which loads its own copy of this module), stop what its tests left running.
if (typeof afterAll === 'function') afterAll(stopAllClusters);

async function terminate(child: ChildProcess): Promise<void> {
  await stopProcess(child, STOP_GRACE_MS);
  running.delete(child);
}

function writePrivate(path: string, content: string): string {
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** Starts etcd and kube-apiserver; resolves once /readyz is ok and the bootstrap objects exist. */
export async function startCluster(opts: ClusterOptions = {}): Promise<Cluster> {
  installHooks();
  const kcmOptions: ControllerManagerOptions | undefined = opts.controllerManager === true ? {} : opts.controllerManager || undefined;
  let binary = opts.binary;
  let kcmBinary = kcmOptions?.binary;
  if (!binary && kcmOptions && !kcmBinary) {
    // Both missing on a fresh machine: one build for the two.
    const built = await ensureKubeBinaries(['kube-apiserver', 'kube-controller-manager']);
    binary = built['kube-apiserver'];
    kcmBinary = built['kube-controller-manager'];
  }
  binary ??= await ensureKubeBinary('kube-apiserver');
  const readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const dir = mkdtempSync(join(tmpdir(), 'kapi-cluster-'));
  if (!opts.keepDir) tempDirs.add(dir);
  let etcd: EtcdServer | undefined;
  let apiserver: ChildProcess | undefined;
  const file = (name: string): string => join(dir, name);
  const logFile = file('kube-apiserver.log');

  let etcdPid: number | undefined;
  /** The processes of each component beside kube-apiserver (kube-controller-manager, nodes, ...), by name. */
  const componentChildren = new Map<string, readonly ChildProcess[]>();
  let controllerManager: ControllerManager | undefined;
  let scheduler: Scheduler | undefined;
  const nodes: KubeNode[] = [];
  const watchdog = new Watchdog(join(dir, '.watchdog'));
  const ownedPaths = opts.keepDir ? [] : [dir];
  const track = (): void => watchdog.track([etcdPid, apiserver?.pid, ...[...componentChildren.values()].flat().map((c) => c.pid)], ownedPaths);
  track();
  let cluster: Cluster | undefined;

  const cleanup = async (): Promise<void> => {
    if (cluster) liveClusters.delete(cluster);
    await Promise.all(nodes.splice(0).map((node) => node.stop()));
    await scheduler?.stop();
    scheduler = undefined;
    await controllerManager?.stop();
    controllerManager = undefined;
    if (apiserver) await terminate(apiserver);
    apiserver = undefined;
    if (etcd) await etcd.stop();
    etcd = undefined;
    watchdog.stop();
    if (!opts.keepDir) rmSync(dir, { recursive: true, force: true });
    tempDirs.delete(dir);
  };

  try {
    // Certificates: one cluster CA for serving and client certs, one front-proxy CA.
    const ca = createCA('kapi-test-ca');
    const serving = createServingCert(ca, {
      commonName: 'kube-apiserver',
      hosts: ['127.0.0.1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', '10.0.0.1'],
    });
    const admin = createClientCert(ca, { commonName: 'admin', organizations: ['system:masters'] });
    const frontProxyCA = createCA('kapi-test-front-proxy-ca');
    const proxyClient = createClientCert(frontProxyCA, { commonName: FRONT_PROXY_CLIENT_NAME });
    const serviceAccount = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    // What kube-apiserver shows the kubelets of the nodes (node.ts), which trust the cluster CA.
    const kubeletClient = createClientCert(ca, { commonName: APISERVER_KUBELET_CLIENT_USER });
    const pairs = { ca, apiserver: serving, admin, 'front-proxy-ca': frontProxyCA, 'front-proxy-client': proxyClient, 'apiserver-kubelet-client': kubeletClient };
    for (const [name, pair] of Object.entries(pairs)) {
      writeFileSync(file(`${name}.crt`), pair.cert);
      writePrivate(file(`${name}.key`), pair.key);
    }
    writeFileSync(file('sa.pub'), serviceAccount.publicKey);
    writePrivate(file('sa.key'), serviceAccount.privateKey);

    let etcdEndpoint = opts.etcdEndpoint;
    if (!etcdEndpoint) {
      etcd = await startEtcd({ quotaBackendBytes: opts.etcdQuotaBackendBytes });
      etcdEndpoint = etcd.endpoint;
      // startEtcd does not give its pid; the watchdog needs it (and removes etcd's data dir too).
      etcdPid = findChildPid(['--data-dir', etcd.dataDir]);
      ownedPaths.push(etcd.dataDir);
      track();
    }

    const port = await freePort();
    const server = `https://127.0.0.1:${port}`;
    const args = [
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${port}`,
      '--endpoint-reconciler-type=none',
      `--service-cluster-ip-range=${SERVICE_CLUSTER_IP_RANGE}`,
      `--etcd-servers=${etcdEndpoint}`,
      `--tls-cert-file=${file('apiserver.crt')}`,
      `--tls-private-key-file=${file('apiserver.key')}`,
      `--client-ca-file=${file('ca.crt')}`,
      '--authorization-mode=Node,RBAC',
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${file('sa.pub')}`,
      `--service-account-signing-key-file=${file('sa.key')}`,
      `--proxy-client-cert-file=${file('front-proxy-client.crt')}`,
      `--proxy-client-key-file=${file('front-proxy-client.key')}`,
      `--requestheader-client-ca-file=${file('front-proxy-ca.crt')}`,
      `--requestheader-allowed-names=${FRONT_PROXY_CLIENT_NAME}`,
      '--requestheader-username-headers=X-Remote-User',
      '--requestheader-group-headers=X-Remote-Group',
      '--requestheader-extra-headers-prefix=X-Remote-Extra-',
      `--kubelet-client-certificate=${file('apiserver-kubelet-client.crt')}`,
      `--kubelet-client-key=${file('apiserver-kubelet-client.key')}`,
      ...(opts.extraArgs ?? []),
    ];

    const kubeconfig = file('admin.kubeconfig');
    writeKubeconfig(kubeconfig, server, ca.cert, 'admin', admin);

    const tls: TlsClient = { ca: ca.cert, cert: admin.cert, key: admin.key };

    const launch = async (): Promise<void> => {
      const child = spawnLogged(binary, args, logFile);
      running.add(child);
      child.once('exit', () => running.delete(child));
      apiserver = child;
      track();
      const started = Date.now();
      try {
        await waitReady(server, tls, child, readyTimeoutMs);
      } catch (err) {
        await terminate(child);
        apiserver = undefined;
        const reason = err instanceof Error ? err.message : String(err);
        throw new Error(
          `kube-apiserver (${server}) did not become ready: ${reason} after ${Date.now() - started} ms\n` +
            `last ${LOG_TAIL_LINES} lines of ${logFile}:\n${tail(logFile)}`,
        );
      }
    };

    await launch();

    const host: NodeHost = {
      dir,
      server,
      ca,
      admin: tls,
      track(name, children) {
        for (const child of componentChildren.get(name) ?? []) running.delete(child);
        componentChildren.set(name, children);
        for (const child of children) {
          running.add(child);
          child.once('exit', () => running.delete(child));
        }
        track();
      },
    };
    /** One at a time of a component: `keep` holds the running one, which clears it when stopped. */
    const starting = new Set<string>();
    const single = async <T extends Component>(name: string, current: T | undefined, launch: () => Promise<T>, keep: (c: T | undefined) => void): Promise<T> => {
      if (current || starting.has(name)) throw new Error(`${name} is already running${current ? ` (${current.url})` : ''}`);
      starting.add(name);
      try {
        const started = await launch();
        const wrapped: T = {
          ...started,
          async stop() {
            await started.stop();
            keep(undefined);
          },
        };
        keep(wrapped);
        return wrapped;
      } finally {
        starting.delete(name);
      }
    };
    const startControllerManager = (kcmOpts: ControllerManagerOptions = {}, given = kcmOpts.binary): Promise<ControllerManager> =>
      single(
        'kube-controller-manager',
        controllerManager,
        async () => launchControllerManager(host, given ?? (await ensureKubeBinary('kube-controller-manager')), kcmOpts),
        (c) => (controllerManager = c),
      );
    const startScheduler = (schedOpts: SchedulerOptions = {}): Promise<Scheduler> =>
      single('kube-scheduler', scheduler, async () => launchScheduler(host, schedOpts.binary ?? (await ensureKubeBinary('kube-scheduler')), schedOpts), (c) => (scheduler = c));
    let kubeletAdmitted = false;
    const startNode = async (nodeOpts: NodeOptions = {}): Promise<KubeNode> => {
      if (!kubeletAdmitted) {
        // kube-apiserver's requests to the kubelets (logs, exec) are authorized by them with a SubjectAccessReview.
        const binding = {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: 'kapi-apiserver-kubelet-api' },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:kubelet-api-admin' },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: APISERVER_KUBELET_CLIENT_USER }],
        };
        const res = await requestTls(`${server}/apis/rbac.authorization.k8s.io/v1/clusterrolebindings`, tls, { method: 'POST', body: binding });
        if (res.status !== 201 && res.status !== 409) throw new Error(`creating the ClusterRoleBinding for kube-apiserver's kubelet client: ${res.status} ${res.body}`);
        kubeletAdmitted = true;
      }
      const node = await launchNode(host, await ensureKubeBinary('kubelet'), nodeOpts);
      const stopNode = node.stop;
      const tracked: KubeNode = {
        ...node,
        async stop() {
          const i = nodes.indexOf(tracked);
          if (i >= 0) nodes.splice(i, 1);
          await stopNode();
        },
      };
      nodes.push(tracked);
      return tracked;
    };
    if (kcmOptions) await startControllerManager(kcmOptions, kcmBinary);

    cluster = {
      server,
      kubeconfig,
      dir,
      caPem: ca.cert,
      admin: { certPem: admin.cert, keyPem: admin.key },
      frontProxy: { caPem: frontProxyCA.cert, clientCertPem: proxyClient.cert, clientKeyPem: proxyClient.key },
      etcdEndpoint,
      logFile,
      get controllerManager() {
        return controllerManager;
      },
      startControllerManager: (kcmOpts) => startControllerManager(kcmOpts),
      startScheduler,
      startNode,
      get nodes() {
        return [...nodes];
      },
      stop: cleanup,
      async restartApiserver() {
        if (apiserver) await terminate(apiserver);
        apiserver = undefined;
        await launch();
      },
    };
    liveClusters.add(cluster);
    return cluster;
  } catch (err) {
    // The error already carries the log's tail.
    await cleanup().catch(() => undefined);
    throw err;
  }
}

/**
 * Polls /readyz with the admin certificate, then waits for what an aggregated server and the
 * tests need right away: the default namespace and kube-system/extension-apiserver-authentication.
 */
async function waitReady(server: string, tls: TlsClient, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const checks = [
    { path: '/readyz', ok: (s: number, body: string) => s === 200 && body.trim() === 'ok' },
    { path: '/api/v1/namespaces/default', ok: (s: number) => s === 200 },
    { path: '/api/v1/namespaces/kube-system/configmaps/extension-apiserver-authentication', ok: (s: number) => s === 200 },
  ];
  let last = 'no answer yet';
  for (const check of checks) {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`it exited (${child.exitCode ?? child.signalCode})`);
      }
      try {
        const res = await requestTls(server + check.path, tls);
        if (check.ok(res.status, res.body)) break;
        last = `GET ${check.path}: ${res.status} ${res.body.slice(0, 500)}`;
      } catch (err) {
        last = `GET ${check.path}: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (Date.now() > deadline) throw new Error(`timed out (${timeoutMs} ms); last: ${last}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}
