/**
 * The fault suite's clients: writers that create, update and delete Flunders of their own keys
 * through a replica picked at random for each request, counters incremented by read-modify-write
 * from every replica, and one watcher per replica — all recording into a History (checker.ts), so
 * that after the faults the checker can say what was lost, resurrected, reordered or missed.
 *
 * A Flunder's value is its spec.flunderReference. An answer that is a 4xx is a definite failure;
 * anything else (a timeout, a reset connection, a 5xx, a replica that is down) is indeterminate.
 */
import { ApiError, ConflictError, ResourceExpiredError, type Watch } from '@kapi/client';
import { check, History, type CheckReport, type FinalRead, type ListSnapshot, type ObjectSnapshot, type WatchRecorder } from './checker.js';
import type { Flunder, WardleV1beta1Client } from '../clients/wardle/v1beta1/index.js';

/** A server the clients talk to: a replica of the fault suite, or any client of the API. */
export interface Target {
  readonly name: string;
  readonly client: WardleV1beta1Client;
}

export interface WorkloadOptions {
  namespace: string;
  /** The replicas requests go to (one at random per request); read each time, so a test may swap them. */
  replicas: () => readonly Target[];
  writers: number;
  /** Keys each writer owns. */
  keysPerWriter: number;
  /** Operations each writer makes in all. */
  opsPerWriter: number;
  /** Clients that increment the counter keys, and how many increments each. */
  counterClients?: number;
  incrementsPerClient?: number;
  counterKeys?: number;
  /** Bytes of padding in each value (a bigger object fills etcd sooner). */
  valuePadding?: number;
  /** Pause between one writer's operations (ms); default none. */
  thinkMs?: number;
  /** Ends writers and counter clients early (before their operation counts), e.g. once the faults are done. */
  until?: () => boolean;
}

export interface WorkloadFigures {
  /** Requests that were retried because the replica picked could not be reached. */
  retries: number;
  /** Counter increments that met a 409 and read again. */
  conflicts: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function keyOf(f: Flunder): string {
  return `${f.metadata.namespace}/${f.metadata.name}`;
}

export function snapshotOf(f: Flunder): ObjectSnapshot {
  return { key: keyOf(f), value: f.spec?.flunderReference ?? '', resourceVersion: f.metadata.resourceVersion ?? '' };
}

/** A 4xx answer means the server decided, a refused connection that nothing was sent; anything else may or may not have been applied. */
export function classify(err: unknown): 'fail' | 'indeterminate' {
  if (refused(err)) return 'fail';
  return err instanceof ApiError && err.status.code !== undefined && err.status.code >= 400 && err.status.code < 500 && err.status.code !== 408 && err.status.code !== 429
    ? 'fail'
    : 'indeterminate';
}

function pick<T>(items: readonly T[]): T {
  const item = items[Math.floor(Math.random() * items.length)];
  if (item === undefined) throw new Error('nothing to pick from');
  return item;
}

function flunder(name: string, value: string): Flunder {
  return { metadata: { name }, spec: { referenceType: 'Flunder', flunderReference: value } };
}

export class Workload {
  readonly history = new History();
  readonly figures: WorkloadFigures = { retries: 0, conflicts: 0 };
  private readonly watchers: ReplicaWatcher[] = [];

  constructor(private readonly opts: WorkloadOptions) {}

  /** Lists, then watches on each of `on` (default: the replicas written to; one watcher each) until `verify`. */
  async startWatchers(on: readonly Target[] = this.opts.replicas()): Promise<void> {
    for (const replica of on) {
      const watcher = new ReplicaWatcher(replica, this.opts.namespace, this.history);
      await watcher.start();
      this.watchers.push(watcher);
    }
  }

  /** Runs every writer and counter client to the end of its operations. */
  async run(): Promise<void> {
    const writers = Array.from({ length: this.opts.writers }, (_, w) => this.writer(w));
    const counters = Array.from({ length: this.opts.counterClients ?? 0 }, (_, c) => this.counterClient(c));
    await Promise.all([...writers, ...counters]);
  }

  /** Creates the counter keys (value "0"), so increments have something to read. */
  async createCounters(): Promise<void> {
    for (let i = 0; i < (this.opts.counterKeys ?? 1); i++) {
      const name = `counter-${i}`;
      const key = `${this.opts.namespace}/${name}`;
      const outcome = await this.history.perform(
        { kind: 'create', key, value: '0' },
        async () => ({ resourceVersion: (await this.retryUnreachable(() => this.flunders().create(flunder(name, '0')))).metadata.resourceVersion ?? '' }),
        classify,
        'setup',
      );
      if (outcome !== 'ok') throw new Error(`could not create ${key}`);
    }
  }

