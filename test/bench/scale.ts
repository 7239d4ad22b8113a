/**
 * Scale curves: how each server behaves as its store grows, `npm run bench:scale` →
 * test/bench/results/scale.md and a PNG per curve beside it. Not a test.
 *
 * Per server (kapi on sqlite and etcd3, the Go sample-apiserver on etcd and on kine) one store is
 * filled in steps (default 1k → 10k → 100k Flunders of about 600 B, 64 creates in flight). At each
 * step the server is restarted on its store and measured: start-up time until ready (/readyz and a
 * list answered: kapi's watch cache filled), RSS after that start, one full list (time, size, the
 * server's RSS peak while it answers), a paged list (limit 500, every page, within a time budget),
 * get by name (c16: p50 and p99) and the rate of 10 writers creating for a few seconds. Servers run one
 * at a time on the cluster's etcd (test/harness, started with an 8 GiB quota; compacted and
 * defragmented between servers) with delegated auth, as in compare.ts.
 *
 * A million Flunders is a list of about 1 GB, past V8's longest string: the full list is streamed and
 * its items counted by their `"uid":"` (drain), never held. A paged walk that runs out of its budget
 * (O(n²) on etcd for the Go server: each page counts the rest of the range) stops there and is shown
 * as cut, not as a total. kapi gets a bigger V8 heap than node's default, for its watch cache.
 *
 * Env: KAPI_BENCH_SCALE_SIZES [1000,10000,100000], KAPI_BENCH_SCALE_SERVERS [go,go-kine,kapi-sqlite,kapi-etcd3],
 * KAPI_BENCH_SCALE_MAX_SIZES [none; e.g. go=100000], KAPI_BENCH_SCALE_GETS [2000], KAPI_BENCH_SCALE_WRITE_SECONDS [5], KAPI_BENCH_SCALE_PAGED_BUDGET_SECONDS [120],
 * KAPI_BENCH_KAPI_HEAP_MB [16384] (kapi's --max-old-space-size), KAPI_BENCH_SCALE_OUT [test/bench/results/scale.md],
 * KAPI_BENCH_SCALE_KEEP_OTHERS [unset; 1 = the report also shows the servers this run does not measure, as the last run
 * that did measured them: their points are kept in scale.json beside the report, with the time of their run].
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { createCA, createServingCert } from '@kapi/apiserver/security';
import { createEtcdClient } from '@kapi/storage';
import { KubeRestClient, loadKubeConfig } from '@kapi/storage/kube';
import { repoRoot, startCluster, type Cluster } from '../harness/index.js';
import { flundersPath, objectName } from './lib/flunder.js';
import { Footnotes, fmt, mib, ms, notesSection, writeReport } from './lib/format.js';
import { httpClient, type Http, type HttpTarget } from './lib/http-client.js';
import { describeMachine, loadAverage, ProcessRssSampler } from './lib/machine.js';
import { deletePrefix } from './lib/etcd-prefix.js';
import { renderLineChart, type Series } from './lib/plot.js';
import { envInt, selectRows } from './lib/rows.js';
import { goBinaries, kapiHasDelegatedAuth, SERVERS, startServer, type RunningServer, type ServerEnv, type ServerName, type StartOptions } from './lib/servers.js';
import { summarizeLatencies } from './lib/stats.js';

/** A positive number of seconds from env `name` (fractions too: a quick run cuts a short walk). */
function envSeconds(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of seconds, got ${raw}`);
  return value;
}

const NS = 'bench-scale';
const GROUP = 'wardle.example.com';
const OUT_FILE = process.env.KAPI_BENCH_SCALE_OUT ?? join(repoRoot(), 'test/bench/results/scale.md');
/** Every server's points as its last run measured them, beside the report. */
const DATA_FILE = OUT_FILE.replace(/\.md$/, '') + '.json';
const KEEP_OTHERS = process.env.KAPI_BENCH_SCALE_KEEP_OTHERS === '1';
const SIZES = (process.env.KAPI_BENCH_SCALE_SIZES ?? '1000,10000,100000').split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
/** Per server, the largest step it is grown to ("go=100000,go-kine=100000"): a fill of a million takes the Go server 17 min here. */
const MAX_SIZE: ReadonlyMap<string, number> = new Map(
  (process.env.KAPI_BENCH_SCALE_MAX_SIZES ?? '')
    .split(',')
    .filter((pair) => pair.includes('='))
    .map((pair) => [pair.split('=')[0]!.trim(), Number(pair.split('=')[1])] as const),
);
/**
 * Ready = /readyz, then a list answered from the watch cache: resourceVersion=0 is served from it
 * (Go answers 429 until it is filled; kapi serves once its caches are), and a field selector no
 * Flunder matches keeps the answer empty. A full list here would be a gigabyte at a million
 * objects, asked again every 200 ms while the server starts.
 */
const READY_PATH = `${flundersPath(NS)}?resourceVersion=0&fieldSelector=${encodeURIComponent('metadata.name=bench-none')}`;
const GETS = envInt('KAPI_BENCH_SCALE_GETS', 2000);
const WRITE_SECONDS = envInt('KAPI_BENCH_SCALE_WRITE_SECONDS', 5);
/** The paged walk stops after this long (the Go server's walk on etcd is O(n²): ~25 min at 1M). */
const PAGED_BUDGET_SECONDS = envSeconds('KAPI_BENCH_SCALE_PAGED_BUDGET_SECONDS', 120);
const BUDGET_TEXT = fmt(PAGED_BUDGET_SECONDS, Number.isInteger(PAGED_BUDGET_SECONDS) ? 0 : 2);
const PAGE_LIMIT = 500;
/** kapi's V8 old space: node's default (4144 MB here) does not hold a watch cache of a million objects. */
const KAPI_HEAP_MB = envInt('KAPI_BENCH_KAPI_HEAP_MB', 16384);
/** etcd's --quota-backend-bytes for the bench's cluster: a million Flunders are ~1 GB per server, past what 2 GiB leaves for two fills. */
const ETCD_QUOTA_BYTES = 8 * 1024 ** 3;
/** Once in every Flunder of a list: its metadata.uid (the list's own metadata has none; Go leaves kind out of items). */
const ITEM_NEEDLE = '"uid":"';
const FILL_IN_FLIGHT = 64;
/** node's default heap limit on this machine, for the report (what kapi would have without KAPI_HEAP_MB): this process's, unless NODE_OPTIONS set one. */
const DEFAULT_HEAP_MB = process.env.NODE_OPTIONS?.includes('max-old-space-size') ? NaN : Math.round(getHeapStatistics().heap_size_limit / 1024 / 1024);
const WRITERS = 10;
/** About 600 B stored per Flunder, as issue 19 asks: the annotation pads the usual benchmark object. */
const PADDING = 'x'.repeat(330);

interface Point {
  objects: number;
  startupMs: number;
  rssBytes: number;
  listMs: number;
  listBytes: number;
  listPeakRssBytes: number;
  /** Why the full list has no answer (the server cut it: Go's --request-timeout ends a list after 60 s); listMs is then the time until the cut. */
  listError?: string;
  /** The paged walk's time: the whole walk, or until its budget ran out (pagedComplete false). */
  pagedListMs: number;
  /** Pages read (all of them when pagedComplete). */
  pages: number;
  /** Pages a whole walk takes: ceil(objects / limit). */
  pagesExpected: number;
  /** Items on the pages read. */
  pagedItems: number;
  /** false: the budget ran out before the last page. */
  pagedComplete: boolean;
  getP50Ms: number;
  getP99Ms: number;
  createsPerSec: number;
  /** The fill to this size, 64 in flight. */
  fillPerSec: number;
}

interface ServerCurve {
  server: ServerName;
  points: Point[];
  error?: string;
  /** When the run that measured this server started (ISO 8601). */
  runStartedAt: string;
}

/** The curves of scale.json, by server (none when it is missing). */
function readStoredCurves(): Map<string, ServerCurve> {
  if (!existsSync(DATA_FILE)) return new Map();
  const curves = JSON.parse(readFileSync(DATA_FILE, 'utf8')) as ServerCurve[];
  return new Map(curves.map((c) => [c.server, c]));
}

/** This run's curves, with the other servers' last ones when KEEP_OTHERS, in SERVERS' order. */
function shownCurves(measured: readonly ServerCurve[], stored: ReadonlyMap<string, ServerCurve>): ServerCurve[] {
  const byServer = new Map<string, ServerCurve>(KEEP_OTHERS ? stored : []);
  for (const c of measured) byServer.set(c.server, c);
  return SERVERS.flatMap((server) => byServer.get(server) ?? []);
}

function body(name: string, i: number): string {
  return JSON.stringify({
    apiVersion: `${GROUP}/v1alpha1`,
    kind: 'Flunder',
    metadata: { name, namespace: NS, labels: { app: 'bench', shard: `shard-${i % 16}` }, annotations: { 'bench.kapi.dev/index': String(i), 'bench.kapi.dev/padding': PADDING } },
    spec: { reference: `fischer-${i}`, referenceType: 'Fischer' },
  });
}

/** `count` requests from `inFlight` loops; each request's latency. Throws on a non-2xx answer. `onDone` sees each answered request. */
async function pool(inFlight: number, count: number, request: (i: number) => Promise<{ status: number; body: string; ms: number }>, onDone?: (done: number) => void): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      while (next < count) {
        const res = await request(next++);
        if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 300)}`);
        latencies.push(res.ms);
        onDone?.(latencies.length);
      }
    }),
  );
  return latencies;
}

