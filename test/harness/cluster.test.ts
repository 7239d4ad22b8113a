import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { startCluster, type Cluster } from './index.js';

/** The first run on a fresh machine builds kube-apiserver (about 5 minutes on two cores). */
jest.setTimeout(15 * 60 * 1000);

function kubectl(cluster: Cluster, ...args: string[]): string {
  return execFileSync('kubectl', ['--kubeconfig', cluster.kubeconfig, ...args], { encoding: 'utf8', timeout: 60_000 });
}

/** Pids of live processes whose command line (arguments joined by spaces) contains `needle`. */
function pidsMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').includes(needle)) pids.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return pids;
}

describe('startCluster: a real kube-apiserver with its own etcd', () => {
  let cluster: Cluster | undefined;

  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts, answers kubectl as system:masters, and stops everything it started', async () => {
    cluster = await startCluster();
    const c = cluster;
    expect(c.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(c.frontProxy.caPem).toContain('BEGIN CERTIFICATE');
    expect(c.frontProxy.clientKeyPem).toContain('PRIVATE KEY');

    expect(kubectl(c, 'get', '--raw', '/readyz').trim()).toBe('ok');
    expect(kubectl(c, 'get', 'ns', '-o', 'name').split('\n')).toContain('namespace/default');
    expect(kubectl(c, 'auth', 'can-i', 'create', 'deployments', '-n', 'default').trim()).toBe('yes');
    expect(kubectl(c, 'auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}').trim()).toBe('admin');

    // The front-proxy settings an aggregated server reads.
    const auth = JSON.parse(
      kubectl(c, 'get', 'configmap', '-n', 'kube-system', 'extension-apiserver-authentication', '-o', 'json'),
    ) as { data: Record<string, string> };
    expect(JSON.parse(auth.data['requestheader-allowed-names']!)).toEqual(['front-proxy-client']);
    const lf = (pem: string): string => pem.replace(/\r\n/g, '\n').trim();
    expect(lf(auth.data['requestheader-client-ca-file']!)).toBe(lf(c.frontProxy.caPem));

    // Restarting kube-apiserver keeps the data in etcd.
    kubectl(c, 'create', 'namespace', 'kapi-harness');
    await c.restartApiserver();
    expect(kubectl(c, 'get', 'ns', 'kapi-harness', '-o', 'name').trim()).toBe('namespace/kapi-harness');

    const { dir, etcdEndpoint } = c;
    const apiserverFlag = `--secure-port=${new URL(c.server).port}`;
    const etcdFlag = `--listen-client-urls ${etcdEndpoint}`;
    expect(pidsMentioning(apiserverFlag)).toHaveLength(1);
    expect(pidsMentioning(etcdFlag)).toHaveLength(1);
    await c.stop();
    cluster = undefined;

    expect(pidsMentioning(apiserverFlag)).toEqual([]);
    expect(pidsMentioning(etcdFlag)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
  });

  it('reports a kube-apiserver that does not start with the tail of its log, and cleans up', async () => {
    const failure = await startCluster({ extraArgs: ['--no-such-flag=1'] }).then(
      () => new Error('startCluster succeeded with a bad flag'),
      (err: Error) => err,
    );
    expect(failure.message).toMatch(/did not become ready: it exited[\s\S]*last 40 lines of .*kube-apiserver\.log:[\s\S]*unknown flag: --no-such-flag/);
    // The cluster's own temp dir (named in the message) is gone; other test files may be making theirs meanwhile.
    const dir = /last 40 lines of (\S+)\/kube-apiserver\.log/.exec(failure.message)?.[1];
    expect(dir).toMatch(/kapi-cluster-/);
    expect(existsSync(dir as string)).toBe(false);
  });

  it('starts kube-controller-manager beside it on loopback, and stops it with the cluster', async () => {
    cluster = await startCluster({ controllerManager: true });
    const c = cluster;
    const kcm = c.controllerManager!;
    expect(kcm.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(kcm.controllers).toEqual(['garbage-collector-controller', 'namespace-controller']);
    expect(kcm.logFile.startsWith(c.dir)).toBe(true);
    const flag = `--secure-port=${new URL(kcm.url).port}`;
    const [pid] = pidsMentioning(flag);
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(args).toEqual(expect.arrayContaining(['--bind-address=127.0.0.1', '--leader-elect=false', '--controllers=garbage-collector-controller,namespace-controller']));

    // Its namespace controller empties and removes a namespace being deleted (kube-apiserver alone never would).
    kubectl(c, 'create', 'namespace', 'kapi-kcm');
    kubectl(c, 'create', 'configmap', 'x', '-n', 'kapi-kcm');
    kubectl(c, 'delete', 'namespace', 'kapi-kcm', '--wait=true', '--timeout=60s');
    expect(kubectl(c, 'get', 'namespaces', '-o', 'name')).not.toContain('namespace/kapi-kcm');
    await expect(c.startControllerManager()).rejects.toThrow(/already running/);

    await c.stop();
    cluster = undefined;
    expect(pidsMentioning(flag)).toEqual([]);
  });
});
