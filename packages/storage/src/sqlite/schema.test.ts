import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@kapi/apimachinery';
import Database from 'better-sqlite3';
import { SelectionPredicate } from '../predicate.js';
import { LOG_TABLE } from './schema.js';
import { SqliteStorage } from './storage.js';

const P = '/registry/test.kapi.dev/items/';
const item = (name: string): KubeObject => ({ metadata: { name } });

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kapi-sqlite-schema-'));
  path = join(dir, 'kapi.db');
});
afterEach(() => rm(dir, { recursive: true, force: true }));

function indexes(): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare<[string], string>(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name`)
      .pluck()
      .all(LOG_TABLE);
  } finally {
    db.close();
  }
}

describe('SQLite schema', () => {
  it('moves a file of the first layout, indexed on (name, id), to the index that carries deleted', async () => {
    let storage = SqliteStorage.open({ path, compactionIntervalMs: 0 });
    for (const name of ['a', 'b', 'c']) await storage.create(`${P}${name}`, item(name));
    await storage.delete(`${P}b`);
    await storage.close();
    // Put the file back the way the first layout left it.
    const db = new Database(path);
    db.exec(`DROP INDEX ${LOG_TABLE}_name_id_deleted; CREATE INDEX ${LOG_TABLE}_name_id ON ${LOG_TABLE} (name, id);`);
    db.close();
    expect(indexes()).toEqual([`${LOG_TABLE}_name_id`, `${LOG_TABLE}_name_prev`]);

    storage = SqliteStorage.open({ path, compactionIntervalMs: 0 });
    try {
      expect(indexes()).toEqual([`${LOG_TABLE}_name_id_deleted`, `${LOG_TABLE}_name_prev`]);
      const first = await storage.list(P, { recursive: true, predicate: new SelectionPredicate({ limit: 1 }) });
      expect(first.items.map((i) => i.metadata.name)).toEqual(['a']);
      expect(first.remainingItemCount).toBe(1);
      expect(await storage.count(P)).toBe(2);
      expect(await storage.get(`${P}b`, { ignoreNotFound: true })).toBeUndefined();
    } finally {
      await storage.close();
    }
  });
});
