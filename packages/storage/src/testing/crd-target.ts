/**
 * The CRD backend as a conformance target: a real kube-apiserver (with its own etcd) per suite,
 * started by the caller's harness (test/harness startCluster), so @kapi/storage does not depend
 * on the test tree.
 *
 * The host runs with --watch-cache=false: with its watch cache on, the history a watch can
 * resume from is the cache's window (it starts empty when kube-apiserver starts, and compacting
 * etcd does not shrink it), so "resume after a restart" and "410 after compaction" would test the
 * cache's window, not storage. Without it every list and watch is served by the host's etcd, as
 * the suite means. --etcd-compaction-interval=0 leaves compaction to compact() below, which
 * compacts the host's etcd directly to the current revision.
 */
import type { Etcd3 } from 'etcd3';
import { CrdStorage, type CrdStorageOptions } from '../crd/index.js';
import { createEtcdClient } from '../etcd3/client.js';
import { compactAt } from '../etcd3/compactor.js';
import type { ConformanceBackend, ConformanceTarget } from './backend.js';

/** What crdTarget needs of a host cluster; test/harness's Cluster has it. */
export interface CrdHostCluster {
  kubeconfig: string;
  etcdEndpoint: string;
  restartApiserver(): Promise<void>;
  stop(): Promise<void>;
}

/** kube-apiserver flags the target asks its host to run with (see above). */
export const CRD_TARGET_APISERVER_ARGS: readonly string[] = ['--watch-cache=false', '--etcd-compaction-interval=0'];

export function crdTarget(
  startHost: (extraArgs: readonly string[]) => Promise<CrdHostCluster>,
  overrides: Omit<CrdStorageOptions, 'kubeconfig' | 'kubeConfig'> = {},
): ConformanceTarget {
  return {
    name: 'crd',
    async setup(): Promise<ConformanceBackend> {
      const cluster = await startHost(CRD_TARGET_APISERVER_ARGS);
      let storage: CrdStorage;
      let etcd: Etcd3 | undefined;
      try {
        // Bookmarks often enough for the suite to see them.
        storage = await CrdStorage.create({ bookmarkIntervalMs: 1000, ...overrides, kubeconfig: cluster.kubeconfig });
      } catch (err) {
        await cluster.stop();
        throw err;
      }
      return {
        storage,
        maxValueBytes: storage.maxValueBytes,
        async compact() {
          const revision = await storage.currentRevision();
          etcd ??= createEtcdClient({ endpoints: cluster.etcdEndpoint });
          await compactAt(etcd.kv, revision);
          return revision;
        },
        async restart() {
          // kube-apiserver restarts on the same etcd; the storage's connections and watches recover.
          await cluster.restartApiserver();
          return storage;
        },
        putRaw: (key, value) => storage.putRaw(key, value),
        async teardown() {
          await storage.close();
          etcd?.close();
          await cluster.stop();
        },
      };
    },
  };
}