  /**
   * After the faults healed: a final list from every replica, then one last write whose
   * resourceVersion every watcher must reach (so nothing is still in flight to them), then the check.
   */
  async verify(): Promise<CheckReport> {
    const reads: FinalRead[] = [];
    for (const replica of this.opts.replicas()) {
      const startedAt = this.history.now();
      const list = await this.retryUnreachable(() => replica.client.flunders(this.opts.namespace).list());
      reads.push({ replica: replica.name, startedAt, items: list.items.map(snapshotOf) });
    }
    const name = 'sentinel';
    let sentinel = '';
    const outcome = await this.history.perform(
      { kind: 'create', key: `${this.opts.namespace}/${name}`, value: 'end' },
      async () => {
        sentinel = (await this.retryUnreachable(() => this.flunders().create(flunder(name, 'end')))).metadata.resourceVersion ?? '';
        return { resourceVersion: sentinel };
      },
      classify,
      'verify',
    );
    if (outcome !== 'ok') throw new Error('the sentinel write after the faults failed');
    await this.stopWatching(sentinel);
    return check(this.history, reads);
  }

  /** Waits until each watcher has seen `resourceVersion` (or a later one), then ends the watches. */
  async stopWatching(resourceVersion: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (const watcher of this.watchers) {
      while (BigInt(watcher.lastResourceVersion) < BigInt(resourceVersion)) {
        if (Date.now() > deadline) throw new Error(`${watcher.replica.name}'s watcher is at ${watcher.lastResourceVersion}, not ${resourceVersion}, after ${timeoutMs} ms`);
        await sleep(100);
      }
    }
    await Promise.all(this.watchers.map((w) => w.stop()));
  }

  /**
   * Time to recover from a fault at `at` (History.now()): until the first write invoked after it
   * was acknowledged (ms), or undefined when none was.
   */
  recoveryMs(at: number): number | undefined {
    const first = this.history.operations
      .filter((op) => op.kind !== 'counterIncrement' && op.outcome === 'ok' && op.invokedAt >= at && op.completedAt !== undefined)
      .reduce<number | undefined>((min, op) => (min === undefined || (op.completedAt ?? Infinity) < min ? op.completedAt : min), undefined);
    return first === undefined ? undefined : first - at;
  }

  /** The watchers' restarts and relists (what the faults did to them). */
  watchFigures(): { restarts: number; relists: number; byReplica: Record<string, { restarts: number; relists: number }> } {
    const byReplica: Record<string, { restarts: number; relists: number }> = {};
    for (const w of this.watchers) byReplica[w.replica.name] = { restarts: w.restarts, relists: w.relists };
    return {
      restarts: this.watchers.reduce((n, w) => n + w.restarts, 0),
      relists: this.watchers.reduce((n, w) => n + w.relists, 0),
      byReplica,
    };
  }

  private flunders(): ReturnType<Target['client']['flunders']> {
    return pick(this.opts.replicas()).client.flunders(this.opts.namespace);
  }

