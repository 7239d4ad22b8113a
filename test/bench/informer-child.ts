/**
 * One informer of test/bench/informer.ts in a process of its own (so its memory is its own):
 *   node --expose-gc informer-child.js <kapi|client-node> <kubeconfig> <namespace> <objects> <seconds>
 * Syncs the namespace's Flunders, prints {"synced":…}, then for <seconds> (while the parent writes)
 * counts update events and samples memory each second (after a gc), and prints the result line.
 */
import { ApiClient } from '@kapi/client';
import { WardleV1beta1InformerFactory } from '../clients/wardle/v1beta1/index.js';

type ClientNode = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } });

const [impl, kubeconfig, namespace, objectsText, secondsText] = process.argv.slice(2);
const objects = Number(objectsText);
const seconds = Number(secondsText);

interface Running {
  size(): number;
  stop(): void;
}

let updates = 0;
let adds = 0;

function print(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function startKapi(): Promise<Running> {
  const api = await ApiClient.fromKubeConfig({ kubeconfig: kubeconfig ?? '', timeoutMs: 120_000 });
  const factory = new WardleV1beta1InformerFactory(api);
  const informer = factory.flunders(namespace);
  informer.addEventHandler({ add: () => void adds++, update: () => void updates++ });
  factory.start();
  await factory.waitForCacheSync(600_000);
  return { size: () => informer.lister.list().length, stop: () => (factory.stop(), api.close()) };
}

async function startClientNode(): Promise<Running> {
  const k8s: ClientNode = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig ?? '');
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const list = (): Promise<{ items: { metadata?: { name?: string } }[]; metadata?: { resourceVersion?: string } }> =>
    api.listNamespacedCustomObject({ group: 'wardle.example.com', version: 'v1beta1', namespace: namespace ?? '', plural: 'flunders' });
  const informer = k8s.makeInformer(kc, `/apis/wardle.example.com/v1beta1/namespaces/${namespace}/flunders`, list as never);
  informer.on('add', () => void adds++);
  informer.on('update', () => void updates++);
  informer.on('error', (err: unknown) => print({ error: String(err) }));
  await informer.start();
  return { size: () => informer.list().length, stop: () => void informer.stop() };
}

function memory(): { rss: number; heapUsed: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

async function main(): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const running = impl === 'kapi' ? await startKapi() : await startClientNode();
  const syncMs = performance.now() - t0;
  const syncCpu = process.cpuUsage(cpu0);
  const afterSync = memory();
  print({ synced: true, size: running.size(), syncMs, syncCpuMs: (syncCpu.user + syncCpu.system) / 1000, ...afterSync });

  const cpu1 = process.cpuUsage();
  const samples: { rss: number; heapUsed: number }[] = [];
  for (let s = 0; s < seconds; s++) {
    await new Promise((r) => setTimeout(r, 1000));
    samples.push(memory());
  }
  const cpu = process.cpuUsage(cpu1);
  print({
    done: true,
    size: running.size(),
    objects,
    adds,
    updates,
    updateCpuMs: (cpu.user + cpu.system) / 1000,
    maxRss: Math.max(...samples.map((x) => x.rss)),
    endRss: samples.at(-1)?.rss ?? 0,
    maxHeap: Math.max(...samples.map((x) => x.heapUsed)),
    endHeap: samples.at(-1)?.heapUsed ?? 0,
    firstHeap: samples[0]?.heapUsed ?? 0,
    // Ten points across the run: a heap that grows shows as a rising row.
    heapSeries: Array.from({ length: 10 }, (_, i) => samples[Math.min(samples.length - 1, Math.round(((i + 1) * samples.length) / 10) - 1)]?.heapUsed ?? 0),
  });
  running.stop();
  setTimeout(() => process.exit(0), 200).unref();
}

main().catch((err: unknown) => {
  print({ error: err instanceof Error ? err.stack : String(err) });
  process.exit(1);
});
