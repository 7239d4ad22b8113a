/**
 * The servers the HTTP benchmarks measure, each a fresh process on a free loopback port with the
 * same serving certificate: the Go k8s.io/sample-apiserver on the cluster's etcd (`go`) and on kine
 * (`go-kine`: k3s' etcd API over SQLite, the Go peer of kapi's embedded store), and kapi's sample
 * server on sqlite and on etcd3. Delegated to a test/harness cluster (its admin kubeconfig).
 */
import { execFileSync, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createEtcdClient } from '@kapi/storage';
import { freePort, spawnLogged } from '@kapi/storage/etcd-server';
import { repoRoot, type Cluster } from '../../harness/index.js';
import type { HttpTarget } from './http-client.js';
import { httpClient } from './http-client.js';
import { ProcessGroup } from './machine.js';

export const SERVERS = ['go', 'go-kine', 'kapi-sqlite', 'kapi-etcd3'] as const;
export type ServerName = (typeof SERVERS)[number];
/** The Go servers: the sample-apiserver on the cluster's etcd, and on kine. */
export const isGo = (server: string): boolean => server === 'go' || server === 'go-kine';

const REPO_ROOT = repoRoot();
export const KAPI_MAIN = join(REPO_ROOT, 'cmd/sample-apiserver/dist/main.js');
const GO_BUILD_SCRIPT = join(REPO_ROOT, 'hack', 'build-sample-apiserver.sh');
const KINE_BUILD_SCRIPT = join(REPO_ROOT, 'hack', 'build-kine.sh');
const READY_TIMEOUT_MS = 90_000;

export interface ServerEnv {
  cluster: Cluster;
  goBinary: string;
  /** kine's binary, when go-kine is among the servers. */
  kineBinary?: string;
  /** Where each server gets a directory of its own. */
  dir: string;
  servingCertFile: string;
  servingKeyFile: string;
  frontProxyCaFile: string;
  /** kapi's sample server has --kubeconfig (delegated authn/authz); false: it gets --client-ca-file=<front-proxy CA>. */
  kapiDelegated: boolean;
  /** The server on `port` as the front proxy reaches it. */
  direct: (port: number) => HttpTarget;
}

export interface StartOptions {
  /** Run kapi under `node --cpu-prof` into this directory. */
  cpuProfDir?: string;
  /** kapi's --workers (default 1). */
  kapiWorkers?: number;
  /** Ready once this path answers 200 too (after /readyz), e.g. a list the Go server's NamespaceLifecycle must have synced for. */
  readyPath?: string;
  /** The directory of an earlier run of the same server: start again on its store (sqlite file, kine database). */
  dir?: string;
  /** kapi's V8 old space (`node --max-old-space-size`, MB); node's default otherwise (4144 MB on a 23.5 GiB machine). */
  kapiHeapMb?: number;
  /** Bound on the wait until ready (default 90 s): a server starting on a big store lists it all first. */
  readyTimeoutMs?: number;
}

export interface RunningServer {
  name: ServerName;
  port: number;
  pid: number;
  /** Its directory (pass it as StartOptions.dir to restart on the same store). */
  dir: string;
  /** The process and those it started (kapi's workers, go-kine's kine). */
  processes: ProcessGroup;
  logFile: string;
  stop(): Promise<void>;
}

