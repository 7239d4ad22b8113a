/**
 * kube-controller-manager against a devcluster's kube-apiserver, with the controllers that act on
 * an aggregated server's resources: the garbage collector and the namespace controller by default.
 *
 * On loopback only (its own serving certificate from the cluster CA, on a free port), without
 * leader election, as `system:kube-controller-manager` in `system:masters` (its own client
 * certificate and kubeconfig, so that a server's logs tell its requests from the admin's), its
 * log in the cluster's temp dir. Started by startCluster({ controllerManager }) or
 * cluster.startControllerManager(), stopped with the cluster.
 *
 * The garbage collector reads discovery when it starts and then every 30 s (a constant in
 * kube-controller-manager, no flag): started after an aggregated API is Available, it watches the
 * API's resources at once; started before, it notices them within 30 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createClientCert, createServingCert, type CertificateAuthority } from '@kapi/apiserver/security';
import { freePort, stopProcess } from '@kapi/storage/etcd-server';

/** The garbage collector and the namespace controller (their names in --controllers; the aliases garbagecollector and namespace work too). */
export const DEFAULT_CONTROLLERS: readonly string[] = ['garbage-collector-controller', 'namespace-controller'];
/** The user kube-controller-manager is (its client certificate's CN; O=system:masters). */
export const CONTROLLER_MANAGER_USER = 'system:kube-controller-manager';

export interface ControllerManagerOptions {
  /** kube-controller-manager binary; the pinned version (built when missing) otherwise. */
  binary?: string;
  /** --controllers; default DEFAULT_CONTROLLERS (e.g. add 'horizontal-pod-autoscaler-controller'). */
  controllers?: readonly string[];
  /** Appended to the generated flags (a later flag wins). */
  extraArgs?: string[];
  /** Bound on the wait for its /healthz; default 60 s. */
  readyTimeoutMs?: number;
}

export interface ControllerManager {
  /** https://127.0.0.1:<port>: its /healthz, /metrics, /debug/controllers/... */
  url: string;
  /** Its kubeconfig (the cluster, as system:kube-controller-manager). */
  kubeconfig: string;
  /** Its stdout and stderr (klog, --v=2). */
  logFile: string;
  controllers: readonly string[];
  /** Stops it (SIGTERM, then SIGKILL); the cluster stays. */
  stop(): Promise<void>;
  /** Stops it and starts it again with the same flags and port; waits for /healthz. Its controllers start afresh (the garbage collector reads discovery again). */
  restart(): Promise<void>;
}

/** What startCluster gives the launcher: where the cluster is, and how it tracks the process. */
export interface ControllerManagerHost {
  /** The cluster's temp dir: certificates, kubeconfig and log go there. */
  dir: string;
  /** kube-apiserver's URL. */
  server: string;
  /** The cluster CA (it signs kube-controller-manager's client and serving certificates). */
  ca: CertificateAuthority;
  /** kube-controller-manager's process, each time it starts (to kill if this process dies) and when it is gone (undefined). */
  track(child: ChildProcess | undefined): void;
}

const DEFAULT_READY_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 10_000;
const LOG_TAIL_LINES = 40;

function tail(file: string, lines = LOG_TAIL_LINES): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function b64(pem: string): string {
  return Buffer.from(pem).toString('base64');
}

function healthz(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/healthz`, { ca, timeout: 2_000, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}/healthz timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Writes its certificates and kubeconfig into host.dir, starts it and waits for /healthz. */
export async function launchControllerManager(host: ControllerManagerHost, binary: string, opts: ControllerManagerOptions = {}): Promise<ControllerManager> {
  const file = (name: string): string => join(host.dir, name);
  const client = createClientCert(host.ca, { commonName: CONTROLLER_MANAGER_USER, organizations: ['system:masters'] });
  const serving = createServingCert(host.ca, { commonName: 'kube-controller-manager', hosts: ['127.0.0.1', 'localhost'] });
  writeFileSync(file('kube-controller-manager.crt'), serving.cert);
  writeFileSync(file('kube-controller-manager.key'), serving.key, { mode: 0o600 });
  const kubeconfig = file('kube-controller-manager.kubeconfig');
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'kapi-test', cluster: { server: host.server, 'certificate-authority-data': b64(host.ca.cert) } }],
      users: [{ name: CONTROLLER_MANAGER_USER, user: { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key) } }],
      contexts: [{ name: 'kapi-test', context: { cluster: 'kapi-test', user: CONTROLLER_MANAGER_USER } }],
      'current-context': 'kapi-test',
      preferences: {},
    }),
    { mode: 0o600 },
  );

  const controllers = [...(opts.controllers ?? DEFAULT_CONTROLLERS)];
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const logFile = file('kube-controller-manager.log');
  const args = [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${file('kube-controller-manager.crt')}`,
    `--tls-private-key-file=${file('kube-controller-manager.key')}`,
    '--leader-elect=false',
    // Every controller as kube-controller-manager itself (no service account per controller, so no token controller needed).
    '--use-service-account-credentials=false',
    `--controllers=${controllers.join(',')}`,
    // The garbage collector's "syncing garbage collector with updated resources from discovery" is at 2.
    '--v=2',
    ...(opts.extraArgs ?? []),
  ];
  const readyTimeoutMs = opts.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  let child: ChildProcess | undefined;

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running) await stopProcess(running, STOP_GRACE_MS);
    host.track(undefined);
  };

  const launch = async (): Promise<void> => {
    const fd = openSync(logFile, 'a');
    let started: ChildProcess;
    try {
      started = spawn(binary, args, { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    child = started;
    host.track(started);
    const since = Date.now();
    const deadline = since + readyTimeoutMs;
    let last = 'no answer yet';
    for (;;) {
      if (started.exitCode !== null || started.signalCode !== null) {
        last = `it exited (${started.exitCode ?? started.signalCode})`;
        break;
      }
      try {
        const res = await healthz(url, host.ca.cert);
        if (res.status === 200 && res.body.trim() === 'ok') return;
        last = `GET /healthz: ${res.status} ${res.body.slice(0, 500)}`;
      } catch (err) {
        last = `GET /healthz: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (Date.now() > deadline) {
        last = `timed out (${readyTimeoutMs} ms); last: ${last}`;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await stop();
    throw new Error(
      `kube-controller-manager (${url}) did not become healthy: ${last} after ${Date.now() - since} ms\n` +
        `last ${LOG_TAIL_LINES} lines of ${logFile}:\n${tail(logFile)}`,
    );
  };

  await launch();
  return {
    url,
    kubeconfig,
    logFile,
    controllers,
    stop,
    async restart() {
      await stop();
      await launch();
    },
  };
}
