/**
 * Storage benchmark: run on demand with `npm run bench:storage`, not a test.
 *
 * Creates, gets and lists N objects, then fans watch events out to W watchers, through every
 * backend with and without the watch cache, and through the raw `etcd3` client as the ceiling.
 * Each row runs in a fresh child process (this script forked with `--row <name>`) so its peak
 * RSS is its own; every etcd row gets a fresh etcd (startEtcd, temp data dir, 127.0.0.1 only).
 * The crd rows share one real kube-apiserver with its own etcd (test/harness startCluster, the
 * pinned binary from ~/.cache/kapi/bin), started before the first crd row and stopped after the
 * last; each crd row stores into a storage group (so a CRD) of its own.
 * The parent collects the rows' JSON results and writes test/bench/results/storage.md.
 *
 * Sizes (env): KAPI_BENCH_OBJECTS (10000), KAPI_BENCH_WATCHERS (500), KAPI_BENCH_CONCURRENCY (16),
 * KAPI_BENCH_LIST_CONCURRENCY (1), KAPI_BENCH_LISTS (100), KAPI_BENCH_WATCH_WRITES (500),
 * KAPI_BENCH_PHASE_SECONDS (20, the time cap of each get/list/watch phase),
 * KAPI_BENCH_CRD_OBJECTS (2000: N for the crd rows, whose every call is an HTTPS request to kube-apiserver),
 * KAPI_BENCH_CRD_WATCHERS (48: W for the crd row without a cache, where each watcher is a host watch
 * holding one of the CrdStorage agent's 64 sockets; more would leave no socket for the creates),
 * KAPI_BENCH_ROWS (comma-separated subset of the rows), KAPI_BENCH_OUT (the Markdown file).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KubeObject } from '@kapi/apimachinery';
import { Cacher, CrdStorage, Etcd3Storage, SelectionPredicate, SqliteStorage, type Storage } from '@kapi/storage';
import { startEtcd, type EtcdServer } from '@kapi/storage/etcd-server';
import { Etcd3 } from 'etcd3';
import { readKubeVersion, startCluster, type Cluster } from '../harness/index.js';
import { fmt, Footnotes, mib, ms, notesSection, writeReport } from './lib/format.js';
import {
  describeMachine,
  etcdVersion,
  findPid,
  loadAverage,
  procCpuSeconds,
  ProcessRssSampler,
  procMemory,
  tmpFilesystem,
} from './lib/machine.js';
import { envInt, forkRow, rowMain, selectRows } from './lib/rows.js';
import { summarizeLatencies } from './lib/stats.js';

// ---- parameters -----------------------------------------------------------------------------

const params = {
  objects: envInt('KAPI_BENCH_OBJECTS', 10_000),
  watchers: envInt('KAPI_BENCH_WATCHERS', 500),
  concurrency: envInt('KAPI_BENCH_CONCURRENCY', 16),
  listConcurrency: envInt('KAPI_BENCH_LIST_CONCURRENCY', 1),
  lists: envInt('KAPI_BENCH_LISTS', 100),
  watchWrites: envInt('KAPI_BENCH_WATCH_WRITES', 500),
  phaseSeconds: envInt('KAPI_BENCH_PHASE_SECONDS', 20),
  crdObjects: envInt('KAPI_BENCH_CRD_OBJECTS', 2000),
  crdWatchers: envInt('KAPI_BENCH_CRD_WATCHERS', 48),
};

const ROWS = ['sqlite', 'cacher(sqlite)', 'etcd3', 'cacher(etcd3)', 'raw etcd3 client', 'crd', 'cacher(crd)'] as const;
type RowName = (typeof ROWS)[number];

const isCrdRow = (row: RowName): boolean => row === 'crd' || row === 'cacher(crd)';
/** N for a row: the crd rows' every call is an HTTPS request to kube-apiserver, so they get fewer objects. */
const objectsFor = (row: RowName): number => (isCrdRow(row) ? params.crdObjects : params.objects);
/**
 * W for a row. Without a cache every crd watcher is a host watch, which holds one of the 64 sockets of
 * CrdStorage's HTTPS agent for as long as it runs: the 65th would wait for a socket forever, and so
 * would every request after it.
 */
