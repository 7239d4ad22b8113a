/**
 * Informer benchmark: run on demand with `npm run bench:informer`, not a test.
 *
 * The sample server (standalone, SQLite) is seeded with N Flunders in one namespace; then each
 * informer — kapi's generated one (test/clients, @kapi/client) and @kubernetes/client-node's
 * makeInformer — runs in a child process of its own (informer-child.ts, node --expose-gc) on the
 * same data: its time and CPU to sync, its memory after a gc once synced, and while this process
 * merge-patches R random Flunders a second for S seconds its CPU, peak and final RSS and heap, the
 * update events it saw against the patches acknowledged (and those that failed, by reason), and
 * whether its cache then equals a list. Writes test/bench/results/informer.md.
 *
 * Sizes (env): KAPI_BENCH_INFORMER_OBJECTS (100000), KAPI_BENCH_INFORMER_RATE (100 updates/s),
 * KAPI_BENCH_INFORMER_SECONDS (60), KAPI_BENCH_INFORMER_IMPLS (kapi,client-node), KAPI_BENCH_OUT.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { ApiClient, ApiError } from '@kapi/client';
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
  listed: number;
  missing: number;
  extra: number;
  stale: number;
  settleMs: number;
  relists: number | null;
  updateCpuMs: number;
  /** How long the writes ran, from sync to the parent's stop (its drain included). */
  updateMs: number;
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

/** What the writer did: patches acknowledged, and those that failed by reason (a Status reason, or the error's message). */
interface Written {
  ok: number;
  failed: Map<string, number>;
}

/** R merge patches a second for S seconds (10 ticks a second), at most 64 in flight. */
async function updates(client: WardleV1beta1Client): Promise<Written> {
  const flunders = client.flunders(NS);
  const written: Written = { ok: 0, failed: new Map() };
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
        .then(
          () => void written.ok++,
          (err: unknown) => {
            const reason = err instanceof ApiError ? `${err.code} ${err.reason}` : err instanceof Error ? err.message : String(err);
            written.failed.set(reason, (written.failed.get(reason) ?? 0) + 1);
          },
        )
        .finally(() => inFlight--);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  while (inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  return written;
}

async function runImpl(impl: string, kubeconfig: string, client: WardleV1beta1Client): Promise<{ synced: Synced; done: Done; written: Written }> {
  const child = spawn(process.execPath, ['--expose-gc', join(__dirname, 'informer-child.js'), impl, kubeconfig, NS, String(OBJECTS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  let synced: Synced | undefined;
  let written: Written | undefined;
  return new Promise((resolveRun, reject) => {
    lines.on('line', (line) => {
      const msg = JSON.parse(line) as Partial<Synced & Done> & { synced?: boolean; done?: boolean; error?: string };
      if (msg.error) process.stderr.write(`${impl}: ${msg.error}\n`);
      if (msg.synced) {
        synced = msg as Synced;
        process.stdout.write(`${impl}: synced ${synced.size} in ${(synced.syncMs / 1000).toFixed(1)} s\n`);
        void updates(client).then(
          (w) => {
            written = w;
            child.stdin.write('stop\n');
          },
          reject,
        );
      }
      if (msg.done && synced && written) resolveRun({ synced, done: msg as Done, written });
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
      const { synced, done, written } = await runImpl(impl, server.kubeconfig, client);
      const failed = [...written.failed].map(([reason, n]) => `${n} ${reason}`).join(', ') || '0';
      const cache = done.missing + done.extra + done.stale === 0 ? `= list (${done.listed})` : `${done.missing} missing, ${done.extra} extra, ${done.stale} stale of ${done.listed}`;
      rows.push(
        `| ${impl} | ${synced.size} | ${fmt(synced.syncMs / 1000, 1)} | ${fmt(synced.syncCpuMs / 1000, 1)} | ${mib(synced.rss)} | ${mib(synced.heapUsed)} | ${fmt(done.updateCpuMs / done.updateMs, 3)} | ${mib(done.maxRss)} | ${mib(done.endRss)} | ${mib(done.firstHeap)} → ${mib(done.endHeap)} | ${done.updates} / ${written.ok} | ${failed} | ${done.relists ?? '–'} | ${cache} | ${done.heapSeries.map(mib).join(' ')} |`,
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
    '| informer | objects | sync (s) | sync CPU (s) | RSS synced (MiB) | heap synced (MiB) | CPU while updating (cores) | peak RSS (MiB) | end RSS (MiB) | heap first → end (MiB) | updates seen / patches acknowledged | patches failed | relists | cache after the writes | heap at each tenth of the run (MiB) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|',
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