  /**
   * Tries `request` until an answer comes: a replica that refuses the connection never got the
   * request, so trying another is not a second write. Any other failure is the caller's.
   */
  private async retryUnreachable<T>(request: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await request();
      } catch (err) {
        if (!refused(err) || attempt > 100) throw err;
        this.figures.retries++;
        await sleep(50);
      }
    }
  }

  private async writer(w: number): Promise<void> {
    const padding = 'p'.repeat(this.opts.valuePadding ?? 0);
    for (let i = 0; i < this.opts.opsPerWriter && !this.opts.until?.(); i++) {
      const name = `w${w}-k${Math.floor(Math.random() * this.opts.keysPerWriter)}`;
      const key = `${this.opts.namespace}/${name}`;
      const value = `w${w}-v${i}${padding}`;
      const roll = Math.random();
      const client = `writer-${w}`;
      if (roll < 0.4) {
        await this.history.perform(
          { kind: 'create', key, value },
          async () => ({ resourceVersion: (await this.retryUnreachable(() => this.flunders().create(flunder(name, value)))).metadata.resourceVersion ?? '' }),
          classify,
          client,
        );
      } else if (roll < 0.8) {
        await this.history.perform(
          { kind: 'update', key, value },
          async () => ({
            resourceVersion: (await this.retryUnreachable(() => this.flunders().mergePatch(name, { spec: { flunderReference: value } }))).metadata.resourceVersion ?? '',
          }),
          classify,
          client,
        );
      } else {
        await this.history.perform(
          { kind: 'delete', key },
          async () => {
            await this.retryUnreachable(() => this.flunders().delete(name));
            return {};
          },
          classify,
          client,
        );
      }
      if (this.opts.thinkMs) await sleep(this.opts.thinkMs);
    }
  }

  /** Read-modify-write with the read's resourceVersion as precondition: a 409 reads again. */
  private async counterClient(c: number): Promise<void> {
    for (let i = 0; i < (this.opts.incrementsPerClient ?? 0) && !this.opts.until?.(); i++) {
      const name = `counter-${Math.floor(Math.random() * (this.opts.counterKeys ?? 1))}`;
      await this.history.perform(
        { kind: 'counterIncrement', key: `${this.opts.namespace}/${name}` },
        async () => {
          for (;;) {
            const flunders = this.flunders();
            const current = await this.retryUnreachable(() => flunders.get(name));
            const next = Number(current.spec?.flunderReference ?? 'NaN') + 1;
            if (!Number.isSafeInteger(next)) throw new Error(`counter ${name} holds ${current.spec?.flunderReference}`);
            try {
              const written = await this.retryUnreachable(() => flunders.update({ ...current, spec: { ...current.spec, referenceType: 'Flunder', flunderReference: String(next) } }));
              return { resourceVersion: written.metadata.resourceVersion ?? '', counterValue: next };
            } catch (err) {
              if (!(err instanceof ConflictError)) throw err;
              this.figures.conflicts++;
            }
          }
        },
        classify,
        `counter-${c}`,
      );
    }
  }
}

/** Connection refused or reset before any answer: the replica is down (or restarting). */
function refused(err: unknown): boolean {
  const text = `${err instanceof Error ? err.message : String(err)} ${(err as { cause?: unknown })?.cause ?? ''}`;
  return /ECONNREFUSED/.test(text);
}

/** One replica's watcher: list, then watch from there; resume after a break, relist after 410. */
class ReplicaWatcher {
  lastResourceVersion = '0';
  restarts = 0;
  relists = 0;
  private recorder: WatchRecorder | undefined;
  private watch: Watch<Flunder> | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    readonly replica: Target,
    private readonly namespace: string,
    private readonly history: History,
  ) {}

  async start(): Promise<void> {
    const list = await this.list();
    this.recorder = this.history.watch(`watch-${this.replica.name}`, this.replica.name, { list }, { namespace: this.namespace });
    this.lastResourceVersion = list.resourceVersion;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.stop();
    await this.loop;
  }

  private async list(): Promise<ListSnapshot> {
    const list = await this.replica.client.flunders(this.namespace).list();
    return { resourceVersion: list.metadata.resourceVersion ?? '', items: list.items.map(snapshotOf) };
  }

  private async run(): Promise<void> {
    const recorder = this.recorder;
    if (!recorder) return;
    let broke = false;
    while (!this.stopped) {
      try {
        const watch = await this.replica.client.flunders(this.namespace).watch({ resourceVersion: this.lastResourceVersion, allowWatchBookmarks: true });
        this.watch = watch;
        if (broke) {
          recorder.restarted(this.lastResourceVersion);
          this.restarts++;
          broke = false;
        }
        for await (const event of watch) {
          if (event.type === 'ERROR') {
            const status = event.object as { code?: number };
            if (status.code === 410) throw new ResourceExpiredError(410, 'Expired', 'watch ended with 410');
            throw new Error(`watch error ${JSON.stringify(event.object)}`);
          }
          const rv = event.object.metadata?.resourceVersion ?? '';
          if (event.type === 'BOOKMARK') recorder.bookmark(rv);
          else {
            const snap = snapshotOf(event.object);
            recorder.event({ type: event.type, key: snap.key, resourceVersion: rv, value: snap.value });
          }
          if (rv) this.lastResourceVersion = rv;
        }
        // The server ended the watch (its timeout, or going down): resume where it was.
        broke = !this.stopped;
      } catch (err) {
        if (this.stopped) break;
        if (err instanceof ResourceExpiredError) {
          // 410: what was missed is gone from history; list again and go on from there.
          const list = await this.listUntilAnswered();
          if (!list) break;
          recorder.relisted(list);
          this.relists++;
          this.lastResourceVersion = list.resourceVersion;
          continue;
        }
        broke = true;
        await sleep(100);
      }
    }
  }

  private async listUntilAnswered(): Promise<ListSnapshot | undefined> {
    while (!this.stopped) {
      try {
        return await this.list();
      } catch {
        await sleep(100);
      }
    }
    return undefined;
  }
}
