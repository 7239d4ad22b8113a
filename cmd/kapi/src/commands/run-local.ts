/**
 * `kapi run local`: builds the project and runs its server on this machine until Ctrl-C; prints the
 * kubeconfig kubectl should use.
 *
 * - standalone (default): the server's own CA and admin client certificate (`.kapi/admin.kubeconfig`),
 *   on the embedded SQLite store or on etcd (started here unless --etcd-servers);
 * - `--aggregated`: a local kube-apiserver and its etcd (@kapi/devcluster), the server in delegated
 *   mode against it (`--kubeconfig`), registered through an ExternalName Service → localhost:<port>
 *   and one APIService per group/version, waited on until Available; kubectl uses the cluster's admin
 *   kubeconfig (`.kapi/cluster.kubeconfig`) and reaches the server through kube-apiserver;
 * - `--storage crd` keeps the objects as custom resources of a cluster, so it runs aggregated too;
 * - `--controller-manager` (aggregated) also starts kube-controller-manager with the garbage collector
 *   and the namespace controller, once the APIServices are Available (its garbage collector then
 *   watches the server's resources from the start).
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { apiServiceNames, buildAggregationObjects, registerAPIServices, waitForAPIServicesAvailable, type GroupVersions } from '@kapi/apiserver/aggregation';
import { createCA, createServingCert } from '@kapi/apiserver/security';
import type { Cluster } from '@kapi/devcluster';
import { CliError } from '../errors.js';
import { entryOf, groupVersions, namespaceOf, type Project, type ProjectModel } from '../project/model.js';
import { SERVICE_NAME, serviceHosts } from '../templates/deploy/labels.js';
import { step, type Output } from '../ui.js';

export type LocalStorage = 'sqlite' | 'etcd3' | 'crd';
export const LOCAL_STORAGES: readonly LocalStorage[] = ['sqlite', 'etcd3', 'crd'];

export interface RunLocalOptions {
  storage: LocalStorage;
  aggregated: boolean;
  /** Also start kube-controller-manager (garbage collector, namespace controller); implies aggregated. */
  controllerManager?: boolean;
  port: number;
  etcdServers?: string;
  /** Skip `tsc -b` (already built). */
  build: boolean;
  /** Extra flags for the server, after `--`. */
  serverArgs: string[];
  /** Aborted (Ctrl-C) while starting: what was started is stopped and runLocal rejects. */
  signal?: AbortSignal;
}

export interface RunningServer {
  kubeconfig: string;
  /** Resolves with the server's exit code once it stopped (and etcd and kube-apiserver, when started here). */
  done: Promise<number>;
  stop(): void;
}

const READY_TIMEOUT_MS = 60_000;
const AVAILABLE_TIMEOUT_MS = 90_000;
/** The copy of the local cluster's admin kubeconfig that `--aggregated` prints (removed when it stops). */
export const CLUSTER_KUBECONFIG = 'cluster.kubeconfig';

