/** The embedded SQLite backend as a conformance target: a temp-file database per suite. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Storage } from '../interface.js';
import { SqliteStorage, type SqliteStorageOptions } from '../sqlite/index.js';
import type { ConformanceBackend, ConformanceTarget } from './backend.js';

/** `overrides` tune the store; the path is always a temp file. */
export function sqliteTarget(overrides: Omit<SqliteStorageOptions, 'path'> = {}): ConformanceTarget {
  // Compaction is the test's to trigger; bookmarks come often enough for a test to see them.
  const options = { compactionIntervalMs: 0, bookmarkIntervalMs: 1000, ...overrides };
  return {
    name: 'sqlite',
    async setup(): Promise<ConformanceBackend> {
      const dir = await mkdtemp(join(tmpdir(), 'kapi-sqlite-'));
      const open = () => SqliteStorage.open({ ...options, path: join(dir, 'kapi.db') });
      let storage = open();
      const backend: ConformanceBackend = {
        storage,
        maxValueBytes: storage.maxValueBytes,
        compact: () => storage.compact(),
        async restart(): Promise<Storage> {
          await storage.close();
          storage = open();
          backend.storage = storage;
          return storage;
        },
        async putRaw(key: string, value: string): Promise<void> {
          await storage.putRaw(key, value);
        },
        async teardown(): Promise<void> {
          await storage.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
      return backend;
    },
  };
}
