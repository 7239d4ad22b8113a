/**
 * HTTP benchmark of the sample server: run on demand with `npm run bench:server`, not a test.
 *
 * For each row (the built sample server on sqlite, then on etcd3; each with its watch cache, the
 * default) the parent starts a fresh server (and a fresh etcd for the etcd3 row), all on 127.0.0.1
 * with temp dirs, and forks this script with `--row <name>` as the load generator. The child drives
 * the server over HTTPS with the admin client certificate through autocannon (fixed concurrency,
 * a bounded count of requests and a time cap per scenario) and opens the watch streams itself.
 * Latencies are taken per response (autocannon's 'response' event, sub-millisecond), not from
 * autocannon's whole-millisecond histogram; each connection's first response (which also paid for the
 * TLS handshake) is kept out of p50/p99 and footnoted. The parent stops the server and etcd after each row
 * and writes test/bench/results/server.md.
 *
 * Scenarios: create Flunders (POST, concurrency 16, then 64), get by name (16), writes to existing
 * Flunders (16; update = PUT, merge patch, apply = server-side apply, each changing spec.reference
 * of a pool of 1000, with the managedFields bytes of the object they leave), list of 100 and of
 * 10k objects (the namespace's list, JSON), watch fan-out (W watchers on one namespace, then K
 * creates one after another; latency from the create's response to the event at the last watcher).
 *
 * Env: KAPI_BENCH_HTTP_CREATES (5000 per create scenario; the two together fill the 10k list),
 * KAPI_BENCH_HTTP_GETS (20000), KAPI_BENCH_HTTP_WRITES (5000 per write scenario), KAPI_BENCH_HTTP_LIST_SMALL (100 objects), KAPI_BENCH_HTTP_LIST_LARGE
 * (10000 objects), KAPI_BENCH_HTTP_SMALL_LISTS (2000 requests), KAPI_BENCH_HTTP_LARGE_LISTS (100
 * requests), KAPI_BENCH_HTTP_LIST_CONCURRENCY (4), KAPI_BENCH_HTTP_WATCHERS (200),
 * KAPI_BENCH_HTTP_WATCH_WRITES (200), KAPI_BENCH_HTTP_PHASE_SECONDS (20, the time cap of each
 * scenario), KAPI_BENCH_HTTP_ROWS (comma-separated subset of sqlite,etcd3), KAPI_BENCH_OUT (the
 * Markdown file). A quick run: KAPI_BENCH_HTTP_CREATES=500 KAPI_BENCH_HTTP_LIST_LARGE=1000
 * KAPI_BENCH_HTTP_GETS=2000 KAPI_BENCH_HTTP_WATCHERS=20 KAPI_BENCH_HTTP_WATCH_WRITES=20
 * KAPI_BENCH_HTTP_PHASE_SECONDS=5.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { startEtcd, type EtcdServer } from '@kapi/storage/etcd-server';
import { startSampleServer, type SampleServer } from '../e2e/sample-server.js';
import { flunderBody, flundersPath, listFlunders, objectName } from './lib/flunder.js';
import { fmt, Footnotes, mib, ms, notesSection, writeReport } from './lib/format.js';
import { describeMachine, etcdVersion, findPid, loadAverage, procCpuSeconds, procMemory, ProcessRssSampler, tmpFilesystem } from './lib/machine.js';
import { httpClient, type Http } from './lib/http-client.js';
import { envInt, forkRow, rowMain, selectRows } from './lib/rows.js';
import { summarizeLatencies } from './lib/stats.js';
import { finishLoad, type LoadCounts } from './lib/load.js';
import { watchFanout } from './lib/watch-fanout.js';

// ---- parameters -------------------------------------------------------------------------------------

const params = {
  creates: envInt('KAPI_BENCH_HTTP_CREATES', 5000),
  gets: envInt('KAPI_BENCH_HTTP_GETS', 20_000),
  writes: envInt('KAPI_BENCH_HTTP_WRITES', 5000),
  listSmall: envInt('KAPI_BENCH_HTTP_LIST_SMALL', 100),
  listLarge: envInt('KAPI_BENCH_HTTP_LIST_LARGE', 10_000),
  smallLists: envInt('KAPI_BENCH_HTTP_SMALL_LISTS', 2000),
  largeLists: envInt('KAPI_BENCH_HTTP_LARGE_LISTS', 100),
  listConcurrency: envInt('KAPI_BENCH_HTTP_LIST_CONCURRENCY', 4),
  watchers: envInt('KAPI_BENCH_HTTP_WATCHERS', 200),
  watchWrites: envInt('KAPI_BENCH_HTTP_WATCH_WRITES', 200),
  phaseSeconds: envInt('KAPI_BENCH_HTTP_PHASE_SECONDS', 20),
};

const ROWS = ['sqlite', 'etcd3'] as const;
type RowName = (typeof ROWS)[number];

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const OUT_FILE = process.env.KAPI_BENCH_OUT ?? join(REPO_ROOT, 'test', 'bench', 'results', 'server.md');
/** A row that has not finished by then is killed and reported as failed. */
const ROW_TIMEOUT_MS = 5 * 60_000;
/** How long one watch write may take to reach every watcher. */
const DELIVERY_TIMEOUT_MS = 15_000;
/** How long one request may take before autocannon counts it as a timeout. */
const REQUEST_TIMEOUT_S = 30;

