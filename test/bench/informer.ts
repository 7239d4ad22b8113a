/**
 * Informer benchmark: run on demand with `npm run bench:informer`, not a test.
 *
 * The sample server (standalone, SQLite) is seeded with N Flunders in one namespace; then each
 * informer — kapi's generated one (test/clients, @kapi/client) and @kubernetes/client-node's
 * makeInformer — runs in a child process of its own (informer-child.ts, node --expose-gc) on the
 * same data: its time and CPU to sync, its memory after a gc once synced, and while this process
 * merge-patches R random Flunders a second for S seconds its CPU, peak and final RSS and heap, and
 * the update events it saw. Writes test/bench/results/informer.md.
 *
 * Sizes (env): KAPI_BENCH_INFORMER_OBJECTS (100000), KAPI_BENCH_INFORMER_RATE (100 updates/s),
 * KAPI_BENCH_INFORMER_SECONDS (60), KAPI_BENCH_INFORMER_IMPLS (kapi,client-node), KAPI_BENCH_OUT.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ApiClient } from '@kapi/client';
import { startSampleServer } from '../e2e/sample-server.js';
import { WardleV1beta1Client } from '../clients/wardle/v1beta1/index.js';
import { fmt, mib, notesSection, writeReport } from './lib/format.js';
import { describeMachine, loadAverage } from './lib/machine.js';

/** Run compiled, from test/dist/bench. */
const REPO = resolve(__dirname, '../../..');
const OBJECTS = Number(process.env['KAPI_BENCH_INFORMER_OBJECTS'] ?? 100_000);
const RATE = Number(process.env['KAPI_BENCH_INFORMER_RATE'] ?? 100);
const SECONDS = Number(process.env['KAPI_BENCH_INFORMER_SECONDS'] ?? 60);
const IMPLS = (process.env['KAPI_BENCH_INFORMER_IMPLS'] ?? 'kapi,client-node').split(',');
const OUT = process.env['KAPI_BENCH_OUT'] ?? join(REPO, 'test/bench/results/informer.md');
const NS = 'bench';

interface Synced {
  size: number;
  syncMs: number;
  syncCpuMs: number;
  rss: number;
  heapUsed: number;
}
interface Done {
  size: number;
  updates: number;
  updateCpuMs: number;
  maxRss: number;
  endRss: number;
  maxHeap: number;
  endHeap: number;
  firstHeap: number;
  heapSeries: number[];
}

async function seed(client: WardleV1beta1Client): Promise<void> {
  const flunders = client.flunders(NS);
  let next = 0;
  const started = Date.now();
  const worker = async (): Promise<void> => {
    while (next < OBJECTS) {
      const i = next++;
      await flunders.create({ metadata: { name: `f-${i}`, labels: { app: `a${i % 10}` } }, spec: { referenceType: 'Flunder', flunderReference: `r${i}` } });
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  process.stdout.write(`seeded ${OBJECTS} Flunders in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

/** R merge patches a second for S seconds (10 ticks a second), at most 64 in flight; resolves to the count sent. */
async function updates(client: WardleV1beta1Client): Promise<number> {
  const flunders = client.flunders(NS);
  let sent = 0;
  let inFlight = 0;
  const perTick = RATE / 10;
  let carry = 0;
  const end = Date.now() + SECONDS * 1000;
  while (Date.now() < end) {
    carry += perTick;
    for (; carry >= 1; carry--) {
      if (inFlight >= 64) continue;
      inFlight++;
      sent++;
      const name = `f-${Math.floor(Math.random() * OBJECTS)}`;
      void flunders
        .mergePatch(name, { spec: { flunderReference: `u${sent}` } })
        .catch(() => undefined)
        .finally(() => inFlight--);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  return sent;
}

async function runImpl(impl: string, kubeconfig: string, client: WardleV1beta1Client): Promise<{ synced: Synced; done: Done; sent: number }> {
  const child = spawn(process.execPath, ['--expose-gc', join(__dirname, 'informer-child.js'), impl, kubeconfig, NS, String(OBJECTS), String(SECONDS + 5)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  let synced: Synced | undefined;
  let sent = 0;
  return new Promise((resolveRun, reject) => {
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as Partial<Synced & Done> & { synced?: boolean; done?: boolean; error?: string };
      if (msg.error) process.stderr.write(`${impl}: ${msg.error}\n`);
      if (msg.synced) {
        synced = msg as Synced;
        process.stdout.write(`${impl}: synced ${synced.size} in ${(synced.syncMs / 1000).toFixed(1)} s\n`);
        void updates(client).then((n) => (sent = n));
      }
      if (msg.done && synced) resolveRun({ synced, done: msg as Done, sent });
    });
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${impl} exited with ${code}`));
    });
  });
}

async function main(): Promise<void> {
  const server = await startSampleServer({ storageBackend: 'sqlite' });
  const api = await ApiClient.fromKubeConfig({ kubeconfig: server.kubeconfig, timeoutMs: 120_000 });
  const client = new WardleV1beta1Client(api);
  const rows: string[] = [];
  try {
    await seed(client);
    for (const impl of IMPLS) {
      const { synced, done, sent } = await runImpl(impl, server.kubeconfig, client);
      rows.push(
        `| ${impl} | ${synced.size} | ${fmt(synced.syncMs / 1000, 1)} | ${fmt(synced.syncCpuMs / 1000, 1)} | ${mib(synced.rss)} | ${mib(synced.heapUsed)} | ${fmt(done.updateCpuMs / 1000 / (SECONDS + 5), 3)} | ${mib(done.maxRss)} | ${mib(done.endRss)} | ${mib(done.firstHeap)} → ${mib(done.endHeap)} | ${done.updates} / ${sent} | ${done.heapSeries.map(mib).join(' ')} |`,
      );
    }
  } finally {
    api.close();
    await server.stop();
  }
  const text = [
    '# Informers: kapi (@kapi/client, generated) and client-node (makeInformer)',
    '',
    `Written by \`npm run bench:informer\` on ${new Date().toISOString().slice(0, 10)}: ${OBJECTS} Flunders in one namespace of the sample server (standalone, SQLite, on this machine), then ${RATE} merge patches a second of random ones for ${SECONDS} s. Each informer runs alone in its own process (node --expose-gc; memory sampled after a gc). Machine: ${describeMachine()}; load ${loadAverage()}.`,
    '',
    '| informer | objects | sync (s) | sync CPU (s) | RSS synced (MiB) | heap synced (MiB) | CPU while updating (cores) | peak RSS (MiB) | end RSS (MiB) | heap first → end (MiB) | updates seen / sent | heap at each tenth of the run (MiB) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
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
