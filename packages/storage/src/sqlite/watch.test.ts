import type { KubeObject, WatchEvent } from '@kapi/apimachinery';
import { SelectionPredicate } from '../predicate.js';
import type { ConformanceBackend } from '../testing/backend.js';
import { sqliteTarget } from '../testing/sqlite-target.js';
import type { Watcher } from '../watcher.js';
import { RevisionLog } from './revision-log.js';
import type { SqliteStorage } from './storage.js';

interface Item extends KubeObject {
  spec: { n: number };
}

const item = (name: string, n = 0): Item => ({ metadata: { name }, spec: { n } });
const everything = SelectionPredicate.everything();
const rv = (obj: KubeObject): number => Number(obj.metadata.resourceVersion);
const P = '/registry/test.kapi.dev/items/';

/** type, name, spec.n and revision of the next `count` non-bookmark events. */
async function take(w: Watcher, count: number): Promise<string[]> {
  const out: string[] = [];
  const deadline = setTimeout(() => w.stop(), 5_000);
  try {
    while (out.length < count) {
      const e = await w.next();
      if (!e) throw new Error(`watch ended after ${out.join(', ')}`);
      if (e.type !== 'BOOKMARK') out.push(eventLine(e));
    }
    return out;
  } finally {
    clearTimeout(deadline);
  }
}

function eventLine(e: WatchEvent): string {
  if (e.type === 'ERROR') return `ERROR ${e.object.code}`;
  const obj = e.object as Item;
  return `${e.type} ${obj.metadata.name}=${obj.spec.n}@${obj.metadata.resourceVersion}`;
}

let backend: ConformanceBackend;
let storage: SqliteStorage;
const watchers: Watcher[] = [];
async function watch(key: string, resourceVersion: string, recursive = true): Promise<Watcher> {
  const w = await storage.watch(key, { resourceVersion, recursive, predicate: everything });
  watchers.push(w);
  return w;
}

beforeEach(async () => {
  backend = await sqliteTarget().setup();
  storage = backend.storage as SqliteStorage;
});
afterEach(async () => {
  for (const w of watchers.splice(0)) w.stop();
  jest.restoreAllMocks();
  await backend.teardown();
});

