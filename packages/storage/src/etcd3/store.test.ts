import type { KubeObject, StatusError } from '@kapi/apimachinery';
import { SelectionPredicate } from '../predicate.js';
import { startEtcd, type EtcdServer } from '../etcd-server/index.js';
import { Etcd3Storage } from './store.js';

interface Counter extends KubeObject {
  spec: { count: number };
}

const everything = SelectionPredicate.everything();
const rv = (obj: KubeObject): number => Number(obj.metadata.resourceVersion);

function counter(name: string, count = 0, labels?: Record<string, string>): Counter {
  return { apiVersion: 'test.kapi.dev/v1', kind: 'Counter', metadata: { name, uid: `uid-${name}`, ...(labels ? { labels } : {}) }, spec: { count } };
}

async function statusOf(fn: () => Promise<unknown>): Promise<StatusError['status']> {
  try {
    await fn();
  } catch (err) {
    const status = (err as StatusError).status;
    if (!status) throw err;
    return status;
  }
  throw new Error('expected a Status error');
}

let server: EtcdServer;
let storage: Etcd3Storage;
let prefixCounter = 0;
const freshPrefix = (): string => `/registry/test.kapi.dev/counters-${++prefixCounter}/`;

beforeAll(async () => {
  server = await startEtcd();
  storage = new Etcd3Storage({ endpoints: server.endpoint, compactionIntervalMs: 0 });
}, 60_000);

afterAll(async () => {
  await storage?.close();
  await server?.stop();
});

