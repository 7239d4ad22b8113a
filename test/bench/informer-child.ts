/**
 * One informer of test/bench/informer.ts in a process of its own (so its memory is its own):
 *   node --expose-gc informer-child.js <kapi|client-node> <kubeconfig> <namespace> <objects>
 * Syncs the namespace's Flunders, prints {"synced":…}, then (while the parent writes) counts update
 * events and samples memory each second (after a gc) until the parent writes `stop` on stdin: then it
 * compares its cache with a fresh list (every name at the listed resourceVersion) and prints the
 * result line.
 */
import { createInterface } from 'node:readline';
import { ApiClient } from '@kapi/client';
import { WardleV1beta1Client, WardleV1beta1InformerFactory } from '../clients/wardle/v1beta1/index.js';

type ClientNode = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } });

const [impl, kubeconfig, namespace, objectsText] = process.argv.slice(2);
const objects = Number(objectsText);

/** name → resourceVersion */
type Versions = Map<string, string>;
interface Meta {
  metadata?: { name?: string; resourceVersion?: string };
}
const versionsOf = (items: readonly Meta[]): Versions => new Map(items.map((o) => [o.metadata?.name ?? '', o.metadata?.resourceVersion ?? '']));

interface Running {
  size(): number;
  /** Lists made after the first (kapi's informer tells; client-node's does not). */
  relists(): number | undefined;
  cached(): Versions;
  listed(): Promise<Versions>;
  stop(): void;
}

let updates = 0;
let adds = 0;

function print(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

async function startKapi(): Promise<Running> {
  const api = await ApiClient.fromKubeConfig({ kubeconfig: kubeconfig ?? '', timeoutMs: 120_000 });
  const factory = new WardleV1beta1InformerFactory(api, { onError: (err) => print({ error: String(err) }) });
  const informer = factory.flunders(namespace);
  informer.addEventHandler({ add: () => void adds++, update: () => void updates++ });
  factory.start();
  await factory.waitForCacheSync(600_000);
  const client = new WardleV1beta1Client(api).flunders(namespace);
  return {
    size: () => informer.lister.list().length,
    relists: () => informer.lists - 1,
    cached: () => versionsOf(informer.lister.list()),
    listed: async () => versionsOf((await client.list()).items),
    stop: () => (factory.stop(), api.close()),
  };
}

async function startClientNode(): Promise<Running> {
  const k8s: ClientNode = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfig ?? '');
  const api = kc.makeApiClient(k8s.CustomObjectsApi);
  const list = (): Promise<{ items: Meta[]; metadata?: { resourceVersion?: string } }> =>
    api.listNamespacedCustomObject({ group: 'wardle.example.com', version: 'v1beta1', namespace: namespace ?? '', plural: 'flunders' });
  const informer = k8s.makeInformer(kc, `/apis/wardle.example.com/v1beta1/namespaces/${namespace}/flunders`, list as never);
  informer.on('add', () => void adds++);
  informer.on('update', () => void updates++);
  informer.on('error', (err: unknown) => print({ error: String(err) }));
  await informer.start();
  return {
    size: () => informer.list().length,
    relists: () => undefined,
    cached: () => versionsOf(informer.list()),
    listed: async () => versionsOf((await list()).items),
    stop: () => void informer.stop(),
  };
}

function memory(): { rss: number; heapUsed: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed };
}

/** How a cache differs from a list: names missing from it, names it has that the list has not, names at another resourceVersion. */
function diff(cached: Versions, listed: Versions): { missing: number; extra: number; stale: number; total: number } {
  let missing = 0;
  let stale = 0;
  for (const [name, rv] of listed) {
    const mine = cached.get(name);
    if (mine === undefined) missing++;
    else if (mine !== rv) stale++;
  }
  let extra = 0;
  for (const name of cached.keys()) if (!listed.has(name)) extra++;
  return { missing, extra, stale, total: missing + extra + stale };
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
  const updating = performance.now();
  const samples: { rss: number; heapUsed: number }[] = [];
  const sampler = setInterval(() => samples.push(memory()), 1000);
  await new Promise<void>((resolveStop) => createInterface({ input: process.stdin }).on('line', (line) => line === 'stop' && resolveStop()));
  clearInterval(sampler);
  const cpu = process.cpuUsage(cpu1);
  const updateMs = performance.now() - updating;
  const updatesAtStop = updates;

  // The writes are over: the cache must come to equal a list, every name at its listed resourceVersion.
  const listed = await running.listed();
  const settleStart = performance.now();
  let differences = diff(running.cached(), listed);
  while (differences.total > 0 && performance.now() - settleStart < 30_000) {
    await new Promise((r) => setTimeout(r, 200));
    differences = diff(running.cached(), listed);
  }
  print({
    done: true,
    size: running.size(),
    objects,
    adds,
    updates,
    updatesAtStop,
    relists: running.relists() ?? null,
    listed: listed.size,
    ...differences,
    settleMs: performance.now() - settleStart,
    updateCpuMs: (cpu.user + cpu.system) / 1000,
    updateMs,
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
