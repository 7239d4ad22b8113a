import type { KubeObject, Status, WatchEvent } from '@kapi/apimachinery';
import { SelectionPredicate } from '../predicate.js';
import { startEtcd, type EtcdServer } from '../etcd-server/index.js';
import type { Watcher } from '../watcher.js';
import { Etcd3Storage } from './store.js';

const everything = SelectionPredicate.everything();
const rv = (obj: KubeObject): number => Number(obj.metadata.resourceVersion);
const item = (name: string, count = 0): KubeObject => ({ apiVersion: 'test.kapi.dev/v1', kind: 'Item', metadata: { name }, spec: { count } });

/** The next `n` non-bookmark events as "TYPE name count". */
async function nextEvents(w: Watcher, n: number, timeoutMs = 10_000): Promise<string[]> {
  const out: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    while (out.length < n) {
      const event = await Promise.race([w.next(), timeout]);
      if (event === 'timeout') throw new Error(`timed out after ${JSON.stringify(out)}`);
      if (!event) throw new Error(`watch ended after ${JSON.stringify(out)}`);
      if (event.type !== 'BOOKMARK') out.push(describe(event));
    }
    return out;
  } finally {
    clearTimeout(timer);
  }
}

function describe(event: WatchEvent): string {
  if (event.type === 'ERROR') return `ERROR ${event.object.code}`;
  const obj = event.object as KubeObject & { spec?: { count?: number } };
  return `${event.type} ${obj.metadata.name} ${obj.spec?.count ?? ''}`.trim();
}

let server: EtcdServer;
let storage: Etcd3Storage;
let prefixCounter = 0;
const freshPrefix = (): string => `/registry/test.kapi.dev/items-${++prefixCounter}/`;
const watchers: Watcher[] = [];

beforeAll(async () => {
  server = await startEtcd();
  storage = new Etcd3Storage({ endpoints: server.endpoint, compactionIntervalMs: 0, bookmarkIntervalMs: 200 });
}, 60_000);

afterEach(() => {
  for (const w of watchers.splice(0)) w.stop();
});

afterAll(async () => {
  await storage?.close();
  await server?.stop();
});

async function watch(key: string, opts: Parameters<Etcd3Storage['watch']>[1]): Promise<Watcher> {
  const w = await storage.watch(key, opts);
  watchers.push(w);
  return w;
}

it('replays every change after a revision, with deletes at their own revision', async () => {
  const p = freshPrefix();
  const a = await storage.create(`${p}a`, item('a'));
  await storage.create(`${p}b`, item('b'));
  await storage.guaranteedUpdate(`${p}a`, (cur) => ({ ...cur!, spec: { count: 1 } }));
  const w = await watch(p, { resourceVersion: a.metadata.resourceVersion, recursive: true, predicate: everything });
  const deleted = await storage.delete(`${p}b`);
  expect(await nextEvents(w, 3)).toEqual(['ADDED b 0', 'MODIFIED a 1', 'DELETED b 0']);
  expect(rv(deleted)).toBeGreaterThan(rv(a));
});

it('starts from "0" with ADDED for the current state, and watches one key when not recursive', async () => {
  const p = freshPrefix();
  await storage.create(`${p}a`, item('a'));
  await storage.create(`${p}ab`, item('ab'));
  const all = await watch(p, { resourceVersion: '0', recursive: true, predicate: everything });
  const one = await watch(`${p}a`, { resourceVersion: '0', recursive: false, predicate: everything });
  await storage.guaranteedUpdate(`${p}ab`, (cur) => ({ ...cur!, spec: { count: 2 } }));
  await storage.guaranteedUpdate(`${p}a`, (cur) => ({ ...cur!, spec: { count: 3 } }));
  expect(await nextEvents(all, 4)).toEqual(['ADDED a 0', 'ADDED ab 0', 'MODIFIED ab 2', 'MODIFIED a 3']);
  expect(await nextEvents(one, 2)).toEqual(['ADDED a 0', 'MODIFIED a 3']);
});