describe('Etcd3Storage writes', () => {
  it('creates, reads, updates and deletes with mod_revision as resourceVersion', async () => {
    const p = freshPrefix();
    const created = await storage.create(`${p}a`, counter('a', 1));
    const raw = await storage.client.get(`${p}a`).string();
    expect(JSON.parse(raw ?? '{}').metadata.resourceVersion).toBeUndefined();

    const got = await storage.get<Counter>(`${p}a`);
    expect(got).toEqual(created);

    const updated = await storage.guaranteedUpdate<Counter>(`${p}a`, (cur) => ({ ...cur!, spec: { count: cur!.spec.count + 1 } }));
    expect(updated.spec.count).toBe(2);
    expect(rv(updated)).toBeGreaterThan(rv(created));

    const same = await storage.guaranteedUpdate<Counter>(`${p}a`, (cur) => cur!);
    expect(same.metadata.resourceVersion).toBe(updated.metadata.resourceVersion);

    const deleted = await storage.delete<Counter>(`${p}a`);
    expect(deleted.spec.count).toBe(2);
    expect(rv(deleted)).toBeGreaterThan(rv(updated));
    expect(rv(deleted)).toBe(await storage.currentRevision());
    expect(await storage.get(`${p}a`, { ignoreNotFound: true })).toBeUndefined();
  });

  it('answers AlreadyExists, NotFound and precondition Conflicts', async () => {
    const p = freshPrefix();
    const a = await storage.create(`${p}a`, counter('a'));
    expect(await statusOf(() => storage.create(`${p}a`, counter('a')))).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    expect(await statusOf(() => storage.get(`${p}b`))).toMatchObject({ code: 404, reason: 'NotFound' });
    expect(await statusOf(() => storage.delete(`${p}b`))).toMatchObject({ code: 404 });
    expect(await statusOf(() => storage.guaranteedUpdate(`${p}b`, (c) => c!))).toMatchObject({ code: 404 });
    const conflict = await statusOf(() =>
      storage.guaranteedUpdate(`${p}a`, (c) => c!, { preconditions: { resourceVersion: String(rv(a) - 1) } }),
    );
    expect(conflict).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(await statusOf(() => storage.delete(`${p}a`, { preconditions: { uid: 'other' } }))).toMatchObject({ code: 409 });
    const refused = await statusOf(() =>
      storage.delete(`${p}a`, {
        validateDeletion: () => {
          throw Object.assign(new Error('no'), { status: { code: 403, reason: 'Forbidden' } });
        },
      }),
    );
    expect(refused.code).toBe(403);
    expect(await storage.get(`${p}a`)).toEqual(a);
  });

  it('creates through guaranteedUpdate when told to ignore a missing key', async () => {
    const p = freshPrefix();
    const made = await storage.guaranteedUpdate<Counter>(`${p}a`, (cur) => cur ?? counter('a', 7), { ignoreNotFound: true });
    expect((await storage.get<Counter>(`${p}a`))?.spec.count).toBe(7);
    expect(made.metadata.resourceVersion).toBeDefined();
  });

  it('retries on conflict so 20 concurrent increments all land', async () => {
    const p = freshPrefix();
    await storage.create(`${p}n`, counter('n'));
    let calls = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        storage.guaranteedUpdate<Counter>(`${p}n`, async (cur) => {
          calls++;
          await new Promise((r) => setTimeout(r, Math.random() * 5));
          return { ...cur!, spec: { count: cur!.spec.count + 1 } };
        }),
      ),
    );
    expect((await storage.get<Counter>(`${p}n`))?.spec.count).toBe(20);
    expect(calls).toBeGreaterThan(20);
  });

  it('starts from a cached guess, and reads etcd when the guess is stale', async () => {
    const p = freshPrefix();
    const v1 = await storage.create(`${p}a`, counter('a', 1));
    const v2 = await storage.guaranteedUpdate<Counter>(`${p}a`, (cur) => ({ ...cur!, spec: { count: 2 } }));
    const seen: number[] = [];
    const increment = (cur: Counter | undefined): Counter => {
      seen.push(cur!.spec.count);
      return { ...cur!, spec: { count: cur!.spec.count + 1 } };
    };

    // A current guess: one call, on the guess.
    const v3 = await storage.guaranteedUpdate<Counter>(`${p}a`, increment, { cachedExisting: v2 });
    expect(seen).toEqual([2]);
    expect(v3.spec.count).toBe(3);

    // A stale guess: the write's compare fails, and tryUpdate runs again on etcd's value.
    seen.length = 0;
    const v4 = await storage.guaranteedUpdate<Counter>(`${p}a`, increment, { cachedExisting: v1 });
    expect(seen).toEqual([1, 3]);
    expect(v4.spec.count).toBe(4);

    // tryUpdate refusing the stale guess (a resourceVersion check): refused again only on etcd's value.
    const refusals: string[] = [];
    const onlyAt = (wanted: string) => (cur: Counter | undefined): Counter => {
      if (cur!.metadata.resourceVersion !== wanted) {
        refusals.push(cur!.metadata.resourceVersion!);
        throw new Error('stale');
      }
      return { ...cur!, spec: { count: 10 } };
    };
    const v5 = await storage.guaranteedUpdate<Counter>(`${p}a`, onlyAt(v4.metadata.resourceVersion!), { cachedExisting: v3 });
    expect(refusals).toEqual([v3.metadata.resourceVersion]);
    expect(v5.spec.count).toBe(10);
    await expect(storage.guaranteedUpdate<Counter>(`${p}a`, onlyAt('1'), { cachedExisting: v5 })).rejects.toThrow('stale');

    // A no-op on a stale guess is not answered from it: etcd's value is newer.
    const noops: string[] = [];
    const same = (cur: Counter | undefined): Counter => {
      noops.push(cur!.metadata.resourceVersion!);
      return cur!;
    };
    const noop = await storage.guaranteedUpdate<Counter>(`${p}a`, same, { cachedExisting: v1 });
    expect(noop).toEqual(v5);
    expect(noops).toEqual([v1.metadata.resourceVersion, v5.metadata.resourceVersion]);

    // A no-op on a current guess: etcd confirms it, and tryUpdate (admission, the field manager) runs once.
    noops.length = 0;
    expect(await storage.guaranteedUpdate<Counter>(`${p}a`, same, { cachedExisting: v5 })).toEqual(v5);
    expect(noops).toEqual([v5.metadata.resourceVersion]);

    // A guess of a key etcd no longer has: NotFound, as without one.
    await storage.delete(`${p}a`);
    expect((await statusOf(() => storage.guaranteedUpdate<Counter>(`${p}a`, increment, { cachedExisting: v5 }))).code).toBe(404);
  });

  it('maps etcd refusing a request as too large to the same 413 as the codec limit', async () => {
    const p = freshPrefix();
    const roomy = new Etcd3Storage({ client: storage.client, maxValueBytes: 8 * 1024 * 1024, compactionIntervalMs: 0 });
    const big = { ...counter('big'), payload: 'x'.repeat(3 * 1024 * 1024) };
    const status = await statusOf(() => roomy.create(`${p}big`, big));
    expect(status).toMatchObject({ code: 413, reason: 'RequestEntityTooLarge' });
    const ours = await statusOf(() => storage.create(`${p}big`, big));
    expect(ours).toMatchObject({ code: 413, reason: 'RequestEntityTooLarge' });
    await roomy.close();
  });

  it('answers a corrupt stored value with a 500 InternalError, for get, list and update', async () => {
    const p = freshPrefix();
    await storage.client.put(`${p}bad`).value('{not json');
    expect(await statusOf(() => storage.get(`${p}bad`))).toMatchObject({ code: 500, reason: 'InternalError' });
    expect(await statusOf(() => storage.list(p, { recursive: true, predicate: everything }))).toMatchObject({ code: 500 });
    expect(await statusOf(() => storage.guaranteedUpdate(`${p}bad`, (c) => c!))).toMatchObject({ code: 500 });
  });
});

