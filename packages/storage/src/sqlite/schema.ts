/**
 * The on-disk layout, after k3s's kine: one append-only log table whose AUTOINCREMENT id is the
 * revision, and a small meta table for the compacted revision.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

export const LOG_TABLE = 'kapi_log';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS ${LOG_TABLE} (
  id              INTEGER PRIMARY KEY AUTOINCREMENT, -- the revision of this write
  name            TEXT    NOT NULL,                  -- the key
  created         INTEGER NOT NULL,                  -- 1 when this write created the key
  deleted         INTEGER NOT NULL,                  -- 1 for a tombstone
  create_revision INTEGER NOT NULL,                  -- the revision that created the key
  prev_revision   INTEGER NOT NULL,                  -- the row this one supersedes (0: none)
  value           BLOB,                              -- the value after the write (NULL for a tombstone)
  old_value       BLOB                               -- the value before it (NULL for a create)
);
-- Point reads and "newest row per key at revision R" walk this index; it carries "deleted" so that
-- listing and counting the live keys of a range never read a table row (the rows hold the values).
CREATE INDEX IF NOT EXISTS ${LOG_TABLE}_name_id_deleted ON ${LOG_TABLE} (name, id, deleted);
-- Schema version 1 had the index above without "deleted": the new one serves every statement it
-- did, so a file from then loses it (once, at the first open, with the CREATE INDEX above).
DROP INDEX IF EXISTS ${LOG_TABLE}_name_id;
-- Two writes can never supersede the same row: optimistic concurrency enforced by the database too.
CREATE UNIQUE INDEX IF NOT EXISTS ${LOG_TABLE}_name_prev ON ${LOG_TABLE} (name, prev_revision);
CREATE TABLE IF NOT EXISTS kapi_meta (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT OR IGNORE INTO kapi_meta (name, value) VALUES ('compacted_revision', 0);
INSERT OR IGNORE INTO kapi_meta (name, value) VALUES ('schema_version', 1);
-- Like etcd, an empty store is at revision 1, so no list ever answers resourceVersion "0".
INSERT INTO sqlite_sequence (name, seq)
  SELECT '${LOG_TABLE}', 1 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = '${LOG_TABLE}');
`;

export interface OpenDatabaseOptions {
  synchronous: 'FULL' | 'NORMAL';
  busyTimeoutMs: number;
}

export function isInMemory(path: string): boolean {
  return path === ':memory:' || path === '';
}

/** Opens (creating when needed) the database file with the pragmas the store relies on. */
export function openDatabase(path: string, opts: OpenDatabaseOptions): Database.Database {
  if (!isInMemory(path)) mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    if (!isInMemory(path)) db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs))}`);
    db.exec(SCHEMA);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
