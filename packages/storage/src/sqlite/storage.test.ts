import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '@kapi/apimachinery';
import { SelectionPredicate } from '../predicate.js';
import { expectStatus } from '../testing/fixtures.js';
import { sqliteTarget } from '../testing/sqlite-target.js';
import type { ConformanceBackend } from '../testing/backend.js';
import { SqliteStorage } from './storage.js';

interface Counter extends KubeObject {
  spec: { count: number };
}

const counter = (name: string, count = 0): Counter => ({ metadata: { name, uid: `uid-${name}` }, spec: { count } });
const rv = (obj: KubeObject): number => Number(obj.metadata.resourceVersion);

let backend: ConformanceBackend;
let storage: SqliteStorage;
const P = '/registry/test.kapi.dev/counters/';

beforeEach(async () => {
  backend = await sqliteTarget().setup();
  storage = backend.storage as SqliteStorage;
});
afterEach(() => backend.teardown());

describe('SqliteStorage writes', () => {
  it('starts at revision 1, like etcd, so no read answers resourceVersion "0"', async () => {
    expect(await storage.currentRevision()).toBe(1);
    const list = await storage.list(P, { recursive: true, predicate: SelectionPredicate.everything() });
    expect(list.resourceVersion).toBe(1);
  });

  it('creates, reads, updates and deletes, each write a new revision', async () => {
    const created = await storage.create(`${P}a`, counter('a', 1));
    expect(rv(created)).toBe(2);
    expect((await storage.get<Counter>(`${P}a`))?.spec.count).toBe(1);
    const updated = await storage.guaranteedUpdate<Counter>(`${P}a`, (cur) => ({ ...cur!, spec: { count: 2 } }));
    expect(rv(updated)).toBe(3);
    const deleted = await storage.delete<Counter>(`${P}a`);
    expect(deleted.spec.count).toBe(2);
    expect(rv(deleted)).toBe(4);
    expect(await storage.get(`${P}a`, { ignoreNotFound: true })).toBeUndefined();
    // A deleted key can be created again.
    expect(rv(await storage.create(`${P}a`, counter('a', 9)))).toBe(5);
  });

  it('never stores resourceVersion inside the value', async () => {
    const obj = counter('a');
    obj.metadata.resourceVersion = '12345';
    const created = await storage.create(`${P}a`, obj);
    expect(created.metadata.resourceVersion).toBe('2');
  });

  it('answers AlreadyExists, NotFound, and Conflict for failed preconditions', async () => {
    await storage.create(`${P}a`, counter('a'));
    expect(await expectStatus(() => storage.create(`${P}a`, counter('a')))).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    expect(await expectStatus(() => storage.get(`${P}b`))).toMatchObject({ code: 404, reason: 'NotFound' });
    expect(await expectStatus(() => storage.delete(`${P}b`))).toMatchObject({ code: 404 });
    const bump = (cur: Counter | undefined): Counter => ({ ...cur!, spec: { count: cur!.spec.count + 1 } });
    expect(await expectStatus(() => storage.guaranteedUpdate(`${P}a`, bump, { preconditions: { resourceVersion: '1' } }))).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(await expectStatus(() => storage.delete(`${P}a`, { preconditions: { uid: 'nope' } }))).toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('writes nothing when the update changes nothing, but sees an in-place mutation as a change', async () => {
    const created = await storage.create(`${P}a`, counter('a'));
    const same = await storage.guaranteedUpdate<Counter>(`${P}a`, (cur) => cur!);
    expect(same.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    expect(await storage.currentRevision()).toBe(rv(created));
    const mutated = await storage.guaranteedUpdate<Counter>(`${P}a`, (cur) => {
      cur!.spec.count = 42;
      return cur!;
    });
    expect(rv(mutated)).toBe(rv(created) + 1);
    expect((await storage.get<Counter>(`${P}a`))?.spec.count).toBe(42);
  });

  it('ends at 50 after 50 concurrent guaranteedUpdate increments', async () => {
    await storage.create(`${P}n`, counter('n'));
    let calls = 0;
    await Promise.all(
      Array.from({ length: 50 }, () =>
        storage.guaranteedUpdate<Counter>(`${P}n`, async (cur) => {
          calls++;
          await new Promise((r) => setImmediate(r));
          return { ...cur!, spec: { count: cur!.spec.count + 1 } };
        }),
      ),
    );
    const final = await storage.get<Counter>(`${P}n`);
    expect(final?.spec.count).toBe(50);
    expect(rv(final!)).toBe(2 + 50);
    expect(calls).toBeGreaterThan(50); // conflicts were retried, not lost
  });

  it('creates through guaranteedUpdate with ignoreNotFound, re-reading when the key appears meanwhile', async () => {
    let attempts = 0;
    const made = await storage.guaranteedUpdate<Counter>(
      `${P}a`,
      async (cur) => {
        attempts++;
        if (attempts === 1) await storage.create(`${P}a`, counter('a', 10)); // a racing creator
        return cur ? { ...cur, spec: { count: cur.spec.count + 1 } } : counter('a', 0);
      },
      { ignoreNotFound: true },
    );
    expect(attempts).toBe(2);
    expect(made.spec.count).toBe(11);
  });

  it('retries a delete whose key changed while validateDeletion ran, validating the new value', async () => {
    await storage.create(`${P}a`, counter('a', 1));
    const validated: number[] = [];
    const deleted = await storage.delete<Counter>(`${P}a`, {
      validateDeletion: async (cur) => {
        validated.push(cur.spec.count);
        if (validated.length === 1) await storage.guaranteedUpdate<Counter>(`${P}a`, (c) => ({ ...c!, spec: { count: 2 } }));
      },
    });
    expect(validated).toEqual([1, 2]);
    expect(deleted.spec.count).toBe(2);
  });

  it('refuses a value over maxValueBytes with 413', async () => {
    const small = SqliteStorage.open({ path: ':memory:', maxValueBytes: 100, compactionIntervalMs: 0 });
    try {
      const big = { ...counter('big'), payload: 'x'.repeat(200) };
      expect(await expectStatus(() => small.create(`${P}big`, big))).toMatchObject({ code: 413, reason: 'RequestEntityTooLarge' });
      expect(await small.currentRevision()).toBe(1);
    } finally {
      await small.close();
    }
  });

  it('answers 500 for a corrupt stored value in get, list, update and delete, never crashing', async () => {
    await backend.putRaw(`${P}bad`, 'not json');
    expect(await expectStatus(() => storage.get(`${P}bad`))).toMatchObject({ code: 500, reason: 'InternalError' });
    expect(await expectStatus(() => storage.list(P, { recursive: true, predicate: SelectionPredicate.everything() }))).toMatchObject({ code: 500 });
    expect(await expectStatus(() => storage.guaranteedUpdate(`${P}bad`, (c) => c!))).toMatchObject({ code: 500 });
    expect(await expectStatus(() => storage.delete(`${P}bad`))).toMatchObject({ code: 500 });
    await backend.putRaw(`${P}bad`, JSON.stringify(counter('bad', 3)));
    expect((await storage.get<Counter>(`${P}bad`))?.spec.count).toBe(3);
  });

  it('counts live keys under a prefix, not its siblings', async () => {
    await storage.create(`${P}a`, counter('a'));
    await storage.create(`${P}b`, counter('b'));
    await storage.create('/registry/test.kapi.dev/counters-other/c', counter('c'));
    await storage.delete(`${P}b`);
    expect(await storage.count(P)).toBe(1);
    expect(await storage.count(P.slice(0, -1))).toBe(1);
  });
});

describe('SqliteStorage lifecycle', () => {
  it('creates the directory of its file, and keeps every write across close and reopen', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kapi-sqlite-open-'));
    const path = join(dir, 'nested', 'deeper', 'kapi.db');
    try {
      const first = SqliteStorage.open({ path, compactionIntervalMs: 0 });
      await first.create(`${P}a`, counter('a', 1));
      await first.close();
      expect(existsSync(path)).toBe(true);
      const second = SqliteStorage.open({ path, compactionIntervalMs: 0 });
      expect((await second.get<Counter>(`${P}a`))?.spec.count).toBe(1);
      expect(await second.currentRevision()).toBe(2);
      await second.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps the revision across compaction and restart, never reusing one', async () => {
    await storage.create(`${P}a`, counter('a'));
    const deleted = await storage.delete(`${P}a`);
    await storage.compact();
    expect(await storage.currentRevision()).toBe(rv(deleted));
    const restarted = (await backend.restart()) as SqliteStorage;
    expect(await restarted.currentRevision()).toBe(rv(deleted));
    expect(rv(await restarted.create(`${P}b`, counter('b')))).toBe(rv(deleted) + 1);
  });

  it('answers a 500 Status after close, and passes its health check before', async () => {
    await expect(storage.healthCheck()).resolves.toBeUndefined();
    await storage.close();
    expect(await expectStatus(() => storage.healthCheck())).toMatchObject({ code: 500 });
    expect(await expectStatus(() => storage.get(`${P}a`))).toMatchObject({ code: 500 });
    await storage.close(); // idempotent
  });

  it('refuses to compact at a revision from the future', async () => {
    expect(await expectStatus(() => storage.compact(1_000))).toMatchObject({ code: 504 });
  });
});
