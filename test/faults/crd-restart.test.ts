/**
 * The crd backend (objects kept as custom resources of the host cluster) across a restart of the
 * host's kube-apiserver: writers, counter clients and a watcher talk to the sample server directly
 * while its store goes away and comes back. The checker must find nothing lost, resurrected or
 * missed, as on etcd and SQLite.
 */
import { ApiClient } from '@kapi/client';
import { startAggregated, type Aggregated } from '../aggregation/aggregated.js';
import { Kubectl } from '../e2e/kubectl.js';
import { WardleV1beta1Client } from '../clients/wardle/v1beta1/index.js';
import { Workload, type Target } from './workload.js';

jest.setTimeout(180_000);
const FIRST_RUN_TIMEOUT_MS = 15 * 60 * 1000;
const NS = 'crd-faults';

let env: Aggregated;
let api: ApiClient;

beforeAll(async () => {
  env = await startAggregated({ storageBackend: 'crd' });
  new Kubectl(env.cluster.kubeconfig).ok(['create', 'namespace', NS]);
  // Straight to the sample server: kube-apiserver going down must not cut the clients off, only the store.
  api = await ApiClient.fromKubeConfig({ kubeconfig: env.directKubeconfig, timeoutMs: 10_000 });
}, FIRST_RUN_TIMEOUT_MS);

afterAll(async () => {
  api?.close();
  await env?.stop();
});

it('loses nothing while the host kube-apiserver, where the objects live, restarts mid-write', async () => {
  const server: Target = { name: 'sample-server', client: new WardleV1beta1Client(api) };
  let restarted = false;
  const w = new Workload({
    namespace: NS,
    replicas: () => [server],
    writers: 4,
    keysPerWriter: 6,
    opsPerWriter: 100_000,
    counterClients: 2,
    incrementsPerClient: 100_000,
    thinkMs: 20,
    until: () => restarted,
  });
  await w.createCounters();
  await w.startWatchers();
  const started = Date.now();
  await Promise.all([
    w.run(),
    (async () => {
      await new Promise((r) => setTimeout(r, 2000));
      await env.cluster.restartApiserver();
      // Writes go on a little after it is back, so the store's recovery is exercised too.
      await new Promise((r) => setTimeout(r, 3000));
      restarted = true;
    })(),
  ]);
  const report = await w.verify();
  console.log(`crd across a kube-apiserver restart: ${report.summary()}; retries ${w.figures.retries}, conflicts ${w.figures.conflicts}; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  expect(report.toString()).toMatch(/^history check passed/);
  // The restart really cut writes off for a while.
  expect(report.figures.operations.indeterminate).toBeGreaterThan(0);
});
