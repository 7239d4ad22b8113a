/**
 * The fault suite's history checker, in the spirit of Jepsen (issue 20): clients record what they
 * asked for and what they were answered (History), watchers what they received (WatchRecorder),
 * and after the faults healed a final read says what is left; `check` says what went wrong. Pure
 * logic over timestamps and resourceVersions, no I/O, so it is tested on synthetic histories.
 *
 * The rules the checks share:
 *  - An operation ends ok (acknowledged), fail (definitely not applied: 404, 409, 422 ...) or
 *    indeterminate (the answer was lost: timeout, reset, 5xx in a fault — Jepsen's :info). One never
 *    answered counts as indeterminate. An indeterminate operation may have happened or not, and at
 *    any time after its invoke (a request held by a SIGSTOPped replica can apply much later), so it
 *    is taken to complete at +infinity.
 *  - Real-time order: A precedes B when A completed before B was invoked. Operations that overlap
 *    may be ordered either way; the checker accepts every order they allow.
 *  - resourceVersions are etcd revisions: decimal integers, compared as BigInt, one per write
 *    transaction (two writes to different keys never share one). An update that changes nothing
 *    keeps the object's resourceVersion (the storage writes nothing).
 *  - Objects and events on a key no recorded operation touched are phantoms: record seeding writes
 *    through the History too.
 *
 * Each check is documented where it is computed, below `check`.
 */

/** `namespace/name`. */
export type Key = string;
/** An etcd revision as the server writes it: a decimal integer in a string. */
export type ResourceVersion = string;
/** An operation's number in its History, from 1. */
export type OperationId = number;

/** What a client asked for. */
export type OperationRequest =
  | { readonly kind: 'create'; readonly key: Key; readonly value: string }
  /** A PUT or a patch that sets the value. */
  | { readonly kind: 'update'; readonly key: Key; readonly value: string }
  | { readonly kind: 'delete'; readonly key: Key }
  /** Read-modify-write of an integer value, retried by the client on 409 until it lands. */
  | { readonly kind: 'counterIncrement'; readonly key: Key };

export type OperationKind = OperationRequest['kind'];
export type Outcome = 'pending' | 'ok' | 'fail' | 'indeterminate';

/** What the server answered an acknowledged operation. */
export interface Ack {
  /**
   * The returned object's resourceVersion: required for create, update and counterIncrement; for a
   * delete the revision of the delete (what kapi returns), or leave it out when the answer was a
   * Status without one.
   */
  readonly resourceVersion?: ResourceVersion;
  /** counterIncrement: the counter's new value. */
  readonly counterValue?: number;
}

/** One recorded operation. Timestamps are the History's clock (performance.now() by default). */
export interface Operation {
  readonly id: OperationId;
  readonly kind: OperationKind;
  readonly key: Key;
  /** create and update: the value written. */
  readonly value: string | undefined;
  /** Who ran it, for the messages. */
  readonly client: string | undefined;
  readonly invokedAt: number;
  /** Undefined while pending. */
  readonly completedAt: number | undefined;
  readonly outcome: Outcome;
  readonly resourceVersion: ResourceVersion | undefined;
  readonly counterValue: number | undefined;
  /** fail and indeterminate: why, for the messages. */
  readonly reason: string | undefined;
}

/** An object as a read returned it. */
export interface ObjectSnapshot {
  readonly key: Key;
  readonly value: string;
  readonly resourceVersion: ResourceVersion;
}

/** A list: its items and the resourceVersion it was read at. */
export interface ListSnapshot {
  readonly resourceVersion: ResourceVersion;
  readonly items: readonly ObjectSnapshot[];
}

export type ObjectEventType = 'ADDED' | 'MODIFIED' | 'DELETED';
export type WatchEventType = ObjectEventType | 'BOOKMARK';

/** An event as a watcher received it. A DELETED event's value is the object's last value. */
export type ReceivedEvent =
  | { readonly type: ObjectEventType; readonly key: Key; readonly resourceVersion: ResourceVersion; readonly value: string }
  | { readonly type: 'BOOKMARK'; readonly resourceVersion: ResourceVersion };

/** Where a watch began: from a resourceVersion (changes after it), or from a list it made first (list + watch). */
export type WatchStart = { readonly fromResourceVersion: ResourceVersion } | { readonly list: ListSnapshot };

/** What happened to a watcher, in order. */
export type WatchEntry =
  | { readonly entry: 'event'; readonly event: ReceivedEvent; readonly at: number }
  /** The connection broke and the watcher resumed from this resourceVersion. */
  | { readonly entry: 'restarted'; readonly fromResourceVersion: ResourceVersion; readonly at: number }
  /** The watcher got 410 Gone, listed again, and watches on from the list's resourceVersion. */
  | { readonly entry: 'relisted'; readonly list: ListSnapshot; readonly at: number };

/** One watcher's stream. */
export interface WatchStream {
  readonly id: string;
  readonly replica: string;
  /** The namespace it watches; undefined: all of them. It has no label or field selector. */
  readonly namespace: string | undefined;
  readonly start: WatchStart;
  readonly startedAt: number;
  readonly entries: readonly WatchEntry[];
}

/** What `check` reads: a History, or the same built from a log. */
export interface RecordedHistory {
  readonly operations: readonly Operation[];
  readonly watches: readonly WatchStream[];
}

/** A list of everything taken after the faults healed, from one replica. */
export interface FinalRead {
  readonly replica?: string;
  /** When the read was sent (History.now()); default: after every operation. Operations invoked later are ignored. */
  readonly startedAt?: number;
  readonly items: readonly ObjectSnapshot[];
}

const DECIMAL = /^\d+$/;