describe('SqliteStorage watch', () => {
  it('replays the changes after a revision from the log, then streams live ones', async () => {
    const a = await storage.create(`${P}a`, item('a', 1));
    await storage.guaranteedUpdate<Item>(`${P}a`, (cur) => ({ ...cur!, spec: { n: 2 } }));
    await storage.create(`${P}b`, item('b'));
    const w = await watch(P, a.metadata.resourceVersion!);
    await storage.delete(`${P}a`);
    expect(await take(w, 3)).toEqual(['MODIFIED a=2@3', 'ADDED b=0@4', 'DELETED a=2@5']);
  });

  it('hands each write to the watchers of its key and of every enclosing prefix, and to no other', async () => {
    const all = await watch(P, '1');
    const ns1 = await watch(`${P}ns1/`, '1');
    const ns10 = await watch(`${P}ns10/`, '1');
    const one = await watch(`${P}ns1/x`, '1', false);
    await storage.create(`${P}ns1/x`, item('x', 1));
    await storage.create(`${P}ns10/y`, item('y', 2));
    await storage.create(`${P}ns1/z`, item('z', 3));
    expect(await take(all, 3)).toEqual(['ADDED x=1@2', 'ADDED y=2@3', 'ADDED z=3@4']);
    expect(await take(ns1, 2)).toEqual(['ADDED x=1@2', 'ADDED z=3@4']);
    expect(await take(ns10, 1)).toEqual(['ADDED y=2@3']);
    await storage.guaranteedUpdate<Item>(`${P}ns1/x`, (cur) => ({ ...cur!, spec: { n: 4 } }));
    expect(await take(one, 2)).toEqual(['ADDED x=1@2', 'MODIFIED x=4@5']);
    // ns10's next event is its own next write, not ns1/x's update.
    await storage.create(`${P}ns10/w`, item('w', 6));
    expect(await take(ns10, 1)).toEqual(['ADDED w=6@6']);
  });

  it('after a restart, resumes a watch from an old revision without missing anything', async () => {
    const a = await storage.create(`${P}a`, item('a', 1));
    await storage.create(`${P}b`, item('b', 1));
    await storage.delete(`${P}b`);
    storage = (await backend.restart()) as SqliteStorage;
    await storage.guaranteedUpdate<Item>(`${P}a`, (cur) => ({ ...cur!, spec: { n: 2 } }));
    const w = await watch(P, String(rv(a) - 1));
    await storage.create(`${P}c`, item('c'));
    expect(await take(w, 5)).toEqual(['ADDED a=1@2', 'ADDED b=1@3', 'DELETED b=1@4', 'MODIFIED a=2@5', 'ADDED c=0@6']);
  });

  it('ends a watch from before the compacted revision with 410, and still serves one from just before it', async () => {
    const a = await storage.create(`${P}a`, item('a'));
    await storage.guaranteedUpdate<Item>(`${P}a`, (cur) => ({ ...cur!, spec: { n: 1 } }));
    const deleted = await storage.delete(`${P}a`);
    expect(await backend.compact()).toBe(rv(deleted));
    const tooOld = await watch(P, a.metadata.resourceVersion!);
    const error = await tooOld.next();
    expect(error).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired', message: 'The resourceVersion for the provided watch is too old.' } });
    expect(await tooOld.next()).toBeUndefined();
    // As etcd: the compacted revision's own change (here a delete) is still there to watch.
    const justBefore = await watch(P, String(rv(deleted) - 1));
    expect(await take(justBefore, 1)).toEqual([`DELETED a=1@${rv(deleted)}`]);
  });

  it('fans each write out to 500 watchers with one read of the log', async () => {
    const many = await Promise.all(Array.from({ length: 500 }, (_, i) => watch(i % 2 ? P : `${P}k3`, '1', i % 2 === 1)));
    const changes = jest.spyOn(RevisionLog.prototype, 'changes');
    await Promise.all(Array.from({ length: 10 }, (_, i) => storage.create(`${P}k${i}`, item(`k${i}`, i))));
    const prefixEvents = await take(many[1]!, 10);
    expect(prefixEvents[9]).toBe('ADDED k9=9@11');
    expect(await take(many[0]!, 1)).toEqual(['ADDED k3=3@5']);
    await Promise.all(many.filter((_, i) => i % 2 === 1 && i > 1).map((w) => take(w, 10)));
    expect(changes).toHaveBeenCalledTimes(1);
  });

  it('ends only the watches of a key whose new value is corrupt, with a 500', async () => {
    const start = String(await storage.currentRevision());
    const onBad = await watch(`${P}bad`, start, false);
    const onOther = await watch(`${P}ok`, start, false);
    await backend.putRaw(`${P}bad`, '{broken');
    await storage.create(`${P}ok`, item('ok'));
    expect(await take(onBad, 1)).toEqual(['ERROR 500']);
    expect(await take(onOther, 1)).toEqual(['ADDED ok=0@3']);
  });

  it('sends bookmarks that follow writes the watcher does not select', async () => {
    await backend.teardown();
    backend = await sqliteTarget({ bookmarkIntervalMs: 20 }).setup();
    storage = backend.storage as SqliteStorage;
    const w = await storage.watch(`${P}a`, { resourceVersion: '1', predicate: everything, allowWatchBookmarks: true });
    watchers.push(w);
    const other = await storage.create(`${P}b`, item('b'));
    for (;;) {
      const e = await w.next();
      if (e?.type === 'BOOKMARK' && rv(e.object as KubeObject) >= rv(other)) break;
      expect(e?.type).toBe('BOOKMARK');
    }
  });

  it('ends every watch cleanly on close', async () => {
    const w = await watch(P, '0');
    await storage.close();
    expect(await w.next()).toBeUndefined();
  });
});