/** A line about every tenth of a long fill (10,000 creates or more), so that a fill of 20 minutes is seen to move. */
function fillProgress(label: string, count: number): ((done: number) => void) | undefined {
  if (count < 10_000) return undefined;
  const started = performance.now();
  const step = Math.ceil(count / 10);
  return (done) => {
    if (done % step !== 0 && done !== count) return;
    const seconds = (performance.now() - started) / 1000;
    const rate = done / seconds;
    const left = done < count ? `, about ${fmt((count - done) / rate / 60, 1)} min to go` : '';
    console.log(`${label}: ${fmt(done, 0)} of ${fmt(count, 0)} created (${Math.round((done / count) * 100)} %) in ${fmt(seconds / 60, 1)} min, ${fmt(rate, 0)}/s${left}`);
  };
}

/** Every page of the namespace's list at `limit`, following the continue tokens, until the last page or `budgetMs`. */
async function pagedList(http: Http, limit: number, budgetMs: number): Promise<{ ms: number; pages: number; items: number; complete: boolean }> {
  const started = performance.now();
  let token = '';
  let pages = 0;
  let items = 0;
  do {
    if (pages > 0 && performance.now() - started >= budgetMs) return { ms: performance.now() - started, pages, items, complete: false };
    const res = await http.send('GET', `${flundersPath(NS)}?limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
    if (res.status !== 200) throw new Error(`paged list: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    const page = JSON.parse(res.body) as { metadata?: { continue?: string }; items?: unknown[] };
    items += page.items?.length ?? 0;
    token = page.metadata?.continue ?? '';
    pages++;
  } while (token);
  return { ms: performance.now() - started, pages, items, complete: true };
}

/** The paged walk's cell: its time and pages, or how far it got when the budget ran out. */
function pagedCell(p: Point): string {
  return p.pagedComplete ? `${ms(p.pagedListMs)} (${p.pages})` : `> ${fmt(p.pagedListMs, 0)} (${fmt(p.pages, 0)} of ${fmt(p.pagesExpected, 0)} pages)`;
}

async function measure(env: ServerEnv, server: RunningServer, objects: number, fillPerSec: number, startupMs: number, names: string[], written: { n: number }): Promise<Point> {
  const http = httpClient(env.direct(server.port));
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const rssBytes = server.processes.rss() ?? NaN;
    const sampler = new ProcessRssSampler(server.processes, 20);
    sampler.take();
    // Streamed and counted, not held: at a million Flunders the list is past V8's longest string.
    // A list the server cuts off is a result of this step, not the end of the curve.
    const listStarted = performance.now();
    const list = await http.drain('GET', flundersPath(NS), ITEM_NEEDLE).catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }));
    const listPeakRssBytes = sampler.take();
    sampler.stop();
    const listCut = 'error' in list ? { listMs: performance.now() - listStarted, listError: list.error } : undefined;
    if (!('error' in list)) {
      if (list.status !== 200) throw new Error(`list: HTTP ${list.status}: ${list.head}`);
      if (list.count !== names.length) throw new Error(`the list has ${list.count} Flunders (${ITEM_NEEDLE} in ${fmt(list.bytes, 0)} bytes), ${names.length} were created`);
    }
    const paged = await pagedList(http, PAGE_LIMIT, PAGED_BUDGET_SECONDS * 1000);
    // Only a whole walk can be checked; a cut one saw fewer.
    if (paged.complete ? paged.items !== names.length : paged.items > names.length) throw new Error(`the paged list has ${paged.items} Flunders, ${names.length} were created`);
    const gets = summarizeLatencies(await pool(16, GETS, () => http.send('GET', `${flundersPath(NS)}/${names[Math.floor(Math.random() * names.length)]}`)));
    // 10 writers creating new Flunders for WRITE_SECONDS.
    const until = performance.now() + WRITE_SECONDS * 1000;
    let created = 0;
    await Promise.all(
      Array.from({ length: WRITERS }, async () => {
        while (performance.now() < until) {
          const name = objectName('w', written.n++);
          const res = await http.send('POST', flundersPath(NS), body(name, written.n));
          if (res.status !== 201) throw new Error(`create: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
          names.push(name);
          created++;
        }
      }),
    );
    return {
      objects,
      startupMs,
      rssBytes,
      ...('error' in list ? { listMs: listCut!.listMs, listBytes: NaN, listError: listCut!.listError } : { listMs: list.ms, listBytes: list.bytes }),
      listPeakRssBytes,
      pagedListMs: paged.ms,
      pages: paged.pages,
      pagesExpected: Math.ceil(names.length / PAGE_LIMIT),
      pagedItems: paged.items,
      pagedComplete: paged.complete,
      getP50Ms: gets.p50Ms,
      getP99Ms: gets.p99Ms,
      createsPerSec: created / WRITE_SECONDS,
      fillPerSec,
    };
  } finally {
    http.close();
  }
}

async function curveOf(env: ServerEnv, name: ServerName, runStartedAt: Date): Promise<ServerCurve> {
  const curve: ServerCurve = { server: name, points: [], runStartedAt: runStartedAt.toISOString() };
  const names: string[] = [];
  const written = { n: 0 };
  let server: RunningServer | undefined;
  // kapi's heap (no flag for the Go servers); a start on a big store lists it all before it is ready.
  const ready = (objects: number): StartOptions => ({ readyPath: READY_PATH, kapiHeapMb: KAPI_HEAP_MB, readyTimeoutMs: 90_000 + objects / 2 });
  try {
    server = await startServer(env, name, ready(0));
    for (const size of SIZES.filter((n) => n <= (MAX_SIZE.get(name) ?? Infinity))) {
      // The writers of the step before left some in the store too: fill up to `size` from there.
      const from = names.length;
      const count = Math.max(0, size - from);
      const http = httpClient(env.direct(server.port));
      const started = performance.now();
      try {
        await pool(
          FILL_IN_FLIGHT,
          count,
          (i) => {
            const objectIndex = from + i;
            const n = objectName('f', objectIndex);
            names.push(n);
            return http.send('POST', flundersPath(NS), body(n, objectIndex));
          },
          fillProgress(`${name} fill to ${fmt(size, 0)}`, count),
        );
      } finally {
        http.close();
      }
      const fillPerSec = count > 0 ? count / ((performance.now() - started) / 1000) : NaN;
      // Start again on the same store: the start-up at this size, and RSS without the fill's garbage.
      const dir = server.dir;
      await server.stop();
      if (count >= 10_000) console.log(`${name} ${fmt(names.length, 0)}: filled at ${fmt(fillPerSec, 0)}/s; starting again on the store`);
      const restarted = performance.now();
      server = await startServer(env, name, { ...ready(names.length), dir });
      const startupMs = performance.now() - restarted;
      const point = await measure(env, server, names.length, fillPerSec, startupMs, names, written);
      curve.points.push(point);
      console.log(
        `${name} ${fmt(point.objects, 0)}: start ${fmt(point.startupMs / 1000, 1)} s, RSS ${mib(point.rssBytes)} MiB, list ${ms(point.listMs)} ms (${mib(point.listBytes)} MiB, peak RSS ${mib(point.listPeakRssBytes)} MiB), ` +
          `paged ${pagedCell(point)} ms, get p99 ${ms(point.getP99Ms)} ms, ${fmt(point.createsPerSec, 0)} creates/s, filled at ${fmt(point.fillPerSec, 0)}/s`,
      );
    }
  } catch (err) {
    curve.error = err instanceof Error ? err.message : String(err);
    console.error(`${name}: ${curve.error}`);
  } finally {
    await server?.stop();
  }
  return curve;
}

/** The report's figures; `measured` leaves out the points whose figure is not a measured total (a paged walk cut by its budget). */
const CURVES: ReadonlyArray<{ file: string; title: string; y: string; value: (p: Point) => number; measured?: (p: Point) => boolean }> = [
  { file: 'scale-rss.png', title: 'RSS after a start on the store', y: 'MiB', value: (p) => p.rssBytes / 1024 / 1024 },
  { file: 'scale-startup.png', title: 'Start-up until ready (cache filled)', y: 's', value: (p) => p.startupMs / 1000 },
  { file: 'scale-list.png', title: 'One full list', y: 'ms', value: (p) => p.listMs, measured: (p) => p.listError === undefined },
  { file: 'scale-list-rss.png', title: 'RSS peak while answering a full list', y: 'MiB', value: (p) => p.listPeakRssBytes / 1024 / 1024, measured: (p) => p.listError === undefined },
  { file: 'scale-paged-list.png', title: 'Every page of a paged list (limit 500)', y: 'ms', value: (p) => p.pagedListMs, measured: (p) => p.pagedComplete },
  { file: 'scale-get-p99.png', title: 'get by name, p99 (16 in flight)', y: 'ms', value: (p) => p.getP99Ms },
  { file: 'scale-creates.png', title: 'create rate, 10 writers', y: 'creates/s', value: (p) => p.createsPerSec },
];

/** How `value` grows from the first point to the last, against the growth in objects (1 = linear). */
function growth(points: readonly Point[], value: (p: Point) => number): string {
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last || first === last) return '—';
  return fmt(value(last) / value(first) / (last.objects / first.objects), 2);
}

async function report(curves: ServerCurve[], meta: { startedAt: Date; wallMs: number; loadBefore: string; loadAfter: string }): Promise<void> {
  const outDir = dirname(OUT_FILE);
  mkdirSync(outDir, { recursive: true });
  const lines: string[] = ['# Scale curves', ''];
  lines.push('Written by `npm run bench:scale` (test/bench/scale.ts); the notes at the end are written by hand and kept across runs.');
  lines.push('');
  lines.push(`- date: ${meta.startedAt.toISOString()}; whole run ${fmt(meta.wallMs / 60_000, 1)} min; load average before: ${meta.loadBefore}, after: ${meta.loadAfter}`);
  const kept = curves.filter((c) => c.runStartedAt !== meta.startedAt.toISOString());
  if (kept.length > 0) {
    lines.push(
      `- not measured by this run, shown as the run that last measured them (KAPI_BENCH_SCALE_KEEP_OTHERS, scale.json): ` +
        `${kept.map((c) => `${c.server} (the run of ${c.runStartedAt})`).join(', ')}; the steps and flags below are this run's.`,
    );
  }
  lines.push(`- machine: ${describeMachine()}`);
  lines.push(
    `- servers, one at a time, each on a store of its own grown in steps (${SIZES.map((n) => fmt(n, 0)).join(' → ')} Flunders of ~600 B, ${FILL_IN_FLIGHT} creates in flight${MAX_SIZE.size > 0 ? `; ${[...MAX_SIZE].map(([server, max]) => `${server} only up to ${fmt(max, 0)}`).join(', ')}` : ''}) and restarted on it at each step: ` +
      '**go** = k8s.io/sample-apiserver on etcd, **go-kine** = the same on kine (SQLite), **kapi-sqlite**, **kapi-etcd3**; RSS sums the server and its kine.',
  );
  lines.push(
    `- at each step: start-up until /readyz and a list from the watch cache (resourceVersion=0, a field selector no Flunder matches), RSS 2 s after, one full list (streamed, its items counted), every page at limit ${PAGE_LIMIT} ` +
      `(stopped after ${BUDGET_TEXT} s: \`> ms (n of m pages)\` is a walk cut there), ${fmt(GETS, 0)} gets (16 in flight), ${WRITERS} writers creating for ${WRITE_SECONDS} s (what they create stays in the store).`,
  );
  lines.push(
    `- kapi runs with \`node --max-old-space-size=${KAPI_HEAP_MB}\` (MB, KAPI_BENCH_KAPI_HEAP_MB${Number.isFinite(DEFAULT_HEAP_MB) ? `; node's default is ${fmt(DEFAULT_HEAP_MB, 0)} MB here` : ''}); ` +
      `the cluster's etcd has --quota-backend-bytes=${fmt(ETCD_QUOTA_BYTES / 1024 ** 3, 0)} GiB and is compacted and defragmented between servers.`,
  );
  lines.push('');
  lines.push('| server | Flunders | start-up s | RSS MiB | full list ms | list MiB | RSS peak in list MiB | paged list ms (pages) | get p50 ms | get p99 ms | creates/s (10 writers) | fill /s |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  const notes = new Footnotes();
  /** Per server, the footnote markers of the points a figure leaves out, by the figure's file. */
  const leftOut = new Map<string, string>();
  for (const c of curves) {
    for (const p of c.points) {
      let paged = pagedCell(p);
      if (!p.pagedComplete) {
        const marker = notes.ref(
          `${c.server} at ${fmt(p.objects, 0)} Flunders: the paged walk was stopped at its budget of ${BUDGET_TEXT} s after ${fmt(p.pages, 0)} of ${fmt(p.pagesExpected, 0)} pages ` +
            `(${fmt(p.pagedItems, 0)} Flunders seen): its time is a lower bound, not a measured total, and the items check did not apply. ` +
            'The paged list\'s growth and its curve (scale-paged-list.png) leave this point out: the growth is to the last step whose walk completed.',
        );
        paged += marker;
        leftOut.set(`${c.server} scale-paged-list.png`, (leftOut.get(`${c.server} scale-paged-list.png`) ?? '') + marker);
      }
      let list = ms(p.listMs);
      if (p.listError !== undefined) {
        const marker = notes.ref(
          `${c.server} at ${fmt(p.objects, 0)} Flunders: the full list had no answer: the connection was cut after ${fmt(p.listMs / 1000, 1)} s (${p.listError}). ` +
            'The time is until the cut, not a list; the list\'s curves and growth (scale-list.png, scale-list-rss.png) leave this point out.',
        );
        list = `cut at ${ms(p.listMs)}${marker}`;
        for (const file of ['scale-list.png', 'scale-list-rss.png']) leftOut.set(`${c.server} ${file}`, (leftOut.get(`${c.server} ${file}`) ?? '') + marker);
      }
      lines.push(
        `| ${c.server} | ${fmt(p.objects, 0)} | ${fmt(p.startupMs / 1000, 2)} | ${mib(p.rssBytes)} | ${list} | ${p.listError !== undefined ? '—' : fmt(p.listBytes / 1024 / 1024, 1)} | ${mib(p.listPeakRssBytes)} | ${paged} | ${ms(p.getP50Ms)} | ${ms(p.getP99Ms)} | ${fmt(p.createsPerSec, 0)} | ${fmt(p.fillPerSec, 0)} |`,
      );
    }
    if (c.error) lines.push(`| ${c.server} | **failed** | ${c.error.split('\n')[0]!.slice(0, 200)} | | | | | | | | | |`);
  }
  lines.push(...notes.lines());
  lines.push('');
  lines.push('## Growth');
  lines.push('');
  lines.push('Each figure\'s growth from the first step to the last, divided by the growth in objects: 1 is linear, below 1 better than linear, about 0 flat.');
  lines.push('');
  lines.push(`| server | ${CURVES.map((c) => c.title).join(' | ')} |`);
  lines.push(`|---|${CURVES.map(() => '---:').join('|')}|`);
  for (const c of curves) {
    const cells = CURVES.map((k) => growth(k.measured ? c.points.filter(k.measured) : c.points, k.value) + (leftOut.get(`${c.server} ${k.file}`) ?? ''));
    lines.push(`| ${c.server} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push('## Curves');
  lines.push('');
  for (const chart of CURVES) {
    const series: Series[] = curves
      .map((c) => ({ name: c.server, points: (chart.measured ? c.points.filter(chart.measured) : c.points).map((p) => ({ x: p.objects, y: chart.value(p) })) }))
      .filter((s) => s.points.length > 0);
    writeFileSync(join(outDir, chart.file), await renderLineChart({ title: chart.title, xTitle: 'Flunders stored', yTitle: chart.y, series, logX: true }));
    lines.push(`![${chart.title}](${basename(chart.file)})`);
    lines.push('');
  }
  lines.push(...notesSection(OUT_FILE, 'What the curves say', '(not written yet)'));
  writeReport(OUT_FILE, lines.join('\n'));
}

/** etcd's history compacted up to `revision` and its database defragmented: what a deleted store held is free again. */
async function compactAndDefragment(etcd: ReturnType<typeof createEtcdClient>, revision: string): Promise<void> {
  const before = Number((await etcd.maintenance.status()).dbSize);
  try {
    await etcd.kv.compact({ revision, physical: true });
  } catch (err) {
    // kube-apiserver (and the Go server) compact too: already compacted there is as good.
    if (!(err instanceof Error && err.message.includes('compacted'))) throw err;
  }
  await etcd.maintenance.defragment();
  const after = Number((await etcd.maintenance.status()).dbSize);
  console.log(`etcd: compacted at revision ${revision} and defragmented, ${mib(before)} → ${mib(after)} MiB`);
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const servers = selectRows('KAPI_BENCH_SCALE_SERVERS', SERVERS);
  console.log(`scale bench: sizes ${SIZES.join(', ')}; servers ${servers.join(', ')}`);
  const binaries = goBinaries(servers);
  const kapiDelegated = kapiHasDelegatedAuth();
  const cluster: Cluster = await startCluster({ etcdQuotaBackendBytes: ETCD_QUOTA_BYTES });
  const etcd = createEtcdClient({ endpoints: cluster.etcdEndpoint });
  const measured: ServerCurve[] = [];
  const stored = readStoredCurves();
  try {
    const host = new KubeRestClient(await loadKubeConfig(cluster.kubeconfig));
    await host.post('/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
    host.close();
    const dir = mkdtempSync(join(tmpdir(), 'kapi-bench-scale-'));
    const ca = createCA('kapi-bench-serving-ca');
    const serving = createServingCert(ca, { commonName: 'api', hosts: ['127.0.0.1', 'localhost'] });
    const servingCertFile = join(dir, 'serving.crt');
    const servingKeyFile = join(dir, 'serving.key');
    const frontProxyCaFile = join(dir, 'front-proxy-ca.crt');
    writeFileSync(servingCertFile, serving.cert);
    writeFileSync(servingKeyFile, serving.key, { mode: 0o600 });
    writeFileSync(frontProxyCaFile, cluster.frontProxy.caPem);
    const direct = (port: number): HttpTarget => ({
      host: '127.0.0.1',
      port,
      ca: ca.cert,
      cert: cluster.frontProxy.clientCertPem,
      key: cluster.frontProxy.clientKeyPem,
      headers: { 'x-remote-user': 'admin', 'x-remote-group': 'system:masters' },
      timeoutMs: 120_000,
    });
    const env: ServerEnv = { cluster, ...binaries, dir, servingCertFile, servingKeyFile, frontProxyCaFile, kapiDelegated, direct };
    for (const server of servers) {
      // go and kapi-etcd3 share the cluster's etcd: each starts from an empty prefix, and with the
      // space the one before used given back (a delete frees it only after a compaction and a defragment).
      await compactAndDefragment(etcd, await deletePrefix(etcd, `/registry/${GROUP}/`));
      const curve = await curveOf(env, server, startedAt);
      measured.push(curve);
      stored.set(server, curve);
      // After each server, so that a long run stopped later keeps what it measured.
      writeFileSync(DATA_FILE, `${JSON.stringify([...stored.values()], null, 1)}\n`);
      await report(shownCurves(measured, stored), { startedAt, wallMs: Date.now() - startedAt.getTime(), loadBefore, loadAfter: loadAverage() });
    }
  } finally {
    etcd.close();
    await cluster.stop();
  }
  if (measured.some((c) => c.error)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
