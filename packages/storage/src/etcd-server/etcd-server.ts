/**
 * A real etcd for tests and local runs: one member, or a cluster of several (Raft on loopback),
 * started on 127.0.0.1 with free ports and temp data dirs, stopped (and cleaned up) by the test, and
 * killed at the latest when the test process exits. A cluster's members can be killed, stopped,
 * paused and started again one by one, and asked who leads: the faults a replicated server must survive.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopProcess, waitExit } from './process.js';

export interface EtcdServerOptions {
  /** Use this data dir (kept on stop); a temp dir is made (and removed on stop) otherwise. */
  dataDir?: string;
  /** Client port; a free one otherwise. */
  port?: number;
  /** etcd's --max-request-bytes; the default leaves room for a 2 MiB value plus the request around it. */
  maxRequestBytes?: number;
  /** etcd's --quota-backend-bytes (etcd's default, 2 GiB, otherwise): past it etcd raises NOSPACE and refuses writes. */
  quotaBackendBytes?: number;
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

export interface EtcdClusterOptions extends Omit<EtcdServerOptions, 'dataDir' | 'port'> {
  /** How many members (default 3). */
  members?: number;
}

/** One member of an etcd cluster, which a test can take down and bring back. */
export interface EtcdMember {
  readonly name: string;
  /** Its client URL. */
  readonly endpoint: string;
  readonly dataDir: string;
  /** Is its process running (not killed or stopped; a paused one still runs)? */
  readonly running: boolean;
  /** Its process's pid while running (0 when down). */
  readonly pid: number;
  /** SIGKILL: no goodbye to its peers, as a crashed machine. */
  kill(): Promise<void>;
  /** SIGTERM (then SIGKILL after a grace period). */
  stop(): Promise<void>;
  /** Starts it again on its ports and data dir (it rejoins with its log); resolves once it serves. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: a member that hangs without closing its connections. */
  pause(): void;
  resume(): void;
}

export interface EtcdCluster {
  readonly members: readonly EtcdMember[];
  /** Every member's client URL (what a client's endpoint list is). */
  readonly endpoints: readonly string[];
  /** The member that leads now, asked of the running members; waits (up to `timeoutMs`) while there is none. */
  leader(timeoutMs?: number): Promise<EtcdMember>;
  /** Resolves once every running member is healthy (has a leader and answers a quorum read). */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Kills every member and removes their data dirs. */
  stop(): Promise<void>;
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
  for (const child of running) {
    child.kill('SIGCONT');
    child.kill('SIGKILL');
  }
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

async function isHealthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { health?: string };
    return res.ok && body.health === 'true';
  } catch {
    return false;
  }
}

function makeTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

interface MemberSpec {
  name: string;
  dataDir: string;
  clientPort: number;
  peerPort: number;
  /** `name=peerURL,…` of every member. */
  initialCluster: string;
  maxRequestBytes: number;
  quotaBackendBytes: number | undefined;
}

const clientURL = (port: number): string => `http://127.0.0.1:${port}`;

/** One etcd process on its ports and data dir, started and stopped as often as a test likes. */
class MemberProcess implements EtcdMember {
  readonly name: string;
  readonly endpoint: string;
  readonly dataDir: string;
  private child: ChildProcess | undefined;
  private output = '';
  private readonly args: string[];

