/**
 * The Go controls of the wire tests: servers built on k8s.io/apiserver, started against a real
 * cluster with delegated authentication and authorization and asked directly as the front proxy,
 * so that the same case a test runs on kapi shows what Go does. startGoSampleServer runs the
 * k8s.io/sample-apiserver (hack/build-sample-apiserver.sh, the pinned version) on the cluster's
 * etcd; startGoServer any other (the metrics adapter of test/aggregation).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serviceHost } from '@kapi/apiserver/aggregation';
import { createCA, createServingCert } from '@kapi/apiserver/security';
import { stopProcess } from '@kapi/storage/etcd-server';
import type { Cluster } from '../harness/index.js';
import { httpsRequest, SERVICE_NAME, SERVICE_NAMESPACE, type HttpsOptions, type HttpsResult } from '../aggregation/aggregated.js';
import { freePort } from './sample-server.js';

const REPO_ROOT = resolve(__dirname, '../..');
const BUILD_SCRIPT = join(REPO_ROOT, 'hack', 'build-sample-apiserver.sh');

/** A running Go server (startGoServer). */
export interface GoServer {
  url: string;
  port: number;
  /** The CA of its serving certificate, valid for 127.0.0.1, localhost and GoServerOptions.hosts (the sample-apiserver's: api.wardle.svc, so registerServer can make it WARDLE's backend). */
  caPem: string;
  /** A request to it as kube-apiserver's front proxy would send it for `user` (and `groups`). */
  asUser(path: string, user: string, groups?: string[], opts?: Omit<HttpsOptions, 'ca'>): Promise<HttpsResult>;
  logs(): string;
  stop(): Promise<void>;
}

/** The binary's path, built (once, cached in ~/.cache/kapi/bin) when missing. */
export function goSampleApiserverBinary(): string {
  const out = execFileSync('bash', [BUILD_SCRIPT], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: 20 * 60_000 });
  const path = out.trim().split('\n').pop()!.trim();
  if (!existsSync(path)) throw new Error(`${BUILD_SCRIPT} reported ${path}, which does not exist`);
  return path;
}

/** Starts it on a free port and waits until it answers a namespaced list (its NamespaceLifecycle informer synced). */
export async function startGoSampleServer(cluster: Cluster, readyNamespace: string): Promise<GoServer> {
  return startGoServer(cluster, {
    name: 'Go sample-apiserver',
    binary: goSampleApiserverBinary(),
    hosts: [serviceHost(SERVICE_NAME, SERVICE_NAMESPACE)],
    args: [
      `--kubeconfig=${cluster.kubeconfig}`,
      `--authentication-kubeconfig=${cluster.kubeconfig}`,
      `--authorization-kubeconfig=${cluster.kubeconfig}`,
      `--etcd-servers=${cluster.etcdEndpoint}`,
    ],
    readyPath: `/apis/wardle.example.com/v1beta1/namespaces/${readyNamespace}/flunders`,
  });
}

export interface GoServerOptions {
  /** For messages: "Go sample-apiserver". */
  name: string;
  binary: string;
  /** Its flags besides the serving ones (--secure-port, --bind-address, --tls-*). */
  args: string[];
  /** Names its serving certificate is valid for besides 127.0.0.1 and localhost. */
  hosts?: string[];
  /** Ready once this answers 200 to the cluster's admin through the front proxy. */
  readyPath: string;
}

/**
 * A Go server built on k8s.io/apiserver (the sample-apiserver, a custom metrics adapter), started
 * on a free loopback port with a serving certificate of its own and asked as the front proxy.
 */
export async function startGoServer(cluster: Cluster, opts: GoServerOptions): Promise<GoServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kapi-go-server-'));
  const ca = createCA('go-serving-ca');
  const serving = createServingCert(ca, { hosts: ['127.0.0.1', 'localhost', ...(opts.hosts ?? [])] });
  writeFileSync(join(dir, 'serving.crt'), serving.cert);
  writeFileSync(join(dir, 'serving.key'), serving.key, { mode: 0o600 });
  const port = await freePort();
  const child: ChildProcess = spawn(
    opts.binary,
    [`--secure-port=${port}`, '--bind-address=127.0.0.1', `--tls-cert-file=${join(dir, 'serving.crt')}`, `--tls-private-key-file=${join(dir, 'serving.key')}`, ...opts.args],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c));
  const url = `https://127.0.0.1:${port}`;
  const asUser = (path: string, user: string, groups: string[] = [], requestOpts: Omit<HttpsOptions, 'ca'> = {}): Promise<HttpsResult> =>
    httpsRequest(url + path, {
      ca: ca.cert,
      cert: cluster.frontProxy.clientCertPem,
      key: cluster.frontProxy.clientKeyPem,
      ...requestOpts,
      headers: { 'X-Remote-User': user, ...(groups.length ? { 'X-Remote-Group': groups.join(',') } : {}), ...requestOpts.headers },
    });
  const stop = async (): Promise<void> => {
    await stopProcess(child, 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  let last = '';
  for (;;) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`${opts.name} exited with ${child.exitCode}:\n${output.slice(-3000)}`);
    }
    const res = await asUser(opts.readyPath, 'admin', ['system:masters']).catch((err: Error) => ({ status: 0, body: err.message }));
    if (res.status === 200) break;
    last = `${res.status} ${res.body.slice(0, 200)}`;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${opts.name} not ready in 60 s (last: ${last}):\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, port, caPem: ca.cert, asUser, logs: () => output, stop };
}
