/**
 * --workers: one server as several node:cluster worker processes sharing --secure-port and the
 * storage, so it serves from more than one core. The primary process serves nothing itself: it
 * forks the workers (same entry point, same arguments), hands them connections in turn (node's
 * round-robin), restarts a worker that dies (with a backoff), and on SIGTERM/SIGINT asks each one
 * to shut down gracefully and exits once they all have.
 *
 * Every worker is a whole server (TLS, authentication, storage client, watch caches, in-flight
 * limits), like several kube-apiserver replicas on one etcd. /metrics is per worker: it describes
 * the worker that answered the scrape.
 */
import cluster, { type Address, type Worker } from 'node:cluster';
import { isIP, type AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { GenericAPIServer } from './generic-apiserver.js';

/** Tells a forked process it is a kapi worker, and which one (0-based). */
const SLOT_ENV = 'KAPI_WORKER_SLOT';
const DEFAULT_MIN_RESTART_DELAY_MS = 500;
const DEFAULT_MAX_RESTART_DELAY_MS = 30_000;
/** A worker that served this long before dying starts the backoff over. */
const HEALTHY_UPTIME_MS = 60_000;

/** Which worker this process is; undefined outside a kapi worker. A restarted worker keeps its slot. */
export function workerSlot(): number | undefined {
  const value = process.env[SLOT_ENV];
  if (!cluster.isWorker || value === undefined || !/^\d+$/.test(value)) return undefined;
  return Number(value);
}

/**
 * A worker's signals: SIGTERM shuts it down gracefully (its primary sends it); SIGINT is ignored,
 * because Ctrl-C reaches every process of the terminal's group and the primary decides for all.
 */
export function handleWorkerSignals(server: GenericAPIServer): void {
  server.handleSignals(['SIGTERM']);
  process.on('SIGINT', () => undefined);
}

/** The delay before the `failures`-th restart in a row of one worker: doubling from min up to max. */
export function restartDelayMs(failures: number, minMs = DEFAULT_MIN_RESTART_DELAY_MS, maxMs = DEFAULT_MAX_RESTART_DELAY_MS): number {
  return Math.min(maxMs, minMs * 2 ** Math.max(0, failures - 1));
}

export interface ServerWorkersOptions {
  /** How many workers. */
  count: number;
  /** The server arguments each worker parses (the primary's own). */
  args: readonly string[];
  logger: Logger;
  /** How long workers get to shut down gracefully before they are killed. */
  stopTimeoutMs: number;
  minRestartDelayMs?: number;
  maxRestartDelayMs?: number;
}

interface Slot {
  index: number;
  worker?: Worker;
  startedAt: number;
  /** The worker has its listener (node:cluster hands it connections). */
  listening: boolean;
  /** Restarts in a row without a healthy uptime in between. */
  failures: number;
  restartTimer?: NodeJS.Timeout;
}

function describeExit(code: number | null, signal: string | null): string {
  return signal ? `signal ${signal}` : `code ${code ?? 'unknown'}`;
}

/** The primary of --workers: forks, watches, restarts and stops the workers. */
export class ServerWorkers {
  private readonly slots: Slot[];
  private readonly log: Logger;
  private address: AddressInfo | undefined;
  private started = false;
  private stopping = false;
  private stopPromise: Promise<void> | undefined;
  private failedStops = 0;
  private onStarted: { resolve(address: AddressInfo): void; reject(err: Error): void } | undefined;

  constructor(private readonly opts: ServerWorkersOptions) {
    if (!cluster.isPrimary) throw new Error('ServerWorkers runs in the primary process');
    this.log = opts.logger;
    this.slots = Array.from({ length: opts.count }, (_, index) => ({ index, startedAt: 0, listening: false, failures: 0 }));
  }

  /** The pids of the workers running now. */
  get pids(): number[] {
    return this.slots.flatMap((s) => (s.worker?.process.pid ? [s.worker.process.pid] : []));
  }

  /** https://host:port the workers serve; only after start(). */
  get url(): string {
    if (!this.address) throw new Error('the workers are not serving yet');
    const { address, port } = this.address;
    return `https://${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
  }

  /**
   * Forks every worker; resolves once all of them listen. A worker that exits before then fails
   * the start (as a single server would fail): the others are stopped and the promise rejects.
   */
  start(): Promise<AddressInfo> {
    cluster.setupPrimary({ args: [...this.opts.args] });
    cluster.on('listening', (worker, address) => this.listening(worker, address));
    cluster.on('exit', (worker, code, signal) => this.exited(worker, code, signal));
    const ready = new Promise<AddressInfo>((resolve, reject) => (this.onStarted = { resolve, reject }));
    for (const slot of this.slots) this.fork(slot);
    return ready;
  }

  /**
   * Graceful shutdown: SIGTERM to every worker (each drains its requests and ends its watches as a
   * single server does), SIGKILL to those still running after stopTimeoutMs. Resolves once all exited.
   */
  shutdown(): Promise<void> {
    this.stopPromise ??= this.stopAll();
    return this.stopPromise;
  }

  /** Whether every worker stopped cleanly (exit code 0) in shutdown(). */
  get stoppedCleanly(): boolean {
    return this.failedStops === 0;
  }

  /**
   * Shuts the workers down on the first SIGTERM/SIGINT and then exits (1 if a worker did not stop
   * cleanly); a second signal kills them and exits at once. Returns a function removing the handlers.
   */
  handleSignals(signals: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT'], exit: (code: number) => void = (code) => process.exit(code)): () => void {
    let received = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (received) {
        this.log.warn({ signal }, 'second signal: killing the workers');
        for (const slot of this.slots) slot.worker?.process.kill('SIGKILL');
        exit(1);
        return;
      }
      received = true;
      this.log.info({ signal }, 'received signal, shutting down the workers');
      this.shutdown().then(
        () => exit(this.stoppedCleanly ? 0 : 1),
        (err: unknown) => {
          this.log.error({ err }, 'shutdown failed');
          exit(1);
        },
      );
    };
    for (const signal of signals) process.on(signal, onSignal);
    return () => {
      for (const signal of signals) process.off(signal, onSignal);
    };
  }

  private fork(slot: Slot): void {
    slot.restartTimer = undefined;
    slot.startedAt = Date.now();
    slot.listening = false;
    slot.worker = cluster.fork({ [SLOT_ENV]: String(slot.index) });
  }

  private slotOf(worker: Worker): Slot | undefined {
    return this.slots.find((s) => s.worker === worker);
  }

  private listening(worker: Worker, address: Address): void {
    const slot = this.slotOf(worker);
    if (!slot || this.stopping) return;
    slot.listening = true;
    const pid = worker.process.pid;
    if (this.started) {
      this.log.info({ worker: slot.index + 1, workerPid: pid }, `worker ${slot.index + 1} (pid ${pid}) is serving again`);
      return;
    }
    this.address ??= { address: address.address ?? '', port: address.port, family: address.addressType === 6 ? 'IPv6' : 'IPv4' };
    if (this.slots.some((s) => !s.listening)) return;
    this.started = true;
    this.log.info({ workers: this.slots.length, pids: this.pids }, `${this.slots.length} workers serving securely on ${this.url.slice('https://'.length)}`);
    this.onStarted?.resolve(this.address);
  }

  private exited(worker: Worker, code: number | null, signal: string | null): void {
    const slot = this.slotOf(worker);
    if (!slot) return;
    slot.worker = undefined;
    slot.listening = false;
    const name = `worker ${slot.index + 1} (pid ${worker.process.pid})`;
    if (this.stopping) {
      const clean = code === 0 && !signal;
      if (!clean) this.failedStops++;
      this.log[clean ? 'info' : 'warn']({ worker: slot.index + 1, code, signal }, `${name} stopped (${describeExit(code, signal)})`);
      return;
    }
    if (!this.started) {
      this.log.error({ worker: slot.index + 1, code, signal }, `${name} exited during start-up (${describeExit(code, signal)})`);
      const err = new Error(`${name} exited during start-up (${describeExit(code, signal)}); see its log above`);
      void this.shutdown().then(() => this.onStarted?.reject(err));
      return;
    }
    slot.failures = Date.now() - slot.startedAt >= HEALTHY_UPTIME_MS ? 1 : slot.failures + 1;
    const delay = restartDelayMs(slot.failures, this.opts.minRestartDelayMs, this.opts.maxRestartDelayMs);
    this.log.error(
      { worker: slot.index + 1, code, signal, restartInMs: delay, failures: slot.failures },
      `${name} exited unexpectedly (${describeExit(code, signal)}); restarting it in ${delay} ms`,
    );
    slot.restartTimer = setTimeout(() => {
      if (!this.stopping) this.fork(slot);
    }, delay);
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    for (const slot of this.slots) {
      if (slot.restartTimer) clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
    }
    const running = this.slots.flatMap((s) => (s.worker ? [s.worker] : []));
    this.log.info({ workers: running.length }, 'shutting down the workers');
    const exits = running.map((w) => (w.isDead() ? Promise.resolve() : new Promise<void>((resolve) => w.once('exit', () => resolve()))));
    for (const worker of running) worker.process.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.all(exits).then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), this.opts.stopTimeoutMs))),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      const left = running.filter((w) => !w.isDead());
      this.log.warn({ workers: left.length }, `workers still running after ${this.opts.stopTimeoutMs} ms: killing them`);
      for (const worker of left) worker.process.kill('SIGKILL');
      await Promise.all(exits);
    }
    this.log.info({ clean: this.stoppedCleanly }, 'all workers stopped');
  }
}
