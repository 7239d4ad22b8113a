/**
 * The embedded default under crashes: the sample server on its SQLite file is killed with SIGKILL
 * 50 times while writers, counter clients and a watcher keep going, and started again each time on
 * the same file. Every acknowledged write must survive, no delete may come back, the watcher must see
 * every change in order (resuming from its resourceVersion), and the file must pass SQLite's own
 * integrity check.
 */
import Database from 'better-sqlite3';
import { ReplicaSet } from './replicas.js';
import { Workload } from './workload.js';

jest.setTimeout(300_000);

const KILLS = 50;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let set: ReplicaSet;

beforeAll(async () => {
  set = await ReplicaSet.start({ count: 1, storageBackend: 'sqlite' });
}, 60_000);

afterAll(async () => {
  await set?.stop();
});

it(`keeps every acknowledged write across ${KILLS} kill -9 of the server mid-write, and the file stays sound`, async () => {
  const [server] = set.replicas;
  if (!server) throw new Error('no server');
  let kills = 0;
  const w = new Workload({
    namespace: 'crashes',
    replicas: () => set.replicas,
    writers: 4,
    keysPerWriter: 6,
    opsPerWriter: 100_000,
    counterClients: 2,
    incrementsPerClient: 100_000,
    until: () => kills >= KILLS,
  });
  await w.createCounters();
  await w.startWatchers();
  const started = Date.now();
  let downMs = 0;
  await Promise.all([
    w.run(),
    (async () => {
      while (kills < KILLS) {
        // Long enough for writes to be in flight, short enough for many kills.
        await sleep(150 + Math.random() * 250);
        await server.crash();
        kills++;
        const down = Date.now();
        await server.start();
        downMs += Date.now() - down;
      }
    })(),
  ]);
  const report = await w.verify();
  const watch = w.watchFigures();
  console.log(`${KILLS} kill -9: ${report.summary()}; retries ${w.figures.retries}, conflicts ${w.figures.conflicts}; back up in ${(downMs / KILLS).toFixed(0)} ms on average; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  expect(report.toString()).toMatch(/^history check passed/);
  expect(server.starts).toBe(KILLS + 1);
  // The watcher lived through every crash by resuming from its resourceVersion (SQLite keeps the history).
  expect(watch.restarts).toBeGreaterThan(KILLS / 2);
  expect(watch.relists).toBe(0);
  // Writes were cut mid-flight, not only between requests.
  expect(report.figures.operations.indeterminate).toBeGreaterThan(0);

  await server.stop();
  const db = new Database(set.sqlitePath, { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    db.close();
  }
  await server.start();
});