const watchersFor = (row: RowName): number => (row === 'crd' ? Math.min(params.crdWatchers, params.watchers) : params.watchers);

const NAMESPACE = 'bench';
const PREFIX = '/registry/wardle.example.com/flunders/';
const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const OUT_FILE = process.env.KAPI_BENCH_OUT ?? join(REPO_ROOT, 'test', 'bench', 'results', 'storage.md');
/** A row that has not finished by then is killed and reported as failed. */
const ROW_TIMEOUT_MS = 6 * 60_000;
/** How long one watch write may take to reach every watcher. */
const DELIVERY_TIMEOUT_MS = 15_000;

const keyOf = (name: string): string => `${PREFIX}${NAMESPACE}/${name}`;
const objectName = (i: number): string => `flunder-${String(i).padStart(6, '0')}`;

/** A Flunder of about 400 bytes of JSON, like the sample server's. */
function flunder(name: string, i: number): KubeObject {
  return {
    apiVersion: 'wardle.example.com/v1alpha1',
    kind: 'Flunder',
    metadata: {
      name,
      namespace: NAMESPACE,
      uid: randomUUID(),
      generation: 1,
      creationTimestamp: new Date().toISOString(),
      labels: { app: 'bench', shard: `shard-${i % 16}` },
      annotations: { 'bench.kapi.dev/index': String(i) },
    },
    spec: { reference: `fischer-${i}`, referenceType: 'Fischer' },
    status: {},
  };
}

// ---- what a row measures ------------------------------------------------------------------------

type OpName = 'create' | 'get' | 'get rv=0' | 'list' | 'watch fan-out';

interface OpResult {
  op: OpName;
  count: number;
  elapsedMs: number;
  opsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Highest RSS sampled while the op ran. */
  peakRssBytes: number;
  /** Anything worth a footnote (e.g. a phase cut short by its time cap). */
  note?: string;
}

interface RowResult {
  row: RowName;
  /** N of this row (params.objects, or params.crdObjects for the crd rows). */
  objects: number;
  ops: OpResult[];
  /** The kernel's peak RSS of the whole child process (getrusage maxrss). */
  maxRssBytes: number;
  /** etcd's own peak RSS (VmHWM) for the etcd and crd rows. */
  etcdPeakRssBytes?: number;
  /** The host kube-apiserver's peak RSS (VmHWM) during a crd row. */
  apiserverPeakRssBytes?: number;
  /** CPU seconds the host's kube-apiserver and etcd used during a crd row. */
  hostCpu?: { apiserver?: number; etcd?: number };
  wallMs: number;
  error?: string;
}

/** The same operations, whatever is underneath. */
interface Target {
  create(name: string, i: number): Promise<void>;
  /** Latest value (resourceVersion ""; a cacher passes it to the backend). */
  get(name: string): Promise<void>;
  /** Any value (resourceVersion "0"; a cacher answers from memory, raw etcd does a serializable read). */
  getAny(name: string): Promise<void>;
  /** The whole prefix, decoded; returns the number of items. */
  list(): Promise<number>;
  /** Starts `count` watchers on the prefix from now; each calls onAdded with the name of each created object. */
  watch(count: number, onAdded: (name: string) => void): Promise<void>;
  close(): Promise<void>;
}

class StorageTarget implements Target {
  private readonly predicate = SelectionPredicate.everything();
  private readonly stops: Array<() => void> = [];
  /** The highest resourceVersion a create returned. */
  lastWrittenRevision = 0;

  constructor(
    private readonly storage: Storage,
    private readonly cleanup: () => Promise<void>,
  ) {}

  async create(name: string, i: number): Promise<void> {
    const created = await this.storage.create(keyOf(name), flunder(name, i));
    this.lastWrittenRevision = Math.max(this.lastWrittenRevision, Number(created.metadata.resourceVersion));
  }

  async get(name: string): Promise<void> {
    const obj = await this.storage.get(keyOf(name));
    if (obj?.metadata.name !== name) throw new Error(`get ${name} returned ${obj?.metadata.name}`);
  }

