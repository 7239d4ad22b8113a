/**
 * The storage conformance suite: one set of jest tests that every backend, and every backend
 * behind the cacher, must pass unchanged. Call it from a test file:
 *
 *   describeStorageConformance(sqliteTarget());
 */
import { INITIAL_EVENTS_END_ANNOTATION, type KubeObject, type WatchEvent } from '@kapi/apimachinery';
import type { Storage } from '../interface.js';
import { SelectionPredicate } from '../predicate.js';
import type { Watcher } from '../watcher.js';
import type { ConformanceBackend, ConformanceTarget } from './backend.js';
import { collectEvents, expectStatus, freshPrefix, summary, waitForEvent, widget, type Widget } from './fixtures.js';

const everything = SelectionPredicate.everything();
const rvOf = (obj: KubeObject): number => Number(obj.metadata.resourceVersion);
const names = (items: readonly KubeObject[]): string[] => items.map((i) => i.metadata.name ?? '');

export function describeStorageConformance(target: ConformanceTarget): void {
  describe(`storage conformance: ${target.name}`, () => {
    let backend: ConformanceBackend;
    let storage: Storage;
    const openWatchers: Watcher[] = [];

    async function watch(key: string, opts: Parameters<Storage['watch']>[1]): Promise<Watcher> {
      const w = await storage.watch(key, opts);
      openWatchers.push(w);
      return w;
    }

    beforeAll(async () => {
      backend = await target.setup();
      storage = backend.storage;
    }, 120_000);

    afterEach(() => {
      for (const w of openWatchers.splice(0)) w.stop();
    });

    afterAll(async () => {
      await backend?.teardown();
    }, 60_000);

    describe('create, get, update, delete', () => {
      it('creates an object and reads it back with the revision of the write', async () => {
        const p = freshPrefix('crud');
        const before = await storage.currentRevision();
        const created = await storage.create(`${p}a`, widget('a', { count: 1 }));
        expect(rvOf(created)).toBeGreaterThan(before);
        const got = await storage.get<Widget>(`${p}a`);
        expect(got?.spec.count).toBe(1);
        expect(got?.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
        expect(await storage.currentRevision()).toBeGreaterThanOrEqual(rvOf(created));
      });

      it('answers NotFound for a missing key, or undefined when asked to ignore it', async () => {
        const p = freshPrefix('missing');
        const err = await expectStatus(() => storage.get(`${p}nope`));
        expect(err).toMatchObject({ code: 404, reason: 'NotFound' });
        expect(await storage.get(`${p}nope`, { ignoreNotFound: true })).toBeUndefined();
      });

      it('refuses a second create of the same key with AlreadyExists and keeps the first value', async () => {
        const p = freshPrefix('exists');
        await storage.create(`${p}a`, widget('a', { count: 1 }));
        const err = await expectStatus(() => storage.create(`${p}a`, widget('a', { count: 2 })));
        expect(err).toMatchObject({ code: 409, reason: 'AlreadyExists' });
        expect((await storage.get<Widget>(`${p}a`))?.spec.count).toBe(1);
      });

      it('updates through guaranteedUpdate and bumps the revision', async () => {
        const p = freshPrefix('update');
        const created = await storage.create(`${p}a`, widget('a', { count: 1 }));
        const updated = await storage.guaranteedUpdate<Widget>(`${p}a`, (cur) => ({ ...cur!, spec: { count: cur!.spec.count + 1 } }));
        expect(updated.spec.count).toBe(2);
        expect(rvOf(updated)).toBeGreaterThan(rvOf(created));
        expect((await storage.get<Widget>(`${p}a`))?.metadata.resourceVersion).toBe(updated.metadata.resourceVersion);
      });

      it('writes nothing for an update that changes nothing', async () => {
        const p = freshPrefix('noop');
        const created = await storage.create(`${p}a`, widget('a'));
        const same = await storage.guaranteedUpdate<Widget>(`${p}a`, (cur) => ({ ...cur! }));
        expect(same.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
      });

      it('refuses updates whose uid or resourceVersion precondition fails with Conflict', async () => {
        const p = freshPrefix('precond');
        const created = await storage.create(`${p}a`, widget('a', { count: 1 }));
        const bump = (cur: Widget | undefined): Widget => ({ ...cur!, spec: { count: cur!.spec.count + 1 } });
        const stale = await expectStatus(() =>
          storage.guaranteedUpdate(`${p}a`, bump, { preconditions: { resourceVersion: String(rvOf(created) - 1) } }),
        );
        expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });
        const wrongUid = await expectStatus(() => storage.guaranteedUpdate(`${p}a`, bump, { preconditions: { uid: 'someone-else' } }));
        expect(wrongUid).toMatchObject({ code: 409, reason: 'Conflict' });
        expect(wrongUid.message).toContain('someone-else');
        const ok = await storage.guaranteedUpdate<Widget>(`${p}a`, bump, {
          preconditions: { uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion },
        });
        expect(ok.spec.count).toBe(2);
      });

      it('answers NotFound to an update of a missing key, and creates it when asked to ignore that', async () => {
        const p = freshPrefix('upsert');
        const err = await expectStatus(() => storage.guaranteedUpdate(`${p}a`, () => widget('a')));
        expect(err).toMatchObject({ code: 404, reason: 'NotFound' });
        const made = await storage.guaranteedUpdate<Widget>(`${p}a`, (cur) => (cur ? cur : widget('a', { count: 7 })), { ignoreNotFound: true });
        expect(made.spec.count).toBe(7);
        expect((await storage.get<Widget>(`${p}a`))?.spec.count).toBe(7);
      });

      it('refuses an update whose function throws, and keeps the stored value', async () => {
        const p = freshPrefix('throw');
        await storage.create(`${p}a`, widget('a', { count: 1 }));
        await expect(storage.guaranteedUpdate(`${p}a`, () => { throw new Error('refused by tryUpdate'); })).rejects.toThrow('refused by tryUpdate');
        expect((await storage.get<Widget>(`${p}a`))?.spec.count).toBe(1);
      });

      it('deletes and returns the last value at the revision of the delete', async () => {
        const p = freshPrefix('delete');
        const created = await storage.create(`${p}a`, widget('a', { count: 3 }));
        const deleted = await storage.delete<Widget>(`${p}a`);
        expect(deleted.spec.count).toBe(3);
        expect(rvOf(deleted)).toBeGreaterThan(rvOf(created));
        expect(await storage.get(`${p}a`, { ignoreNotFound: true })).toBeUndefined();
        expect(await expectStatus(() => storage.delete(`${p}a`))).toMatchObject({ code: 404, reason: 'NotFound' });
      });

      it('refuses deletes whose preconditions or validation fail, keeping the object', async () => {
        const p = freshPrefix('delete-precond');
        const created = await storage.create(`${p}a`, widget('a'));
        const stale = await expectStatus(() => storage.delete(`${p}a`, { preconditions: { resourceVersion: '1' } }));
        expect(stale).toMatchObject({ code: 409, reason: 'Conflict' });
        const uid = await expectStatus(() => storage.delete(`${p}a`, { preconditions: { uid: 'other' } }));
        expect(uid).toMatchObject({ code: 409, reason: 'Conflict' });
        await expect(
          storage.delete(`${p}a`, { validateDeletion: () => { throw new Error('has finalizers'); } }),
        ).rejects.toThrow('has finalizers');
        expect((await storage.get(`${p}a`))?.metadata.uid).toBe(created.metadata.uid);
        await storage.delete(`${p}a`, { preconditions: { uid: created.metadata.uid, resourceVersion: created.metadata.resourceVersion } });
        expect(await storage.count(p)).toBe(0);
      });

      it('loses no update when 50 writers increment one counter at once', async () => {
        const p = freshPrefix('counter');
        await storage.create(`${p}counter`, widget('counter', { count: 0 }));
        await Promise.all(
          Array.from({ length: 50 }, () =>
            storage.guaranteedUpdate<Widget>(`${p}counter`, async (cur) => {
              await new Promise((r) => setImmediate(r));
              return { ...cur!, spec: { count: cur!.spec.count + 1 } };
            }),
          ),
        );
        expect((await storage.get<Widget>(`${p}counter`))?.spec.count).toBe(50);
      }, 60_000);

      it('counts the objects under a prefix', async () => {
        const p = freshPrefix('count');
        for (const n of ['a', 'b', 'c']) await storage.create(`${p}${n}`, widget(n));
        await storage.create(`${p.slice(0, -1)}x/other`, widget('other'));
        expect(await storage.count(p)).toBe(3);
      });
    });

    describe('list', () => {
      let p: string;
      beforeAll(async () => {
        p = freshPrefix('selectors');
        const specs: Array<[string, string, Record<string, string>]> = [
          ['a', 'ns1', { app: 'web', tier: 'front' }],
          ['b', 'ns1', { app: 'web', tier: 'back' }],
          ['c', 'ns1', { app: 'db', tier: 'back' }],
          ['d', 'ns2', { app: 'db' }],
          ['e', 'ns2', { app: 'cache', canary: 'true' }],
          ['f', 'ns2', {}],
        ];
        for (const [name, ns, labels] of specs) await storage.create(`${p}${ns}/${name}`, widget(name, { namespace: ns, labels }));
        // A sibling prefix that a recursive list of p must not include.
        await storage.create(`${p.slice(0, -1)}-sibling/x`, widget('x'));
      });

      const list = async (label = '', field = '', key?: string): Promise<string[]> =>
        names((await storage.list(key ?? p, { recursive: true, predicate: new SelectionPredicate({ label, field }) })).items);

      it('lists everything under a prefix in key order, and nothing from a sibling prefix', async () => {
        expect(await list()).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
        expect(await list('', '', `${p}ns2/`)).toEqual(['d', 'e', 'f']);
      });

      it.each([
        ['app=web', ['a', 'b']],
        ['app==db', ['c', 'd']],
        ['app!=web', ['c', 'd', 'e', 'f']],
        ['app in (web,cache)', ['a', 'b', 'e']],
        ['app notin (web,cache)', ['c', 'd', 'f']],
        ['tier', ['a', 'b', 'c']],
        ['!tier', ['d', 'e', 'f']],
        ['app=db,tier=back', ['c']],
        ['app,!canary,tier notin (front)', ['b', 'c', 'd']],
      ])('selects by label %s', async (selector, expected) => {
        expect(await list(selector)).toEqual(expected);
      });

      it.each([
        ['metadata.name=b', ['b']],
        ['metadata.name==e', ['e']],
        ['metadata.name!=a', ['b', 'c', 'd', 'e', 'f']],
        ['metadata.namespace=ns2', ['d', 'e', 'f']],
        ['metadata.namespace=ns1,metadata.name!=a', ['b', 'c']],
      ])('selects by field %s', async (selector, expected) => {
        expect(await list('', selector)).toEqual(expected);
      });

      it('combines label and field selectors', async () => {
        expect(await list('app in (db,cache)', 'metadata.namespace=ns2')).toEqual(['d', 'e']);
      });

      it('reads the list at one revision, the latest', async () => {
        const result = await storage.list(p, { recursive: true, predicate: everything });
        expect(result.resourceVersion).toBeGreaterThanOrEqual(Math.max(...result.items.map(rvOf)));
        expect(result.resourceVersion).toBeLessThanOrEqual(await storage.currentRevision());
      });

      it('lists an older state at an Exact resourceVersion', async () => {
        const q = freshPrefix('exact');
        await storage.create(`${q}a`, widget('a', { count: 1 }));
        const then = await storage.list(q, { recursive: true, predicate: everything });
        await storage.guaranteedUpdate<Widget>(`${q}a`, (cur) => ({ ...cur!, spec: { count: 2 } }));
        await storage.create(`${q}b`, widget('b'));
        const old = await storage.list<Widget>(q, {
          recursive: true,
          predicate: everything,
          resourceVersion: String(then.resourceVersion),
          resourceVersionMatch: 'Exact',
        });
        expect(names(old.items)).toEqual(['a']);
        expect(old.items[0]?.spec.count).toBe(1);
        expect(old.resourceVersion).toBe(then.resourceVersion);
      });

      it('reads the legacy paged form (a resourceVersion and a limit, no match) at exactly that revision', async () => {
        const q = freshPrefix('legacy-exact');
        await storage.create(`${q}a`, widget('a', { count: 1 }));
        const then = await storage.list(q, { recursive: true, predicate: everything });
        await storage.guaranteedUpdate<Widget>(`${q}a`, (cur) => ({ ...cur!, spec: { count: 2 } }));
        await storage.create(`${q}b`, widget('b'));
        const old = await storage.list<Widget>(q, { recursive: true, predicate: new SelectionPredicate({ limit: 10 }), resourceVersion: String(then.resourceVersion) });
        expect(names(old.items)).toEqual(['a']);
        expect(old.items[0]?.spec.count).toBe(1);
        expect(old.resourceVersion).toBe(then.resourceVersion);
      });

      it('serves resourceVersion "0" and NotOlderThan, and answers 504 for a revision from the future', async () => {
        expect(await list()).toHaveLength(6);
        const any = await storage.list(p, { recursive: true, predicate: everything, resourceVersion: '0' });
        expect(names(any.items)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
        const current = await storage.currentRevision();
        const notOlder = await storage.list(p, {
          recursive: true,
          predicate: everything,
          resourceVersion: String(current),
          resourceVersionMatch: 'NotOlderThan',
        });
        expect(notOlder.resourceVersion).toBeGreaterThanOrEqual(current);
        const future = await expectStatus(() =>
          storage.list(p, { recursive: true, predicate: everything, resourceVersion: String(current + 1_000_000) }),
        );
        expect(future).toMatchObject({ code: 504, reason: 'Timeout' });
        expect(future.message).toContain('Too large resource version');
      }, 30_000);

      it('pages with limit and continue, with remainingItemCount when nothing is filtered', async () => {
        const first = await storage.list(p, { recursive: true, predicate: new SelectionPredicate({ limit: 4 }) });
        expect(names(first.items)).toEqual(['a', 'b', 'c', 'd']);
        expect(first.continue).toBeTruthy();
        expect(first.remainingItemCount).toBe(2);
        const second = await storage.list(p, { recursive: true, predicate: new SelectionPredicate({ limit: 4, continue: first.continue }) });
        expect(names(second.items)).toEqual(['e', 'f']);
        expect(second.continue).toBeFalsy();
        expect(second.resourceVersion).toBe(first.resourceVersion);
      });

      it('fills each page with matching objects when a selector filters', async () => {
        const seen: string[] = [];
        let token: string | undefined;
        let pages = 0;
        do {
          const page = await storage.list(p, { recursive: true, predicate: new SelectionPredicate({ label: 'tier', limit: 2, continue: token }) });
          expect(page.remainingItemCount).toBeUndefined();
          seen.push(...names(page.items));
          token = page.continue;
          pages++;
        } while (token && pages < 10);
        expect(seen).toEqual(['a', 'b', 'c']);
      });

      it('keeps pages of one list consistent across a concurrent write', async () => {
        const q = freshPrefix('snapshot');
        for (const n of ['a', 'b', 'c', 'd']) await storage.create(`${q}${n}`, widget(n, { count: 1 }));
        const first = await storage.list<Widget>(q, { recursive: true, predicate: new SelectionPredicate({ limit: 2 }) });
        expect(names(first.items)).toEqual(['a', 'b']);
        await storage.guaranteedUpdate<Widget>(`${q}c`, (cur) => ({ ...cur!, spec: { count: 99 } }));
        await storage.delete(`${q}d`);
        await storage.create(`${q}e`, widget('e'));
        const rest = await storage.list<Widget>(q, { recursive: true, predicate: new SelectionPredicate({ limit: 10, continue: first.continue }) });
        expect(names(rest.items)).toEqual(['c', 'd']);
        expect(rest.items[0]?.spec.count).toBe(1);
        const now = await storage.list(q, { recursive: true, predicate: everything });
        expect(names(now.items)).toEqual(['a', 'b', 'c', 'e']);
      });

      it('answers 400 to a malformed continue token and to a malformed selector', async () => {
        for (const token of ['not-a-token!', Buffer.from('{"v":"meta.k8s.io/v1","rv":0,"start":"a"}').toString('base64url'), 'e30']) {
          const err = await expectStatus(() => storage.list(p, { recursive: true, predicate: new SelectionPredicate({ limit: 1, continue: token }) }));
          expect(err).toMatchObject({ code: 400, reason: 'BadRequest' });
          expect(err.message).toContain('continue');
        }
        for (const bad of ['app in (web', 'a=b=c', '!', 'app notin web']) {
          const err = await expectStatus(async () => new SelectionPredicate({ label: bad }));
          expect(err.code).toBe(400);
        }
        expect((await expectStatus(async () => new SelectionPredicate({ field: 'metadata.name' }))).code).toBe(400);
      });
    });

    describe('watch', () => {
      it('starts from "0" with the current objects as ADDED, then streams changes', async () => {
        const p = freshPrefix('watch0');
        await storage.create(`${p}a`, widget('a', { count: 1 }));
        await storage.create(`${p}b`, widget('b', { count: 1 }));
        const w = await watch(p, { resourceVersion: '0', recursive: true, predicate: everything });
        expect((await collectEvents(w, 2)).map(summary)).toEqual([
          { type: 'ADDED', name: 'a', count: 1 },
          { type: 'ADDED', name: 'b', count: 1 },
        ]);
        await storage.guaranteedUpdate<Widget>(`${p}a`, (cur) => ({ ...cur!, spec: { count: 2 } }));
        const deleted = await storage.delete(`${p}b`);
        await storage.create(`${p}c`, widget('c'));
        const events = await collectEvents(w, 3);
        expect(events.map(summary)).toEqual([
          { type: 'MODIFIED', name: 'a', count: 2 },
          { type: 'DELETED', name: 'b', count: 1 },
          { type: 'ADDED', name: 'c', count: 0 },
        ]);
        expect((events[1] as { object: KubeObject }).object.metadata.resourceVersion).toBe(deleted.metadata.resourceVersion);
      });

      it('replays every change after a given revision', async () => {
        const p = freshPrefix('watchrv');
        const a = await storage.create(`${p}a`, widget('a', { count: 1 }));
        await storage.guaranteedUpdate<Widget>(`${p}a`, (cur) => ({ ...cur!, spec: { count: 2 } }));
        await storage.create(`${p}b`, widget('b'));
        await storage.delete(`${p}a`);
        const w = await watch(p, { resourceVersion: a.metadata.resourceVersion, recursive: true, predicate: everything });
        const events = await collectEvents(w, 3);
        expect(events.map(summary)).toEqual([
          { type: 'MODIFIED', name: 'a', count: 2 },
          { type: 'ADDED', name: 'b', count: 0 },
          { type: 'DELETED', name: 'a', count: 2 },
        ]);
        const revisions = events.map((e) => rvOf(e.object as KubeObject));
        expect([...revisions].sort((x, y) => x - y)).toEqual(revisions);
      });

      it('watches a single key when not recursive', async () => {
        const p = freshPrefix('watchkey');
        const a = await storage.create(`${p}a`, widget('a'));
        const w = await watch(`${p}a`, { resourceVersion: a.metadata.resourceVersion, predicate: everything });
        await storage.create(`${p}ab`, widget('ab'));
        await storage.guaranteedUpdate<Widget>(`${p}a`, (cur) => ({ ...cur!, spec: { count: 5 } }));
        expect((await collectEvents(w, 1)).map(summary)).toEqual([{ type: 'MODIFIED', name: 'a', count: 5 }]);
      });

      it('filters by predicate: an object leaving the selection arrives as DELETED, one entering as ADDED', async () => {
        const p = freshPrefix('watchpred');
        const start = await storage.create(`${p}a`, widget('a', { labels: { color: 'red' } }));
        await storage.create(`${p}b`, widget('b', { labels: { color: 'blue' } }));
        const w = await watch(p, {
          resourceVersion: start.metadata.resourceVersion,
          recursive: true,
          predicate: new SelectionPredicate({ label: 'color=red' }),
        });
        const relabel = (name: string, color: string) =>
          storage.guaranteedUpdate<Widget>(`${p}${name}`, (cur) => ({ ...cur!, metadata: { ...cur!.metadata, labels: { color } } }));
        await relabel('a', 'blue');
        await relabel('b', 'red');
        await storage.guaranteedUpdate<Widget>(`${p}b`, (cur) => ({ ...cur!, spec: { count: 1 } }));
        await storage.create(`${p}c`, widget('c', { labels: { color: 'green' } }));
        const events = await collectEvents(w, 3);
        expect(events.map(summary)).toEqual([
          { type: 'DELETED', name: 'a', count: 0 },
          { type: 'ADDED', name: 'b', count: 0 },
          { type: 'MODIFIED', name: 'b', count: 1 },
        ]);
      });

      it('sends bookmarks that reach the latest write', async () => {
        const p = freshPrefix('bookmark');
        const w = await watch(p, { resourceVersion: String(await storage.currentRevision()), recursive: true, predicate: everything, allowWatchBookmarks: true });
        const written = await storage.create(`${p}a`, widget('a'));
        const bookmark = await waitForEvent(w, (e) => e.type === 'BOOKMARK' && rvOf(e.object as KubeObject) >= rvOf(written), 15_000);
        expect(bookmark.object).toEqual({ metadata: { resourceVersion: expect.any(String) } });
      }, 30_000);

      it('sends initial events, then the initial-events-end bookmark, then changes', async () => {
        const p = freshPrefix('initial');
        await storage.create(`${p}a`, widget('a'));
        const b = await storage.create(`${p}b`, widget('b'));
        const w = await watch(p, {
          resourceVersion: b.metadata.resourceVersion,
          recursive: true,
          predicate: everything,
          sendInitialEvents: true,
          allowWatchBookmarks: true,
        });
        const initial = await collectEvents(w, 3, { bookmarks: true });
        expect(initial.slice(0, 2).map(summary)).toEqual([
          { type: 'ADDED', name: 'a', count: 0 },
          { type: 'ADDED', name: 'b', count: 0 },
        ]);
        const end = initial[2] as WatchEvent;
        expect(end.type).toBe('BOOKMARK');
        expect((end.object as KubeObject).metadata.annotations).toEqual({ [INITIAL_EVENTS_END_ANNOTATION]: 'true' });
        expect(rvOf(end.object as KubeObject)).toBeGreaterThanOrEqual(rvOf(b));
        await storage.delete(`${p}a`);
        expect((await collectEvents(w, 1)).map(summary)).toEqual([{ type: 'DELETED', name: 'a', count: 0 }]);
      });

      it('ends with 410 Expired when asked to watch from a compacted revision', async () => {
        const p = freshPrefix('compact');
        const a = await storage.create(`${p}a`, widget('a'));
        await storage.guaranteedUpdate<Widget>(`${p}a`, (cur) => ({ ...cur!, spec: { count: 1 } }));
        await storage.create(`${p}b`, widget('b'));
        const page = await storage.list(p, { recursive: true, predicate: new SelectionPredicate({ limit: 1 }) });
        expect(page.continue).toBeTruthy();
        // Write once more so that the page's revision is strictly older than the compaction.
        await storage.create(`${p}c`, widget('c'));
        await backend.compact();

        const status = await expiredWatchStatus(() => watch(p, { resourceVersion: String(rvOf(a) - 1), recursive: true, predicate: everything }));
        expect(status).toMatchObject({ code: 410 });
        expect(['Expired', 'Gone']).toContain(status.reason);

        const exact = await expectStatus(() =>
          storage.list(p, { recursive: true, predicate: everything, resourceVersion: a.metadata.resourceVersion, resourceVersionMatch: 'Exact' }),
        );
        expect(exact).toMatchObject({ code: 410, reason: 'Expired' });

        const cont = await expectStatus(() => storage.list(p, { recursive: true, predicate: new SelectionPredicate({ limit: 1, continue: page.continue }) }));
        expect(cont).toMatchObject({ code: 410, reason: 'Expired' });

        // The current state survives compaction.
        expect(names((await storage.list(p, { recursive: true, predicate: everything })).items)).toEqual(['a', 'b', 'c']);
      }, 30_000);
    });

    describe('values', () => {
      it('accepts a 1.5 MiB value and refuses one over the limit with 413', async () => {
        const p = freshPrefix('size');
        const big = widget('big');
        big.spec.payload = 'x'.repeat(1.5 * 1024 * 1024);
        await storage.create(`${p}big`, big);
        expect((await storage.get<Widget>(`${p}big`))?.spec.payload).toHaveLength(1.5 * 1024 * 1024);
        const huge = widget('huge');
        huge.spec.payload = 'x'.repeat(backend.maxValueBytes + 64 * 1024);
        const err = await expectStatus(() => storage.create(`${p}huge`, huge));
        expect(err).toMatchObject({ code: 413, reason: 'RequestEntityTooLarge' });
        expect(err.message).toMatch(/too large/i);
        expect(await storage.get(`${p}huge`, { ignoreNotFound: true })).toBeUndefined();
      }, 30_000);
    });

    describe('restart', () => {
      it('keeps every acknowledged write, and a watch resuming from a revision misses nothing', async () => {
        const p = freshPrefix('restart');
        const a = await storage.create(`${p}a`, widget('a', { count: 1 }));
        await storage.create(`${p}b`, widget('b', { count: 1 }));
        storage = await backend.restart();
        backend.storage = storage;
        expect(names((await storage.list(p, { recursive: true, predicate: everything })).items)).toEqual(['a', 'b']);
        await storage.guaranteedUpdate<Widget>(`${p}a`, (cur) => ({ ...cur!, spec: { count: 2 } }));
        await storage.create(`${p}c`, widget('c'));
        const w = await watch(p, { resourceVersion: a.metadata.resourceVersion, recursive: true, predicate: everything });
        expect((await collectEvents(w, 3)).map(summary)).toEqual([
          { type: 'ADDED', name: 'b', count: 1 },
          { type: 'MODIFIED', name: 'a', count: 2 },
          { type: 'ADDED', name: 'c', count: 0 },
        ]);
      }, 120_000);
    });

    describe('bad stored data', () => {
      it('answers a corrupt stored value with a 500 Status, and recovers once it is replaced', async () => {
        const p = freshPrefix('corrupt');
        await storage.create(`${p}good`, widget('good'));
        await backend.putRaw(`${p}bad`, '{"metadata": not json');
        const get = await expectStatus(() => storage.get(`${p}bad`));
        expect(get).toMatchObject({ code: 500, reason: 'InternalError' });
        expect(get.message).toContain(`${p}bad`);
        const list = await expectStatus(() => storage.list(p, { recursive: true, predicate: everything }));
        expect(list.code).toBe(500);
        expect((await storage.get(`${p}good`))?.metadata.name).toBe('good');
        await backend.putRaw(`${p}bad`, JSON.stringify(widget('bad')));
        expect(names((await storage.list(p, { recursive: true, predicate: everything })).items)).toEqual(['bad', 'good']);
      }, 30_000);
    });
  });
}

/** The status of the 410 a watch from a compacted revision gives: as a rejected call or as an ERROR event. */
async function expiredWatchStatus(start: () => Promise<Watcher>): Promise<{ code: number; reason: string }> {
  let w: Watcher;
  try {
    w = await start();
  } catch (err) {
    const status = (err as { status?: { code: number; reason?: string } }).status;
    if (!status) throw err;
    return { code: status.code, reason: status.reason ?? '' };
  }
  const event = await waitForEvent(w, (e) => e.type === 'ERROR');
  const status = event.object as { code: number; reason?: string };
  return { code: status.code, reason: status.reason ?? '' };
}
