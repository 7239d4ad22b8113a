/** The backends the conformance suite runs against, each started for real. */
import { Etcd3Storage } from '../etcd3/index.js';
import type { ConformanceBackend, ConformanceTarget } from './backend.js';
import { startEtcd } from '../etcd-server/index.js';

/** etcd3 on a real etcd started by the test harness. */
export function etcd3Target(): ConformanceTarget {
  return {
    name: 'etcd3',
    async setup(): Promise<ConformanceBackend> {
      const server = await startEtcd();
      // Compaction is the test's to trigger; bookmarks come often enough for a test to see them.
      const storage = new Etcd3Storage({ endpoints: server.endpoint, compactionIntervalMs: 0, bookmarkIntervalMs: 1000 });
      return {
        storage,
        maxValueBytes: storage.maxValueBytes,
        compact: () => storage.compact(),
        async restart() {
          // The client reconnects by itself; the same storage keeps working.
          await server.restart();
          return storage;
        },
        async putRaw(key, value) {
          await storage.client.put(key).value(value);
        },
        async teardown() {
          await storage.close();
          await server.stop();
        },
      };
    },
  };
}