  async getAny(name: string): Promise<void> {
    const obj = await this.storage.get(keyOf(name), { resourceVersion: '0' });
    if (obj?.metadata.name !== name) throw new Error(`get ${name} returned ${obj?.metadata.name}`);
  }

  async list(): Promise<number> {
    const res = await this.storage.list(PREFIX, { predicate: this.predicate, recursive: true });
    return res.items.length;
  }

  async watch(count: number, onAdded: (name: string) => void): Promise<void> {
    const revision = String(await this.storage.currentRevision());
    for (let n = 0; n < count; n++) {
      const watcher = await this.storage.watch(PREFIX, { resourceVersion: revision, predicate: this.predicate, recursive: true });
      this.stops.push(() => watcher.stop());
      void (async () => {
        for (;;) {
          const event = await watcher.next();
          if (!event) return;
          if (event.type === 'ADDED') onAdded((event.object as KubeObject).metadata.name ?? '');
        }
      })();
    }
  }

  async close(): Promise<void> {
    for (const stop of this.stops) stop();
    await this.storage.close();
    await this.cleanup();
  }
}

/** The ceiling: the etcd3 npm client alone, with the same JSON encoding and decoding. */
class RawEtcdTarget implements Target {
  private readonly client: Etcd3;
  private readonly watchers: Array<{ cancel(): Promise<void> }> = [];

  constructor(endpoint: string) {
    // Without the receive cap a 10k-object range (about 5 MB) does not fit gRPC's 4 MB default.
    this.client = new Etcd3({ hosts: endpoint, grpcOptions: { 'grpc.max_receive_message_length': -1 } });
  }

  async create(name: string, i: number): Promise<void> {
    // What "create" is in etcd: put only if the key has never been created (kube-apiserver's txn).
    const key = keyOf(name);
    const res = await this.client
      .if(key, 'Create', '==', 0)
      .then(this.client.put(key).value(JSON.stringify(flunder(name, i))))
      .commit();
    if (!res.succeeded) throw new Error(`${key} already exists`);
  }

  async get(name: string): Promise<void> {
    const value = await this.client.get(keyOf(name)).buffer();
    if (!value || (JSON.parse(value.toString('utf8')) as KubeObject).metadata.name !== name) throw new Error(`get ${name} failed`);
  }

  async getAny(name: string): Promise<void> {
    const value = await this.client.get(keyOf(name)).serializable(true).buffer();
    if (!value || (JSON.parse(value.toString('utf8')) as KubeObject).metadata.name !== name) throw new Error(`get ${name} failed`);
  }

  async list(): Promise<number> {
    const res = await this.client.getAll().prefix(PREFIX).exec();
    return res.kvs.map((kv) => JSON.parse(kv.value.toString('utf8')) as KubeObject).length;
  }

  async watch(count: number, onAdded: (name: string) => void): Promise<void> {
    for (let n = 0; n < count; n++) {
      const watcher = await this.client.watch().prefix(PREFIX).create();
      watcher.on('put', (kv, previous) => {
        if (previous) return; // an update, not a create
        onAdded((JSON.parse(kv.value.toString('utf8')) as KubeObject).metadata.name ?? '');
      });
      this.watchers.push(watcher);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.watchers.map((w) => w.cancel().catch(() => undefined)));
    this.client.close();
  }
}

// ---- measuring ------------------------------------------------------------------------------------

function summarize(op: OpName, latencies: number[], elapsedMs: number, rss: ProcessRssSampler, note?: string): OpResult {
  const { count, p50Ms, p99Ms } = summarizeLatencies(latencies);
  const result: OpResult = {
    op,
    count,
    elapsedMs,
    opsPerSec: count / (elapsedMs / 1000),
    p50Ms,
    p99Ms,
    peakRssBytes: rss.take(),
  };
  if (note) result.note = note;
  return result;
}

/**
 * Runs fn(0..total-1) with `concurrency` calls in flight until all are done or `capMs` has passed;
 * returns the latency of each completed call and the elapsed time.
 */
