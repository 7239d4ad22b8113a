/**
 * Replicas benchmark: run on demand with `npm run bench:replicas`, not a test.
 *
 * A 3-member etcd cluster on loopback, and 1, 2, then 3 replicas of the sample server on it (each
 * its own process and watch cache, as in test/faults). Clients spread creates, then gets, over the
 * replicas round-robin at a fixed concurrency for a fixed time; the table has throughput and
 * latency per replica count. Writes test/bench/results/replicas.md.
 *
 * Sizes (env): KAPI_BENCH_REPLICAS (1,2,3), KAPI_BENCH_REPLICAS_SECONDS (10 per phase),
 * KAPI_BENCH_REPLICAS_CONCURRENCY (16), KAPI_BENCH_OUT.
 */
import { join, resolve } from 'node:path';
import { startEtcdCluster } from '@kapi/storage/etcd-server';
import { ReplicaSet } from '../faults/replicas.js';
import { flunderBody, flundersPath, objectName } from './lib/flunder.js';
import { fmt, ms, notesSection, writeReport } from './lib/format.js';
import { httpClient, type Http } from './lib/http-client.js';
import { describeMachine, etcdVersion, loadAverage, procCpuSeconds } from './lib/machine.js';
import { summarizeLatencies } from './lib/stats.js';

/** Run compiled, from test/dist/bench. */
const REPO = resolve(__dirname, '../../..');
const COUNTS = (process.env['KAPI_BENCH_REPLICAS'] ?? '1,2,3').split(',').map(Number);
const SECONDS = Number(process.env['KAPI_BENCH_REPLICAS_SECONDS'] ?? 10);
const CONCURRENCY = Number(process.env['KAPI_BENCH_REPLICAS_CONCURRENCY'] ?? 16);
const OUT = process.env['KAPI_BENCH_OUT'] ?? join(REPO, 'test/bench/results/replicas.md');
const NS = 'bench';

interface Phase {
  ops: number;
  /** CPU milliseconds per request: of the replicas together, and of the etcd members together. */
  serverCpuMs: number;
  etcdCpuMs: number;
  errors: number;
  seconds: number;
  p50: number;
  p99: number;
}

const cpuOf = (pids: number[]): number => pids.reduce((sum, pid) => sum + (procCpuSeconds(pid) ?? 0), 0);

/** CONCURRENCY loops for SECONDS, each request to the next replica in turn. */
async function phase(clients: Http[], pids: { servers: number[]; etcd: number[] }, request: (http: Http, i: number) => Promise<number>): Promise<Phase> {
  const latencies: number[] = [];
  const serverCpu0 = cpuOf(pids.servers);
  const etcdCpu0 = cpuOf(pids.etcd);
  let errors = 0;
  let next = 0;
  const started = performance.now();
  const end = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        const i = next++;
        const http = clients[i % clients.length];
        if (!http) throw new Error('no client');
        const t0 = performance.now();
        const status = await request(http, i).catch(() => 0);
        if (status >= 200 && status < 300) latencies.push(performance.now() - t0);
        else errors++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const summary = summarizeLatencies(latencies);
  const perRequest = (cpuSeconds: number): number => (latencies.length > 0 ? (cpuSeconds * 1000) / latencies.length : 0);
  return {
    ops: latencies.length / seconds,
    serverCpuMs: perRequest(cpuOf(pids.servers) - serverCpu0),
    etcdCpuMs: perRequest(cpuOf(pids.etcd) - etcdCpu0),
    errors,
    seconds,
    p50: summary.p50Ms,
    p99: summary.p99Ms,
  };
}

async function main(): Promise<void> {
  const etcd = await startEtcdCluster({ members: 3 });
  const rows: string[] = [];
  let base: { create: number; get: number } | undefined;
  try {
    for (const count of COUNTS) {
      const set = await ReplicaSet.start({ count, storageBackend: 'etcd3', etcdEndpoints: etcd.endpoints });
      const { ca, cert, key } = set.credentials();
      const clients = set.replicas.map((r) => httpClient({ host: '127.0.0.1', port: r.port, ca, cert, key }));
      try {
        const prefix = `r${count}`;
        const pids = { servers: set.replicas.map((r) => r.pid), etcd: etcd.members.map((m) => m.pid) };
        const creates = await phase(clients, pids, async (http, i) => (await http.send('POST', flundersPath(NS), flunderBody(NS, objectName(prefix, i), i))).status);
        const written = Math.floor(creates.ops * creates.seconds);
        const gets = await phase(clients, pids, async (http, i) => (await http.send('GET', `${flundersPath(NS)}/${objectName(prefix, i % Math.max(1, written))}`)).status);
        base ??= { create: creates.ops, get: gets.ops };
        rows.push(
          `| ${count} | ${fmt(creates.ops, 0)} | ${fmt(creates.ops / base.create, 2)}× | ${ms(creates.p50)} | ${ms(creates.p99)} | ${ms(creates.serverCpuMs)} | ${ms(creates.etcdCpuMs)} | ${creates.errors} | ${fmt(gets.ops, 0)} | ${fmt(gets.ops / base.get, 2)}× | ${ms(gets.p50)} | ${ms(gets.p99)} | ${ms(gets.serverCpuMs)} | ${gets.errors} |`,
        );
        process.stdout.write(`${rows.at(-1)}\n`);
      } finally {
        for (const c of clients) c.close();
        await set.stop();
      }
    }
  } finally {
    await etcd.stop();
  }
  const text = [
    '# Replicas on a 3-member etcd cluster',
    '',
    `Written by \`npm run bench:replicas\` on ${new Date().toISOString().slice(0, 10)}: a 3-member etcd cluster (${etcdVersion()}) on loopback and N replicas of the sample server on it; ${CONCURRENCY} clients send creates for ${SECONDS} s, then gets of what was created for ${SECONDS} s, each request to the next replica in turn. Machine: ${describeMachine()}; load ${loadAverage()}.`,
    '',
    '| replicas | creates/s | vs 1 | create p50 (ms) | create p99 (ms) | replicas\' CPU per create (ms) | etcd CPU per create (ms) | errors | gets/s | vs 1 | get p50 (ms) | get p99 (ms) | replicas\' CPU per get (ms) | errors |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    ...notesSection(OUT, 'Notes', '(none yet)'),
    '',
  ].join('\n');
  writeReport(OUT, text);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
