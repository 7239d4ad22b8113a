import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@kapi/apimachinery';
import Database from 'better-sqlite3';
import { PeriodicCompactor } from './periodic-compactor.js';
import { LOG_TABLE } from './schema.js';
import { SqliteStorage } from './storage.js';

const P = '/registry/test.kapi.dev/items/';
const item = (name: string, n = 0): KubeObject => ({ metadata: { name }, spec: { n } });

let dir: string;
let path: string;
let storage: SqliteStorage;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kapi-sqlite-compact-'));
  path = join(dir, 'kapi.db');
  storage = SqliteStorage.open({ path, compactionIntervalMs: 0 });
});
afterEach(async () => {
  await storage.close();
  await rm(dir, { recursive: true, force: true });
});

/** The log's rows as "name@id" (a tombstone as "-name@id"), read through a second connection. */
function rows(): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare<[], { id: number; name: string; deleted: number }>(`SELECT id, name, deleted FROM ${LOG_TABLE} ORDER BY id`)
      .all()
      .map((r) => `${r.deleted ? '-' : ''}${r.name.slice(P.length)}@${r.id}`);
  } finally {
    db.close();
  }
}

describe('SqliteStorage compaction', () => {
  it('drops superseded rows and older tombstones, keeping the state at the compacted revision', async () => {
    await storage.create(`${P}a`, item('a')); // 2
    await storage.guaranteedUpdate(`${P}a`, (cur) => ({ ...cur!, spec: { n: 1 } })); // 3
    await storage.create(`${P}b`, item('b')); // 4
    await storage.delete(`${P}b`); // 5
    await storage.create(`${P}c`, item('c')); // 6
    await storage.delete(`${P}c`); // 7
    await storage.guaranteedUpdate(`${P}a`, (cur) => ({ ...cur!, spec: { n: 2 } })); // 8
    expect(await storage.compact(7)).toBe(7);
    // a@2 is superseded by a@3; b's rows are gone; c's tombstone at exactly 7 stays for a watch from 6.
    expect(rows()).toEqual(['a@3', '-c@7', 'a@8']);
    expect(storage.compactedRevision()).toBe(7);
    // Compacting again further on finishes the job; an older revision is a no-op.
    expect(await storage.compact(8)).toBe(8);
    expect(rows()).toEqual(['a@8']);
    expect(await storage.compact(5)).toBe(8);
  });

  it('keeps the compacted revision across a restart', async () => {
    await storage.create(`${P}a`, item('a'));
    await storage.compact();
    await storage.close();
    storage = SqliteStorage.open({ path, compactionIntervalMs: 0 });
    expect(storage.compactedRevision()).toBe(2);
  });

  it('compacts on a timer, at the revision the previous run saw', async () => {
    await storage.close();
    storage = SqliteStorage.open({ path, compactionIntervalMs: 20 });
    await storage.create(`${P}a`, item('a'));
    const deadline = Date.now() + 5_000;
    while (storage.compactedRevision() === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(storage.compactedRevision()).toBe(2);
  });
});

describe('PeriodicCompactor', () => {
  it('keeps one interval of history: each run compacts where the previous one looked', () => {
    let current = 10;
    const compacted: number[] = [];
    const compactor = new PeriodicCompactor(60_000, () => current, (rev) => compacted.push(rev));
    compactor.tick();
    expect(compacted).toEqual([]);
    current = 25;
    compactor.tick();
    current = 40;
    compactor.tick();
    expect(compacted).toEqual([10, 25]);
  });

  it('reports a failing run and keeps going', () => {
    const errors: unknown[] = [];
    const compactor = new PeriodicCompactor(60_000, () => 5, () => {
      throw new Error('disk full');
    }, (err) => errors.push(err));
    compactor.tick();
    compactor.tick();
    compactor.tick();
    expect(errors).toHaveLength(2);
  });
});
