/**
 * The generated informers and listers of wardle.example.com/v1beta1 (test/clients) through a real
 * kube-apiserver to the sample server: sync, lister queries by namespace and label, handlers, a
 * restart of kube-apiserver mid-watch while the server is written to directly (the informer resumes
 * from its resourceVersion and ends equal to a list, having seen every event), WatchList; and a
 * restart of the sample server itself (standalone, same port, certificates and SQLite file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '@kapi/client';
import { SqliteStorage } from '@kapi/storage';
import { Kubectl } from '../e2e/kubectl.js';
import { startAggregated, type Aggregated } from '../aggregation/aggregated.js';
import { freePort, startSampleServer } from '../e2e/sample-server.js';
import { WardleV1beta1Client, WardleV1beta1InformerFactory, type Flunder } from '../clients/wardle/v1beta1/index.js';

jest.setTimeout(90_000);
const FIRST_RUN_TIMEOUT_MS = 15 * 60 * 1000;
const NS = 'informers';
const OTHER_NS = 'informers-other';

let env: Aggregated;
let api: ApiClient;
let client: WardleV1beta1Client;
/** Straight to the sample server (not through kube-apiserver). */
let direct: WardleV1beta1Client;
let factory: WardleV1beta1InformerFactory;
const log: string[] = [];

function flunder(name: string, reference: string, labels: Record<string, string> = {}): Flunder {
  return { metadata: { name, labels }, spec: { referenceType: 'Flunder', flunderReference: reference } };
}