  constructor(spec: MemberSpec) {
    this.name = spec.name;
    this.dataDir = spec.dataDir;
    this.endpoint = clientURL(spec.clientPort);
    const peerURL = `http://127.0.0.1:${spec.peerPort}`;
    this.args = [
      '--name', spec.name,
      '--data-dir', spec.dataDir,
      '--listen-client-urls', this.endpoint,
      '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', peerURL,
      '--initial-advertise-peer-urls', peerURL,
      '--initial-cluster', spec.initialCluster,
      '--initial-cluster-state', 'new',
      '--max-request-bytes', String(spec.maxRequestBytes),
      ...(spec.quotaBackendBytes !== undefined ? ['--quota-backend-bytes', String(spec.quotaBackendBytes)] : []),
      '--logger', 'zap',
      '--log-level', 'warn',
    ];
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number {
    return this.child?.pid ?? 0;
  }

  /** Spawns the process; `start` also waits for it to serve (a cluster's first member can not alone). */
  spawn(): void {
    if (this.child) return;
    this.output = '';
    const proc = spawn('etcd', this.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // Keep the tail of the log for error messages; the pipes must be drained either way.
    const keep = (chunk: Buffer): void => {
      this.output = (this.output + chunk.toString()).slice(-8000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.once('exit', () => {
      running.delete(proc);
      if (this.child === proc) this.child = undefined;
    });
    running.add(proc);
    this.child = proc;
  }

  async waitHealthy(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const child = this.child;
      if (!child) throw new Error(`etcd ${this.name} exited before it was healthy:\n${this.output}`);
      if (await isHealthy(this.endpoint)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`etcd ${this.name} at ${this.endpoint} was not healthy within ${timeoutMs} ms:\n${this.output}`);
  }

  async start(): Promise<void> {
    this.spawn();
    try {
      await this.waitHealthy();
    } catch (err) {
      await this.kill();
      throw err;
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    const exited = waitExit(child);
    child.kill('SIGCONT');
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGCONT');
    await stopProcess(child, STOP_GRACE_MS);
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** Its own member id and the leader's, from its maintenance status (the JSON gateway: no client needed). */
  async status(): Promise<{ memberId: string; leader: string } | undefined> {
    try {
      const res = await fetch(`${this.endpoint}/v3/maintenance/status`, { method: 'POST', body: '{}', signal: AbortSignal.timeout(1000) });
      if (!res.ok) return undefined;
      const body = (await res.json()) as { header?: { member_id?: string }; leader?: string };
      const memberId = body.header?.member_id;
      return memberId && body.leader && body.leader !== '0' ? { memberId, leader: body.leader } : undefined;
    } catch {
      return undefined;
    }
  }
}

export async function startEtcd(opts: EtcdServerOptions = {}): Promise<EtcdServer> {
  ensureEtcdInstalled();
  installExitHook();
  const ownsDataDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? makeTempDir('kapi-etcd-');
  const clientPort = opts.port ?? (await freePort());
  const peerPort = await freePort();
  const member = new MemberProcess({
    name: 'kapi-test',
    dataDir,
    clientPort,
    peerPort,
    initialCluster: `kapi-test=http://127.0.0.1:${peerPort}`,
    maxRequestBytes: opts.maxRequestBytes ?? DEFAULT_ETCD_MAX_REQUEST_BYTES,
    quotaBackendBytes: opts.quotaBackendBytes,
  });
  try {
    await member.start();
  } catch (err) {
    if (ownsDataDir) removeTempDir(dataDir);
    throw err;
  }
  return {
    endpoint: member.endpoint,
    dataDir,
    async stop() {
      await member.stop();
      if (ownsDataDir) removeTempDir(dataDir);
    },
    async restart() {
      await member.stop();
      await member.start();
    },
  };
}

/** A cluster of `members` etcd processes on loopback, each with its own ports and data dir; resolves once all are healthy. */
export async function startEtcdCluster(opts: EtcdClusterOptions = {}): Promise<EtcdCluster> {
  ensureEtcdInstalled();
  installExitHook();
  const count = opts.members ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new Error(`an etcd cluster needs at least one member, not ${count}`);
  const ports: { client: number; peer: number }[] = [];
  // Distinct ports: freePort closes its probe, so ask for all of them before any is taken.
  const taken = new Set<number>();
  while (ports.length < count) {
    const client = await freePort();
    const peer = await freePort();
    if (client === peer || taken.has(client) || taken.has(peer)) continue;
    taken.add(client).add(peer);
    ports.push({ client, peer });
  }
  const names = ports.map((_, i) => `member-${i}`);
  const initialCluster = ports.map((p, i) => `${names[i]}=http://127.0.0.1:${p.peer}`).join(',');
  const members = ports.map(
    (p, i) =>
      new MemberProcess({
        name: names[i] ?? `member-${i}`,
        dataDir: makeTempDir(`kapi-etcd-${i}-`),
        clientPort: p.client,
        peerPort: p.peer,
        initialCluster,
        maxRequestBytes: opts.maxRequestBytes ?? DEFAULT_ETCD_MAX_REQUEST_BYTES,
        quotaBackendBytes: opts.quotaBackendBytes,
      }),
  );
  const stopAll = async (): Promise<void> => {
    await Promise.all(members.map((m) => m.kill()));
    for (const m of members) removeTempDir(m.dataDir);
  };
  // All at once: no member is healthy before a quorum of them runs.
  for (const m of members) m.spawn();
  try {
    await Promise.all(members.map((m) => m.waitHealthy()));
  } catch (err) {
    await stopAll();
    throw err;
  }
  return {
    members,
    endpoints: members.map((m) => m.endpoint),
    async leader(timeoutMs = READY_TIMEOUT_MS) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const statuses = await Promise.all(members.filter((m) => m.running).map(async (m) => ({ m, status: await m.status() })));
        // The leader is the member whose own id the others name as leader.
        const leaderId = statuses.find(({ status }) => status)?.status?.leader;
        const leader = statuses.find(({ status }) => status?.memberId === leaderId)?.m;
        if (leaderId && leader) return leader;
        if (Date.now() > deadline) throw new Error(`no etcd member led within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async waitHealthy(timeoutMs = READY_TIMEOUT_MS) {
      await Promise.all(members.filter((m) => m.running).map((m) => m.waitHealthy(timeoutMs)));
    },
    stop: stopAll,
  };
}