function assertResourceVersion(rv: string, what: string): void {
  if (!DECIMAL.test(rv)) throw new TypeError(`${what}: resourceVersion ${JSON.stringify(rv)} is not a decimal integer`);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

type Mutable<T> = { -readonly [P in keyof T]: T[P] };

/**
 * Records a run: concurrent async clients call `invoke` before a request and `ok`, `fail` or
 * `indeterminate` after it (or let `perform` do both); watchers record through `watch`.
 */
export class History implements RecordedHistory {
  private readonly ops: Mutable<Operation>[] = [];
  private readonly streams: { stream: WatchStream; entries: WatchEntry[] }[] = [];

  /** `clock` must be monotonic; tests pass a counter so call order is time order. */
  constructor(private readonly clock: () => number = () => performance.now()) {}

  /** The clock, e.g. for FinalRead.startedAt. */
  now(): number {
    return this.clock();
  }

  get operations(): readonly Operation[] {
    return this.ops;
  }

  get watches(): readonly WatchStream[] {
    return this.streams.map((s) => s.stream);
  }

  /** Before sending the request. */
  invoke(request: OperationRequest, client?: string): OperationId {
    const id = this.ops.length + 1;
    this.ops.push({
      id,
      kind: request.kind,
      key: request.key,
      value: request.kind === 'create' || request.kind === 'update' ? request.value : undefined,
      client,
      invokedAt: this.clock(),
      completedAt: undefined,
      outcome: 'pending',
      resourceVersion: undefined,
      counterValue: undefined,
      reason: undefined,
    });
    return id;
  }

  /** The server acknowledged it. */
  ok(id: OperationId, ack: Ack = {}): void {
    const op = this.pending(id);
    const what = `op #${id} (${op.kind} ${op.key})`;
    if (ack.resourceVersion !== undefined) assertResourceVersion(ack.resourceVersion, what);
    else if (op.kind !== 'delete') throw new TypeError(`${what}: an acknowledged ${op.kind} needs the resourceVersion answered`);
    if (op.kind === 'counterIncrement' && !Number.isSafeInteger(ack.counterValue)) {
      throw new TypeError(`${what}: an acknowledged increment needs the counter's new value`);
    }
    this.complete(op, 'ok');
    op.resourceVersion = ack.resourceVersion;
    op.counterValue = op.kind === 'counterIncrement' ? ack.counterValue : undefined;
  }

  /** It definitely did not happen (a 4xx such as 404, 409, 422). */
  fail(id: OperationId, reason?: string): void {
    this.complete(this.pending(id), 'fail', reason);
  }

  /** Its answer was lost (timeout, reset, 5xx): it may or may not have happened. */
  indeterminate(id: OperationId, reason?: string): void {
    this.complete(this.pending(id), 'indeterminate', reason);
  }

  /** invoke, run, and record the outcome; an error is `classify`'d. Never throws for the request's sake. */
  async perform(
    request: OperationRequest,
    run: () => Promise<Ack>,
    classify: (err: unknown) => 'fail' | 'indeterminate',
    client?: string,
  ): Promise<Outcome> {
    const id = this.invoke(request, client);
    let ack: Ack;
    try {
      ack = await run();
    } catch (err) {
      const outcome = classify(err);
      if (outcome === 'fail') this.fail(id, errorText(err));
      else this.indeterminate(id, errorText(err));
      return outcome;
    }
    this.ok(id, ack);
    return 'ok';
  }

  /** A new watcher's stream (its id unique in the History). */
  watch(id: string, replica: string, start: WatchStart, options: { namespace?: string } = {}): WatchRecorder {
    if (this.streams.some((s) => s.stream.id === id)) throw new Error(`watcher ${id} is already recorded`);
    const entries: WatchEntry[] = [];
    const copied: WatchStart = 'list' in start ? { list: copyList(start.list, `watcher ${id}`) } : { fromResourceVersion: start.fromResourceVersion };
    if ('fromResourceVersion' in copied) assertResourceVersion(copied.fromResourceVersion, `watcher ${id}`);
    const stream: WatchStream = { id, replica, namespace: options.namespace, start: copied, startedAt: this.clock(), entries };
    this.streams.push({ stream, entries });
    return new WatchRecorder(id, entries, this.clock);
  }

  private pending(id: OperationId): Mutable<Operation> {
    const op = this.ops[id - 1];
    if (!op) throw new Error(`no operation #${id}`);
    if (op.outcome !== 'pending') throw new Error(`op #${id} (${op.kind} ${op.key}) was already completed as ${op.outcome}`);
    return op;
  }

  private complete(op: Mutable<Operation>, outcome: Outcome, reason?: string): void {
    op.completedAt = this.clock();
    op.outcome = outcome;
    op.reason = reason;
  }
}

function copyList(list: ListSnapshot, what: string): ListSnapshot {
  assertResourceVersion(list.resourceVersion, `${what}: list`);
  for (const item of list.items) assertResourceVersion(item.resourceVersion, `${what}: ${item.key}`);
  return { resourceVersion: list.resourceVersion, items: list.items.map((item) => ({ ...item })) };
}

/** One watcher's recorder: what it received, in the order received. */
export class WatchRecorder {
  constructor(
    readonly id: string,
    private readonly entries: WatchEntry[],
    private readonly clock: () => number,
  ) {}

  event(event: ReceivedEvent): void {
    assertResourceVersion(event.resourceVersion, `watcher ${this.id}: ${event.type}`);
    this.entries.push({ entry: 'event', event: { ...event }, at: this.clock() });
  }

  added(key: Key, resourceVersion: ResourceVersion, value: string): void {
    this.event({ type: 'ADDED', key, resourceVersion, value });
  }

  modified(key: Key, resourceVersion: ResourceVersion, value: string): void {
    this.event({ type: 'MODIFIED', key, resourceVersion, value });
  }

  /** `value`: the object's last value, as the DELETED event carries it. */
  deleted(key: Key, resourceVersion: ResourceVersion, value: string): void {
    this.event({ type: 'DELETED', key, resourceVersion, value });
  }

  bookmark(resourceVersion: ResourceVersion): void {
    this.event({ type: 'BOOKMARK', resourceVersion });
  }

  /** The watch broke and was resumed from `fromResourceVersion` (normally the last one seen). */
  restarted(fromResourceVersion: ResourceVersion): void {
    assertResourceVersion(fromResourceVersion, `watcher ${this.id}: restart`);
    this.entries.push({ entry: 'restarted', fromResourceVersion, at: this.clock() });
  }

  /** 410 Gone: the watcher listed again and watches on from the list's resourceVersion. */
  relisted(list: ListSnapshot): void {
    this.entries.push({ entry: 'relisted', list: copyList(list, `watcher ${this.id}: relist`), at: this.clock() });
  }
}

// ---------------------------------------------------------------------------------------------
// The report

export type FindingCategory =
  | 'lostWrites'
  | 'resurrectedDeletes'
  | 'nonMonotonicVersions'
  | 'watchGaps'
  | 'watchOutOfOrder'
  | 'phantomEvents'
  | 'lostUpdates'
  | 'relistMismatches';

export type FindingCounts = Record<FindingCategory, number>;

export interface Finding {
  readonly category: FindingCategory;
  /** The key it is about, when there is one. */
  readonly key: Key | undefined;
  readonly message: string;
}

export interface CheckFigures {
  /** Pending ones count as indeterminate. */
  readonly operations: { readonly total: number; readonly ok: number; readonly failed: number; readonly indeterminate: number };
  readonly keys: number;
  readonly watchers: number;
  /** Events received, bookmarks included. */
  readonly events: number;
  readonly bookmarks: number;
  readonly watchRestarts: number;
  readonly relists: number;
  readonly finalReads: number;
}

export interface CheckOptions {
  /** Findings kept with their message (all are counted); default 50. */
  maxFindings?: number;
}

/** Category order of the summary, with its singular and plural. */
const CATEGORIES: readonly (readonly [FindingCategory, string, string])[] = [
  ['lostWrites', 'lost write', 'lost writes'],
  ['resurrectedDeletes', 'resurrected delete', 'resurrected deletes'],
  ['lostUpdates', 'lost counter update', 'lost counter updates'],
  ['nonMonotonicVersions', 'resourceVersion going back', 'resourceVersions going back'],
  ['watchGaps', 'watch gap', 'watch gaps'],
  ['watchOutOfOrder', 'watch event out of order', 'watch events out of order'],
  ['phantomEvents', 'phantom', 'phantoms'],
  ['relistMismatches', 'relist mismatch', 'relist mismatches'],
];

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

export class CheckReport {
  constructor(
    readonly counts: Readonly<FindingCounts>,
    /** The first findings, in check order (see `findingsOmitted`). */
    readonly findings: readonly Finding[],
    readonly findingsOmitted: number,
    readonly figures: CheckFigures,
  ) {}

  /** All findings, counted. */
  get problems(): number {
    return CATEGORIES.reduce((sum, [category]) => sum + this.counts[category], 0);
  }

  get passed(): boolean {
    return this.problems === 0;
  }

  /** One line: the verdict, the counts that are not zero, the figures, and the first finding. */
  summary(): string {
    const f = this.figures;
    const o = f.operations;
    const figures =
      `${plural(o.total, 'operation', 'operations')} (${o.ok} ok, ${o.failed} failed, ${o.indeterminate} indeterminate) on ${plural(f.keys, 'key', 'keys')}; ` +
      `${plural(f.watchers, 'watcher', 'watchers')} saw ${plural(f.events, 'event', 'events')} ` +
      `(${plural(f.watchRestarts, 'restart', 'restarts')}, ${plural(f.relists, 'relist', 'relists')}); ${plural(f.finalReads, 'final read', 'final reads')}`;
    if (this.passed) return `history check passed: ${figures}`;
    const counts = CATEGORIES.filter(([c]) => this.counts[c] > 0)
      .map(([c, one, many]) => plural(this.counts[c], one, many))
      .join(', ');
    const first = this.findings[0];
    return `history check FAILED with ${counts}: ${figures}${first ? `; first: ${first.message}` : ''}`;
  }

  /** The summary and every kept finding, one a line (for a test's failure message or a note). */
  toString(): string {
    const lines = [this.summary(), ...this.findings.map((f) => `  [${f.category}] ${f.message}`)];
    if (this.findingsOmitted > 0) lines.push(`  ... and ${this.findingsOmitted} more`);
    return lines.join('\n');
  }
}

/** Every category at zero: what a passing report counts. */
export const NO_FINDINGS: Readonly<FindingCounts> = {
  lostWrites: 0,
  resurrectedDeletes: 0,
  nonMonotonicVersions: 0,
  watchGaps: 0,
  watchOutOfOrder: 0,
  phantomEvents: 0,
  lostUpdates: 0,
  relistMismatches: 0,
};

class Findings {
  readonly counts: FindingCounts = { ...NO_FINDINGS };
  readonly kept: Finding[] = [];
  omitted = 0;

  constructor(private readonly max: number) {}

  add(category: FindingCategory, key: Key | undefined, message: string, count = 1): void {
    this.counts[category] += count;
    if (this.kept.length < this.max) this.kept.push({ category, key, message: message.replace(/\s*\n\s*/g, ' ') });
    else this.omitted++;
  }
}

// ---------------------------------------------------------------------------------------------
// The checks

/** An operation as the checks see it. */
interface Op {
  readonly id: OperationId;
  readonly kind: OperationKind;
  readonly key: Key;
  readonly value: string | undefined;
  readonly client: string | undefined;
  readonly invokedAt: number;
  /** When it completed; +infinity when indeterminate (it may still apply). */
  readonly end: number;
  /** ok, fail, or maybe (indeterminate or never answered). */
  readonly status: 'ok' | 'fail' | 'maybe';
  readonly rv: bigint | undefined;
  readonly counterValue: number | undefined;
}

const q = (value: string | undefined): string => (value === undefined ? 'an unknown value' : JSON.stringify(value));

function parseRv(rv: ResourceVersion, what: string): bigint {
  assertResourceVersion(rv, what);
  return BigInt(rv);
}

function describeOp(op: Op): string {
  const what =
    op.kind === 'delete' ? `delete of ${op.key}` : op.kind === 'counterIncrement' ? `increment of ${op.key}` : `${op.kind} ${op.key}=${q(op.value)}`;
  const how =
    op.status === 'ok'
      ? `ok${op.rv !== undefined ? ` at rv ${op.rv}` : ''}${op.counterValue !== undefined ? ` with value ${op.counterValue}` : ''}`
      : op.status === 'fail'
        ? 'failed'
        : 'indeterminate';
  return `${what} (op #${op.id}${op.client ? ` by ${op.client}` : ''}, ${how})`;
}

/** The value an operation leaves: create and update their value, an increment its counter value (unknown when indeterminate). */
function valueWritten(op: Op): string | undefined {
  if (op.kind === 'counterIncrement') return op.counterValue === undefined ? undefined : String(op.counterValue);
  return op.value;
}

function eventTypeOf(kind: OperationKind): ObjectEventType {
  return kind === 'create' ? 'ADDED' : kind === 'delete' ? 'DELETED' : 'MODIFIED';
}

const namespaceOf = (key: Key): string => key.slice(0, Math.max(0, key.indexOf('/')));
const eventId = (key: Key, rv: bigint): string => `${key}@${rv}`;

/** Where a stretch of a watch stands, for the messages. */
const positionOf = (s: Segment): string => (s.hi === s.lo ? `rv ${s.lo} (${s.since})` : `rv ${s.hi} (${s.hiWhy}, since ${s.since})`);
const maxOf = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/**
 * Calls `visit(b, best)` for each op b, with `best` the op of highest `score` among those that
 * completed before b was invoked (undefined if none): the ops b must be ordered after.
 */
function withLatestPredecessor(ops: readonly Op[], score: (op: Op) => bigint, visit: (op: Op, best: Op | undefined) => void): void {
  const byEnd = [...ops].sort((a, b) => a.end - b.end);
  const byStart = [...ops].sort((a, b) => a.invokedAt - b.invokedAt);
  let next = 0;
  let best: Op | undefined;
  for (const op of byStart) {
    for (; next < byEnd.length && byEnd[next]!.end < op.invokedAt; next++) {
      const done = byEnd[next]!;
      if (!best || score(done) > score(best)) best = done;
    }
    visit(op, best);
  }
}

/** The operations, by key and by acknowledged resourceVersion. */
class HistoryIndex {
  readonly ops: readonly Op[];
  readonly byKey = new Map<Key, Op[]>();
  /** ok ops with a resourceVersion, by `key@rv` (several when updates changed nothing). */
  readonly ackedAt = new Map<string, Op[]>();
  /** The keys acknowledged at each resourceVersion. */
  readonly keysAtRv = new Map<bigint, Set<Key>>();
  /** ok ops with a resourceVersion, in resourceVersion order. */
  readonly acked: readonly Op[];
  readonly counterKeys = new Set<Key>();

  constructor(history: RecordedHistory) {
    this.ops = history.operations.map((o) => {
      const status = o.outcome === 'ok' ? 'ok' : o.outcome === 'fail' ? 'fail' : 'maybe';
      return {
        id: o.id,
        kind: o.kind,
        key: o.key,
        value: o.value,
        client: o.client,
        invokedAt: o.invokedAt,
        end: status === 'maybe' ? Number.POSITIVE_INFINITY : (o.completedAt ?? Number.POSITIVE_INFINITY),
        status,
        rv: status === 'ok' && o.resourceVersion !== undefined ? parseRv(o.resourceVersion, `op #${o.id}`) : undefined,
        counterValue: status === 'ok' ? o.counterValue : undefined,
      };
    });
    for (const op of this.ops) {
      let ops = this.byKey.get(op.key);
      if (!ops) this.byKey.set(op.key, (ops = []));
      ops.push(op);
      if (op.kind === 'counterIncrement') this.counterKeys.add(op.key);
      if (op.rv === undefined) continue;
      const id = eventId(op.key, op.rv);
      const at = this.ackedAt.get(id);
      if (at) at.push(op);
      else this.ackedAt.set(id, [op]);
      let keys = this.keysAtRv.get(op.rv);
      if (!keys) this.keysAtRv.set(op.rv, (keys = new Set()));
      keys.add(op.key);
    }
    this.acked = this.ops.filter((op) => op.rv !== undefined).sort((a, b) => (a.rv! < b.rv! ? -1 : a.rv! > b.rv! ? 1 : a.id - b.id));
  }

  /**
   * What the history says `key` was at revision `rv`, when every operation on it is determinate (ok
   * with a resourceVersion, or failed): the ok op of highest resourceVersion not above `rv` (absent
   * if none or a delete). Undefined when an indeterminate op leaves it open.
   */
  stateAt(key: Key, rv: bigint): { op: Op | undefined; present: boolean } | undefined {
    let last: Op | undefined;
    for (const op of this.byKey.get(key) ?? []) {
      if (op.status === 'fail') continue;
      if (op.status !== 'ok' || op.rv === undefined) return undefined;
      if (op.rv <= rv && (!last || op.rv > last.rv!)) last = op;
    }
    return { op: last, present: last !== undefined && last.kind !== 'delete' };
  }
}

/**
 * Checks a recorded history against what was read at the end (one final read, or one per replica).
 * The rules of each check are at the function that makes it.
 */
export function check(history: RecordedHistory, finalRead: FinalRead | readonly FinalRead[], options: CheckOptions = {}): CheckReport {
  const reads: readonly FinalRead[] = 'items' in finalRead ? [finalRead] : finalRead;
  const index = new HistoryIndex(history);
  const findings = new Findings(options.maxFindings ?? 50);
  const watchFigures = { events: 0, bookmarks: 0, watchRestarts: 0, relists: 0 };

  checkAckOrder(index, findings);
  checkCounterAcks(index, findings);
  for (const read of reads) checkFinalRead(index, read, findings);
  for (const stream of history.watches) checkWatch(index, stream, findings, watchFigures);

  const ok = index.ops.filter((op) => op.status === 'ok').length;
  const failed = index.ops.filter((op) => op.status === 'fail').length;
  const figures: CheckFigures = {
    operations: { total: index.ops.length, ok, failed, indeterminate: index.ops.length - ok - failed },
    keys: index.byKey.size,
    watchers: history.watches.length,
    ...watchFigures,
    finalReads: reads.length,
  };
  return new CheckReport({ ...findings.counts }, findings.kept, findings.omitted, figures);
}

/**
 * resourceVersions of one key only grow in real time: if ok A completed before ok B was invoked,
 * rv(A) < rv(B). Equal is accepted only for an update that wrote the value A left (it changed nothing,
 * so the storage kept the revision). One finding per B.
 */
function checkAckOrder(index: HistoryIndex, findings: Findings): void {
  for (const [key, ops] of index.byKey) {
    const acked = ops.filter((op) => op.rv !== undefined);
    withLatestPredecessor(
      acked,
      (op) => op.rv!,
      (op, before) => {
        if (!before || before.rv! < op.rv!) return;
        if (before.rv === op.rv && op.kind === 'update' && before.kind !== 'delete' && op.value === valueWritten(before)) return;
        findings.add(
          'nonMonotonicVersions',
          key,
          `resourceVersion of ${key} went back: ${describeOp(op)} was invoked after ${describeOp(before)} had completed`,
        );
      },
    );
  }
}

/**
 * Counters, from the acks alone: two ok increments answering the same new value is a lost update
 * (both read the same value and both landed: optimistic concurrency failed); so is a value lower than
 * one an increment that completed before it was invoked answered.
 */
function checkCounterAcks(index: HistoryIndex, findings: Findings): void {
  for (const key of index.counterKeys) {
    const acked = (index.byKey.get(key) ?? []).filter((op) => op.kind === 'counterIncrement' && op.status === 'ok' && op.counterValue !== undefined);
    const byValue = new Map<number, Op[]>();
    for (const op of acked) {
      const same = byValue.get(op.counterValue!);
      if (same) same.push(op);
      else byValue.set(op.counterValue!, [op]);
    }
    for (const [value, same] of byValue) {
      if (same.length < 2) continue;
      findings.add(
        'lostUpdates',
        key,
        `lost update on counter ${key}: ${same.length} increments were acknowledged with the same value ${value}: ${same.map(describeOp).join(', ')}`,
        same.length - 1,
      );
    }
    withLatestPredecessor(
      acked,
      (op) => BigInt(op.counterValue!),
      (op, before) => {
        if (before && op.counterValue! < before.counterValue!) {
          findings.add('lostUpdates', key, `counter ${key} went back: ${describeOp(op)} was invoked after ${describeOp(before)} had completed`);
        }
      },
    );
  }
}

/**
 * The final read against the history, per key. Only ops invoked before the read was sent count; of
 * them, those that completed ok before it are "definite" (the read must reflect them); the others
 * (indeterminate, or ok but answered while the read ran) may be reflected or not.
 *
 *  - Resurrected delete: after a definite delete D, a create C can bring the key back only if C may be
 *    ordered after D, i.e. C did not complete before D was invoked (an indeterminate C always may).
 *    With no such create the key must be absent; with one, it must hold a value some op that may
 *    follow D wrote. (Only the latest-invoked definite delete matters: what may follow it may follow
 *    any earlier one.)
 *  - Lost write (keys without increments): the final state must be what some op L left as the last
 *    one applied (its value, or absent for a delete; absent too when no op is definite). L may be
 *    last unless a definite op X had to follow it — X invoked after L completed. So L is a candidate
 *    when it completed no earlier than the last invoke of a definite op (indeterminate ones complete
 *    at infinity: always candidates). This accepts either order of overlapping writes and both
 *    fates of an indeterminate one.
 *  - Counters: from the value its create left (0 without one), the final value is at least that plus
 *    the definite increments (and at least the highest value a definite increment answered), and at
 *    most that plus every increment that may have happened. Either side off is a lostUpdates finding.
 *    A counter missing from the read is a lost write unless some delete touched it.
 *  - Lost write, by resourceVersion (every key, once the rules above passed, not to count one fault
 *    twice): the revisions order overlapping writes as the storage did, so an object in the read is
 *    not older than the newest definite ack on its key, and at the rv of an ack it has that ack's
 *    value; and a key is absent only if that newest ack is a delete or a delete may follow it (ok with
 *    a higher rv, or with its rv unknown and not completed before the newest ack was invoked).
 *  - An object on a key nobody wrote is a phantom.
 */
function checkFinalRead(index: HistoryIndex, read: FinalRead, findings: Findings): void {
  const startedAt = read.startedAt ?? Number.POSITIVE_INFINITY;
  const where = read.replica ? `the final read of ${read.replica}` : 'the final read';
  const items = new Map<Key, { value: string; rv: bigint }>();
  for (const item of read.items) items.set(item.key, { value: item.value, rv: parseRv(item.resourceVersion, `${where}: ${item.key}`) });
  const describeItem = (item: { value: string; rv: bigint } | undefined): string =>
    item ? `${q(item.value)} (rv ${item.rv})` : 'absent';

  const keys = [...new Set([...index.byKey.keys(), ...items.keys()])].sort();
  for (const key of keys) {
    const item = items.get(key);
    const all = index.byKey.get(key) ?? [];
    if (all.length === 0) {
      if (item) findings.add('phantomEvents', key, `${where} has ${key}=${describeItem(item)}, a key no client wrote`);
      continue;
    }
    const ops = all.filter((op) => op.status !== 'fail' && op.invokedAt < startedAt);
    const definite = ops.filter((op) => op.status === 'ok' && op.end < startedAt);

    const lastDelete = definite.filter((op) => op.kind === 'delete').reduce<Op | undefined>((a, b) => (!a || b.invokedAt > a.invokedAt ? b : a), undefined);
    if (lastDelete && item) {
      const after = ops.filter((op) => op !== lastDelete && op.end > lastDelete.invokedAt);
      const recreated = after.some((op) => op.kind === 'create');
      // Recreated: the object must hold a value written after the delete (increments: any).
      const explained = recreated && (index.counterKeys.has(key) || after.some((op) => op.kind !== 'delete' && valueWritten(op) === item.value));
      if (!explained) {
        const why = recreated ? `no write that could follow the delete left ${q(item.value)}` : 'no create could follow the delete';
        findings.add('resurrectedDeletes', key, `resurrected delete: ${key} is ${describeItem(item)} in ${where}, but ${describeOp(lastDelete)} completed before it and ${why}`);
        continue;
      }
    }

    const flagged = index.counterKeys.has(key)
      ? checkCounterFinal(key, item, all, ops, definite, where, findings)
      : checkLastWrite(key, item, ops, definite, where, describeItem, findings);
    if (flagged) continue;

    // The revisions tell the order the storage chose among overlapping writes.
    const newest = definite.filter((op) => op.rv !== undefined).reduce<Op | undefined>((a, b) => (!a || b.rv! > a.rv! ? b : a), undefined);
    if (!item) {
      // Absent after the newest acknowledged write: a delete must come after it, in rv order (an ok
      // one with a higher rv) or possibly (one whose rv is unknown that did not complete before it).
      const deletedAfter = (op: Op): boolean =>
        op.kind === 'delete' && (op.rv !== undefined ? op.rv > newest!.rv! : op.end > newest!.invokedAt);
      if (newest && newest.kind !== 'delete' && !ops.some(deletedAfter)) {
        findings.add('lostWrites', key, `lost write: ${key} is absent from ${where}, but ${describeOp(newest)} is the newest acknowledged write and no delete could follow it`);
      }
      continue;
    }
    if (newest && item.rv < newest.rv!) {
      findings.add('lostWrites', key, `lost write: ${key} is ${describeItem(item)} in ${where}, older than ${describeOp(newest)}, acknowledged before the read`);
      continue;
    }
    const ackedHere = index.ackedAt.get(eventId(key, item.rv));
    if (ackedHere && !ackedHere.some((op) => op.kind !== 'delete' && valueWritten(op) === item.value)) {
      findings.add('lostWrites', key, `lost write: ${key} is ${describeItem(item)} in ${where}, but the server acknowledged ${describeOp(ackedHere[0]!)} at that rv`);
    }
  }
}

/** The lost-write rule of checkFinalRead; true when it made a finding. */
function checkLastWrite(
  key: Key,
  item: { value: string; rv: bigint } | undefined,
  ops: readonly Op[],
  definite: readonly Op[],
  where: string,
  describeItem: (item: { value: string; rv: bigint } | undefined) => string,
  findings: Findings,
): boolean {
  const mustFollow = definite.reduce<Op | undefined>((a, b) => (!a || b.invokedAt > a.invokedAt ? b : a), undefined);
  const horizon = mustFollow?.invokedAt ?? Number.NEGATIVE_INFINITY;
  const candidates = ops.filter((op) => op.end >= horizon);
  const absentAllowed = !mustFollow || candidates.some((op) => op.kind === 'delete');
  const fits = item ? candidates.some((op) => op.kind !== 'delete' && valueWritten(op) === item.value) : absentAllowed;
  if (fits) return false;
  const shown = candidates
    .slice(0, 4)
    .map((op) => `${op.kind === 'delete' ? 'absent' : q(valueWritten(op))} ${op === mustFollow ? `(that ${op.kind === 'delete' ? 'delete' : 'write'})` : `from ${describeOp(op)}`}`);
  if (candidates.length > 4) shown.push(`${candidates.length - 4} more`);
  findings.add(
    'lostWrites',
    key,
    `lost write: ${key} is ${describeItem(item)} in ${where}, but after ${describeOp(mustFollow!)} it can only be ${shown.join(', or ')}`,
  );
  return true;
}

/** The counter rule of checkFinalRead; true when it made a finding. */
function checkCounterFinal(
  key: Key,
  item: { value: string; rv: bigint } | undefined,
  all: readonly Op[],
  ops: readonly Op[],
  definite: readonly Op[],
  where: string,
  findings: Findings,
): boolean {
  if (!item) {
    if (all.some((op) => op.kind === 'delete' && op.status !== 'fail')) return true;
    findings.add('lostWrites', key, `counter ${key} is missing from ${where}, and no client deleted it`);
    return true;
  }
  const create = all.find((op) => op.kind === 'create' && op.status !== 'fail');
  const base = create && /^-?\d+$/.test(create.value ?? '') ? Number(create.value) : 0;
  const increments = ops.filter((op) => op.kind === 'counterIncrement');
  const done = definite.filter((op) => op.kind === 'counterIncrement');
  const value = /^-?\d+$/.test(item.value) ? Number(item.value) : Number.NaN;
  if (Number.isNaN(value)) {
    findings.add('lostUpdates', key, `counter ${key} is ${q(item.value)} in ${where}, not an integer`);
    return true;
  }
  const highest = done.reduce((m, op) => Math.max(m, op.counterValue ?? m), Number.NEGATIVE_INFINITY);
  const least = Math.max(base + done.length, highest);
  const most = base + increments.length;
  if (value < least) {
    findings.add(
      'lostUpdates',
      key,
      `lost update on counter ${key}: it is ${value} (rv ${item.rv}) in ${where}, but ${done.length} acknowledged increments from ${base} make at least ${least}`,
    );
    return true;
  }
  if (value > most) {
    findings.add(
      'lostUpdates',
      key,
      `counter ${key} is ${value} (rv ${item.rv}) in ${where}, more than ${base} + ${done.length} acknowledged + ${increments.length - done.length} indeterminate increments`,
    );
    return true;
  }
  return false;
}

/** A stretch of a watch from one (re)start point, and the window it covered: after `lo`, up to `hi`. */
interface Segment {
  readonly lo: bigint;
  /** The highest resourceVersion seen in order (event or bookmark): the stream's floor. */
  hi: bigint;
  /** What set `hi`, for the messages. */
  hiWhy: string;
  /** What began the stretch, for the messages. */
  readonly since: string;
  readonly events: Set<string>;
}

/**
 * One watcher's stream.
 *
 *  - Order (watchOutOfOrder): a watch from rv F delivers changes after F, each after the last, so
 *    every object event's rv exceeds the highest seen since the last (re)start point, and a bookmark's
 *    is not below it. `restarted(F)` and `relisted(list at R)` set the point to F or R: a resumed watch
 *    must not repeat or go back from where it resumed (resuming from an older rv than seen is the
 *    client's choice, and the redelivery it brings is accepted). A relist older than what the watcher
 *    already saw is out of order too (a stale list).
 *  - Gaps (watchGaps): each stretch covers (point, highest rv seen]; every ok write with a
 *    resourceVersion to a key in the watcher's namespace inside that window must be one of the
 *    stretch's events (same key and rv). What lies between a stretch's end and a relist's rv is what
 *    410 allows to miss.
 *  - Phantoms (phantomEvents): an event at the rv of an ok op on its key must match it (type: ADDED
 *    for create, MODIFIED for update and increment, DELETED for delete; and value, except DELETED
 *    whose value is the last one) — unless those ops are updates that changed nothing, with the
 *    event's value: they only say the value was there, and its writer is looked for as for an event at
 *    an unacknowledged rv. An event at another rv must not take one acknowledged for another
 *    key, and must match an op on its key whose effect is unknown — indeterminate (or an ok delete
 *    answered without rv) — invoked before the event was received, of that type and value (any
 *    integer for an increment). An event outside the watched namespace is a phantom too.
 *  - Lists (the initial one and relists, relistMismatches): no item newer than the list, none outside
 *    the namespace; for each key whose ops are all determinate, the list has what the history says at
 *    its rv (HistoryIndex.stateAt), value and rv. Keys with an indeterminate op are not compared.
 *    An item older than an event the watcher already had for that key is nonMonotonicVersions.
 */
function checkWatch(
  index: HistoryIndex,
  stream: WatchStream,
  findings: Findings,
  figures: { events: number; bookmarks: number; watchRestarts: number; relists: number },
): void {
  const name = `watcher ${stream.id} (${stream.replica})`;
  const inScope = (key: Key): boolean => stream.namespace === undefined || namespaceOf(key) === stream.namespace;
  const segments: Segment[] = [];
  const open = (lo: bigint, since: string): Segment => {
    const segment: Segment = { lo, hi: lo, hiWhy: since, since, events: new Set() };
    segments.push(segment);
    return segment;
  };
  /** The watcher's latest resourceVersion per key (events and lists). */
  let known = new Map<Key, bigint>();
  const seen = new Set<string>();

  const checkList = (list: ListSnapshot, what: string): bigint => {
    const listRv = parseRv(list.resourceVersion, `${name}: ${what}`);
    const next = new Map<Key, bigint>();
    const items = new Map<Key, { value: string; rv: bigint }>();
    for (const item of list.items) {
      const rv = parseRv(item.resourceVersion, `${name}: ${what}: ${item.key}`);
      next.set(item.key, rv);
      if (!inScope(item.key)) {
        findings.add('relistMismatches', item.key, `${name}: its ${what} has ${item.key}, outside namespace ${stream.namespace}`);
        continue;
      }
      if (rv > listRv) {
        findings.add('relistMismatches', item.key, `${name}: its ${what} has ${item.key} at rv ${rv}, newer than the list itself`);
        continue;
      }
      const before = known.get(item.key);
      if (before !== undefined && rv < before) {
        findings.add('nonMonotonicVersions', item.key, `${name}: its ${what} has ${item.key} at rv ${rv}, older than rv ${before} it had already seen`);
      }
      items.set(item.key, { value: item.value, rv });
    }
    known = next;
    const keys = [...new Set([...[...index.byKey.keys()].filter(inScope), ...items.keys()])].sort();
    for (const key of keys) {
      const expected = index.stateAt(key, listRv);
      if (!expected) continue;
      const item = items.get(key);
      const op = expected.op;
      if (!expected.present) {
        if (!item) continue;
        const why = !op ? (index.byKey.has(key) ? 'nothing was written to it by then' : 'no client wrote it') : `${describeOp(op)} removed it by then`;
        findings.add('relistMismatches', key, `${name}: its ${what} has ${key}=${q(item.value)} at rv ${item.rv}, but ${why}`);
      } else if (!item) {
        findings.add('relistMismatches', key, `${name}: its ${what} lacks ${key}, which ${describeOp(op!)} wrote by then`);
      } else if (item.value !== valueWritten(op!) || item.rv !== op!.rv) {
        findings.add('relistMismatches', key, `${name}: its ${what} has ${key}=${q(item.value)} at rv ${item.rv}, but at rv ${listRv} it was ${describeOp(op!)}`);
      }
    }
    return listRv;
  };

  const checkOrigin = (type: ObjectEventType, key: Key, rv: bigint, value: string, at: number): void => {
    const shown = `${name} got ${type} ${key}=${q(value)} at rv ${rv}`;
    if (!inScope(key)) return findings.add('phantomEvents', key, `${shown}, outside namespace ${stream.namespace}`);
    const ops = index.byKey.get(key);
    if (!ops) return findings.add('phantomEvents', key, `${shown}, a key no client wrote`);
    const acked = index.ackedAt.get(eventId(key, rv));
    if (acked) {
      // Several when updates that changed nothing kept the rv: the event is the one that wrote it.
      if (acked.some((op) => type === eventTypeOf(op.kind) && (type === 'DELETED' || value === valueWritten(op)))) return;
      // Updates that changed nothing, with this value, only show the value was there: its writer may be indeterminate.
      const noOps = acked.every((op) => op.kind === 'update' && op.value === value);
      if (!noOps) return findings.add('phantomEvents', key, `${shown}, but the server acknowledged ${describeOp(acked[0]!)} at that rv`);
    }
    const other = [...(index.keysAtRv.get(rv) ?? [])].find((k) => k !== key);
    if (other !== undefined) return findings.add('phantomEvents', key, `${shown}, but rv ${rv} is an acknowledged write to ${other}`);
    const couldCause = (op: Op): boolean => {
      if (op.invokedAt >= at || eventTypeOf(op.kind) !== type) return false;
      if (op.status === 'maybe') return op.kind === 'counterIncrement' ? /^-?\d+$/.test(value) : op.kind === 'delete' || op.value === value;
      // ok but its resourceVersion unknown (a delete answered by a Status).
      return op.status === 'ok' && op.rv === undefined && (op.kind === 'delete' || op.value === value);
    };
    if (!ops.some(couldCause)) findings.add('phantomEvents', key, `${shown}, which no acknowledged or indeterminate operation could have written`);
  };

  let segment =
    'list' in stream.start
      ? open(checkList(stream.start.list, 'initial list'), `its initial list at rv ${stream.start.list.resourceVersion}`)
      : open(parseRv(stream.start.fromResourceVersion, name), `its start from rv ${stream.start.fromResourceVersion}`);

  for (const entry of stream.entries) {
    if (entry.entry === 'restarted') {
      figures.watchRestarts++;
      segment = open(parseRv(entry.fromResourceVersion, name), `its restart from rv ${entry.fromResourceVersion}`);
      continue;
    }
    if (entry.entry === 'relisted') {
      figures.relists++;
      const what = `relist at rv ${entry.list.resourceVersion}`;
      const listRv = checkList(entry.list, what);
      if (listRv < segment.hi) {
        findings.add('watchOutOfOrder', undefined, `${name}: its ${what} is older than ${positionOf(segment)}, which it had already seen`);
      }
      segment = open(listRv, `its ${what}`);
      continue;
    }
    const event = entry.event;
    figures.events++;
    const rv = parseRv(event.resourceVersion, name);
    if (event.type === 'BOOKMARK') {
      figures.bookmarks++;
      if (rv < segment.hi) {
        findings.add('watchOutOfOrder', undefined, `${name} got BOOKMARK at rv ${rv}, which goes back: it came after ${positionOf(segment)}`);
      } else {
        segment.hi = rv;
        segment.hiWhy = `a BOOKMARK`;
      }
      continue;
    }
    const id = eventId(event.key, rv);
    if (rv <= segment.hi) {
      const how = seen.has(id) ? 'repeats an event it already had' : 'goes back';
      findings.add(
        'watchOutOfOrder',
        event.key,
        `${name} got ${event.type} ${event.key}=${q(event.value)} at rv ${rv}, which ${how}: it came after ${positionOf(segment)}`,
      );
    } else {
      segment.hi = rv;
      segment.hiWhy = `${event.type} ${event.key}`;
    }
    segment.events.add(id);
    seen.add(id);
    known.set(event.key, maxOf(known.get(event.key) ?? rv, rv));
    checkOrigin(event.type, event.key, rv, event.value, entry.at);
  }

  const acked = index.acked.filter((op) => inScope(op.key));
  for (const s of segments) {
    if (s.hi <= s.lo) continue;
    const missed = new Set<string>();
    for (const op of acked) {
      if (op.rv! <= s.lo || op.rv! > s.hi) continue;
      const id = eventId(op.key, op.rv!);
      if (s.events.has(id) || missed.has(id)) continue;
      missed.add(id);
      findings.add('watchGaps', op.key, `${name} missed ${describeOp(op)}: it saw the changes after rv ${s.lo} up to rv ${s.hi}, since ${s.since}, without it`);
    }
  }
}
