/**
 * SQLite paged-list benchmark: run on demand with `npx tsc -b && node test/dist/bench/sqlite-paging.js`, not a test.
 *
 * Seeds N objects of ~600 B under one prefix straight through SqliteStorage (creates batched so
 * group commit shares each transaction), with some history (every 10th key updated, every 20th
 * deleted), then times: one unpaged list, a full paged list (limit L, continue tokens, as
 * client-go's reflector) at the list's revision, the same paged list pinned at a past revision
 * (before the updates and deletes), and a filtered paged list. Each run prints a digest of the
 * items, continue tokens and remainingItemCounts, so two builds can be checked for identical answers.
 *
 * Env: KAPI_BENCH_OBJECTS (100000), KAPI_BENCH_LIMIT (500), KAPI_BENCH_RUNS (3),
 * KAPI_BENCH_DB (a database file to reuse: seeded when missing, kept afterwards; default a temp file
 * removed at the end). Opening an existing file also reports the open time (schema migration).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { KubeObject } from '@kapi/apimachinery';
import { SelectionPredicate, SqliteStorage } from '@kapi/storage';
import { envInt } from './lib/rows.js';

const OBJECTS = envInt('KAPI_BENCH_OBJECTS', 100_000);
const LIMIT = envInt('KAPI_BENCH_LIMIT', 500);
const RUNS = envInt('KAPI_BENCH_RUNS', 3);
const PREFIX = '/registry/wardle.example.com/flunders/bench/';
const BATCH = 2_000;

const name = (i: number): string => `flunder-${String(i).padStart(6, '0')}`;

function flunder(i: number, generation = 1): KubeObject {
  return {
    apiVersion: 'wardle.example.com/v1alpha1',
    kind: 'Flunder',
    metadata: {
      name: name(i),
      namespace: 'bench',
      uid: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      generation,
      creationTimestamp: '2024-01-01T00:00:00Z',
      labels: { app: 'bench', shard: `shard-${i % 16}` },
      annotations: { 'bench.kapi.dev/index': String(i) },
      managedFields: [
        {
          manager: 'bench',
          operation: 'Update',
          apiVersion: 'wardle.example.com/v1alpha1',
          time: '2024-01-01T00:00:00Z',
          fieldsType: 'FieldsV1',
          fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {}, 'f:shard': {} } }, 'f:spec': { 'f:reference': {} } },
        },
      ],
    },
    spec: { reference: `fischer-${i}`, referenceType: 'Fischer', padding: 'x'.repeat(120) },
  };
}

async function inBatches(n: number, run: (i: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < n; start += BATCH) {
    const batch: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(n, start + BATCH); i++) batch.push(run(i));
    await Promise.all(batch);
  }
}

/** Seeds the store; resolves to the revision before the updates and deletes. */
async function seed(storage: SqliteStorage): Promise<number> {
  await inBatches(OBJECTS, (i) => storage.create(`${PREFIX}${name(i)}`, flunder(i)));
  const past = await storage.currentRevision();
  await inBatches(OBJECTS, (i) => (i % 10 === 5 ? storage.guaranteedUpdate(`${PREFIX}${name(i)}`, () => flunder(i, 2)) : Promise.resolve()));
  await inBatches(OBJECTS, (i) => (i % 20 === 7 ? storage.delete(`${PREFIX}${name(i)}`) : Promise.resolve()));
  return past;
}

interface Outcome {
  ms: number;
  items: number;
  pages: number;
  digest: string;
}

async function pagedList(storage: SqliteStorage, limit: number, opts: { resourceVersion?: string; label?: string } = {}): Promise<Outcome> {
  const hash = createHash('sha256');
  const started = performance.now();
  let cont: string | undefined;
  let items = 0;
  let pages = 0;
  do {
    const predicate = new SelectionPredicate({ limit, ...(cont ? { continue: cont } : {}), ...(opts.label ? { label: opts.label } : {}) });
    const page = await storage.list(PREFIX, {
      recursive: true,
      predicate,
      ...(opts.resourceVersion && !cont ? { resourceVersion: opts.resourceVersion, resourceVersionMatch: 'Exact' as const } : {}),
    });
    pages++;
    items += page.items.length;
    for (const item of page.items) hash.update(`${item.metadata.name}@${item.metadata.resourceVersion};`);
    hash.update(`|${page.resourceVersion}|${page.continue ?? ''}|${page.remainingItemCount ?? ''}\n`);
    cont = page.continue;
  } while (cont);
  return { ms: performance.now() - started, items, pages, digest: hash.digest('hex').slice(0, 16) };
}

function report(label: string, outcomes: Outcome[]): void {
  const times = outcomes.map((o) => o.ms).sort((a, b) => a - b);
  const o = outcomes[0]!;
  const digests = new Set(outcomes.map((x) => x.digest));
  console.log(
    `${label.padEnd(34)} median ${times[Math.floor(times.length / 2)]!.toFixed(0).padStart(7)} ms  (min ${times[0]!.toFixed(0)}, max ${times[times.length - 1]!.toFixed(0)})  ` +
      `${o.items} items, ${o.pages} pages, digest ${[...digests].join(',')}`,
  );
}

async function main(): Promise<void> {
  const tmp = process.env.KAPI_BENCH_DB ? undefined : mkdtempSync(join(os.tmpdir(), 'kapi-sqlite-paging-'));
  const path = process.env.KAPI_BENCH_DB ?? join(tmp!, 'kapi.db');
  const existed = existsSync(path);
  const openStarted = performance.now();
  const storage = SqliteStorage.open({ path, compactionIntervalMs: 0, synchronous: 'NORMAL' });
  const openMs = performance.now() - openStarted;
  try {
    let past: number;
    if (existed) {
      console.log(`opened existing ${path} in ${openMs.toFixed(0)} ms`);
      // Seeded by this script: the past revision is the one right after the creates.
      past = OBJECTS + 1;
    } else {
      const started = performance.now();
      past = await seed(storage);
      console.log(`seeded ${OBJECTS} objects (+ updates, deletes) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    console.log(`revision ${await storage.currentRevision()}, past revision ${past}, limit ${LIMIT}, ${RUNS} runs`);
    const runs = async (make: () => Promise<Outcome>): Promise<Outcome[]> => {
      const out: Outcome[] = [];
      for (let r = 0; r < RUNS; r++) out.push(await make());
      return out;
    };
    report('unpaged list', await runs(() => pagedList(storage, 0)));
    report(`paged list (limit ${LIMIT})`, await runs(() => pagedList(storage, LIMIT)));
    report(`paged list at past revision`, await runs(() => pagedList(storage, LIMIT, { resourceVersion: String(past) })));
    report(`filtered paged list (shard-3)`, await runs(() => pagedList(storage, LIMIT, { label: 'shard=shard-3' })));
  } finally {
    await storage.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
