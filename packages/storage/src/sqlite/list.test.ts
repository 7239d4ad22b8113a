import { decodeContinue, type KubeObject } from '@kapi/apimachinery';
import { EXPIRED_CONTINUE_MESSAGE, EXPIRED_LIST_MESSAGE } from '../errors.js';
import type { ListOptions } from '../interface.js';
import { SelectionPredicate } from '../predicate.js';
import type { ConformanceBackend } from '../testing/backend.js';
import { expectStatus } from '../testing/fixtures.js';
import { sqliteTarget } from '../testing/sqlite-target.js';
import type { SqliteStorage } from './storage.js';

interface Item extends KubeObject {
  spec: { n: number };
}

const item = (name: string, n = 0, labels?: Record<string, string>): Item => ({ metadata: { name, ...(labels ? { labels } : {}) }, spec: { n } });
const names = (items: readonly KubeObject[]): string[] => items.map((i) => i.metadata.name ?? '');

const P = '/registry/test.kapi.dev/items/';
let backend: ConformanceBackend;
let storage: SqliteStorage;
const list = (opts: Partial<ListOptions> = {}) =>
  storage.list<Item>(P, { recursive: true, predicate: SelectionPredicate.everything(), ...opts });
const paged = (limit: number, cont?: string, label?: string) =>
  new SelectionPredicate({ limit, ...(cont ? { continue: cont } : {}), ...(label ? { label } : {}) });

beforeEach(async () => {
  backend = await sqliteTarget().setup();
  storage = backend.storage as SqliteStorage;
  for (const name of ['a', 'b', 'c', 'd', 'e']) await storage.create(`${P}${name}`, item(name, 1, { even: String('bd'.includes(name)) }));
});
afterEach(() => backend.teardown());

