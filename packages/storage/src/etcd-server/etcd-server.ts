/**
 * A real etcd for tests and local runs: started on 127.0.0.1 with free ports and a temp data dir, stopped (and
 * cleaned up) by the test, and killed at the latest when the test process exits.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopProcess } from './process.js';

export interface EtcdServerOptions {
  /** Use this data dir (kept on stop); a temp dir is made (and removed on stop) otherwise. */
  dataDir?: string;
  /** Client port; a free one otherwise. */
  port?: number;
  /** etcd's --max-request-bytes; the default leaves room for a 2 MiB value plus the request around it. */
  maxRequestBytes?: number;
}

export interface EtcdServer {
  /** The client URL, e.g. http://127.0.0.1:41234. */
  readonly endpoint: string;
  readonly dataDir: string;
  /** Kills etcd and removes the data dir if it was made here. */
  stop(): Promise<void>;
  /** Stops etcd and starts it again with the same ports and data dir. */
  restart(): Promise<void>;
}

export const DEFAULT_ETCD_MAX_REQUEST_BYTES = 2 * 1024 * 1024 + 64 * 1024;

const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

function commandExists(command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Installs Debian's etcd-server when `etcd` is not on PATH (CI starts from a fresh machine, as root). */
export function ensureEtcdInstalled(): void {
  if (commandExists('etcd')) return;
  execFileSync('sh', ['-c', 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y etcd-server'], {
    stdio: 'inherit',
  });
  if (!commandExists('etcd')) throw new Error('etcd is still not on PATH after installing etcd-server');
}

/** Every etcd this process started and has not stopped: killed on exit so none outlives the tests. */
const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function killAllNow(): void {
  for (const child of running) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', killAllNow);
}

// Jest gives each test file its own `process` whose 'exit' listeners never run: there, stop what the
// file's tests left running when the file is done.
if (typeof afterAll === 'function') afterAll(killAllNow);

async function waitHealthy(endpoint: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`etcd exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${log()}`);
    }
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: string };
      if (res.ok && body.health === 'true') return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`etcd at ${endpoint} was not healthy within ${READY_TIMEOUT_MS} ms:\n${log()}`);
}

async function kill(child: ChildProcess): Promise<void> {
  await stopProcess(child, STOP_GRACE_MS);
  running.delete(child);
}

export async function startEtcd(opts: EtcdServerOptions = {}): Promise<EtcdServer> {
  ensureEtcdInstalled();
  installExitHook();
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'kapi-etcd-'));
  if (ownsDataDir) tempDirs.add(dataDir);
  const clientPort = opts.port ?? (await freePort());
  const peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'kapi-test',
    '--data-dir', dataDir,
    '--listen-client-urls', endpoint,
    '--advertise-client-urls', endpoint,
    '--listen-peer-urls', peerUrl,
    '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `kapi-test=${peerUrl}`,
    '--max-request-bytes', String(opts.maxRequestBytes ?? DEFAULT_ETCD_MAX_REQUEST_BYTES),
    '--logger', 'zap',
    '--log-level', 'warn',
  ];

  let child: ChildProcess | undefined;
  let output = '';

  const launch = async (): Promise<void> => {
    output = '';
    const proc = spawn('etcd', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // Keep the tail of the log for error messages; the pipes must be drained either way.
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.once('exit', () => running.delete(proc));
    running.add(proc);
    child = proc;
    try {
      await waitHealthy(endpoint, proc, () => output);
    } catch (err) {
      await kill(proc);
      throw err;
    }
  };

  const halt = async (): Promise<void> => {
    if (child) await kill(child);
    child = undefined;
  };

  try {
    await launch();
  } catch (err) {
    if (ownsDataDir) removeTempDir(dataDir);
    throw err;
  }

  return {
    endpoint,
    dataDir,
    async stop() {
      await halt();
      if (ownsDataDir) removeTempDir(dataDir);
    },
    async restart() {
      await halt();
      await launch();
    },
  };
}

function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}
