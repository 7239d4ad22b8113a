/**
 * `kapi run local`: builds the project and runs its server on this machine, on the embedded SQLite
 * store or on etcd, until Ctrl-C; prints the kubeconfig kubectl should use.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../errors.js';
import { entryOf, type Project } from '../project/model.js';
import { step, type Output } from '../ui.js';

export type LocalStorage = 'sqlite' | 'etcd3' | 'crd';
export const LOCAL_STORAGES: readonly LocalStorage[] = ['sqlite', 'etcd3', 'crd'];

export interface RunLocalOptions {
  storage: LocalStorage;
  aggregated: boolean;
  port: number;
  etcdServers?: string;
  /** Skip `tsc -b` (already built). */
  build: boolean;
  /** Extra flags for the server, after `--`. */
  serverArgs: string[];
}

export interface RunningServer {
  kubeconfig: string;
  /** Resolves with the server's exit code once it stopped (and etcd, when started here). */
  done: Promise<number>;
  stop(): void;
}

const READY_TIMEOUT_MS = 60_000;

function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** The parts that other engineers are still building say so, with what works today. */
function refuseUnavailable(opts: RunLocalOptions): void {
  if (opts.aggregated) {
    throw new CliError(
      'not available yet: --aggregated (registering the server with a local kube-apiserver through an APIService) needs the kube-apiserver harness, which kapi does not ship yet',
      'run `kapi run local` without --aggregated and use the kubeconfig it prints; `kapi generate deploy` makes the APIService manifests for a real cluster',
    );
  }
  if (opts.storage === 'crd') {
    throw new CliError(
      'not available yet: --storage crd (objects kept as custom resources of a host cluster) is not in @kapi/storage yet',
      'use --storage sqlite (the default) or --storage etcd3',
    );
  }
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
  const { startEtcd } = await import('@kapi/storage/testing');
  const etcd = await startEtcd({ dataDir: join(project.dir, '.kapi', 'etcd') });
  return { endpoint: etcd.endpoint, stop: () => etcd.stop() };
}

export async function runLocal(project: Project, opts: RunLocalOptions, out: Output): Promise<RunningServer> {
  refuseUnavailable(opts);
  if (opts.build) await step(out, 'Building (npx tsc -b)', () => build(project));
  const entry = join(project.dir, entryOf(project.model));
  if (!existsSync(entry)) throw new CliError(`${entry} does not exist`, 'build the project (`npm run build`), or run `kapi run local` without --no-build');

  let etcd: EtcdHandle | undefined;
  let etcdServers = opts.etcdServers;
  if (opts.storage === 'etcd3' && !etcdServers) {
    etcd = await step(out, 'Starting etcd', () => startLocalEtcd(project));
    etcdServers = etcd.endpoint;
    out.write(`    etcd: ${etcd.endpoint}\n`);
  }

  const stateDir = join(project.dir, '.kapi');
  mkdirSync(stateDir, { recursive: true });
  const logPath = join(stateDir, 'server.log');
  const args = [
    entry,
    `--secure-port=${opts.port}`,
    '--bind-address=127.0.0.1',
    `--storage-backend=${opts.storage}`,
    `--data-dir=${join(stateDir, 'data')}`,
    `--cert-dir=${stateDir}`,
    ...(etcdServers ? [`--etcd-servers=${etcdServers}`] : []),
    ...opts.serverArgs,
  ];
  const logFd = openSync(logPath, 'w');
  const child: ChildProcess = spawn(process.execPath, args, { cwd: project.dir, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const exited = new Promise<number>((resolveExit) => child.on('exit', (code, signal) => resolveExit(code ?? (signal ? 0 : 1))));
  const done = exited.then(async (code) => {
    await etcd?.stop();
    return code;
  });
  const stop = (): void => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };

  try {
    await step(out, `Starting ${project.model.name} on https://127.0.0.1:${opts.port} (${opts.storage}; logs in ${logPath})`, async () => {
      const deadline = Date.now() + READY_TIMEOUT_MS;
      for (;;) {
        const log = readFileSync(logPath, 'utf8');
        if (log.includes('serving securely')) return;
        if (child.exitCode !== null) throw new CliError(`the server exited with ${child.exitCode}:\n${log.trim().split('\n').slice(-15).join('\n')}`, `read ${logPath}; a busy port is fixed with --port <n>`);
        if (Date.now() > deadline) throw new CliError(`the server did not say "serving securely" in ${READY_TIMEOUT_MS / 1000}s`, `read ${logPath}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    });
  } catch (err) {
    stop();
    await done;
    throw err;
  }

  const kubeconfig = join(stateDir, 'admin.kubeconfig');
  const firstPlural = project.model.kinds[0]?.plural ?? 'api-resources';
  out.write(`
kubeconfig: ${kubeconfig}
  kubectl --kubeconfig ${kubeconfig} ${firstPlural === 'api-resources' ? 'api-resources' : `get ${firstPlural}`}
Ctrl-C stops the server.
`);
  return { kubeconfig, done, stop };
}