describe('SqliteStorage list', () => {
  it('reads the latest state at the current revision, without the keys of a sibling prefix', async () => {
    await storage.create('/registry/test.kapi.dev/items2/z', item('z'));
    await storage.delete(`${P}c`);
    const result = await list();
    expect(names(result.items)).toEqual(['a', 'b', 'd', 'e']);
    expect(result.resourceVersion).toBe(await storage.currentRevision());
  });

  it('pages a consistent snapshot across concurrent writes', async () => {
    const first = await list({ predicate: paged(2) });
    expect(names(first.items)).toEqual(['a', 'b']);
    expect(first.remainingItemCount).toBe(3);
    await storage.guaranteedUpdate<Item>(`${P}c`, (cur) => ({ ...cur!, spec: { n: 99 } }));
    await storage.delete(`${P}d`);
    await storage.create(`${P}bb`, item('bb'));
    const second = await list({ predicate: paged(2, first.continue) });
    expect(names(second.items)).toEqual(['c', 'd']);
    expect(second.items[0]?.spec.n).toBe(1);
    expect(second.resourceVersion).toBe(first.resourceVersion);
    const third = await list({ predicate: paged(2, second.continue) });
    expect(names(third.items)).toEqual(['e']);
    expect(third.continue).toBeUndefined();
    expect(third.remainingItemCount).toBeUndefined();
  });

  it('fills a filtered page past tombstones and non-matching keys, without remainingItemCount', async () => {
    await storage.delete(`${P}c`);
    const first = await list({ predicate: paged(1, undefined, 'even=true') });
    expect(names(first.items)).toEqual(['b']);
    expect(first.remainingItemCount).toBeUndefined();
    const second = await list({ predicate: paged(1, first.continue, 'even=true') });
    expect(names(second.items)).toEqual(['d']);
    // 'e' remains (not matching), so a continue token is still given, as etcd gives one.
    const third = await list({ predicate: paged(1, second.continue, 'even=true') });
    expect(third.items).toEqual([]);
    expect(third.continue).toBeUndefined();
  });

  it('gives no continue token when the limit is met by the last key', async () => {
    const all = await list({ predicate: paged(5) });
    expect(all.items).toHaveLength(5);
    expect(all.continue).toBeUndefined();
  });

  it('reads an Exact revision, and the legacy paged form of one', async () => {
    const before = await storage.currentRevision();
    await storage.guaranteedUpdate<Item>(`${P}a`, (cur) => ({ ...cur!, spec: { n: 2 } }));
    await storage.delete(`${P}e`);
    const exact = await list({ resourceVersion: String(before), resourceVersionMatch: 'Exact' });
    expect(names(exact.items)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(exact.items[0]?.spec.n).toBe(1);
    expect(exact.resourceVersion).toBe(before);
    const legacy = await list({ resourceVersion: String(before), predicate: paged(10) });
    expect(legacy.resourceVersion).toBe(before);
    const notOlder = await list({ resourceVersion: String(before) });
    expect(notOlder.resourceVersion).toBe(await storage.currentRevision());
    expect(names(notOlder.items)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('answers 504 for a revision from the future, and 400 for a resourceVersion with continue', async () => {
    const current = await storage.currentRevision();
    for (const match of ['Exact', 'NotOlderThan', undefined] as const) {
      const err = await expectStatus(() => list({ resourceVersion: String(current + 5), ...(match ? { resourceVersionMatch: match } : {}) }));
      expect(err).toMatchObject({ code: 504, reason: 'Timeout' });
    }
    expect(await expectStatus(() => storage.get(`${P}a`, { resourceVersion: String(current + 1) }))).toMatchObject({ code: 504 });
    const first = await list({ predicate: paged(1) });
    expect(await expectStatus(() => list({ predicate: paged(1, first.continue), resourceVersion: '3' }))).toMatchObject({ code: 400 });
    expect(names((await list({ predicate: paged(1, first.continue), resourceVersion: '0' })).items)).toEqual(['b']);
  });

  it('answers 410 for an Exact read or a continue from before compaction, but reads the compacted revision itself', async () => {
    const old = await storage.currentRevision();
    const first = await list({ predicate: paged(2) });
    await storage.guaranteedUpdate<Item>(`${P}a`, (cur) => ({ ...cur!, spec: { n: 2 } }));
    await storage.delete(`${P}b`);
    const compactedAt = await backend.compact();
    await storage.create(`${P}f`, item('f'));
    const exact = await expectStatus(() => list({ resourceVersion: String(old), resourceVersionMatch: 'Exact' }));
    expect(exact).toMatchObject({ code: 410, reason: 'Expired', message: EXPIRED_LIST_MESSAGE });
    const cont = await expectStatus(() => list({ predicate: paged(2, first.continue) }));
    expect(cont).toMatchObject({ code: 410, reason: 'Expired', message: EXPIRED_CONTINUE_MESSAGE });
    const atCompaction = await list({ resourceVersion: String(compactedAt), resourceVersionMatch: 'Exact' });
    expect(names(atCompaction.items)).toEqual(['a', 'c', 'd', 'e']);
    expect(atCompaction.items[0]?.spec.n).toBe(2);
    expect(names((await list()).items)).toEqual(['a', 'c', 'd', 'e', 'f']);
  });

  it('lists a single key when not recursive', async () => {
    const one = await storage.list<Item>(`${P}b`, { predicate: SelectionPredicate.everything() });
    expect(names(one.items)).toEqual(['b']);
    const none = await storage.list<Item>(`${P}b`, { predicate: new SelectionPredicate({ label: 'even=false' }) });
    expect(none.items).toEqual([]);
  });

  it('orders and bounds keys byte-wise, as etcd does', async () => {
    await storage.create(`${P}a/nested`, item('nested'));
    await storage.create(`${P.slice(0, -1)}0/x`, item('x'));
    expect(names((await list()).items)).toEqual(['a', 'nested', 'b', 'c', 'd', 'e']);
  });
});

describe('SqliteStorage paged lists at a pinned revision', () => {
  interface Page {
    names: string[];
    n: number[];
    remaining: number | undefined;
    rv: number;
  }
  const summary = (page: Awaited<ReturnType<typeof list>>): Page => ({
    names: names(page.items),
    n: page.items.map((i) => i.spec.n),
    remaining: page.remainingItemCount,
    rv: page.resourceVersion,
  });
  /** Every page of the list at `rv` (Exact) with `limit`; each continue token must pin `rv`. */
  async function walk(limit: number, rv: number): Promise<Page[]> {
    const pages: Page[] = [];
    let page = await list({ predicate: paged(limit), resourceVersion: String(rv), resourceVersionMatch: 'Exact' });
    pages.push(summary(page));
    while (page.continue) {
      expect(decodeContinue(page.continue, P).resourceVersion).toBe(rv);
      page = await list({ predicate: paged(limit, page.continue) });
      pages.push(summary(page));
    }
    return pages;
  }

  let pinned: number;
  // Live at `pinned`: a c d f g h i j k l. Live now: a c d f g h i k l m n (g updated).
  beforeEach(async () => {
    for (const name of ['f', 'g', 'h', 'i', 'j', 'k', 'l']) await storage.create(`${P}${name}`, item(name, 1));
    await storage.delete(`${P}b`);
    await storage.delete(`${P}e`);
    await storage.guaranteedUpdate<Item>(`${P}c`, (cur) => ({ ...cur!, spec: { n: 2 } }));
    pinned = await storage.currentRevision();
    await storage.delete(`${P}j`);
    await storage.create(`${P}m`, item('m', 1));
    await storage.create(`${P}n`, item('n', 1));
    await storage.guaranteedUpdate<Item>(`${P}g`, (cur) => ({ ...cur!, spec: { n: 5 } }));
  });

  const atPinned = (rv: number): Page[] => [
    { names: ['a', 'c', 'd'], n: [1, 2, 1], remaining: 7, rv },
    { names: ['f', 'g', 'h'], n: [1, 1, 1], remaining: 4, rv },
    { names: ['i', 'j', 'k'], n: [1, 1, 1], remaining: 1, rv },
    { names: ['l'], n: [1], remaining: undefined, rv },
  ];

  it('pages past tombstones at a past revision, each remainingItemCount the live keys after the page', async () => {
    expect(await walk(3, pinned)).toEqual(atPinned(pinned));
    // Pages that end right before a tombstone, and a single-item page size.
    expect((await walk(2, pinned)).map((p) => [p.names, p.remaining])).toEqual([
      [['a', 'c'], 8],
      [['d', 'f'], 6],
      [['g', 'h'], 4],
      [['i', 'j'], 2],
      [['k', 'l'], undefined],
    ]);
    expect((await walk(1, pinned)).map((p) => p.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, undefined]);
  });

  it('keeps the counts of two lists apart when their pages end at the same key at different revisions', async () => {
    const now = await storage.currentRevision();
    const past1 = await list({ predicate: paged(3), resourceVersion: String(pinned), resourceVersionMatch: 'Exact' });
    const now1 = await list({ predicate: paged(3) });
    expect([summary(past1).remaining, summary(now1).remaining]).toEqual([7, 8]);
    const now2 = await list({ predicate: paged(3, now1.continue) });
    const past2 = await list({ predicate: paged(3, past1.continue) });
    expect(summary(past2)).toEqual(atPinned(pinned)[1]);
    expect(summary(now2)).toEqual({ names: ['f', 'g', 'h'], n: [1, 5, 1], remaining: 5, rv: now });
    const now3 = await list({ predicate: paged(3, now2.continue) });
    expect(summary(now3)).toEqual({ names: ['i', 'k', 'l'], n: [1, 1, 1], remaining: 2, rv: now });
    expect(summary(await list({ predicate: paged(3, now3.continue) }))).toEqual({ names: ['m', 'n'], n: [1, 1], remaining: undefined, rv: now });
  });

  it('answers a retried or a restarted continuation the same, and a filtered one without a count', async () => {
    const first = await list({ predicate: paged(3), resourceVersion: String(pinned), resourceVersionMatch: 'Exact' });
    const again = await list({ predicate: paged(3, first.continue) });
    expect(summary(await list({ predicate: paged(3, first.continue) }))).toEqual(summary(again));
    const filtered = await list({ predicate: paged(3, first.continue, 'even!=true') });
    expect(names(filtered.items)).toEqual(['f', 'g', 'h']);
    expect(filtered.remainingItemCount).toBeUndefined();
    // A new process (no remembered counts) continues the list with the same answers.
    storage = (await backend.restart()) as SqliteStorage;
    expect(summary(await list({ predicate: paged(3, first.continue) }))).toEqual(atPinned(pinned)[1]);
    const third = await list({ predicate: paged(3, again.continue) });
    expect(summary(third)).toEqual(atPinned(pinned)[2]);
  });

  it('reads the same pages at the compacted revision itself, before and after a restart', async () => {
    const first = await list({ predicate: paged(3), resourceVersion: String(pinned), resourceVersionMatch: 'Exact' });
    expect(await storage.compact(pinned)).toBe(pinned);
    expect(summary(await list({ predicate: paged(3, first.continue) }))).toEqual(atPinned(pinned)[1]);
    expect(await walk(3, pinned)).toEqual(atPinned(pinned));
    storage = (await backend.restart()) as SqliteStorage;
    expect(await walk(3, pinned)).toEqual(atPinned(pinned));
    expect(await storage.count(P)).toBe(11);
  });
});
