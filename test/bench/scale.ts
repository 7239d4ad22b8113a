/**
 * Scale curves: how each server behaves as its store grows, `npm run bench:scale` →
 * test/bench/results/scale.md and a PNG per curve beside it. Not a test.
 *
 * Per server (kapi on sqlite and etcd3, the Go sample-apiserver on etcd and on kine) one store is
 * filled in steps (default 1k → 10k → 100k Flunders of about 600 B, 64 creates in flight). At each
 * step the server is restarted on its store and measured: start-up time until ready (/readyz and a
 * list answered: kapi's watch cache filled), RSS after that start, one full list (time, size, the
 * server's RSS peak while it answers), a paged list (limit 500, every page), get by name (c16: p50
 * and p99) and the rate of 10 writers creating for a few seconds. Servers run one at a time on the
 * cluster's etcd (test/harness) with delegated auth, as in compare.ts.
 *
 * Env: KAPI_BENCH_SCALE_SIZES [1000,10000,100000], KAPI_BENCH_SCALE_SERVERS [go,go-kine,kapi-sqlite,kapi-etcd3],
 * KAPI_BENCH_SCALE_GETS [2000], KAPI_BENCH_SCALE_WRITE_SECONDS [5], KAPI_BENCH_SCALE_OUT [test/bench/results/scale.md].
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createCA, createServingCert } from '@kapi/apiserver/security';
import { createEtcdClient } from '@kapi/storage';
import { KubeRestClient, loadKubeConfig } from '@kapi/storage/kube';
import { repoRoot, startCluster, type Cluster } from '../harness/index.js';
import { flundersPath, objectName } from './lib/flunder.js';
import { fmt, mib, ms, notesSection, writeReport } from './lib/format.js';
import { httpClient, type Http, type HttpTarget } from './lib/http-client.js';
import { describeMachine, loadAverage, ProcessRssSampler } from './lib/machine.js';
import { renderLineChart, type Series } from './lib/plot.js';
import { envInt, selectRows } from './lib/rows.js';
import { goBinaries, kapiHasDelegatedAuth, SERVERS, startServer, type RunningServer, type ServerEnv, type ServerName } from './lib/servers.js';
import { summarizeLatencies } from './lib/stats.js';

const NS = 'bench-scale';
const GROUP = 'wardle.example.com';
const OUT_FILE = process.env.KAPI_BENCH_SCALE_OUT ?? join(repoRoot(), 'test/bench/results/scale.md');
const SIZES = (process.env.KAPI_BENCH_SCALE_SIZES ?? '1000,10000,100000').split(',').map(Number).filter((n) => n > 0).sort((a, b) => a - b);
const GETS = envInt('KAPI_BENCH_SCALE_GETS', 2000);
const WRITE_SECONDS = envInt('KAPI_BENCH_SCALE_WRITE_SECONDS', 5);
const FILL_IN_FLIGHT = 64;
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
  pagedListMs: number;
  pages: number;
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
}

function body(name: string, i: number): string {
  return JSON.stringify({
    apiVersion: `${GROUP}/v1alpha1`,
    kind: 'Flunder',
    metadata: { name, namespace: NS, labels: { app: 'bench', shard: `shard-${i % 16}` }, annotations: { 'bench.kapi.dev/index': String(i), 'bench.kapi.dev/padding': PADDING } },
    spec: { reference: `fischer-${i}`, referenceType: 'Fischer' },
  });
}

/** `count` requests from `inFlight` loops; each request's latency. Throws on a non-2xx answer. */
async function pool(inFlight: number, count: number, request: (i: number) => Promise<{ status: number; body: string; ms: number }>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, count) }, async () => {
      while (next < count) {
        const res = await request(next++);
        if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 300)}`);
        latencies.push(res.ms);
      }
    }),
  );
  return latencies;
}

/** Every page of the namespace's list at `limit`, following the continue tokens. */
async function pagedList(http: Http, limit: number): Promise<{ ms: number; pages: number; items: number }> {
  const started = performance.now();
  let token = '';
  let pages = 0;
  let items = 0;
  do {
    const res = await http.send('GET', `${flundersPath(NS)}?limit=${limit}${token ? `&continue=${encodeURIComponent(token)}` : ''}`);
    if (res.status !== 200) throw new Error(`paged list: HTTP ${res.status}: ${res.body.slice(0, 300)}`);
    const page = JSON.parse(res.body) as { metadata?: { continue?: string }; items?: unknown[] };
    items += page.items?.length ?? 0;
    token = page.metadata?.continue ?? '';
    pages++;
  } while (token);
  return { ms: performance.now() - started, pages, items };
}

async function measure(env: ServerEnv, server: RunningServer, objects: number, fillPerSec: number, startupMs: number, names: string[], written: { n: number }): Promise<Point> {
  const http = httpClient(env.direct(server.port));
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const rssBytes = server.processes.rss() ?? NaN;
    const sampler = new ProcessRssSampler(server.processes, 20);
    sampler.take();
    const list = await http.send('GET', flundersPath(NS));
    const listPeakRssBytes = sampler.take();
    sampler.stop();
    if (list.status !== 200) throw new Error(`list: HTTP ${list.status}: ${list.body.slice(0, 300)}`);
    const listed = (JSON.parse(list.body) as { items?: unknown[] }).items?.length ?? 0;
    if (listed !== names.length) throw new Error(`the list has ${listed} Flunders, ${names.length} were created`);
    const paged = await pagedList(http, 500);
    if (paged.items !== names.length) throw new Error(`the paged list has ${paged.items} Flunders, ${names.length} were created`);
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
      listMs: list.ms,
      listBytes: Buffer.byteLength(list.body),
      listPeakRssBytes,
      pagedListMs: paged.ms,
      pages: paged.pages,
      getP50Ms: gets.p50Ms,
      getP99Ms: gets.p99Ms,
      createsPerSec: created / WRITE_SECONDS,
      fillPerSec,
    };
  } finally {
    http.close();
  }
}

async function curveOf(env: ServerEnv, name: ServerName): Promise<ServerCurve> {
  const curve: ServerCurve = { server: name, points: [] };
  const names: string[] = [];
  const written = { n: 0 };
  let server: RunningServer | undefined;
  const ready = { readyPath: flundersPath(NS) };
  try {
    server = await startServer(env, name, ready);
    for (const size of SIZES) {
      // The writers of the step before left some in the store too: fill up to `size` from there.
      const from = names.length;
      const count = Math.max(0, size - from);
      const http = httpClient(env.direct(server.port));
      const started = performance.now();
      try {
        await pool(FILL_IN_FLIGHT, count, (i) => {
          const objectIndex = from + i;
          const n = objectName('f', objectIndex);
          names.push(n);
          return http.send('POST', flundersPath(NS), body(n, objectIndex));
        });
      } finally {
        http.close();
      }
      const fillPerSec = count > 0 ? count / ((performance.now() - started) / 1000) : NaN;
      // Start again on the same store: the start-up at this size, and RSS without the fill's garbage.
      const dir = server.dir;
      await server.stop();
      const restarted = performance.now();
      server = await startServer(env, name, { ...ready, dir });
      const startupMs = performance.now() - restarted;
      const point = await measure(env, server, names.length, fillPerSec, startupMs, names, written);
      curve.points.push(point);
      console.log(
        `${name} ${fmt(point.objects, 0)}: start ${fmt(point.startupMs / 1000, 1)} s, RSS ${mib(point.rssBytes)} MiB, list ${ms(point.listMs)} ms (${mib(point.listBytes)} MiB, peak RSS ${mib(point.listPeakRssBytes)} MiB), ` +
          `paged ${ms(point.pagedListMs)} ms, get p99 ${ms(point.getP99Ms)} ms, ${fmt(point.createsPerSec, 0)} creates/s, filled at ${fmt(point.fillPerSec, 0)}/s`,
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

const CURVES: ReadonlyArray<{ file: string; title: string; y: string; value: (p: Point) => number }> = [
  { file: 'scale-rss.png', title: 'RSS after a start on the store', y: 'MiB', value: (p) => p.rssBytes / 1024 / 1024 },
  { file: 'scale-startup.png', title: 'Start-up until ready (cache filled)', y: 's', value: (p) => p.startupMs / 1000 },
  { file: 'scale-list.png', title: 'One full list', y: 'ms', value: (p) => p.listMs },
  { file: 'scale-list-rss.png', title: 'RSS peak while answering a full list', y: 'MiB', value: (p) => p.listPeakRssBytes / 1024 / 1024 },
  { file: 'scale-paged-list.png', title: 'Every page of a paged list (limit 500)', y: 'ms', value: (p) => p.pagedListMs },
  { file: 'scale-get-p99.png', title: 'get by name, p99 (16 in flight)', y: 'ms', value: (p) => p.getP99Ms },
  { file: 'scale-creates.png', title: 'create rate, 10 writers', y: 'creates/s', value: (p) => p.createsPerSec },
];

/** How `value` grows from the first point to the last, against the growth in objects (1 = linear). */
function growth(points: Point[], value: (p: Point) => number): string {
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
  lines.push(`- machine: ${describeMachine()}`);
  lines.push(
    `- servers, one at a time, each on a store of its own grown in steps (${SIZES.map((n) => fmt(n, 0)).join(' → ')} Flunders of ~600 B, ${FILL_IN_FLIGHT} creates in flight) and restarted on it at each step: ` +
      '**go** = k8s.io/sample-apiserver on etcd, **go-kine** = the same on kine (SQLite), **kapi-sqlite**, **kapi-etcd3**; RSS sums the server and its kine.',
  );
  lines.push(`- at each step: start-up until /readyz and a list answer, RSS 2 s after, one full list, every page at limit 500, ${fmt(GETS, 0)} gets (16 in flight), ${WRITERS} writers creating for ${WRITE_SECONDS} s (what they create stays in the store).`);
  lines.push('');
  lines.push('| server | Flunders | start-up s | RSS MiB | full list ms | list MiB | RSS peak in list MiB | paged list ms (pages) | get p50 ms | get p99 ms | creates/s (10 writers) | fill /s |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const c of curves) {
    for (const p of c.points) {
      lines.push(
        `| ${c.server} | ${fmt(p.objects, 0)} | ${fmt(p.startupMs / 1000, 2)} | ${mib(p.rssBytes)} | ${ms(p.listMs)} | ${fmt(p.listBytes / 1024 / 1024, 1)} | ${mib(p.listPeakRssBytes)} | ${ms(p.pagedListMs)} (${p.pages}) | ${ms(p.getP50Ms)} | ${ms(p.getP99Ms)} | ${fmt(p.createsPerSec, 0)} | ${fmt(p.fillPerSec, 0)} |`,
      );
    }
    if (c.error) lines.push(`| ${c.server} | **failed** | ${c.error.split('\n')[0]!.slice(0, 200)} | | | | | | | | | |`);
  }
  lines.push('');
  lines.push('## Growth');
  lines.push('');
  lines.push('Each figure\'s growth from the first step to the last, divided by the growth in objects: 1 is linear, below 1 better than linear, about 0 flat.');
  lines.push('');
  lines.push(`| server | ${CURVES.map((c) => c.title).join(' | ')} |`);
  lines.push(`|---|${CURVES.map(() => '---:').join('|')}|`);
  for (const c of curves) lines.push(`| ${c.server} | ${CURVES.map((k) => growth(c.points, k.value)).join(' | ')} |`);
  lines.push('');
  lines.push('## Curves');
  lines.push('');
  for (const chart of CURVES) {
    const series: Series[] = curves.filter((c) => c.points.length > 0).map((c) => ({ name: c.server, points: c.points.map((p) => ({ x: p.objects, y: chart.value(p) })) }));
    writeFileSync(join(outDir, chart.file), await renderLineChart({ title: chart.title, xTitle: 'Flunders stored', yTitle: chart.y, series, logX: true }));
    lines.push(`![${chart.title}](${basename(chart.file)})`);
    lines.push('');
  }
  lines.push(...notesSection(OUT_FILE, 'What the curves say', '(not written yet)'));
  writeReport(OUT_FILE, lines.join('\n'));
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  const servers = selectRows('KAPI_BENCH_SCALE_SERVERS', SERVERS);
  console.log(`scale bench: sizes ${SIZES.join(', ')}; servers ${servers.join(', ')}`);
  const binaries = goBinaries(servers);
  const kapiDelegated = kapiHasDelegatedAuth();
  const cluster: Cluster = await startCluster();
  const etcd = createEtcdClient({ endpoints: cluster.etcdEndpoint });
  const curves: ServerCurve[] = [];
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
      // go and kapi-etcd3 share the cluster's etcd: each starts from an empty prefix.
      await etcd.delete().prefix(`/registry/${GROUP}/`).exec();
      curves.push(await curveOf(env, server));
    }
  } finally {
    etcd.close();
    await cluster.stop();
  }
  await report(curves, { startedAt, wallMs: Date.now() - startedAt.getTime(), loadBefore, loadAfter: loadAverage() });
  if (curves.some((c) => c.error)) process.exitCode = 1;
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
