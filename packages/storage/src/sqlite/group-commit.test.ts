import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import type { KubeObject } from '@kapi/apimachinery';
import { SelectionPredicate } from '../predicate.js';
import { expectStatus } from '../testing/fixtures.js';
import type { Watcher } from '../watcher.js';
import { GroupCommitter } from './group-commit.js';
import { RevisionLog, type AppendRequest } from './revision-log.js';
import { LOG_TABLE, openDatabase } from './schema.js';
import { SqliteStorage } from './storage.js';

interface Counter extends KubeObject {
  spec: { count: number };
}

const counter = (name: string, count = 0): Counter => ({ metadata: { name }, spec: { count } });
const P = '/registry/test.kapi.dev/counters/';
const put = (name: string, expectedHead = 0): AppendRequest => ({ name, expectedHead, value: Buffer.from(`{"n":"${name}"}`), oldValue: null });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kapi-group-commit-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('GroupCommitter', () => {
  let db: Database.Database;
  let log: RevisionLog;
  let commits: number[];
  let committer: GroupCommitter;

  beforeEach(() => {
    db = openDatabase(join(dir, 'kapi.db'), { synchronous: 'FULL', busyTimeoutMs: 1000 });
    log = new RevisionLog(db);
    commits = [];
    committer = new GroupCommitter(log, (revision) => commits.push(revision));
  });
  afterEach(() => db.close());

  it('commits the writes of one turn in one transaction, each with its own revision', async () => {
    const revisions = await Promise.all(Array.from({ length: 50 }, (_, i) => committer.append(put(`k${i}`))));
    expect(revisions).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
    expect(commits).toEqual([51]);
    expect(log.currentRevision()).toBe(51);
  });

  it('checks each write against the rows written before it in the same batch', async () => {
    const [first, second] = await Promise.all([committer.append(put('same')), committer.append(put('same'))]);
    expect(first).toBe(2);
    // Both read "no row"; the second finds the first's row and is refused, not written over it.
    expect(second).toBeUndefined();
    expect(log.head('same')?.id).toBe(2);
  });

  it('writes nothing of a batch whose transaction fails, and tells every writer', async () => {
    db.exec(`CREATE TRIGGER refuse_bad BEFORE INSERT ON ${LOG_TABLE} WHEN NEW.name = 'bad' BEGIN SELECT RAISE(ABORT, 'disk says no'); END`);
    const outcomes = await Promise.allSettled([committer.append(put('good')), committer.append(put('bad'))]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toContain('disk says no');
    expect(log.head('good')).toBeUndefined();
    expect(commits).toEqual([]);
    // The next batch is unaffected.
    expect(await committer.append(put('good'))).toBe(2);
  });

  it('commits what is queued when flushed before the turn ends', async () => {
    const pending = committer.append(put('early'));
    committer.flush();
    expect(log.head('early')?.id).toBe(2);
    expect(await pending).toBe(2);
  });
});

describe('SqliteStorage group commit', () => {
  let storage: SqliteStorage;
  beforeEach(() => {
    storage = SqliteStorage.open({ path: join(dir, 'kapi.db'), compactionIntervalMs: 0 });
  });
  afterEach(() => storage.close());

  it('answers concurrent creates of one key with one object and AlreadyExists for the rest', async () => {
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => storage.create(`${P}a`, counter('a', i))));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    for (const o of outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected')) {
      expect(o.reason).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    }
  });

  it('loses no increment when 40 updates of one key arrive in the same turn', async () => {
    await storage.create(`${P}c`, counter('c'));
    await Promise.all(
      Array.from({ length: 40 }, () => storage.guaranteedUpdate<Counter>(`${P}c`, (cur) => ({ ...cur!, spec: { count: cur!.spec.count + 1 } }))),
    );
    expect((await storage.get<Counter>(`${P}c`))?.spec.count).toBe(40);
  });

  it('commits writes still queued when the store closes', async () => {
    const path = join(dir, 'kapi.db');
    const pending = storage.create(`${P}late`, counter('late', 7));
    await storage.close();
    expect((await pending).metadata.resourceVersion).toBe('2');
    storage = SqliteStorage.open({ path, compactionIntervalMs: 0 });
    expect((await storage.get<Counter>(`${P}late`))?.spec.count).toBe(7);
  });
});

describe('two SqliteStorage instances on one file (as two processes would)', () => {
  let a: SqliteStorage;
  let b: SqliteStorage;
  const watchers: Watcher[] = [];
  beforeEach(() => {
    const path = join(dir, 'shared.db');
    a = SqliteStorage.open({ path, compactionIntervalMs: 0 });
    b = SqliteStorage.open({ path, compactionIntervalMs: 0 });
  });
  afterEach(async () => {
    for (const w of watchers.splice(0)) w.stop();
    await a.close();
    await b.close();
  });

  async function nextChange(w: Watcher, timeoutMs: number): Promise<string | undefined> {
    const timer = setTimeout(() => w.stop(), timeoutMs);
    try {
      for (;;) {
        const e = await w.next();
        if (!e) return undefined;
        if (e.type !== 'BOOKMARK') return `${e.type} ${(e.object as KubeObject).metadata.name}@${(e.object as KubeObject).metadata.resourceVersion}`;
      }
    } finally {
      clearTimeout(timer);
    }
  }

  it("tells the other store's watchers of a write once it observes the revision", async () => {
    const commits: number[] = [];
    a.onCommit((revision) => commits.push(revision));
    const w = await b.watch(P, { recursive: true, resourceVersion: '1', predicate: SelectionPredicate.everything() });
    watchers.push(w);
    await a.create(`${P}x`, counter('x'));
    expect(commits).toEqual([2]);
    b.observeRevision(commits[0]!);
    expect(await nextChange(w, 2_000)).toBe('ADDED x@2');
  });

  it('dispatches to its watchers when a read of the revision finds a newer one', async () => {
    const w = await b.watch(P, { recursive: true, resourceVersion: '1', predicate: SelectionPredicate.everything() });
    watchers.push(w);
    await a.create(`${P}y`, counter('y'));
    expect(await b.currentRevision()).toBe(2);
    expect(await nextChange(w, 2_000)).toBe('ADDED y@2');
  });

  it('keeps optimistic concurrency across both: no increment lost, no create doubled', async () => {
    await a.create(`${P}c`, counter('c'));
    const inc = (s: SqliteStorage) => s.guaranteedUpdate<Counter>(`${P}c`, (cur) => ({ ...cur!, spec: { count: cur!.spec.count + 1 } }));
    await Promise.all(Array.from({ length: 30 }, (_, i) => inc(i % 2 ? a : b)));
    expect((await b.get<Counter>(`${P}c`))?.spec.count).toBe(30);
    expect(await expectStatus(() => b.create(`${P}c`, counter('c')))).toMatchObject({ code: 409, reason: 'AlreadyExists' });
  });
});