function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function build(project: Project): void {
  if (!existsSync(join(project.dir, 'node_modules'))) {
    throw new CliError(`${project.dir} has no node_modules`, 'run `npm install` in the project first');
  }
  const result = spawnSync('npx', ['tsc', '-b'], { cwd: project.dir, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new CliError(`the build failed (npx tsc -b):\n${result.stdout}${result.stderr}`, 'fix the errors above, then run `kapi run local` again');
  }
}

interface EtcdHandle {
  endpoint: string;
  stop(): Promise<void>;
}

async function startLocalEtcd(project: Project): Promise<EtcdHandle> {
  if (!commandExists('etcd')) {
    throw new CliError('--storage etcd3 needs etcd, and there is no `etcd` on PATH', 'install it (Debian/Ubuntu: apt-get install etcd-server), or pass --etcd-servers http://host:2379');
  }
  // The same starter the kapi test suites use: free ports, a data dir under .kapi/, killed with us.
  const { startEtcd } = await import('@kapi/storage/etcd-server');
  const etcd = await startEtcd({ dataDir: join(project.dir, '.kapi', 'etcd') });
  return { endpoint: etcd.endpoint, stop: () => etcd.stop() };
}

async function startLocalCluster(): Promise<Cluster> {
  if (!commandExists('etcd')) {
    throw new CliError('--aggregated starts kube-apiserver with its own etcd, and there is no `etcd` on PATH', 'install it (Debian/Ubuntu: apt-get install etcd-server)');
  }
  const { startCluster } = await import('@kapi/devcluster');
  try {
    return await startCluster();
  } catch (err) {
    throw new CliError(
      `the local kube-apiserver did not start: ${err instanceof Error ? err.message : String(err)}`,
      'its first start builds kube-apiserver from source (needs `go` on PATH); or set KAPI_KUBE_APISERVER to a kube-apiserver binary',
    );
  }
}

/** The served groups with their versions, in the order they were added (the first is preferred). */
export function servedGroupVersions(model: ProjectModel): GroupVersions[] {
  const byGroup = new Map<string, string[]>();
  for (const gv of groupVersions(model)) byGroup.set(gv.group, [...(byGroup.get(gv.group) ?? []), gv.version]);
  return [...byGroup].map(([group, versions]) => ({ group, versions }));
}

/**
 * A serving certificate for the Service kube-apiserver dials (`api.<namespace>.svc`, as deploy/ names
 * it) and for localhost, and its CA, which the APIServices trust through their caBundle.
 */
function writeServingCert(model: ProjectModel, dir: string): { certFile: string; keyFile: string; caPem: string } {
  mkdirSync(dir, { recursive: true });
  const ca = createCA(`${model.name}-local-serving-ca`);
  const hosts = serviceHosts(model);
  const serving = createServingCert(ca, { commonName: hosts[2] ?? hosts[0]!, hosts: [...hosts, 'localhost', '127.0.0.1'] });
  const certFile = join(dir, 'serving.crt');
  const keyFile = join(dir, 'serving.key');
  writeFileSync(certFile, serving.cert);
  writeFileSync(keyFile, serving.key, { mode: 0o600 });
  writeFileSync(join(dir, 'serving-ca.crt'), ca.cert);
  return { certFile, keyFile, caPem: ca.cert };
}

function logTail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export async function runLocal(project: Project, opts: RunLocalOptions, out: Output): Promise<RunningServer> {
  const model = project.model;
  // The crd backend keeps the objects in a cluster, and the server reaches it with --kubeconfig,
  // which also makes it delegate authentication there: so it runs aggregated.
  const aggregated = opts.aggregated || opts.storage === 'crd' || opts.controllerManager === true;
  if (opts.storage === 'crd' && !opts.aggregated) out.write('--storage crd keeps the objects in a cluster: starting a local one and registering with it (as --aggregated)\n');
  else if (opts.controllerManager && !opts.aggregated) out.write('--controller-manager runs against a local cluster: starting one and registering with it (as --aggregated)\n');
  if (aggregated && groupVersions(model).length === 0) {
    throw new CliError('the project has no kinds, so there is no API to register', 'add one first: kapi create api --group <g> --version v1 --kind <Kind>');
  }

  if (opts.build) await step(out, 'Building (npx tsc -b)', () => build(project));
  const entry = join(project.dir, entryOf(model));
  if (!existsSync(entry)) throw new CliError(`${entry} does not exist`, 'build the project (`npm run build`), or run `kapi run local` without --no-build');

  const stateDir = join(project.dir, '.kapi');
  mkdirSync(stateDir, { recursive: true });
  const clusterKubeconfig = join(stateDir, CLUSTER_KUBECONFIG);

  // What has been started, stopped in reverse order by stopOthers (the server is stopped first).
  let etcd: EtcdHandle | undefined;
  let cluster: Cluster | undefined;
  const stopOthers = async (): Promise<void> => {
    await etcd?.stop();
    etcd = undefined;
    if (cluster) {
      await cluster.stop();
      cluster = undefined;
      rmSync(clusterKubeconfig, { force: true });
    }
  };
  const checkAborted = async (): Promise<void> => {
    if (!opts.signal?.aborted) return;
    await stopOthers();
    throw new CliError('interrupted while starting; stopped what was started');
  };

  let child: ChildProcess | undefined;
  try {
    let etcdServers = opts.etcdServers;
    const tlsArgs: string[] = [];
    let caPem: string | undefined;
    if (aggregated) {
      cluster = await step(out, 'Starting etcd and kube-apiserver (the first run builds kube-apiserver: several minutes)', () => startLocalCluster());
      out.write(`    kube-apiserver: ${cluster.server} (log: ${cluster.logFile})\n`);
      await checkAborted();
      // etcd3: the cluster's etcd; the server's keys are under /registry/<its groups>.
      if (opts.storage === 'etcd3' && !etcdServers) etcdServers = cluster.etcdEndpoint;
      const serving = writeServingCert(model, join(stateDir, 'aggregated'));
      caPem = serving.caPem;
      tlsArgs.push(`--tls-cert-file=${serving.certFile}`, `--tls-private-key-file=${serving.keyFile}`, `--kubeconfig=${cluster.kubeconfig}`);
    } else if (opts.storage === 'etcd3' && !etcdServers) {
      etcd = await step(out, 'Starting etcd', () => startLocalEtcd(project));
      etcdServers = etcd.endpoint;
      out.write(`    etcd: ${etcd.endpoint}\n`);
      await checkAborted();
    }

    const logPath = join(stateDir, 'server.log');
    const args = [
      entry,
      `--secure-port=${opts.port}`,
      '--bind-address=127.0.0.1',
      `--storage-backend=${opts.storage}`,
      `--data-dir=${join(stateDir, 'data')}`,
      `--cert-dir=${stateDir}`,
      ...tlsArgs,
      ...(etcdServers ? [`--etcd-servers=${etcdServers}`] : []),
      // Only kube-controller-manager runs a garbage collector: without it, deletes must not wait for one.
      ...(opts.controllerManager ? [] : ['--enable-garbage-collector=false']),
      ...opts.serverArgs,
    ];
    // A fresh log per run: readiness is read from it.
    writeFileSync(logPath, '');
    const { spawnLogged } = await import('@kapi/storage/etcd-server');
    const server = spawnLogged(process.execPath, args, logPath, { cwd: project.dir });
    child = server;
    const exited = new Promise<number>((resolveExit) => server.on('exit', (code, signal) => resolveExit(code ?? (signal ? 0 : 1))));
    const done = exited.then(async (code) => {
      await stopOthers();
      return code;
    });
    const stop = (): void => {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
    };

    try {
      const mode = aggregated ? `${opts.storage}, delegated to kube-apiserver` : opts.storage;
      await step(out, `Starting ${model.name} on https://127.0.0.1:${opts.port} (${mode}; logs in ${logPath})`, async () => {
        const deadline = Date.now() + READY_TIMEOUT_MS;
        for (;;) {
          const log = readFileSync(logPath, 'utf8');
          if (log.includes('serving securely')) return;
          if (server.exitCode !== null) throw new CliError(`the server exited with ${server.exitCode}:\n${logTail(logPath)}`, `read ${logPath}; a busy port is fixed with --port <n>`);
          if (opts.signal?.aborted) throw new CliError('interrupted while starting; stopped what was started');
          if (Date.now() > deadline) throw new CliError(`the server did not say "serving securely" in ${READY_TIMEOUT_MS / 1000}s`, `read ${logPath}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      });

      let apiServices: string[] = [];
      if (cluster && caPem) {
        const host = cluster;
        const objects = buildAggregationObjects({
          served: servedGroupVersions(model),
          caBundlePem: caPem,
          port: opts.port,
          serviceName: SERVICE_NAME,
          namespace: namespaceOf(model),
          externalName: 'localhost',
          // The server talks to the cluster with its admin kubeconfig (CN=admin).
          identity: { user: 'admin' },
        });
        apiServices = apiServiceNames(objects);
        await step(out, `Registering ${apiServices.join(', ')} (Service ${namespaceOf(model)}/${SERVICE_NAME} → localhost:${opts.port}) and waiting until Available`, async () => {
          await registerAPIServices(host.kubeconfig, objects);
          await waitForAPIServicesAvailable(host.kubeconfig, objects, { timeoutMs: AVAILABLE_TIMEOUT_MS }).catch((err: unknown) => {
            throw new CliError(`${err instanceof Error ? err.message : String(err)}\nserver log (tail):\n${logTail(logPath, 30)}`, `read ${logPath} and ${host.logFile}`);
          });
        });
        await checkAborted();
        if (opts.controllerManager) {
          const kcm = await step(out, 'Starting kube-controller-manager (garbage collector, namespace controller; the first run builds it: several minutes)', () =>
            host.startControllerManager().catch((err: unknown) => {
              throw new CliError(
                `kube-controller-manager did not start: ${err instanceof Error ? err.message : String(err)}`,
                'its first start builds it from source (needs `go` on PATH); or set KAPI_KUBE_CONTROLLER_MANAGER to a kube-controller-manager binary',
              );
            }),
          );
          out.write(`    kube-controller-manager: ${kcm.url} (log: ${kcm.logFile})\n`);
          await checkAborted();
        }
        copyFileSync(host.kubeconfig, clusterKubeconfig);
      }

      const kubeconfig = cluster ? clusterKubeconfig : join(stateDir, 'admin.kubeconfig');
      const firstPlural = model.kinds[0]?.plural;
      const example = firstPlural ? `get ${firstPlural}` : 'api-resources';
      out.write(
        cluster
          ? `
kubeconfig: ${kubeconfig}
  kubectl --kubeconfig ${kubeconfig} ${example}       # through kube-apiserver (${cluster.server})
  APIServices ${apiServices.join(', ')}: Available
Ctrl-C stops the server, ${cluster.controllerManager ? 'kube-controller-manager, ' : ''}kube-apiserver and etcd.
`
          : `
kubeconfig: ${kubeconfig}
  kubectl --kubeconfig ${kubeconfig} ${example}
Ctrl-C stops the server.
`,
      );
      return { kubeconfig, done, stop };
    } catch (err) {
      stop();
      await done;
      throw err;
    }
  } catch (err) {
    if (!child) await stopOthers();
    throw err;
  }
}