const NS = { warmup: 'bench-warmup', large: 'bench-large', small: 'bench-small', watch: 'bench-watch' } as const;


// ---- results ----------------------------------------------------------------------------------------

interface ScenarioResult {
  scenario: string;
  concurrency: number;
  /** Requests answered with 2xx (for watch fan-out: writes delivered to every watcher). */
  ok: number;
  /** Non-2xx answers, connection errors, timeouts and wrong answers. */
  errors: number;
  elapsedMs: number;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Highest VmRSS of the server process sampled while the scenario ran. */
  serverPeakRssBytes: number;
  /** CPU time over wall time while the scenario ran (100 = one core), of the server and of the load generator. */
  serverCpuPct: number;
  clientCpuPct: number;
  /** Anything worth a footnote (a cap reached, what the errors were, bytes per response). */
  notes: string[];
}

interface RowResult {
  row: RowName;
  scenarios: ScenarioResult[];
  wallMs: number;
  /** The server's VmRSS after start, and its VmHWM at the end of the row. */
  serverStartRssBytes?: number;
  serverPeakRssBytes?: number;
  etcdPeakRssBytes?: number;
  error?: string;
  /** Problems seen in the server: an exit, a wrong answer (also in the scenario notes). */
  problems: string[];
}

// ---- the load generator (child) ---------------------------------------------------------------------

