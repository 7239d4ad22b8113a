/**
 * The log table behind prepared statements: every read and write the store makes, each one
 * statement compiled once. Revisions are row ids; a key's value at revision R is its newest row
 * with id <= R, unless that row is a tombstone.
 */
import type Database from 'better-sqlite3';
import { LOG_TABLE } from './schema.js';

/** The newest row of a key: what a point read or an optimistic write needs. */
export interface HeadRow {
  id: number;
  deleted: number;
  create_revision: number;
  value: Buffer | null;
}

/** A key's row in a list read at some revision. */
export interface ListRow {
  id: number;
  name: string;
  deleted: number;
  value: Buffer | null;
}

/** A row as the change feed replays it. */
export interface ChangeRow {
  id: number;
  name: string;
  deleted: number;
  prev_revision: number;
  value: Buffer | null;
  old_value: Buffer | null;
}

/** A new row; `expectedHead` is the id of the key's newest row when it was read (0: none). */
export interface AppendRequest {
  name: string;
  expectedHead: number;
  value: Buffer | null;
  oldValue: Buffer | null;
}

/** A key range [lower, upper) read at `revision`. */
export interface RangeAt {
  lower: string;
  upper: string;
  revision: number;
}

const CHANGE_COLUMNS = 'id, name, deleted, prev_revision, value, old_value';
const NO_LIMIT = -1;

export class RevisionLog {
  private readonly headStmt;
  private readonly headAtStmt;
  private readonly pageStmt;
  private readonly countLiveStmt;
  private readonly anyLiveStmt;
  private readonly changesStmt;
  private readonly keyChangesStmt;
  private readonly rangeChangesStmt;
  private readonly insertStmt;
  private readonly currentRevisionStmt;
  private readonly compactedStmt;
  private readonly setCompactedStmt;
  private readonly deleteSupersededStmt;
  private readonly deleteTombstonesStmt;
  private readonly appendTx;
  private readonly compactTx;
  private readonly readTx;

