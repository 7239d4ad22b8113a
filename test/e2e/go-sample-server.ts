/**
 * The Go k8s.io/sample-apiserver (hack/build-sample-apiserver.sh, the pinned version) as the
 * control for a wire test: started against a real cluster with delegated authentication and
 * authorization and the cluster's etcd, and asked directly as the front proxy, the same case a
 * test runs on kapi shows what Go does.
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

export interface GoSampleServer {
  url: string;
  port: number;
  /** The CA of its serving certificate, which is valid for 127.0.0.1, localhost and api.wardle.svc (registerServer can make it WARDLE's backend). */
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
export async function startGoSampleServer(cluster: Cluster, readyNamespace: string): Promise<GoSampleServer> {
  const binary = goSampleApiserverBinary();
  const dir = mkdtempSync(join(tmpdir(), 'kapi-go-sample-'));
  const ca = createCA('go-sample-serving-ca');
  const serving = createServingCert(ca, { hosts: ['127.0.0.1', 'localhost', serviceHost(SERVICE_NAME, SERVICE_NAMESPACE)] });
  writeFileSync(join(dir, 'serving.crt'), serving.cert);
  writeFileSync(join(dir, 'serving.key'), serving.key, { mode: 0o600 });
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      `--secure-port=${port}`,
      '--bind-address=127.0.0.1',
      `--tls-cert-file=${join(dir, 'serving.crt')}`,
      `--tls-private-key-file=${join(dir, 'serving.key')}`,
      `--kubeconfig=${cluster.kubeconfig}`,
      `--authentication-kubeconfig=${cluster.kubeconfig}`,
      `--authorization-kubeconfig=${cluster.kubeconfig}`,
      `--etcd-servers=${cluster.etcdEndpoint}`,
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c));
  const url = `https://127.0.0.1:${port}`;
  const asUser = (path: string, user: string, groups: string[] = [], opts: Omit<HttpsOptions, 'ca'> = {}): Promise<HttpsResult> =>
    httpsRequest(url + path, {
      ca: ca.cert,
      cert: cluster.frontProxy.clientCertPem,
      key: cluster.frontProxy.clientKeyPem,
      ...opts,
      headers: { 'X-Remote-User': user, ...(groups.length ? { 'X-Remote-Group': groups.join(',') } : {}), ...opts.headers },
    });
  const stop = async (): Promise<void> => {
    await stopProcess(child, 10_000);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 60_000;
  let last = '';
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Go sample-apiserver exited with ${child.exitCode}:\n${output.slice(-3000)}`);
    const res = await asUser(`/apis/wardle.example.com/v1beta1/namespaces/${readyNamespace}/flunders`, 'admin', ['system:masters']).catch((err: Error) => ({ status: 0, body: err.message }));
    if (res.status === 200) break;
    last = `${res.status} ${res.body.slice(0, 200)}`;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Go sample-apiserver not ready in 60 s (last: ${last}):\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, port, caPem: ca.cert, asUser, logs: () => output, stop };
}