async function waitExit(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Kills `child` with this process if it still runs; the function returned ends it (SIGTERM, then SIGKILL after `graceMs`). */
export function tracked(child: ChildProcess, graceMs = 15_000): () => Promise<void> {
  children.add(child);
  return async () => {
    await waitExit(child, graceMs);
    children.delete(child);
  };
}

export function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

const sleep = (msec: number): Promise<void> => new Promise((r) => setTimeout(r, msec));

export async function startServer(env: ServerEnv, name: ServerName, opts: StartOptions = {}): Promise<RunningServer> {
  const port = await freePort();
  const dir = opts.dir ?? mkdtempSync(join(env.dir, `${name}-`));
  const workers = opts.kapiWorkers ?? 1;
  const logFile = join(dir, 'server.log');
  const kubeconfig = env.cluster.kubeconfig;
  const common = [
    `--secure-port=${port}`,
    '--bind-address=127.0.0.1',
    `--tls-cert-file=${env.servingCertFile}`,
    `--tls-private-key-file=${env.servingKeyFile}`,
  ];
  const delegated = [`--kubeconfig=${kubeconfig}`, `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`];
  let command: string;
  let args: string[];
  // go-kine: kine first, on a SQLite file of its own; the Go server then stores through it.
  const kine = name === 'go-kine' ? await startKine(env, dir) : undefined;
  if (isGo(name)) {
    command = env.goBinary;
    args = [...common, ...delegated, `--etcd-servers=${kine ? kine.endpoint : env.cluster.etcdEndpoint}`];
  } else {
    const backend = name === 'kapi-sqlite' ? 'sqlite' : 'etcd3';
    command = process.execPath;
    args = [
      // node:cluster forks --workers with the primary's execArgv: they get the same heap.
      ...(opts.kapiHeapMb ? [`--max-old-space-size=${opts.kapiHeapMb}`] : []),
      ...(opts.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfDir}`] : []),
      KAPI_MAIN,
      ...common,
      ...(env.kapiDelegated ? delegated : [`--client-ca-file=${env.frontProxyCaFile}`]),
      `--storage-backend=${backend}`,
      `--data-dir=${join(dir, 'data')}`,
      `--cert-dir=${dir}`,
      ...(backend === 'etcd3' ? [`--etcd-servers=${env.cluster.etcdEndpoint}`] : []),
      ...(workers > 1 ? [`--workers=${workers}`] : []),
    ];
  }
  const { child, stop: stopServer } = spawnTracked(command, args, dir, logFile);
  const stop = async (): Promise<void> => {
    await stopServer();
    await kine?.stop();
  };
  const http = httpClient(env.direct(port));
  const readyTimeoutMs = opts.readyTimeoutMs ?? READY_TIMEOUT_MS;
  const deadline = Date.now() + readyTimeoutMs;
  let last = 'no answer';
  try {
    // With --workers, /readyz answers from whichever worker got the connection: first wait for the primary to say all serve.
    while (!isGo(name) && workers > 1 && !readFileSync(logFile, 'utf8').includes('workers serving securely')) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${tail(logFile)}`);
      if (Date.now() > deadline) throw new Error(`${name}: its workers were not all serving in ${readyTimeoutMs / 1000} s\n${tail(logFile)}`);
      await sleep(200);
    }
    for (const path of ['/readyz', ...(opts.readyPath ? [opts.readyPath] : [])]) {
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}):\n${tail(logFile)}`);
        try {
          // Drained, not kept: the ready path may be a list of a million objects.
          const res = await http.drain('GET', path);
          if (res.status === 200) break;
          last = `GET ${path}: HTTP ${res.status} ${res.head}`;
        } catch (err) {
          last = `GET ${path}: ${err instanceof Error ? err.message : String(err)}`;
        }
        if (Date.now() > deadline) throw new Error(`${name} not ready in ${readyTimeoutMs / 1000} s; last: ${last}\n${tail(logFile)}`);
        await sleep(200);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    http.close();
  }
  return { name, port, pid: child.pid!, dir, processes: new ProcessGroup(kine ? [child.pid!, kine.pid] : [child.pid!]), logFile, stop };
}

/** Spawns a server process with its output in `logFile`; stop() ends it (SIGTERM, then SIGKILL). */
function spawnTracked(command: string, args: string[], cwd: string, logFile: string): { child: ChildProcess; stop(): Promise<void> } {
  const child = spawnLogged(command, args, logFile, { cwd });
  return { child, stop: tracked(child) };
}

/** kine on a free loopback port over SQLite in `dir` (WAL, as k3s opens it), once it answers an etcd range. */
async function startKine(env: ServerEnv, dir: string): Promise<{ endpoint: string; pid: number; stop(): Promise<void> }> {
  if (!env.kineBinary) throw new Error('go-kine needs kine (hack/build-kine.sh)');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const logFile = join(dir, 'kine.log');
  const { child, stop } = spawnTracked(env.kineBinary, [`--listen-address=127.0.0.1:${port}`, `--endpoint=sqlite://${join(dir, 'kine.db')}?_journal=WAL&cache=shared&_busy_timeout=30000`], dir, logFile);
  const client = createEtcdClient({ endpoints: endpoint, maxAttempts: 1 });
  try {
    for (const deadline = Date.now() + READY_TIMEOUT_MS; ; ) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`kine exited (${child.exitCode ?? child.signalCode}):\n${tail(logFile)}`);
      try {
        await client.get('/registry/health');
        break;
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`kine not ready in ${READY_TIMEOUT_MS / 1000} s: ${err instanceof Error ? err.message : String(err)}\n${tail(logFile)}`);
        await sleep(200);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  } finally {
    client.close();
  }
  return { endpoint, pid: child.pid!, stop };
}

/** Runs a hack/build-*.sh script; its last line of output is the binary's path. */
export function ensureGoBinary(script: string): string {
  const out = execFileSync('bash', [script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', timeout: 20 * 60_000 });
  const path = out.trim().split('\n').pop()!.trim();
  if (!existsSync(path)) throw new Error(`${script} reported ${path}, which does not exist`);
  return path;
}

/** The Go sample-apiserver's binary, and kine's when `servers` has go-kine (built once, cached). */
export function goBinaries(servers: readonly ServerName[]): { goBinary: string; kineBinary?: string } {
  const goBinary = ensureGoBinary(GO_BUILD_SCRIPT);
  return servers.includes('go-kine') ? { goBinary, kineBinary: ensureGoBinary(KINE_BUILD_SCRIPT) } : { goBinary };
}

export function kapiHasDelegatedAuth(): boolean {
  if (!existsSync(KAPI_MAIN)) throw new Error(`${KAPI_MAIN} is missing: run tsc -b first`);
  // --help exits non-zero (commander): read its stdout either way.
  const help = spawnSync(process.execPath, [KAPI_MAIN, '--help'], { encoding: 'utf8' });
  return `${help.stdout}`.includes('--authentication-kubeconfig');
}
