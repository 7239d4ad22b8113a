/**
 * One control-plane component beside a devcluster's kube-apiserver — kube-controller-manager,
 * kube-scheduler — launched the same way: on loopback only (its own serving certificate from the
 * cluster CA, on a free port), without leader election, as its own user in `system:masters` (its
 * own client certificate and kubeconfig, so that a server's logs tell its requests from the
 * admin's), its log in the cluster's temp dir, ready when its /healthz says ok.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createClientCert, createServingCert, type CertKeyPair, type CertificateAuthority } from '@kapi/apiserver/security';
import { freePort, spawnLogged, stopProcess } from '@kapi/storage/etcd-server';
import { requestTls } from './http.js';

/** What startCluster gives a launcher: where the cluster is, and how it tracks the processes. */
export interface ComponentHost {
  /** The cluster's temp dir: certificates, kubeconfigs and logs go there. */
  dir: string;
  /** kube-apiserver's URL. */
  server: string;
  /** The cluster CA (it signs the components' client and serving certificates). */
  ca: CertificateAuthority;
  /** `name`'s processes each time they change (to kill if this process dies); [] when it is gone. */
  track(name: string, children: readonly ChildProcess[]): void;
}

export interface ComponentSpec {
  /** e.g. kube-controller-manager: names its files in the cluster dir. */
  name: string;
  binary: string;
  /** Its client certificate's CN (O=system:masters). */
  user: string;
  /** Its own flags, after the common ones (a later flag wins). */
  args: readonly string[];
  /** Bound on the wait for its /healthz. */
  readyTimeoutMs: number;
}

export interface Component {
  /** https://127.0.0.1:<port>: its /healthz, /metrics, ... */
  url: string;
  /** Its kubeconfig (the cluster, as its user). */
  kubeconfig: string;
  /** Its stdout and stderr (klog). */
  logFile: string;
  /** Stops it (SIGTERM, then SIGKILL); the cluster stays. */
  stop(): Promise<void>;
  /** Stops it and starts it again with the same flags and port; waits for /healthz. */
  restart(): Promise<void>;
}

const STOP_GRACE_MS = 10_000;
export const LOG_TAIL_LINES = 40;

export function tail(file: string, lines = LOG_TAIL_LINES): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function b64(pem: string): string {
  return Buffer.from(pem).toString('base64');
}

/** A kubeconfig (mode 0600) for `user` with its client certificate `client`, signed by the cluster CA. */
export function writeKubeconfig(path: string, server: string, caPem: string, user: string, client: CertKeyPair): void {
  writeConfig(path, server, caPem, user, { 'client-certificate-data': b64(client.cert), 'client-key-data': b64(client.key) });
}

/** A kubeconfig (mode 0600) for `user` with a bearer token (a service account's, from `kubectl create token`). */
export function writeTokenKubeconfig(path: string, server: string, caPem: string, user: string, token: string): void {
  writeConfig(path, server, caPem, user, { token });
}

/** One cluster, one user with `credentials`, one current context: the file both writers above make. */
function writeConfig(path: string, server: string, caPem: string, user: string, credentials: Record<string, string>): void {
  writeFileSync(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'kapi-test', cluster: { server, 'certificate-authority-data': b64(caPem) } }],
      users: [{ name: user, user: credentials }],
      contexts: [{ name: 'kapi-test', context: { cluster: 'kapi-test', user } }],
      'current-context': 'kapi-test',
      preferences: {},
    }),
    { mode: 0o600 },
  );
}

/** A kubeconfig for `user` in `organizations`, with a new client certificate from the cluster CA. */
export function writeUserKubeconfig(path: string, server: string, ca: CertificateAuthority, user: string, organizations: string[]): void {
  writeKubeconfig(path, server, ca.cert, user, createClientCert(ca, { commonName: user, organizations }));
}

/** Writes its certificates and kubeconfig into host.dir, starts it and waits for /healthz. */
export async function launchComponent(host: ComponentHost, spec: ComponentSpec): Promise<Component> {
  const file = (suffix: string): string => join(host.dir, `${spec.name}${suffix}`);
  const serving = createServingCert(host.ca, { commonName: spec.name, hosts: ['127.0.0.1', 'localhost'] });
  writeFileSync(file('.crt'), serving.cert);
  writeFileSync(file('.key'), serving.key, { mode: 0o600 });
  const kubeconfig = file('.kubeconfig');
  writeUserKubeconfig(kubeconfig, host.server, host.ca, spec.user, ['system:masters']);

  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const logFile = file('.log');
  const args = [
    `--kubeconfig=${kubeconfig}`,
    `--authentication-kubeconfig=${kubeconfig}`,
    `--authorization-kubeconfig=${kubeconfig}`,
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--tls-cert-file=${file('.crt')}`,
    `--tls-private-key-file=${file('.key')}`,
    '--leader-elect=false',
    ...spec.args,
  ];
  let child: ChildProcess | undefined;

  const stop = async (): Promise<void> => {
    const running = child;
    child = undefined;
    if (running) await stopProcess(running, STOP_GRACE_MS);
    host.track(spec.name, []);
  };

  const launch = async (): Promise<void> => {
    const started = spawnLogged(spec.binary, args, logFile);
    child = started;
    host.track(spec.name, [started]);
    const since = Date.now();
    const deadline = since + spec.readyTimeoutMs;
    let last = 'no answer yet';
    for (;;) {
      if (started.exitCode !== null || started.signalCode !== null) {
        last = `it exited (${started.exitCode ?? started.signalCode})`;
        break;
      }
      try {
        const res = await requestTls(`${url}/healthz`, { ca: host.ca.cert });
        if (res.status === 200 && res.body.trim() === 'ok') return;
        last = `GET /healthz: ${res.status} ${res.body.slice(0, 500)}`;
      } catch (err) {
        last = `GET /healthz: ${err instanceof Error ? err.message : String(err)}`;
      }
      if (Date.now() > deadline) {
        last = `timed out (${spec.readyTimeoutMs} ms); last: ${last}`;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    await stop();
    throw new Error(`${spec.name} (${url}) did not become healthy: ${last} after ${Date.now() - since} ms\nlast ${LOG_TAIL_LINES} lines of ${logFile}:\n${tail(logFile)}`);
  };

  await launch();
  return {
    url,
    kubeconfig,
    logFile,
    stop,
    async restart() {
      await stop();
      await launch();
    },
  };
}