async function runConcurrent(
  total: number,
  concurrency: number,
  capMs: number,
  fn: (i: number) => Promise<void>,
): Promise<{ latencies: number[]; elapsedMs: number; capped: boolean }> {
  const latencies: number[] = [];
  const start = performance.now();
  let next = 0;
  let capped = false;
  const worker = async (): Promise<void> => {
    for (;;) {
      if (next >= total) return;
      if (performance.now() - start > capMs) {
        capped = true;
        return;
      }
      const i = next++;
      // Start each call from a fresh turn of the event loop, as a request arriving on a socket
      // would. Without this the synchronous SQLite backend runs a whole phase without yielding,
      // so its watch dispatch (setImmediate) and the RSS sampler would not run until the end.
      await yieldToEventLoop();
      const t0 = performance.now();
      await fn(i);
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, worker));
  return { latencies, elapsedMs: performance.now() - start, capped };
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function cappedNote(capped: boolean, done: number, wanted: number): string | undefined {
  return capped ? `stopped by the ${params.phaseSeconds} s cap after ${done} of ${wanted}` : undefined;
}

/** Keys to read, in a fixed pseudo-random order (the same for every row). */
function randomIndexes(count: number, range: number): Uint32Array {
  const out = new Uint32Array(count);
  let x = 0x9e3779b9;
  for (let i = 0; i < count; i++) {
    // xorshift32
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (x >>> 0) % range;
  }
  return out;
}

async function measure(
  target: Target,
  objects: number,
  watchers: number,
  rss: ProcessRssSampler,
  afterCreate: () => Promise<void>,
): Promise<OpResult[]> {
  const { concurrency, phaseSeconds } = params;
  const capMs = phaseSeconds * 1000;
  const ops: OpResult[] = [];
  rss.take();

  // create: every object must be there for the reads, so this phase has no time cap.
  const created = await runConcurrent(objects, concurrency, Number.POSITIVE_INFINITY, (i) => target.create(objectName(i), i));
  ops.push(summarize('create', created.latencies, created.elapsedMs, rss));
  await afterCreate();

  const keys = randomIndexes(objects, objects);
  const got = await runConcurrent(objects, concurrency, capMs, (i) => target.get(objectName(keys[i] as number)));
  ops.push(summarize('get', got.latencies, got.elapsedMs, rss, cappedNote(got.capped, got.latencies.length, objects)));

  const gotAny = await runConcurrent(objects, concurrency, capMs, (i) => target.getAny(objectName(keys[i] as number)));
  ops.push(summarize('get rv=0', gotAny.latencies, gotAny.elapsedMs, rss, cappedNote(gotAny.capped, gotAny.latencies.length, objects)));

  const listed = await runConcurrent(params.lists, params.listConcurrency, capMs, async () => {
    const count = await target.list();
    if (count !== objects) throw new Error(`list returned ${count} items, expected ${objects}`);
  });
  ops.push(summarize('list', listed.latencies, listed.elapsedMs, rss, cappedNote(listed.capped, listed.latencies.length, params.lists)));

  ops.push(await measureWatch(target, objects, watchers, rss));
  return ops;
}

/** W watchers on the prefix, then K creates one after another; latency = write acknowledged → delivered at the last watcher. */
async function measureWatch(target: Target, objects: number, watchers: number, rss: ProcessRssSampler): Promise<OpResult> {
  const { watchWrites, phaseSeconds } = params;
  const pending = new Map<string, { seen: number; lastAt: number; done: () => void }>();
  const onAdded = (name: string): void => {
    const entry = pending.get(name);
    if (!entry) return;
    entry.seen++;
    if (entry.seen === watchers) {
      entry.lastAt = performance.now();
      entry.done();
    }
  };
  const setupStart = performance.now();
  await target.watch(watchers, onAdded);
  await yieldToEventLoop();
  const setupMs = performance.now() - setupStart;

  const latencies: number[] = [];
  const writeLatencies: number[] = [];
  let early = 0;
  const start = performance.now();
  let i = 0;
  for (; i < watchWrites; i++) {
    if (performance.now() - start > phaseSeconds * 1000) break;
    const name = `watched-${String(i).padStart(6, '0')}`;
    let done!: () => void;
    const delivered = new Promise<void>((resolve) => (done = resolve));
    const entry = { seen: 0, lastAt: 0, done };
    pending.set(name, entry);
    await yieldToEventLoop();
    const writeAt = performance.now();
    await target.create(name, objects + i);
    const ackAt = performance.now();
    writeLatencies.push(ackAt - writeAt);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${name} reached ${entry.seen} of ${watchers} watchers in ${DELIVERY_TIMEOUT_MS} ms`)),
        DELIVERY_TIMEOUT_MS,
      );
    });
    await Promise.race([delivered, timeout]).finally(() => clearTimeout(timer));
    if (entry.lastAt < ackAt) early++;
    latencies.push(Math.max(0, entry.lastAt - ackAt));
    pending.delete(name);
  }
  const elapsedMs = performance.now() - start;
  const writes = summarizeLatencies(writeLatencies);
  const notes = [
    `${watchers} watchers set up in ${(setupMs / 1000).toFixed(1)} s`,
    `the creates themselves took p50 ${writes.p50Ms.toFixed(2)} ms, p99 ${writes.p99Ms.toFixed(2)} ms`,
  ];
  if (early > 0) notes.push(`${early} of ${latencies.length} writes reached every watcher before their create returned (counted as 0 ms)`);
  const capped = cappedNote(i < watchWrites, i, watchWrites);
  if (capped) notes.push(capped);
  return summarize('watch fan-out', latencies, elapsedMs, rss, notes.join('; '));
}

// ---- a row, in its child process ------------------------------------------------------------------

/**
 * Waits until the cache has seen the last create. (Not the backend's current revision: a crd host's
 * revision is its etcd's, which also moves with writes outside the cached prefix, e.g. kube-apiserver's
 * own leases, and the cache only learns of those from the host's occasional bookmarks.)
 */
async function waitCacheSynced(cacher: Cacher, revision: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (cacher.cachedRevision < revision) {
    if (Date.now() > deadline) throw new Error(`cacher stuck at ${cacher.cachedRevision}, last create at ${revision}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function openTarget(row: RowName): Promise<{ target: Target; afterCreate: () => Promise<void> }> {
  const endpoint = process.env.KAPI_BENCH_ETCD_ENDPOINT ?? '';
  const noop = async (): Promise<void> => undefined;
  if (row === 'raw etcd3 client') return { target: new RawEtcdTarget(endpoint), afterCreate: noop };

  let backend: Storage;
  let cleanup = noop;
  if (row === 'sqlite' || row === 'cacher(sqlite)') {
    const dir = mkdtempSync(join(os.tmpdir(), 'kapi-bench-sqlite-'));
    // synchronous FULL (the default): an fsync per commit, as etcd does.
    backend = SqliteStorage.open({ path: join(dir, 'kapi.db'), compactionIntervalMs: 0 });
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  } else if (isCrdRow(row)) {
    // The CRD is made (and waited for) here, not on the first create.
    backend = await CrdStorage.create({
      kubeconfig: process.env.KAPI_BENCH_KUBECONFIG ?? '',
      storageGroup: process.env.KAPI_BENCH_CRD_GROUP ?? '',
      resources: [{ group: 'wardle.example.com', resource: 'flunders', kind: 'Flunder' }],
    });
  } else {
    backend = new Etcd3Storage({ endpoints: endpoint, compactionIntervalMs: 0 });
  }
  if (!row.startsWith('cacher(')) return { target: new StorageTarget(backend, cleanup), afterCreate: noop };

  // As in kube-apiserver the cache is up before the writes, and follows them through its watch.
  const cacher = await Cacher.create(backend, { resourcePrefix: PREFIX });
  const target = new StorageTarget(cacher, async () => {
    await backend.close();
    await cleanup();
  });
  return { target, afterCreate: () => waitCacheSynced(cacher, target.lastWrittenRevision) };
}

async function runRow(row: RowName): Promise<RowResult> {
  const started = performance.now();
  // This process's RSS every 20 ms; each op takes the peak seen while it ran.
  const rss = new ProcessRssSampler(process.pid, 20);
  const { target, afterCreate } = await openTarget(row);
  let ops: OpResult[];
  try {
    ops = await measure(target, objectsFor(row), watchersFor(row), rss, afterCreate);
  } finally {
    await target.close();
    rss.stop();
  }
  return {
    row,
    objects: objectsFor(row),
    ops,
    // maxRSS is in kilobytes.
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    wallMs: performance.now() - started,
  };
}

// ---- the parent: one child per row, then the report -----------------------------------------------

/** etcd's peak RSS (VmHWM), found by its data dir (this machine runs other engineers' etcds too). */
function etcdPeakRss(server: EtcdServer): number | undefined {
  const pid = findPid('--data-dir', server.dataDir);
  return pid === undefined ? undefined : procMemory(pid, 'VmHWM');
}

function runChild(row: RowName, env: NodeJS.ProcessEnv): Promise<RowResult> {
  return forkRow<RowResult>(__filename, row, env, ROW_TIMEOUT_MS, (error, wallMs) => ({
    row,
    objects: objectsFor(row),
    ops: [],
    maxRssBytes: 0,
    wallMs,
    error,
  }));
}

/** The crd rows' host: one kube-apiserver and its etcd, with their pids for memory and CPU. */
interface CrdHost {
  cluster: Cluster;
  apiserverPid: number | undefined;
  etcdPid: number | undefined;
}

async function startCrdHost(): Promise<CrdHost> {
  const started = performance.now();
  // kube-apiserver's default flags (its watch cache on), as a real host cluster runs.
  const cluster = await startCluster();
  console.log(`   host cluster ${cluster.server} ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return {
    cluster,
    // Found by a flag only this cluster has (this machine runs other engineers' clusters too).
    apiserverPid: findPid(`--tls-cert-file=${join(cluster.dir, 'apiserver.crt')}`),
    etcdPid: findPid('--listen-client-urls', cluster.etcdEndpoint),
  };
}

const cpuOf = (pid: number | undefined): number | undefined => (pid === undefined ? undefined : procCpuSeconds(pid));

/** Resets a process's peak RSS (VmHWM) to its current RSS, so the next row's peak is its own. */
function resetPeakRss(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // not allowed here: the peak then covers the host's whole life so far
  }
}

async function runParent(): Promise<void> {
  const rows = selectRows('KAPI_BENCH_ROWS', ROWS);
  const startedAt = new Date();
  const loadBefore = loadAverage();
  console.log(`storage bench: ${JSON.stringify(params)}; rows: ${rows.join(', ')}`);
  const results: RowResult[] = [];
  const lastCrdRow = rows.filter(isCrdRow).at(-1);
  let host: CrdHost | undefined;
  try {
    for (const row of rows) {
      await runOneRow(row);
      if (row === lastCrdRow) {
        await host?.cluster.stop();
        host = undefined;
      }
    }
  } finally {
    await host?.cluster.stop();
  }

  async function runOneRow(row: RowName): Promise<void> {
    const env: NodeJS.ProcessEnv = { ...process.env };
    let server: EtcdServer | undefined;
    if (row.includes('etcd3')) {
      // A fresh etcd per row: no data, revisions or memory carried over from the row before.
      server = await startEtcd();
      env.KAPI_BENCH_ETCD_ENDPOINT = server.endpoint;
    }
    console.log(`-- ${row}`);
    let cpuBefore: { apiserver?: number; etcd?: number } = {};
    if (isCrdRow(row)) {
      // One host for the crd rows; each row gets a storage group, so a CRD and a host watch cache, of its own.
      host ??= await startCrdHost();
      env.KAPI_BENCH_KUBECONFIG = host.cluster.kubeconfig;
      env.KAPI_BENCH_CRD_GROUP = `${row.replace(/[()]/g, ' ').trim().replace(/\s+/g, '-')}.bench.kapi.dev`;
      resetPeakRss(host.apiserverPid);
      resetPeakRss(host.etcdPid);
      cpuBefore = { apiserver: cpuOf(host.apiserverPid), etcd: cpuOf(host.etcdPid) };
    }
    try {
      const result = await runChild(row, env);
      if (server) {
        const peak = etcdPeakRss(server);
        if (peak !== undefined) result.etcdPeakRssBytes = peak;
      }
      if (host && isCrdRow(row)) {
        const etcdPeak = host.etcdPid === undefined ? undefined : procMemory(host.etcdPid, 'VmHWM');
        const apiserverPeak = host.apiserverPid === undefined ? undefined : procMemory(host.apiserverPid, 'VmHWM');
        if (etcdPeak !== undefined) result.etcdPeakRssBytes = etcdPeak;
        if (apiserverPeak !== undefined) result.apiserverPeakRssBytes = apiserverPeak;
        const apiserverCpu = cpuOf(host.apiserverPid);
        const etcdCpu = cpuOf(host.etcdPid);
        result.hostCpu = {};
        if (apiserverCpu !== undefined && cpuBefore.apiserver !== undefined) result.hostCpu.apiserver = apiserverCpu - cpuBefore.apiserver;
        if (etcdCpu !== undefined && cpuBefore.etcd !== undefined) result.hostCpu.etcd = etcdCpu - cpuBefore.etcd;
      }
      results.push(result);
      for (const op of result.ops) {
        console.log(
          `   ${op.op.padEnd(14)} ${fmt(op.opsPerSec, 0).padStart(8)} ops/s  p50 ${ms(op.p50Ms)} ms  p99 ${ms(op.p99Ms)} ms  rss ${mib(op.peakRssBytes)} MiB${op.note ? `  (${op.note})` : ''}`,
        );
      }
      if (result.error) console.log(`   FAILED: ${result.error}`);
    } finally {
      await server?.stop();
    }
  }

  const report = renderReport(results, startedAt, loadBefore, loadAverage());
  writeReport(OUT_FILE, report);
  if (results.some((r) => r.error)) process.exitCode = 1;
}

// ---- the report --------------------------------------------------------------------------------------

function renderReport(results: RowResult[], startedAt: Date, loadBefore: string, loadAfter: string): string {
  const lines: string[] = [];
  lines.push('# Storage benchmark');
  lines.push('');
  lines.push('Written by `npm run bench:storage` (test/bench/storage.ts). Numbers are from one run on a shared');
  lines.push('development machine: other engineers were building and testing on the same CPUs at the time, so');
  lines.push('treat them as rough and compare rows with each other rather than with other machines.');
  lines.push('');
  lines.push(`- date: ${startedAt.toISOString()}`);
  lines.push(`- machine: ${describeMachine()}`);
  lines.push(`- load average (1/5/15 min) before: ${loadBefore}, after: ${loadAfter}`);
  lines.push(`- node ${process.version}, etcd ${etcdVersion()} (one fresh etcd per etcd row, 127.0.0.1, temp data dir)`);
  lines.push(
    `- parameters: ${params.objects} objects (${Buffer.byteLength(JSON.stringify(flunder(objectName(0), 0)))} B of JSON each) under one prefix; create and get with ${params.concurrency} in flight; ` +
      `get = ${params.objects} reads of random keys (capped at ${params.phaseSeconds} s); ` +
      `list = whole prefix, ${params.listConcurrency} in flight, up to ${params.lists} lists or ${params.phaseSeconds} s; ` +
      `watch = ${params.watchers} watchers on the prefix, then up to ${params.watchWrites} creates one after another (or ${params.phaseSeconds} s)`,
  );
  if (results.some((r) => isCrdRow(r.row))) {
    lines.push(
      `- crd rows: ${params.crdObjects} objects (KAPI_BENCH_CRD_OBJECTS; the other rows' ${params.objects} take too long when every call is an HTTPS ` +
        `request) and, for crd without a cache, ${Math.min(params.crdWatchers, params.watchers)} watchers (KAPI_BENCH_CRD_WATCHERS: each is a host watch holding one of ` +
        `the CrdStorage HTTPS agent's 64 sockets), otherwise the same parameters; one kube-apiserver ${readKubeVersion().kubeVersion} (test/harness startCluster, default flags: ` +
        'its watch cache on) with its own etcd on 127.0.0.1 for both crd rows, each row in a storage group (a CRD) of its own; the client is the admin ' +
        '(system:masters, exempt from API Priority and Fairness)',
    );
  }
  lines.push(`- temp files: ${tmpFilesystem()}`);
  lines.push('- sqlite: temp file, synchronous FULL (the default: fsync per commit); compaction off during the run for every backend');
  lines.push('- each row runs in its own child process; RSS is that process only (etcd\'s and kube-apiserver\'s own memory is in the second table)');
  lines.push('');
  lines.push('## Results');
  lines.push('');
  lines.push('| backend | op | ops/s | p50 ms | p99 ms | peak RSS MiB |');
  lines.push('|---|---|---:|---:|---:|---:|');
  const footnotes = new Footnotes();
  for (const result of results) {
    const label = result.objects === params.objects ? result.row : `${result.row} (N=${result.objects})`;
    if (result.error) lines.push(`| ${label} | (failed: ${result.error}) | | | | |`);
    for (const op of result.ops) {
      let opLabel: string = op.op;
      if (op.note) {
        opLabel += footnotes.ref(`${result.row}, ${op.op}: ${op.note}`);
      }
      lines.push(`| ${label} | ${opLabel} | ${fmt(op.opsPerSec, 0)} | ${ms(op.p50Ms)} | ${ms(op.p99Ms)} | ${mib(op.peakRssBytes)} |`);
    }
  }
  lines.push('');
  lines.push('- ops/s: creates, gets or lists completed per second; for watch fan-out, writes per second that reached every watcher');
  lines.push('  (writes are sequential, each waits for full delivery; events delivered/s = that × watchers).');
  lines.push('- latency: per call; for list, per whole list; for watch fan-out, from the create being acknowledged to the event');
  lines.push('  arriving at the last of the watchers.');
  lines.push('- get: resourceVersion "" (latest; the cacher passes it to the backend, as Go\'s does); get rv=0: any version');
  lines.push('  (the cacher answers from memory; the raw client does a serializable read). list: resourceVersion "" (consistent;');
  lines.push('  the cacher checks the backend\'s current revision, then serves from memory).');
  lines.push('- peak RSS: highest RSS sampled (every 20 ms) during that op, in the row\'s process.');
  lines.push('- every call starts on a fresh event-loop turn (setImmediate), as a request read from a socket would; latency is');
  lines.push('  the call alone. better-sqlite3 is synchronous, so sqlite calls never overlap whatever the concurrency.');
  lines.push(...footnotes.lines());
  lines.push('');
  lines.push('### Per row');
  lines.push('');
  lines.push(
    '| backend | wall time s | process peak RSS MiB (maxrss) | etcd peak RSS MiB (VmHWM) | kube-apiserver peak RSS MiB (VmHWM) | host CPU s (kube-apiserver + etcd) |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|');
  const cpu = (seconds: number | undefined): string => (seconds === undefined ? '?' : fmt(seconds, 1));
  for (const result of results) {
    const hostCpu = result.hostCpu ? `${cpu(result.hostCpu.apiserver)} + ${cpu(result.hostCpu.etcd)}` : '—';
    lines.push(
      `| ${result.row} | ${fmt(result.wallMs / 1000, 1)} | ${mib(result.maxRssBytes)} | ${mib(result.etcdPeakRssBytes)} | ` +
        `${mib(result.apiserverPeakRssBytes)} | ${hostCpu} |`,
    );
  }
  lines.push('');
  if (results.some((r) => isCrdRow(r.row))) {
    lines.push('- crd rows: the host\'s peak RSS is reset (`5` to /proc/<pid>/clear_refs) before each row, so it is that row\'s peak');
    lines.push('  where the kernel honours the reset (otherwise the host\'s peak so far); host CPU is what kube-apiserver and its etcd');
    lines.push('  used while the row ran (the row\'s own process is not in it).');
    lines.push('');
  }
  lines.push(...notesSection(OUT_FILE, 'What limits it', '(not written yet: read the numbers above and say what bounds each row)'));
  return lines.join('\n');
}

// ---- entry --------------------------------------------------------------------------------------------

rowMain(ROWS, runRow, runParent);