async function eventually(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not in ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Tries `write` until the server takes it (it may refuse while kube-apiserver, its authorizer, is down). */
async function retried<T>(write: () => Promise<T>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await write();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** name → resourceVersion of every Flunder in a list and in the informer's cache. */
async function listed(): Promise<Record<string, string>> {
  const list = await client.flunders('').list();
  return Object.fromEntries(list.items.map((f) => [`${f.metadata.namespace}/${f.metadata.name}`, f.metadata.resourceVersion ?? '']));
}
function cached(): Record<string, string> {
  return Object.fromEntries(factory.flunders().lister.list().map((f) => [`${f.metadata.namespace}/${f.metadata.name}`, f.metadata.resourceVersion ?? '']));
}

beforeAll(async () => {
  env = await startAggregated({ storageBackend: 'sqlite' });
  const kubectl = new Kubectl(env.cluster.kubeconfig);
  kubectl.ok(['create', 'namespace', NS]);
  kubectl.ok(['create', 'namespace', OTHER_NS]);
  direct = await WardleV1beta1Client.fromKubeConfig({ kubeconfig: env.directKubeconfig });
  api = await ApiClient.fromKubeConfig({ kubeconfig: env.cluster.kubeconfig });
  client = new WardleV1beta1Client(api);
  for (const [ns, name, tier] of [[NS, 'a', 'front'], [NS, 'b', 'back'], [OTHER_NS, 'c', 'front']] as const) {
    await client.flunders(ns).create(flunder(name, 'x', { tier }));
  }
  factory = new WardleV1beta1InformerFactory(api, { backoff: { initialMs: 100, maxMs: 1000 } });
  factory.flunders().addEventHandler({
    add: (f, initial) => log.push(`add ${f.metadata.namespace}/${f.metadata.name}${initial ? ' initial' : ''}`),
    update: (old, f) => {
      if (old.metadata.resourceVersion !== f.metadata.resourceVersion) log.push(`update ${f.metadata.namespace}/${f.metadata.name} ${old.spec?.flunderReference}→${f.spec?.flunderReference}`);
    },
    delete: (f, unknown) => log.push(`delete ${f.metadata.namespace}/${f.metadata.name}${unknown ? ' final-state-unknown' : ''}`),
  });
  factory.start();
  await factory.waitForCacheSync();
}, FIRST_RUN_TIMEOUT_MS);

afterAll(async () => {
  factory?.stop();
  api?.close();
  direct?.close();
  await env?.stop();
});

it('syncs: the initial objects are adds, and the lister answers by namespace, name and label', () => {
  expect([...log].sort()).toEqual([`add ${OTHER_NS}/c initial`, `add ${NS}/a initial`, `add ${NS}/b initial`]);
  const lister = factory.flunders().lister;
  expect(lister.namespace(NS).get('a')?.spec?.flunderReference).toBe('x');
  expect(lister.namespace(OTHER_NS).get('a')).toBeUndefined();
  expect(lister.namespace(NS).list().map((f) => f.metadata.name).sort()).toEqual(['a', 'b']);
  expect(lister.list('tier=front').map((f) => f.metadata.name).sort()).toEqual(['a', 'c']);
  expect(lister.namespace(NS).list({ matchLabels: { tier: 'front' } }).map((f) => f.metadata.name)).toEqual(['a']);
  // The same informer for everyone who asks.
  expect(factory.flunders()).toBe(factory.flunders(''));
});

it('calls add, update and delete as the objects change', async () => {
  log.length = 0;
  await client.flunders(NS).create(flunder('d', 'x'));
  await client.flunders(NS).mergePatch('d', { spec: { flunderReference: 'y' } });
  await client.flunders(NS).delete('d');
  await eventually('three events', () => log.length === 3);
  expect(log).toEqual([`add ${NS}/d`, `update ${NS}/d x→y`, `delete ${NS}/d`]);
  expect(factory.flunders().lister.namespace(NS).get('d')).toBeUndefined();
});

it('resumes after kube-apiserver restarts mid-watch: every write made meanwhile is seen, and the cache equals a list', async () => {
  log.length = 0;
  const informer = factory.flunders();
  const listsBefore = informer.lists;
  const restart = env.cluster.restartApiserver();
  // Written straight to the sample server while its watch through kube-apiserver is cut.
  await retried(() => direct.flunders(NS).create(flunder('during', 'x')));
  await retried(() => direct.flunders(NS).mergePatch('a', { spec: { flunderReference: 'changed' } }));
  await retried(() => direct.flunders(NS).delete('b'));
  await restart;
  await eventually('the cache equals a list', async () => JSON.stringify(cached()) === JSON.stringify(await listed()), 60_000);
  expect(log).toEqual(expect.arrayContaining([`add ${NS}/during`, `update ${NS}/a x→changed`, expect.stringMatching(new RegExp(`^delete ${NS}/b`))]));
  // kapi kept the history, so the watch resumed from its resourceVersion: no relist, and the delete came as an event.
  expect(informer.lists).toBe(listsBefore);
  expect(log).toContain(`delete ${NS}/b`);
});

it('takes its initial state from WatchList (sendInitialEvents) when asked to', async () => {
  const watchList = new WardleV1beta1InformerFactory(api, { watchList: true });
  try {
    const informer = watchList.flunders(NS);
    watchList.start();
    await watchList.waitForCacheSync();
    expect(informer.initialStateFrom).toBe('watch-list');
    const want = (await client.flunders(NS).list()).items.map((f) => f.metadata.name).sort();
    expect(informer.lister.list().map((f) => f.metadata.name).sort()).toEqual(want);
    await client.flunders(NS).create(flunder('after-watch-list', 'x'));
    await eventually('the new object', () => informer.lister.namespace(NS).get('after-watch-list') !== undefined);
  } finally {
    watchList.stop();
  }
});

it('resumes after the sample server itself restarts on its store: the cache equals a list, every event seen', async () => {
  const keep = mkdtempSync(join(tmpdir(), 'kapi-restart-'));
  const args = [`--cert-dir=${keep}`, `--data-dir=${join(keep, 'data')}`];
  let server = await startSampleServer({ storageBackend: 'sqlite', extraArgs: args });
  const own = await ApiClient.fromKubeConfig({ kubeconfig: join(keep, 'admin.kubeconfig') });
  const informers = new WardleV1beta1InformerFactory(own, { backoff: { initialMs: 100, maxMs: 500 } });
  try {
    const flunders = new WardleV1beta1Client(own).flunders('default');
    await flunders.create(flunder('r1', 'x'));
    await flunders.create(flunder('r2', 'x'));
    const seen: string[] = [];
    const informer = informers.flunders();
    informer.addEventHandler({
      add: (f) => seen.push(`add ${f.metadata.name}`),
      update: (old, f) => seen.push(`update ${f.metadata.name} ${old.spec?.flunderReference}→${f.spec?.flunderReference}`),
      delete: (f, unknown) => seen.push(`delete ${f.metadata.name}${unknown ? ' final-state-unknown' : ''}`),
    });
    informers.start();
    await informers.waitForCacheSync();

    await server.stop();
    server = await startSampleServer({ storageBackend: 'sqlite', port: server.port, extraArgs: args });
    await flunders.mergePatch('r1', { spec: { flunderReference: 'y' } });
    await flunders.delete('r2');
    await flunders.create(flunder('r3', 'x'));
    const names = (items: Flunder[]): string => JSON.stringify(items.map((f) => [f.metadata.name, f.metadata.resourceVersion]).sort());
    await eventually('the cache equals a list', async () => names(informer.lister.list()) === names((await flunders.list()).items), 30_000);
    expect(seen).toEqual(['add r1', 'add r2', 'update r1 x→y', 'delete r2', 'add r3']);
    // The SQLite store kept its revisions across the restart: the watch resumed, no relist.
    expect(informer.lists).toBe(1);
  } finally {
    informers.stop();
    own.close();
    await server.stop();
    rmSync(keep, { recursive: true, force: true });
  }
});

it('relists on 410 when the history it would resume from was compacted while it was away: a missed delete comes in its last known state', async () => {
  const keep = mkdtempSync(join(tmpdir(), 'kapi-compacted-'));
  const args = [`--cert-dir=${keep}`, `--data-dir=${join(keep, 'data')}`];
  let server = await startSampleServer({ storageBackend: 'sqlite', extraArgs: args });
  const port = server.port;
  // The informer's client dials the first port only; admin.kubeconfig is rewritten for each start.
  const own = await ApiClient.fromKubeConfig({ kubeconfig: join(keep, 'admin.kubeconfig') });
  const errors: unknown[] = [];
  const informers = new WardleV1beta1InformerFactory(own, { backoff: { initialMs: 100, maxMs: 500 }, onError: (err) => errors.push(err) });
  let writer: ApiClient | undefined;
  try {
    const flunders = new WardleV1beta1Client(own).flunders('default');
    await flunders.create(flunder('k1', 'x'));
    await flunders.create(flunder('k2', 'x'));
    await flunders.create(flunder('k3', 'x'));
    const seen: string[] = [];
    const informer = informers.flunders();
    informer.addEventHandler({
      add: (f, initial) => seen.push(`add ${f.metadata.name}${initial ? ' initial' : ''}`),
      update: (old, f) => seen.push(`update ${f.metadata.name} ${old.spec?.flunderReference}→${f.spec?.flunderReference}`),
      delete: (f, unknown) => seen.push(`delete ${f.metadata.name} ${f.spec?.flunderReference}${unknown ? ' final-state-unknown' : ''}`),
    });
    informers.start();
    await informers.waitForCacheSync();
    const syncedAt = Number(informer.lastSyncResourceVersion);

    // Away: the server moves to another port, is written to there, and its history is compacted.
    await server.stop();
    server = await startSampleServer({ storageBackend: 'sqlite', port: await freePort(), extraArgs: args });
    writer = await ApiClient.fromKubeConfig({ kubeconfig: join(keep, 'admin.kubeconfig') });
    const elsewhere = new WardleV1beta1Client(writer).flunders('default');
    await elsewhere.mergePatch('k1', { spec: { flunderReference: 'y' } });
    await elsewhere.mergePatch('k2', { spec: { flunderReference: 'last' } });
    await elsewhere.delete('k2');
    await elsewhere.create(flunder('k4', 'x'));
    await server.stop();
    const store = SqliteStorage.open({ path: join(keep, 'data', 'kapi.db'), compactionIntervalMs: 0 });
    const compactedAt = await store.compact();
    await store.close();
    expect(compactedAt).toBeGreaterThan(syncedAt);

    // Back on the informer's port: resuming from its resourceVersion is answered 410, so it lists again.
    server = await startSampleServer({ storageBackend: 'sqlite', port, extraArgs: args });
    const names = (items: Flunder[]): string => JSON.stringify(items.map((f) => [f.metadata.name, f.metadata.resourceVersion]).sort());
    await eventually('the cache equals a list', async () => names(informer.lister.list()) === names((await flunders.list()).items), 30_000);
    expect(informer.lists).toBe(2);
    expect(seen.slice(0, 3).sort()).toEqual(['add k1 initial', 'add k2 initial', 'add k3 initial']);
    // The relist's changes: what it found changed or new, and k2 gone in the state the informer last knew (x, not "last").
    expect(seen.slice(3).sort()).toEqual(['add k4', 'delete k2 x final-state-unknown', 'update k1 x→y']);
    // A 410 is not an error the informer reports: it is how a relist is asked for.
    expect(errors.filter((err) => String(err).includes('410') || String(err).toLowerCase().includes('expired'))).toEqual([]);
  } finally {
    informers.stop();
    own.close();
    writer?.close();
    await server.stop();
    rmSync(keep, { recursive: true, force: true });
  }
});