interface Conn {
  url: string;
  host: string;
  port: number;
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

function connFromEnv(): Conn {
  const url = process.env.KAPI_BENCH_SERVER_URL;
  const dir = process.env.KAPI_BENCH_SERVER_DIR;
  if (!url || !dir) throw new Error('KAPI_BENCH_SERVER_URL and KAPI_BENCH_SERVER_DIR are set by the parent');
  const parsed = new URL(url);
  return {
    url,
    host: parsed.hostname,
    port: Number(parsed.port),
    ca: readFileSync(join(dir, 'ca.crt')),
    cert: readFileSync(join(dir, 'admin.crt')),
    key: readFileSync(join(dir, 'admin.key')),
  };
}


interface Meter {
  /** The server's peak RSS and the CPU used by the server and by this load generator since the last take. */
  take(): { serverPeakRssBytes: number; serverCpuPct: number; clientCpuPct: number };
  stop(): void;
}

/** Samples the server's RSS and CPU (the parent passes its pid) and this process's CPU. */
function serverMeter(): Meter {
  const pid = Number(process.env.KAPI_BENCH_SERVER_PID);
  const rss = pid ? new ProcessRssSampler(pid, 50) : undefined;
  const mark = () => ({ at: performance.now(), server: pid ? (procCpuSeconds(pid) ?? NaN) : NaN, client: process.cpuUsage() });
  let last = mark();
  return {
    take() {
      const now = mark();
      const seconds = (now.at - last.at) / 1000;
      const client = process.cpuUsage(last.client);
      const result = {
        serverPeakRssBytes: rss?.take() ?? 0,
        serverCpuPct: ((now.server - last.server) / seconds) * 100,
        clientCpuPct: ((client.user + client.system) / 1e6 / seconds) * 100,
      };
      last = now;
      return result;
    },
    stop: () => rss?.stop(),
  };
}

interface LoadSpec {
  scenario: string;
  concurrency: number;
  amount: number;
  /** Stops early after this long (0: no cap). */
  capMs: number;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  /** The request's content type (default application/json). */
  contentType?: string;
  /** The path and body of the i-th request; `expect`, when given, must appear in a 2xx body. */
  next(i: number): { path: string; body?: string; expect?: string };
  /** Check 2xx bodies against `expect` (buffers every body in autocannon: keep it for small ones). */
  verify: boolean;
}

interface LoadResult extends LoadCounts {
  /** Latencies of the 2xx responses but each connection's first. */
  latencies: Float64Array;
  /** 2xx bodies that did not contain the request's `expect`. */
  wrong: number;
}

async function runLoad(conn: Conn, spec: LoadSpec): Promise<LoadResult> {
  const latencies = new Float64Array(spec.amount);
  let recorded = 0;
  let ok = 0;
  let issued = 0;
  let wrong = 0;
  let bytes = 0;
  const errorSamples: string[] = [];
  const noteError = (text: string): void => {
    if (errorSamples.length < 5 && !errorSamples.includes(text)) errorSamples.push(text);
  };
  const started = performance.now();
  let lastResponseAt = started;
  const instance = autocannon(
    {
      url: conn.url,
      connections: spec.concurrency,
      amount: spec.amount,
      timeout: REQUEST_TIMEOUT_S,
      // autocannon notices the end on its sampling tick: keep that short so the run ends with its last response.
      sampleInt: 100,
      tlsOptions: { ca: conn.ca, cert: conn.cert, key: conn.key },
      servername: 'localhost',
      requests: [
        {
          method: spec.method,
          headers: { accept: 'application/json', 'content-type': spec.contentType ?? 'application/json' },
          setupRequest(req: autocannon.Request, context: Record<string, unknown>) {
            const next = spec.next(issued++);
            context.expect = next.expect;
            return { ...req, path: next.path, ...(next.body !== undefined ? { body: next.body } : {}) };
          },
          ...(spec.verify
            ? {
                onResponse(status: number, body: string, context: Record<string, unknown>) {
                  if (status >= 200 && status < 300 && typeof context.expect === 'string' && !body.includes(context.expect)) {
                    wrong++;
                    noteError(`wrong answer: ${body.slice(0, 200)}`);
                  } else if (status >= 300) {
                    noteError(`HTTP ${status}: ${body.slice(0, 200)}`);
                  }
                },
              }
            : {}),
        },
      ],
    } as autocannon.Options,
    () => undefined,
  );
  // The first response on each connection also paid for the TLS handshake (client certificate): kept apart.
  const connected = new Set<unknown>();
  const firstLatencies: number[] = [];
  instance.on('response', (client: unknown, statusCode: number, resBytes: number, responseTime: number) => {
    lastResponseAt = performance.now();
    const first = !connected.has(client);
    if (first) connected.add(client);
    if (statusCode >= 200 && statusCode < 300 && first) {
      firstLatencies.push(responseTime);
      ok++;
      bytes += resBytes;
    } else if (statusCode >= 200 && statusCode < 300 && recorded < latencies.length) {
      ok++;
      latencies[recorded++] = responseTime;
      bytes += resBytes;
    }
  });
  instance.on('reqError', (err: unknown) => noteError(err instanceof Error ? err.message : String(err)));
  const { result, capped, statusCounts } = await finishLoad(instance, spec.capMs);
  // Up to the last response, not to autocannon's 'done' (which waits for its next tick).
  const elapsedMs = lastResponseAt - started;
  return {
    latencies: latencies.subarray(0, recorded),
    firstLatencies,
    ok,
    errors: result.errors + result.non2xx + wrong,
    elapsedMs,
    capped,
    bytes,
    statusCounts,
    errorSamples,
    wrong,
  };
}

function scenarioResult(spec: LoadSpec, load: LoadResult, meter: Meter, notes: string[] = []): ScenarioResult {
  const summary = summarizeLatencies(load.latencies);
  if (load.firstLatencies.length > 0) {
    const first = summarizeLatencies(load.firstLatencies);
    notes.push(`first request per connection (TLS handshake included) left out of p50/p99: ${first.count} of them, p50 ${ms(first.p50Ms)} ms, max ${ms(first.maxMs)} ms`);
  }
  if (load.capped) notes.push(`stopped by the ${params.phaseSeconds} s cap after ${load.ok} of ${spec.amount} requests`);
  if (load.errors > 0) {
    const codes = Object.entries(load.statusCounts)
      .filter(([code]) => !code.startsWith('2'))
      .map(([code, n]) => `${n} × HTTP ${code}`);
    notes.push(`errors: ${[...codes, ...(load.wrong ? [`${load.wrong} wrong answers`] : []), ...load.errorSamples].join('; ')}`);
  }
  return {
    scenario: spec.scenario,
    concurrency: spec.concurrency,
    ok: load.ok,
    errors: load.errors,
    elapsedMs: load.elapsedMs,
    reqPerSec: (load.ok / load.elapsedMs) * 1000,
    p50Ms: summary.p50Ms,
    p99Ms: summary.p99Ms,
    ...meter.take(),
    notes,
  };
}

/** Creates `count` Flunders in a namespace, unmeasured (setup), failing on any error. */
async function fill(conn: Conn, namespace: string, prefix: string, count: number): Promise<void> {
  if (count <= 0) return;
  const load = await runLoad(conn, {
    scenario: `fill ${namespace}`,
    concurrency: Math.min(32, count),
    amount: count,
    capMs: 0,
    method: 'POST',
    next: (i) => ({ path: flundersPath(namespace), body: flunderBody(namespace, objectName(prefix, i), i) }),
    verify: false,
  });
  if (load.errors > 0 || load.ok !== count) {
    throw new Error(`filling ${namespace}: ${load.ok} of ${count} created; ${JSON.stringify(load.statusCounts)} ${load.errorSamples.join('; ')}`);
  }
}

/** Runs every scenario against the server the parent started; returns what it measured. */
async function runRow(row: RowName): Promise<RowResult> {
  const started = performance.now();
  const conn = connFromEnv();
  const http = httpClient(conn);
  const rss = serverMeter();
  const capMs = params.phaseSeconds * 1000;
  const scenarios: ScenarioResult[] = [];
  const problems: string[] = [];
  const log = (s: ScenarioResult): void => {
    scenarios.push(s);
    console.log(
      `   ${`${s.scenario} c${s.concurrency}`.padEnd(22)} ${fmt(s.reqPerSec, 0).padStart(7)} req/s  p50 ${ms(s.p50Ms)} ms  p99 ${ms(s.p99Ms)} ms  errors ${s.errors}  server rss ${mib(s.serverPeakRssBytes)} MiB cpu ${fmt(s.serverCpuPct, 0)}%  client cpu ${fmt(s.clientCpuPct, 0)}%${s.notes.length ? `  (${s.notes.join('; ')})` : ''}`,
    );
  };

  try {
    // Warm up: JIT the create, get and list paths; not reported.
    await fill(conn, NS.warmup, 'warm', 300);
    await listFlunders(http, NS.warmup);
    rss.take();

    // create at 16 then 64 in flight, into the namespace the large list reads.
    let createdLarge = 0;
    for (const concurrency of [16, 64]) {
      const prefix = `c${concurrency}`;
      const spec: LoadSpec = {
        scenario: 'create',
        concurrency,
        amount: params.creates,
        capMs,
        method: 'POST',
        next: (i) => ({
          path: flundersPath(NS.large),
          body: flunderBody(NS.large, objectName(prefix, i), i),
          expect: `"name":"${objectName(prefix, i)}"`,
        }),
        verify: true,
      };
      const load = await runLoad(conn, spec);
      createdLarge += load.ok;
      log(scenarioResult(spec, load, rss));
    }

    // Setup: top the large namespace up to its size (when the creates were capped or fewer), and the small one.
    await fill(conn, NS.large, 'fill', params.listLarge - createdLarge);
    await fill(conn, NS.small, 'small', params.listSmall);
    const large = await listFlunders(http, NS.large);
    const small = await listFlunders(http, NS.small);
    const expectedLarge = Math.max(params.listLarge, createdLarge);
    if (large.names.length !== expectedLarge) {
      problems.push(`list ${NS.large}: ${large.names.length} items after ${expectedLarge} successful creates`);
    }
    if (small.names.length !== params.listSmall) problems.push(`list ${NS.small}: ${small.names.length} items after ${params.listSmall} creates`);
    rss.take();

    // get by name, random names of the large namespace.
    {
      const names = large.names;
      const spec: LoadSpec = {
        scenario: 'get',
        concurrency: 16,
        amount: params.gets,
        capMs,
        method: 'GET',
        next: () => {
          const name = names[Math.floor(Math.random() * names.length)] as string;
          return { path: `${flundersPath(NS.large)}/${name}`, expect: `"name":"${name}"` };
        },
        verify: true,
      };
      log(scenarioResult(spec, await runLoad(conn, spec), rss));
    }

    // list: the whole namespace, JSON (the body is checked before and after, not per response).
    for (const [namespace, listed, amount] of [
      [NS.small, small, params.smallLists],
      [NS.large, large, params.largeLists],
    ] as const) {
      const spec: LoadSpec = {
        scenario: `list ${fmt(listed.names.length, 0)}`,
        concurrency: params.listConcurrency,
        amount,
        capMs,
        method: 'GET',
        next: () => ({ path: flundersPath(namespace) }),
        verify: false,
      };
      const load = await runLoad(conn, spec);
      const notes = [`${fmt(listed.bytes / 1024, 0)} KiB per list`];
      const after = await listFlunders(http, namespace);
      if (after.names.length !== listed.names.length) {
        const problem = `list ${namespace}: ${after.names.length} items after the list scenario, ${listed.names.length} before`;
        problems.push(problem);
        notes.push(problem);
      }
      const avgBytes = load.ok > 0 ? load.bytes / load.ok : 0;
      if (load.ok > 0 && Math.abs(avgBytes - listed.bytes) > listed.bytes * 0.05) {
        notes.push(`responses averaged ${fmt(avgBytes, 0)} B, the checked list was ${fmt(listed.bytes, 0)} B`);
      }
      log(scenarioResult(spec, load, rss, notes));
    }

    // Writes to existing objects, after the lists (which check their bytes against the objects as created): a pool of the large namespace's, each written several times):
    // update (PUT, unconditional), a merge patch, and server-side apply (one field manager, forced);
    // each changes spec.reference, so each writes and records managedFields.
    {
      const pool = large.names.slice(0, Math.min(1000, large.names.length));
      const at = (i: number): string => pool[i % pool.length] as string;
      const writes: Array<Pick<LoadSpec, 'scenario' | 'method' | 'contentType' | 'next'>> = [
        {
          scenario: 'update',
          method: 'PUT',
          next: (i) => ({ path: `${flundersPath(NS.large)}/${at(i)}`, body: flunderBody(NS.large, at(i), i).replace(/"reference":"[^"]*"/, `"reference":"updated-${i}"`), expect: `"updated-${i}"` }),
        },
        {
          scenario: 'merge patch',
          method: 'PATCH',
          contentType: 'application/merge-patch+json',
          next: (i) => ({ path: `${flundersPath(NS.large)}/${at(i)}`, body: JSON.stringify({ spec: { reference: `patched-${i}` } }), expect: `"patched-${i}"` }),
        },
        {
          scenario: 'apply',
          method: 'PATCH',
          contentType: 'application/apply-patch+yaml',
          next: (i) => ({
            path: `${flundersPath(NS.large)}/${at(i)}?fieldManager=bench&force=true`,
            body: JSON.stringify({ apiVersion: 'wardle.example.com/v1alpha1', kind: 'Flunder', metadata: { name: at(i), namespace: NS.large }, spec: { reference: `applied-${i}` } }),
            expect: `"applied-${i}"`,
          }),
        },
      ];
      for (const w of writes) {
        const spec: LoadSpec = { ...w, concurrency: 16, amount: params.writes, capMs, verify: true };
        const load = await runLoad(conn, spec);
        // What managedFields add to the object the write left (bytes of JSON).
        const res = await http.send('GET', `${flundersPath(NS.large)}/${at(0)}`);
        const obj = JSON.parse(res.body) as { metadata: { managedFields?: unknown[] } };
        const managed = Buffer.byteLength(JSON.stringify(obj.metadata.managedFields ?? []));
        const notes = [`object ${fmt(Buffer.byteLength(res.body), 0)} B, of which managedFields ${fmt(managed, 0)} B (${obj.metadata.managedFields?.length ?? 0} entries)`];
        log(scenarioResult(spec, load, rss, notes));
      }
    }

    const watch = await measureWatch(http, rss, capMs, problems);
    log(watch);
  } catch (err) {
    rss.stop();
    http.close();
    return { row, scenarios, wallMs: performance.now() - started, error: err instanceof Error ? err.message : String(err), problems };
  }
  rss.stop();
  http.close();
  return { row, scenarios, wallMs: performance.now() - started, problems };
}

/**
 * W watchers on an empty namespace from its list's resourceVersion, then up to K creates one after
 * another; each waits until the event reached every watcher. Latency: create response → last delivery.
 */
async function measureWatch(http: Http, rss: Meter, capMs: number, problems: string[]): Promise<ScenarioResult> {
  const { watchers, watchWrites } = params;
  const r = await watchFanout(http, {
    namespace: NS.watch,
    watchers,
    writes: watchWrites,
    openBatch: 20,
    settleMs: 500,
    capMs,
    deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
    onReady: () => rss.take(),
  });
  problems.push(...r.problems);
  const notes = [
    ...r.notes,
    `${watchers} watchers; writes one after another, each waiting for full delivery (${fmt(r.eventsPerSec, 0)} events delivered/s); ` +
      `the creates themselves took p50 ${ms(r.writeLatency.p50Ms)} ms, p99 ${ms(r.writeLatency.p99Ms)} ms`,
  ];
  return {
    scenario: 'watch fan-out',
    concurrency: watchers,
    ok: r.delivered,
    errors: r.errors,
    elapsedMs: r.elapsedMs,
    reqPerSec: (r.delivered / r.elapsedMs) * 1000,
    p50Ms: r.latency.p50Ms,
    p99Ms: r.latency.p99Ms,
    ...rss.take(),
    notes,
  };
}

// ---- the parent: servers, children, report -----------------------------------------------------------

async function benchRow(row: RowName): Promise<RowResult> {
  let etcd: EtcdServer | undefined;
  let server: SampleServer | undefined;
  try {
    if (row === 'etcd3') etcd = await startEtcd();
    server = await startSampleServer({ storageBackend: row, ...(etcd ? { etcdServers: etcd.endpoint } : {}) });
    const serverPid = findPid(`--cert-dir=${server.dir}`);
    const startRss = serverPid ? procMemory(serverPid, 'VmRSS') : undefined;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KAPI_BENCH_SERVER_URL: server.url,
      KAPI_BENCH_SERVER_DIR: server.dir,
      KAPI_BENCH_SERVER_PID: serverPid ? String(serverPid) : '',
    };
    const result = await forkRow<RowResult>(__filename, row, env, ROW_TIMEOUT_MS, (error, wallMs) => ({ row, scenarios: [], wallMs, error, problems: [] }));
    if (serverPid) {
      result.serverStartRssBytes = startRss;
      result.serverPeakRssBytes = procMemory(serverPid, 'VmHWM');
      if (result.serverPeakRssBytes === undefined) {
        result.problems.push(`the server process (pid ${serverPid}) was gone at the end of the row; its output ends:\n${server.logs().slice(-2000)}`);
      }
    }
    if (etcd) {
      const etcdPid = findPid('--data-dir', etcd.dataDir);
      if (etcdPid) result.etcdPeakRssBytes = procMemory(etcdPid, 'VmHWM');
    }
    if (/"level":(50|60)/.test(server.logs())) {
      const lines = server.logs().split('\n').filter((l) => /"level":(50|60)/.test(l));
      result.problems.push(`the server logged ${lines.length} errors, the first: ${lines[0]?.slice(0, 500)}`);
    }
    return result;
  } finally {
    await server?.stop();
    await etcd?.stop();
  }
}

async function runParent(): Promise<void> {
  const rows = selectRows('KAPI_BENCH_HTTP_ROWS', ROWS);
  const startedAt = new Date();
  const loadBefore = loadAverage();
  console.log(`server bench: ${JSON.stringify(params)}; rows: ${rows.join(', ')}`);
  const results: RowResult[] = [];
  for (const row of rows) {
    console.log(`-- ${row}`);
    let result: RowResult;
    try {
      result = await benchRow(row);
    } catch (err) {
      result = { row, scenarios: [], wallMs: 0, error: err instanceof Error ? err.message : String(err), problems: [] };
    }
    results.push(result);
    if (result.error) console.log(`   FAILED: ${result.error}`);
    for (const problem of result.problems) console.log(`   PROBLEM: ${problem}`);
  }
  const report = renderReport(results, startedAt, loadBefore, loadAverage());
  writeReport(OUT_FILE, report);
  if (results.some((r) => r.error || r.problems.length > 0)) process.exitCode = 1;
}

function renderReport(results: RowResult[], startedAt: Date, loadBefore: string, loadAfter: string): string {
  const lines: string[] = [];
  const sampleBytes = Buffer.byteLength(flunderBody(NS.large, objectName('c16', 0), 0));
  lines.push('# Sample server HTTP benchmark');
  lines.push('');
  lines.push('Written by `npm run bench:server` (test/bench/server.ts). Numbers are from one run on a shared');
  lines.push('development machine, with the load generator on the same CPUs as the server: treat them as rough');
  lines.push('and compare rows with each other rather than with other machines.');
  lines.push('');
  lines.push(`- date: ${startedAt.toISOString()}`);
  lines.push(`- machine: ${describeMachine()}`);
  lines.push(`- load average (1/5/15 min) before: ${loadBefore}, after: ${loadAfter}`);
  lines.push(`- node ${process.version}, etcd ${etcdVersion()}; temp files: ${tmpFilesystem()}`);
  lines.push(
    '- server: cmd/sample-apiserver (built), one Node process, HTTPS with the admin client certificate, watch cache on (the default), ' +
      'default in-flight limits; one fresh server per row (and one fresh etcd for the etcd3 row), 127.0.0.1 only',
  );
  lines.push(
    `- load: autocannon over keep-alive HTTPS connections (one request in flight per connection), in a child process; ` +
      `300 creates of warm-up first (not reported); each scenario stops after its count or ${params.phaseSeconds} s`,
  );
  lines.push(
    `- parameters: create = POST of a v1alpha1 Flunder (${sampleBytes} B of JSON), ${params.creates} per concurrency, into the namespace the large list reads; ` +
      `get = ${params.gets} GETs of random names among the ${fmt(params.listLarge, 0)}; ` +
      `update / merge patch / apply = ${params.writes} writes each (PUT without resourceVersion; application/merge-patch+json; application/apply-patch+yaml with fieldManager=bench&force=true) changing spec.reference of 1000 of them in turn, 16 in flight; ` +
      `list = GET of the namespace's flunders (Accept: application/json, resourceVersion unset), ${params.smallLists} lists of ${params.listSmall} objects and ${params.largeLists} of ${fmt(params.listLarge, 0)}, ${params.listConcurrency} in flight; ` +
      `watch fan-out = ${params.watchers} watchers (\`?watch=true&resourceVersion=<list rv>\`) on an empty namespace, then up to ${params.watchWrites} creates one after another`,
  );
  lines.push('');
  lines.push('## Results');
  lines.push('');
  lines.push('| backend | scenario | concurrency | requests | req/s | p50 ms | p99 ms | errors | server peak RSS MiB | server CPU % | load gen CPU % |');
  lines.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const footnotes = new Footnotes();
  for (const result of results) {
    if (result.error) lines.push(`| ${result.row} | (failed: ${result.error.replace(/\|/g, '\\|').replace(/\n/g, ' ')}) | | | | | | | | | |`);
    for (const s of result.scenarios) {
      let label = s.scenario;
      if (s.notes.length > 0) {
        label += footnotes.ref(`${result.row}, ${s.scenario}${s.scenario === 'create' ? ` c${s.concurrency}` : ''}: ${s.notes.join('; ')}`);
      }
      lines.push(
        `| ${result.row} | ${label} | ${s.concurrency} | ${fmt(s.ok, 0)} | ${fmt(s.reqPerSec, 0)} | ${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ${fmt(s.errors, 0)} | ${mib(s.serverPeakRssBytes)} | ${fmt(s.serverCpuPct, 0)} | ${fmt(s.clientCpuPct, 0)} |`,
      );
    }
  }
  lines.push('');
  lines.push('- requests: 2xx answers (watch fan-out: writes that reached every watcher); req/s = that over the scenario\'s wall time.');
  lines.push('- latency: per request, from autocannon writing it to the whole response read (2xx only); for watch fan-out, from the');
  lines.push('  create\'s response to the event reaching the last of the watchers (0 when the event came first).');
  lines.push('- errors: non-2xx answers, connection errors and timeouts, and 2xx bodies that did not name the object asked for');
  lines.push('  (create and get are checked per response; lists are checked for their item count before and after).');
  lines.push('- server peak RSS: highest VmRSS of the server process sampled every 50 ms during the scenario.');
  lines.push('- CPU %: CPU time (user + system) over the scenario\'s wall time, 100 = one core: the server process (from /proc)');
  lines.push('  and the load generator (autocannon and the watch clients, one process); etcd\'s own CPU is not counted.');
  lines.push(...footnotes.lines());
  lines.push('');
  lines.push('### Per row');
  lines.push('');
  lines.push('| backend | wall time s | server RSS after start MiB | server peak RSS MiB (VmHWM) | etcd peak RSS MiB (VmHWM) |');
  lines.push('|---|---:|---:|---:|---:|');
  for (const r of results) {
    lines.push(`| ${r.row} | ${fmt(r.wallMs / 1000, 1)} | ${mib(r.serverStartRssBytes)} | ${mib(r.serverPeakRssBytes)} | ${mib(r.etcdPeakRssBytes)} |`);
  }
  const problems = results.flatMap((r) => r.problems.map((p) => `${r.row}: ${p}`));
  lines.push('');
  lines.push('### Problems seen in the server');
  lines.push('');
  if (problems.length === 0) lines.push('None: no crash, no hang, every checked answer right.');
  else for (const p of problems) lines.push(`- ${p.replace(/\n/g, '\n  ')}`);
  lines.push('');
  lines.push(...notesSection(OUT_FILE, 'What limits it', '(not written yet: read the numbers above and say what bounds each figure)'));
  return lines.join('\n');
}

// ---- entry -----------------------------------------------------------------------------------------

rowMain(ROWS, runRow, runParent);