  constructor(private readonly db: Database.Database) {
    const t = LOG_TABLE;
    this.headStmt = db.prepare<[string], HeadRow>(
      `SELECT id, deleted, create_revision, value FROM ${t} WHERE name = ? ORDER BY id DESC LIMIT 1`,
    );
    this.headAtStmt = db.prepare<[string, number], HeadRow>(
      `SELECT id, deleted, create_revision, value FROM ${t} WHERE name = ? AND id <= ? ORDER BY id DESC LIMIT 1`,
    );
    // The newest row of each key in the range at the revision, in key order (tombstones included,
    // so the caller can page past them). The subquery walks the index only; ordering by its name
    // (rather than the joined row's) lets SQLite keep the index order instead of sorting the values.
    this.pageStmt = db.prepare<[string, string, number, number], ListRow>(
      `SELECT l.id, l.name, l.deleted, l.value FROM
         (SELECT MAX(id) AS id, name FROM ${t} WHERE name >= ? AND name < ? AND id <= ? GROUP BY name ORDER BY name LIMIT ?) m
       JOIN ${t} l ON l.id = m.id ORDER BY m.name`,
    );
    // With a single MAX() aggregate SQLite takes a bare column from the row holding the maximum, so
    // "deleted" is that of each key's newest row at the revision: an index-only scan, no join.
    this.countLiveStmt = db
      .prepare<[string, string, number], number>(
        `SELECT COUNT(*) FROM
           (SELECT MAX(id) AS id, deleted FROM ${t} WHERE name >= ? AND name < ? AND id <= ? GROUP BY name)
         WHERE deleted = 0`,
      )
      .pluck();
    this.anyLiveStmt = db
      .prepare<[string, string, number, number], number>(
        `SELECT 1 FROM ${t} o WHERE o.name >= ? AND o.name < ? AND o.id <= ? AND o.deleted = 0
           AND o.id = (SELECT MAX(i.id) FROM ${t} i WHERE i.name = o.name AND i.id <= ?) LIMIT 1`,
      )
      .pluck();
    this.changesStmt = db.prepare<[number, number, number], ChangeRow>(
      `SELECT ${CHANGE_COLUMNS} FROM ${t} WHERE id > ? AND id <= ? ORDER BY id LIMIT ?`,
    );
    this.keyChangesStmt = db.prepare<[string, number, number], ChangeRow>(
      `SELECT ${CHANGE_COLUMNS} FROM ${t} WHERE name = ? AND id > ? AND id <= ? ORDER BY id`,
    );
    this.rangeChangesStmt = db.prepare<[number, number, string, string], ChangeRow>(
      `SELECT ${CHANGE_COLUMNS} FROM ${t} WHERE id > ? AND id <= ? AND name >= ? AND name < ? ORDER BY id`,
    );
    this.insertStmt = db.prepare<[number, string, number, number, number, number, Buffer | null, Buffer | null]>(
      `INSERT INTO ${t} (id, name, created, deleted, create_revision, prev_revision, value, old_value)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    this.currentRevisionStmt = db.prepare<[], number>(`SELECT seq FROM sqlite_sequence WHERE name = '${t}'`).pluck();
    this.compactedStmt = db.prepare<[], number>(`SELECT value FROM kapi_meta WHERE name = 'compacted_revision'`).pluck();
    this.setCompactedStmt = db.prepare<[number]>(`UPDATE kapi_meta SET value = ? WHERE name = 'compacted_revision'`);
    // Rows replaced by a write at or below the compaction revision are history nobody may ask for.
    this.deleteSupersededStmt = db.prepare<[number, number]>(
      `DELETE FROM ${t} WHERE id IN (SELECT prev_revision FROM ${t} WHERE id > ? AND id <= ? AND prev_revision > 0)`,
    );
    // A tombstone at exactly the compaction revision stays: a watch from revision-1 still sees the delete.
    this.deleteTombstonesStmt = db.prepare<[number, number]>(`DELETE FROM ${t} WHERE id >= ? AND id < ? AND deleted = 1`);

    this.appendTx = db.transaction((reqs: readonly AppendRequest[]): (number | undefined)[] => reqs.map((req) => this.appendNow(req)));
    this.compactTx = db.transaction((revision: number): number => this.compactNow(revision));
    this.readTx = db.transaction(<R>(read: () => R): R => read());
  }

  /** Runs `read` against one consistent snapshot of the database. */
  snapshot<R>(read: () => R): R {
    return this.readTx.deferred(read) as R;
  }

  currentRevision(): number {
    return this.currentRevisionStmt.get() ?? 0;
  }

  compactedRevision(): number {
    return this.compactedStmt.get() ?? 0;
  }

  /** The newest row of `name` (at `revision` when given). */
  head(name: string, revision?: number): HeadRow | undefined {
    return revision === undefined ? this.headStmt.get(name) : this.headAtStmt.get(name, revision);
  }

  /** Up to `limit` keys of the range (0 = all), each with its newest row at the range's revision. */
  page(range: RangeAt, limit: number): ListRow[] {
    return this.pageStmt.all(range.lower, range.upper, range.revision, limit > 0 ? limit : NO_LIMIT);
  }

  countLive(range: RangeAt): number {
    return this.countLiveStmt.get(range.lower, range.upper, range.revision) ?? 0;
  }

  anyLive(range: RangeAt): boolean {
    return this.anyLiveStmt.get(range.lower, range.upper, range.revision, range.revision) !== undefined;
  }

  /** Every row in (after, upTo], oldest first, at most `limit`. */
  changes(after: number, upTo: number, limit: number): ChangeRow[] {
    return this.changesStmt.all(after, upTo, limit);
  }

  /** The rows of one key in (after, upTo], oldest first. */
  keyChanges(name: string, after: number, upTo: number): ChangeRow[] {
    return this.keyChangesStmt.all(name, after, upTo);
  }

  /** The rows of the keys in [lower, upper) in (after, upTo], oldest first. */
  rangeChanges(lower: string, upper: string, after: number, upTo: number): ChangeRow[] {
    return this.rangeChangesStmt.all(after, upTo, lower, upper);
  }

  /**
   * Appends, in order, a row for each request whose key's newest row is still its `expectedHead`
   * (rows appended earlier in the same call count), all in one IMMEDIATE transaction, so no other
   * writer, in this process or another, slips between. Returns each request's new revision, or
   * undefined where the key had changed since it was read.
   */
  appendAll(reqs: readonly AppendRequest[]): (number | undefined)[] {
    return this.appendTx.immediate(reqs);
  }

  /** Drops history at or below `revision`; resolves to the compacted revision. */
  compact(revision: number): number {
    return this.compactTx.immediate(revision);
  }

  private appendNow(req: AppendRequest): number | undefined {
    const head = this.headStmt.get(req.name);
    if ((head?.id ?? 0) !== req.expectedHead) return undefined;
    const id = this.currentRevision() + 1;
    const deleted = req.value === null;
    const created = !deleted && (head === undefined || head.deleted === 1);
    const createRevision = created || head === undefined ? id : head.create_revision;
    this.insertStmt.run(id, req.name, created ? 1 : 0, deleted ? 1 : 0, createRevision, head?.id ?? 0, req.value, req.oldValue);
    return id;
  }

  private compactNow(revision: number): number {
    const compacted = this.compactedRevision();
    if (revision <= compacted) return compacted;
    this.deleteSupersededStmt.run(compacted, revision);
    this.deleteTombstonesStmt.run(compacted, revision);
    this.setCompactedStmt.run(revision);
    return revision;
  }
}