describe('Etcd3Storage reads', () => {
  it('tells the key count and newest mod_revision under a prefix (prefixState)', async () => {
    const p = freshPrefix();
    expect(await storage.prefixState(p, true)).toEqual({ count: 0, maxRevision: 0, revision: expect.any(Number) });
    const a = await storage.create(`${p}a`, counter('a'));
    const b = await storage.create(`${p}b`, counter('b'));
    await storage.guaranteedUpdate<Counter>(`${p}a`, (cur) => ({ ...cur!, spec: { count: 1 } }));
    const a2 = await storage.get<Counter>(`${p}a`);
    await storage.create(`${freshPrefix()}elsewhere`, counter('elsewhere'));
    const state = await storage.prefixState(p, true);
    expect(state.count).toBe(2);
    expect(state.maxRevision).toBe(rv(a2!));
    expect(state.revision).toBeGreaterThan(state.maxRevision);
    expect(await storage.prefixState(`${p}b`, false)).toMatchObject({ count: 1, maxRevision: rv(b) });
    await storage.delete(`${p}b`);
    expect(await storage.prefixState(p, true)).toMatchObject({ count: 1, maxRevision: rv(a2!) });
    expect(rv(a)).toBeLessThan(rv(a2!));
  });

  it('honours get resourceVersion: 504 for a revision from the future', async () => {
    const p = freshPrefix();
    const a = await storage.create(`${p}a`, counter('a'));
    expect(await storage.get(`${p}a`, { resourceVersion: '0' })).toEqual(a);
    expect(await storage.get(`${p}a`, { resourceVersion: a.metadata.resourceVersion })).toEqual(a);
    const future = await statusOf(() => storage.get(`${p}a`, { resourceVersion: String(rv(a) + 1000) }));
    expect(future).toMatchObject({ code: 504, reason: 'Timeout' });
    expect(future.details?.causes?.[0]?.reason).toBe('ResourceVersionTooLarge');
  });

  it('pages with limit and continue at one revision, with remainingItemCount', async () => {
    const p = freshPrefix();
    for (const name of ['a', 'b', 'c', 'd', 'e']) await storage.create(`${p}${name}`, counter(name));
    const first = await storage.list(p, { recursive: true, predicate: new SelectionPredicate({ limit: 2 }) });
    expect(first.items.map((i) => i.metadata.name)).toEqual(['a', 'b']);
    expect(first.remainingItemCount).toBe(3);
    expect(first.continue).toBeDefined();

    // A write between pages is not seen: later pages read the first page's revision.
    await storage.create(`${p}f`, counter('f'));
    await storage.delete(`${p}c`);
    const second = await storage.list(p, { recursive: true, predicate: new SelectionPredicate({ limit: 2, continue: first.continue }) });
    expect(second.items.map((i) => i.metadata.name)).toEqual(['c', 'd']);
    expect(second.resourceVersion).toBe(first.resourceVersion);
    const third = await storage.list(p, { recursive: true, predicate: new SelectionPredicate({ limit: 2, continue: second.continue }) });
    expect(third.items.map((i) => i.metadata.name)).toEqual(['e']);
    expect(third.continue).toBeUndefined();
    expect(third.remainingItemCount).toBeUndefined();

    const latest = await storage.list(p, { recursive: true, predicate: everything });
    expect(latest.items.map((i) => i.metadata.name)).toEqual(['a', 'b', 'd', 'e', 'f']);
    expect(await storage.count(p)).toBe(5);
  });

  it('fills a filtered page by reading on, without remainingItemCount', async () => {
    const p = freshPrefix();
    for (let i = 0; i < 12; i++) {
      const name = `o${String(i).padStart(2, '0')}`;
      await storage.create(`${p}${name}`, counter(name, i, { parity: i % 3 === 0 ? 'three' : 'other' }));
    }
    const pred = (cont?: string): SelectionPredicate => new SelectionPredicate({ label: 'parity=three', limit: 2, ...(cont ? { continue: cont } : {}) });
    const first = await storage.list(p, { recursive: true, predicate: pred() });
    expect(first.items.map((i) => i.metadata.name)).toEqual(['o00', 'o03']);
    expect(first.remainingItemCount).toBeUndefined();
    const second = await storage.list(p, { recursive: true, predicate: pred(first.continue) });
    expect(second.items.map((i) => i.metadata.name)).toEqual(['o06', 'o09']);
    const third = await storage.list(p, { recursive: true, predicate: pred(second.continue) });
    expect(third.items).toEqual([]);
    expect(third.continue).toBeUndefined();
  });

  it('lists at an Exact revision, and answers 504 / 400 where Go does', async () => {
    const p = freshPrefix();
    const a = await storage.create(`${p}a`, counter('a'));
    await storage.create(`${p}b`, counter('b'));
    const old = await storage.list(p, { recursive: true, predicate: everything, resourceVersion: a.metadata.resourceVersion, resourceVersionMatch: 'Exact' });
    expect(old.items.map((i) => i.metadata.name)).toEqual(['a']);
    expect(old.resourceVersion).toBe(rv(a));
    const current = await storage.currentRevision();
    for (const resourceVersionMatch of ['Exact', 'NotOlderThan'] as const) {
      const status = await statusOf(() =>
        storage.list(p, { recursive: true, predicate: everything, resourceVersion: String(current + 100), resourceVersionMatch }),
      );
      expect(status).toMatchObject({ code: 504 });
    }
    const page = await storage.list(p, { recursive: true, predicate: new SelectionPredicate({ limit: 1 }) });
    const withRv = await statusOf(() =>
      storage.list(p, { recursive: true, resourceVersion: '5', predicate: new SelectionPredicate({ limit: 1, continue: page.continue }) }),
    );
    expect(withRv).toMatchObject({ code: 400 });
    const single = await storage.list(`${p}a`, { recursive: false, predicate: everything });
    expect(single.items.map((i) => i.metadata.name)).toEqual(['a']);
  });

  it('reports health and closes cleanly', async () => {
    await expect(storage.healthCheck()).resolves.toBeUndefined();
  });
});