it('answers 410 Expired to a watch, an Exact list and a continue from before a compaction', async () => {
  const p = freshPrefix();
  const a = await storage.create(`${p}a`, item('a'));
  await storage.create(`${p}b`, item('b'));
  const page = await storage.list(p, { recursive: true, predicate: new SelectionPredicate({ limit: 1 }) });
  await storage.guaranteedUpdate(`${p}a`, (cur) => ({ ...cur!, spec: { count: 1 } }));
  // A healthy watch shares the client's stream with the expired one and must outlive it.
  const healthy = await watch(p, { resourceVersion: String(await storage.currentRevision()), recursive: true, predicate: everything });
  await storage.compact();

  const w = await watch(p, { resourceVersion: String(rv(a) - 1), recursive: true, predicate: everything });
  const event = await w.next();
  expect(event?.type).toBe('ERROR');
  expect(event?.object as Status).toMatchObject({ code: 410, reason: 'Expired', message: 'The resourceVersion for the provided watch is too old.' });
  w.stop();
  await storage.create(`${p}c`, item('c'));
  expect(await nextEvents(healthy, 1)).toEqual(['ADDED c 0']);

  await expect(
    storage.list(p, { recursive: true, predicate: everything, resourceVersion: a.metadata.resourceVersion, resourceVersionMatch: 'Exact' }),
  ).rejects.toMatchObject({ status: { code: 410, reason: 'Expired', message: 'The resourceVersion for the provided list is too old.' } });
  await expect(storage.list(p, { recursive: true, predicate: new SelectionPredicate({ limit: 1, continue: page.continue }) })).rejects.toMatchObject({
    status: { code: 410, message: expect.stringContaining('continue parameter is too old') },
  });
  expect((await storage.list(p, { recursive: true, predicate: everything })).items.map((i) => i.metadata.name)).toEqual(['a', 'b', 'c']);
});

it('sends bookmarks that reach the latest write', async () => {
  const p = freshPrefix();
  const start = await storage.currentRevision();
  const w = await watch(p, { resourceVersion: String(start), recursive: true, predicate: everything, allowWatchBookmarks: true });
  const a = await storage.create(`${p}a`, item('a'));
  let bookmark: WatchEvent | undefined;
  const seen: string[] = [];
  while (!bookmark) {
    const event = await w.next();
    if (event?.type === 'BOOKMARK' && rv(event.object as KubeObject) >= rv(a)) bookmark = event;
    else if (event) seen.push(describe(event));
  }
  expect(seen).toEqual(['ADDED a 0']);
});

it('loses no event when etcd restarts under a running watch', async () => {
  const p = freshPrefix();
  const a = await storage.create(`${p}a`, item('a'));
  const w = await watch(p, { resourceVersion: a.metadata.resourceVersion, recursive: true, predicate: everything });
  await storage.create(`${p}b`, item('b'));
  expect(await nextEvents(w, 1)).toEqual(['ADDED b 0']);

  await server.restart();
  // Written right after the restart, possibly before the watch has reconnected.
  await storage.guaranteedUpdate(`${p}a`, (cur) => ({ ...cur!, spec: { count: 1 } }));
  await storage.create(`${p}c`, item('c'));
  for (let i = 0; i < 5; i++) await storage.guaranteedUpdate(`${p}c`, (cur) => ({ ...cur!, spec: { count: i + 1 } }));
  expect(await nextEvents(w, 7, 30_000)).toEqual([
    'MODIFIED a 1',
    'ADDED c 0',
    'MODIFIED c 1',
    'MODIFIED c 2',
    'MODIFIED c 3',
    'MODIFIED c 4',
    'MODIFIED c 5',
  ]);
}, 60_000);

it('resumes a replay that etcd sends in batches from the last delivered revision after a restart', async () => {
  // etcd replays at most 1000 revisions per response, each headed by the current revision; the
  // etcd3 client would resume after that header and skip the rest of the replay.
  const p = freshPrefix();
  const start = await storage.currentRevision();
  const total = 2500;
  for (let i = 0; i < total; i += 250) {
    await Promise.all(Array.from({ length: 250 }, (_, j) => storage.client.put(`${p}k${String(i + j).padStart(5, '0')}`).value(JSON.stringify(item(`k${i + j}`)))));
  }
  const w = await watch(p, { resourceVersion: String(start), recursive: true, predicate: everything });
  expect(await nextEvents(w, 1)).toHaveLength(1);
  await server.restart();
  const rest = await nextEvents(w, total - 1, 30_000);
  expect(new Set(rest).size).toBe(total - 1);
}, 60_000);
