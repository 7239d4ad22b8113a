import { check, History, NO_FINDINGS, type CheckReport, type FinalRead, type OperationId, type OperationRequest } from './checker.js';

/** A History on a counting clock: every record is one tick after the previous, so call order is real-time order. */
function history(): History {
  let tick = 0;
  return new History(() => ++tick);
}

const create = (key: string, value: string): OperationRequest => ({ kind: 'create', key, value });
const update = (key: string, value: string): OperationRequest => ({ kind: 'update', key, value });
const remove = (key: string): OperationRequest => ({ kind: 'delete', key });
const increment = (key: string): OperationRequest => ({ kind: 'counterIncrement', key });

/** An operation invoked and acknowledged at once. */
function acked(h: History, request: OperationRequest, resourceVersion: string, counterValue?: number): OperationId {
  const id = h.invoke(request);
  h.ok(id, { resourceVersion, counterValue });
  return id;
}

/** An operation whose answer was lost. */
function lost(h: History, request: OperationRequest): OperationId {
  const id = h.invoke(request);
  h.indeterminate(id, 'timeout');
  return id;
}

/** A final read of [key, value, resourceVersion] items. */
function finalRead(...items: [string, string, string][]): FinalRead {
  return { items: items.map(([key, value, resourceVersion]) => ({ key, value, resourceVersion })) };
}

const ZERO = NO_FINDINGS;

/** Expects exactly these counts (the others zero), with the report as the failure message. */
function expectCounts(report: CheckReport, counts: Partial<typeof ZERO>): void {
  expect({ counts: report.counts, report: report.toString() }).toEqual({ counts: { ...ZERO, ...counts }, report: expect.any(String) });
  if (!Object.values(counts).some((n) => n > 0)) expect(report.toString()).toMatch(/^history check passed/);
}

describe('the fault suite history checker', () => {
  it('passes a clean history with every count at zero and a one-line summary', () => {
    const h = history();
    const w = h.watch('w1', 'replica-a', { fromResourceVersion: '1' }, { namespace: 'ns' });
    acked(h, create('ns/a', 'v1'), '2');
    w.added('ns/a', '2', 'v1');
    acked(h, update('ns/a', 'v2'), '3');
    w.modified('ns/a', '3', 'v2');
    acked(h, create('ns/b', 'x'), '4');
    w.added('ns/b', '4', 'x');
    acked(h, remove('ns/b'), '5');
    w.deleted('ns/b', '5', 'x');
    acked(h, create('ns/c', '0'), '6');
    w.added('ns/c', '6', '0');
    acked(h, increment('ns/c'), '7', 1);
    w.modified('ns/c', '7', '1');
    acked(h, increment('ns/c'), '8', 2);
    w.modified('ns/c', '8', '2');
    h.fail(h.invoke(update('ns/a', 'stale')), '409 Conflict');
    w.bookmark('8');

    const report = check(h, finalRead(['ns/a', 'v2', '3'], ['ns/c', '2', '8']));

    expect(report.counts).toEqual(ZERO);
    expect(report.passed).toBe(true);
    expect(report.findings).toEqual([]);
    expect(report.figures).toEqual({
      operations: { total: 8, ok: 7, failed: 1, indeterminate: 0 },
      keys: 3,
      watchers: 1,
      events: 8,
      bookmarks: 1,
      watchRestarts: 0,
      relists: 0,
      finalReads: 1,
    });
    expect(report.summary()).toBe(
      'history check passed: 8 operations (7 ok, 1 failed, 0 indeterminate) on 3 keys; 1 watcher saw 8 events (0 restarts, 0 relists); 1 final read',
    );
  });

  describe('lost writes', () => {
    it('reports an acknowledged update missing from the final read, naming the key, values and resourceVersions', () => {
      const h = history();
      acked(h, create('ns/a', 'v1'), '2');
      acked(h, update('ns/a', 'v2'), '3');

      const report = check(h, finalRead(['ns/a', 'v1', '2']));

      expectCounts(report, { lostWrites: 1 });
      expect(report.findings[0]!.key).toBe('ns/a');
      expect(report.findings[0]!.message).toBe(
        'lost write: ns/a is "v1" (rv 2) in the final read, but after update ns/a="v2" (op #2, ok at rv 3) it can only be "v2" (that write)',
      );
      expect(report.summary()).toMatch(/^history check FAILED with 1 lost write: 2 operations .*; first: lost write: ns\/a is "v1"/);
      expect(report.summary()).not.toContain('\n');
    });

    it('reports an acknowledged create missing from the final read', () => {
      const h = history();
      acked(h, create('ns/a', 'v1'), '2');

      expectCounts(check(h, finalRead()), { lostWrites: 1 });
    });

    it('reports a final object older than an acknowledged write, even when real time would allow its value', () => {
      const h = history();
      // Overlapping in time, but the storage put v2 after v1: v1 cannot be the last.
      const first = h.invoke(update('ns/a', 'v1'));
      const second = h.invoke(update('ns/a', 'v2'));
      h.ok(first, { resourceVersion: '3' });
      h.ok(second, { resourceVersion: '4' });

      const report = check(h, finalRead(['ns/a', 'v1', '3']));

      expectCounts(report, { lostWrites: 1 });
      expect(report.findings[0]!.message).toContain('older than update ns/a="v2" (op #2, ok at rv 4)');
    });

    it('accepts either value of two overlapping writes: the one the storage ordered last', () => {
      for (const [rvOfV1, rvOfV2, last] of [
        ['3', '4', 'v2'],
        ['4', '3', 'v1'],
      ] as const) {
        const h = history();
        const first = h.invoke(update('ns/a', 'v1'));
        const second = h.invoke(update('ns/a', 'v2'));
        h.ok(first, { resourceVersion: rvOfV1 });
        h.ok(second, { resourceVersion: rvOfV2 });

        expectCounts(check(h, finalRead(['ns/a', last, '4'])), {});
      }
    });

    it('accepts the value of a write still running when the final read was sent, or the one before it', () => {
      const h = history();
      acked(h, create('ns/a', 'v1'), '2');
      const running = h.invoke(update('ns/a', 'v2'));
      const startedAt = h.now();
      h.ok(running, { resourceVersion: '3' });
      acked(h, update('ns/a', 'after the read'), '4');

      expectCounts(check(h, { ...finalRead(['ns/a', 'v1', '2']), startedAt }), {});
      expectCounts(check(h, { ...finalRead(['ns/a', 'v2', '3']), startedAt }), {});
      expectCounts(check(h, { ...finalRead(['ns/a', 'after the read', '4']), startedAt }), { lostWrites: 1 });
    });

    it('checks every replica’s final read and names the stale one', () => {
      const h = history();
      acked(h, create('ns/a', 'v1'), '2');
      acked(h, update('ns/a', 'v2'), '3');

      const report = check(h, [
        { replica: 'replica-a', items: [{ key: 'ns/a', value: 'v2', resourceVersion: '3' }] },
        { replica: 'replica-b', items: [{ key: 'ns/a', value: 'v1', resourceVersion: '2' }] },
      ]);

      expectCounts(report, { lostWrites: 1 });
      expect(report.findings[0]!.message).toContain('in the final read of replica-b');
      expect(report.figures.finalReads).toBe(2);
    });

    it('reports an object no client wrote as a phantom', () => {
      const h = history();
      acked(h, create('ns/a', 'v1'), '2');

      const report = check(h, finalRead(['ns/a', 'v1', '2'], ['ns/ghost', 'boo', '3']));

      expectCounts(report, { phantomEvents: 1 });
      expect(report.findings[0]!.message).toBe('the final read has ns/ghost="boo" (rv 3), a key no client wrote');
    });
  });

  describe('resurrected deletes', () => {
    it('reports a key back in the final read after an acknowledged delete', () => {
      const h = history();
      acked(h, create('ns/a', 'v1'), '2');
      acked(h, remove('ns/a'), '3');

      const report = check(h, finalRead(['ns/a', 'v1', '2']));

      expectCounts(report, { resurrectedDeletes: 1 });
      expect(report.findings[0]!.message).toBe(
        'resurrected delete: ns/a is "v1" (rv 2) in the final read, but delete of ns/a (op #2, ok at rv 3) completed before it and no create could follow the delete',
      );
    });

    it('accepts a key created again after its delete', () => {
      const h = history();
      acked(h, create('ns/a', 'v1'), '2');
      acked(h, remove('ns/a'), '3');
      acked(h, create('ns/a', 'v3'), '4');

      expectCounts(check(h, finalRead(['ns/a', 'v3', '4'])), {});
      expectCounts(check(h, finalRead()), { lostWrites: 1 });
    });

    it('accepts a key brought back by a create whose answer was lost, even one sent before the delete', () => {
      const h = history();
      acked(h, create('ns/a', 'v1'), '2');
      // Held by a stopped replica, it may land after the delete.
      lost(h, create('ns/a', 'late'));
      acked(h, remove('ns/a'), '3');

      expectCounts(check(h, finalRead(['ns/a', 'late', '4'])), {});
      expectCounts(check(h, finalRead()), {});
      expectCounts(check(h, finalRead(['ns/a', 'v1', '2'])), { resurrectedDeletes: 1 });
    });
  });

  describe('indeterminate operations', () => {
    it('accepts an update whose answer was lost as applied or not, but no other value', () => {
      const h = history();
      acked(h, create('ns/a', 'v1'), '2');
      lost(h, update('ns/a', 'v2'));

      expectCounts(check(h, finalRead(['ns/a', 'v1', '2'])), {});
      expectCounts(check(h, finalRead(['ns/a', 'v2', '3'])), {});
      expectCounts(check(h, finalRead(['ns/a', 'v3', '3'])), { lostWrites: 1 });
    });

    it('accepts a delete whose answer was lost as applied or not', () => {
      const h = history();
      acked(h, create('ns/a', 'v1'), '2');
      lost(h, remove('ns/a'));

      expectCounts(check(h, finalRead(['ns/a', 'v1', '2'])), {});
      expectCounts(check(h, finalRead()), {});
    });

    it('accepts a create never answered as applied or not', () => {
      const h = history();
      h.invoke(create('ns/a', 'v1'));

      const report = check(h, finalRead(['ns/a', 'v1', '2']));
      expectCounts(report, {});
      expect(report.figures.operations).toEqual({ total: 1, ok: 0, failed: 0, indeterminate: 1 });
      expectCounts(check(h, finalRead()), {});
    });

    it('ignores failed operations: they did not happen', () => {
      const h = history();
      acked(h, create('ns/a', 'v1'), '2');
      h.fail(h.invoke(update('ns/a', 'v2')), '409 Conflict');

      expectCounts(check(h, finalRead(['ns/a', 'v2', '3'])), { lostWrites: 1 });
    });

    it('accepts watch events of an operation whose answer was lost, but not before it was sent', () => {
      const h = history();
      const early = h.watch('early', 'replica-a', { fromResourceVersion: '1' });
      early.added('ns/a', '2', 'v1');
      const w = h.watch('w1', 'replica-a', { fromResourceVersion: '1' });
      lost(h, create('ns/a', 'v1'));
      w.added('ns/a', '2', 'v1');

      const report = check(h, finalRead(['ns/a', 'v1', '2']));

      expectCounts(report, { phantomEvents: 1 });
      expect(report.findings[0]!.message).toContain('watcher early (replica-a) got ADDED ns/a="v1" at rv 2');
    });
  });

  describe('resourceVersions only grow', () => {
    it('reports a write acknowledged with a lower resourceVersion than one completed before it was sent', () => {
      const h = history();
      acked(h, create('ns/a', 'v1'), '5');
      acked(h, update('ns/a', 'v2'), '4');

      const report = check(h, finalRead(['ns/a', 'v2', '6']));

      expectCounts(report, { nonMonotonicVersions: 1 });
      expect(report.findings[0]!.message).toBe(
        'resourceVersion of ns/a went back: update ns/a="v2" (op #2, ok at rv 4) was invoked after create ns/a="v1" (op #1, ok at rv 5) had completed',
      );
    });

    it('accepts overlapping writes answered in either resourceVersion order', () => {
      const h = history();
      const first = h.invoke(update('ns/a', 'v1'));
      const second = h.invoke(update('ns/a', 'v2'));
      h.ok(second, { resourceVersion: '3' });
      h.ok(first, { resourceVersion: '4' });

      expectCounts(check(h, finalRead(['ns/a', 'v1', '4'])), {});
    });

    it('accepts an update that changed nothing keeping the resourceVersion, with no event of its own', () => {
      const h = history();
      const w = h.watch('w1', 'replica-a', { fromResourceVersion: '1' });
      acked(h, create('ns/a', 'v1'), '2');
      acked(h, update('ns/a', 'v1'), '2');
      w.added('ns/a', '2', 'v1');
      w.bookmark('2');

      expectCounts(check(h, finalRead(['ns/a', 'v1', '2'])), {});
    });

    it('reports a relist that shows a key older than an event the watcher already had', () => {
      const h = history();
      const w = h.watch('w1', 'replica-a', { fromResourceVersion: '1' });
      lost(h, create('ns/a', 'v1'));
      lost(h, update('ns/a', 'v2'));
      w.added('ns/a', '2', 'v1');
      w.modified('ns/a', '3', 'v2');
      w.relisted({ resourceVersion: '4', items: [{ key: 'ns/a', value: 'v1', resourceVersion: '2' }] });

      const report = check(h, finalRead(['ns/a', 'v2', '3']));
      expectCounts(report, { nonMonotonicVersions: 1 });
      expect(report.findings[0]!.message).toBe('watcher w1 (replica-a): its relist at rv 4 has ns/a at rv 2, older than rv 3 it had already seen');
    });
  });

  describe('watch streams', () => {
    it('reports an acknowledged write a watcher skipped over as a gap', () => {
      const h = history();
      const w = h.watch('w1', 'replica-b', { fromResourceVersion: '1' });
      acked(h, create('ns/a', 'v1'), '2');
      acked(h, update('ns/a', 'v2'), '3');
      acked(h, update('ns/a', 'v3'), '4');
      w.added('ns/a', '2', 'v1');
      w.modified('ns/a', '4', 'v3');

      const report = check(h, finalRead(['ns/a', 'v3', '4']));

      expectCounts(report, { watchGaps: 1 });
      expect(report.findings[0]!.message).toBe(
        'watcher w1 (replica-b) missed update ns/a="v2" (op #2, ok at rv 3): it saw the changes after rv 1 up to rv 4, since its start from rv 1, without it',
      );
    });

    it('does not expect events past the last resourceVersion a watcher saw, nor outside its namespace', () => {
      const h = history();
      const w = h.watch('w1', 'replica-a', { fromResourceVersion: '1' }, { namespace: 'ns' });
      acked(h, create('ns/a', 'v1'), '2');
      acked(h, create('other/b', 'x'), '3');
      acked(h, update('ns/a', 'v2'), '4');
      w.added('ns/a', '2', 'v1');
      w.bookmark('3');

      expectCounts(check(h, finalRead(['ns/a', 'v2', '4'], ['other/b', 'x', '3'])), {});
    });

    it('reports an event repeated after a watch restart as out of order', () => {
      const h = history();
      const w = h.watch('w1', 'replica-a', { fromResourceVersion: '1' });
      acked(h, create('ns/a', 'v1'), '2');
      acked(h, update('ns/a', 'v2'), '3');
      w.added('ns/a', '2', 'v1');
      w.modified('ns/a', '3', 'v2');
      w.restarted('3');
      w.modified('ns/a', '3', 'v2');
      acked(h, update('ns/a', 'v3'), '4');
      w.modified('ns/a', '4', 'v3');

      const report = check(h, finalRead(['ns/a', 'v3', '4']));

      expectCounts(report, { watchOutOfOrder: 1 });
      expect(report.findings[0]!.message).toBe(
        'watcher w1 (replica-a) got MODIFIED ns/a="v2" at rv 3, which repeats an event it already had: it came after rv 3 (its restart from rv 3)',
      );
      expect(report.figures.watchRestarts).toBe(1);
    });

    it('accepts a restart that resumes where the watcher left off', () => {
      const h = history();
      const w = h.watch('w1', 'replica-a', { fromResourceVersion: '1' });
      acked(h, create('ns/a', 'v1'), '2');
      w.added('ns/a', '2', 'v1');
      w.restarted('2');
      acked(h, update('ns/a', 'v2'), '3');
      w.modified('ns/a', '3', 'v2');

      expectCounts(check(h, finalRead(['ns/a', 'v2', '3'])), {});
    });

    it('reports events whose resourceVersion goes back as out of order', () => {
      const h = history();
      const w = h.watch('w1', 'replica-a', { fromResourceVersion: '1' });
      acked(h, create('ns/a', 'v1'), '2');
      acked(h, create('ns/b', 'x'), '3');
      w.added('ns/b', '3', 'x');
      w.added('ns/a', '2', 'v1');

      const report = check(h, finalRead(['ns/a', 'v1', '2'], ['ns/b', 'x', '3']));

      expectCounts(report, { watchOutOfOrder: 1 });
      expect(report.findings[0]!.message).toContain('got ADDED ns/a="v1" at rv 2, which goes back: it came after rv 3 (ADDED ns/b, since its start from rv 1)');
    });

    it('reports events no client could have caused as phantoms', () => {
      const h = history();
      const w = h.watch('w1', 'replica-a', { fromResourceVersion: '1' });
      acked(h, create('ns/a', 'v1'), '2');
      acked(h, create('ns/b', 'x'), '3');
      w.added('ns/a', '2', 'not what was written');
      w.added('ns/b', '3', 'x');
      w.modified('ns/a', '4', 'never written');
      w.deleted('ns/a', '5', 'v1');
      w.added('ns/ghost', '6', 'boo');

      const report = check(h, finalRead(['ns/a', 'v1', '2'], ['ns/b', 'x', '3']));

      expectCounts(report, { phantomEvents: 4 });
      expect(report.findings.map((f) => f.message)).toEqual([
        'watcher w1 (replica-a) got ADDED ns/a="not what was written" at rv 2, but the server acknowledged create ns/a="v1" (op #1, ok at rv 2) at that rv',
        'watcher w1 (replica-a) got MODIFIED ns/a="never written" at rv 4, which no acknowledged or indeterminate operation could have written',
        'watcher w1 (replica-a) got DELETED ns/a="v1" at rv 5, which no acknowledged or indeterminate operation could have written',
        'watcher w1 (replica-a) got ADDED ns/ghost="boo" at rv 6, a key no client wrote',
      ]);
    });

    it('reports an event taking the resourceVersion acknowledged for another key as a phantom', () => {
      const h = history();
      const w = h.watch('w1', 'replica-a', { fromResourceVersion: '1' });
      acked(h, create('ns/a', 'v1'), '2');
      lost(h, create('ns/b', 'x'));
      w.added('ns/a', '2', 'v1');
      w.added('ns/b', '2', 'x');

      const report = check(h, finalRead(['ns/a', 'v1', '2']));

      expectCounts(report, { phantomEvents: 1, watchOutOfOrder: 1 });
      expect(report.findings.map((f) => f.message)).toContain(
        'watcher w1 (replica-a) got ADDED ns/b="x" at rv 2, but rv 2 is an acknowledged write to ns/a',
      );
    });

    it('excuses events missed before a relist after 410 Gone, but not those after it', () => {
      const h = history();
      const w = h.watch('w1', 'replica-c', { fromResourceVersion: '1' });
      acked(h, create('ns/a', 'v1'), '2');
      w.added('ns/a', '2', 'v1');
      // The watcher is paused past compaction: rv 3 to 5 happen without it.
      acked(h, update('ns/a', 'v2'), '3');
      acked(h, update('ns/a', 'v3'), '4');
      acked(h, create('ns/b', 'x'), '5');
      w.relisted({
        resourceVersion: '5',
        items: [
          { key: 'ns/a', value: 'v3', resourceVersion: '4' },
          { key: 'ns/b', value: 'x', resourceVersion: '5' },
        ],
      });
      acked(h, update('ns/a', 'v4'), '6');
      acked(h, update('ns/a', 'v5'), '7');
      w.modified('ns/a', '7', 'v5');

      const report = check(h, finalRead(['ns/a', 'v5', '7'], ['ns/b', 'x', '5']));

      expectCounts(report, { watchGaps: 1 });
      expect(report.findings[0]!.message).toBe(
        'watcher w1 (replica-c) missed update ns/a="v4" (op #5, ok at rv 6): it saw the changes after rv 5 up to rv 7, since its relist at rv 5, without it',
      );
      expect(report.figures.relists).toBe(1);
    });

    it('reports a relist that disagrees with the history at its resourceVersion', () => {
      const h = history();
      const w = h.watch('w1', 'replica-c', { fromResourceVersion: '1' });
      acked(h, create('ns/a', 'v1'), '2');
      w.added('ns/a', '2', 'v1');
      acked(h, update('ns/a', 'v2'), '3');
      acked(h, create('ns/b', 'x'), '4');
      acked(h, remove('ns/b'), '5');
      w.relisted({
        resourceVersion: '5',
        items: [
          { key: 'ns/a', value: 'v1', resourceVersion: '2' },
          { key: 'ns/b', value: 'x', resourceVersion: '4' },
        ],
      });

      const report = check(h, finalRead(['ns/a', 'v2', '3']));

      expectCounts(report, { relistMismatches: 2 });
      expect(report.findings.map((f) => f.message)).toEqual([
        'watcher w1 (replica-c): its relist at rv 5 has ns/a="v1" at rv 2, but at rv 5 it was update ns/a="v2" (op #2, ok at rv 3)',
        'watcher w1 (replica-c): its relist at rv 5 has ns/b="x" at rv 4, but delete of ns/b (op #4, ok at rv 5) removed it by then',
      ]);
    });

    it('checks a watch that starts from a list like one that relisted', () => {
      const h = history();
      acked(h, create('ns/a', 'v1'), '2');
      acked(h, update('ns/a', 'v2'), '3');
      const w = h.watch('w1', 'replica-a', { list: { resourceVersion: '3', items: [{ key: 'ns/a', value: 'v2', resourceVersion: '3' }] } });
      acked(h, update('ns/a', 'v3'), '4');
      acked(h, update('ns/a', 'v4'), '5');
      w.modified('ns/a', '5', 'v4');

      const report = check(h, finalRead(['ns/a', 'v4', '5']));

      expectCounts(report, { watchGaps: 1 });
      expect(report.figures.relists).toBe(0);
    });
  });

  describe('counters', () => {
    it('reports two increments acknowledged with the same value as a lost update', () => {
      const h = history();
      acked(h, create('ns/c', '0'), '2');
      const first = h.invoke(increment('ns/c'));
      const second = h.invoke(increment('ns/c'));
      h.ok(first, { resourceVersion: '3', counterValue: 1 });
      h.ok(second, { resourceVersion: '4', counterValue: 1 });

      const report = check(h, finalRead(['ns/c', '1', '4']));

      // One for the duplicate, one for the final value below two increments.
      expectCounts(report, { lostUpdates: 2 });
      expect(report.findings.map((f) => f.message)).toEqual([
        'lost update on counter ns/c: 2 increments were acknowledged with the same value 1: increment of ns/c (op #2, ok at rv 3 with value 1), increment of ns/c (op #3, ok at rv 4 with value 1)',
        'lost update on counter ns/c: it is 1 (rv 4) in the final read, but 2 acknowledged increments from 0 make at least 2',
      ]);
    });

    it('reports a final counter below its acknowledged increments as a lost update', () => {
      const h = history();
      acked(h, create('ns/c', '10'), '2');
      acked(h, increment('ns/c'), '3', 11);
      acked(h, increment('ns/c'), '4', 12);

      expectCounts(check(h, finalRead(['ns/c', '11', '4'])), { lostUpdates: 1 });
      expectCounts(check(h, finalRead(['ns/c', '12', '4'])), {});
    });

    it('reports a counter value that goes back in real time', () => {
      const h = history();
      acked(h, create('ns/c', '0'), '2');
      acked(h, increment('ns/c'), '3', 2);
      acked(h, increment('ns/c'), '4', 1);

      const report = check(h, finalRead(['ns/c', '2', '5']));
      expectCounts(report, { lostUpdates: 1 });
      expect(report.findings[0]!.message).toContain('counter ns/c went back');
    });

    it('accepts anywhere from the acknowledged increments to all of them when some answers were lost', () => {
      const h = history();
      acked(h, create('ns/c', '0'), '2');
      acked(h, increment('ns/c'), '3', 1);
      acked(h, increment('ns/c'), '4', 2);
      lost(h, increment('ns/c'));

      expectCounts(check(h, finalRead(['ns/c', '2', '4'])), {});
      expectCounts(check(h, finalRead(['ns/c', '3', '5'])), {});
      expectCounts(check(h, finalRead(['ns/c', '1', '3'])), { lostUpdates: 1 });
      expectCounts(check(h, finalRead(['ns/c', '4', '6'])), { lostUpdates: 1 });
      expectCounts(check(h, finalRead()), { lostWrites: 1 });
    });
  });

  describe('the report', () => {
    it('keeps a capped list of findings but counts all of them', () => {
      const h = history();
      for (let i = 0; i < 5; i++) acked(h, create(`ns/o${i}`, 'v'), String(i + 2));

      const report = check(h, finalRead(), { maxFindings: 2 });

      expect(report.counts.lostWrites).toBe(5);
      expect(report.findings).toHaveLength(2);
      expect(report.findingsOmitted).toBe(3);
      expect(report.summary()).toMatch(/^history check FAILED with 5 lost writes: 5 operations/);
      expect(report.toString().split('\n')).toHaveLength(4);
      expect(report.toString()).toContain('... and 3 more');
    });
  });

  describe('recording', () => {
    it('records through perform on the real clock, classifying errors as failed or indeterminate', async () => {
      const h = new History();
      const outcomes = await Promise.all([
        h.perform(create('ns/a', 'v1'), async () => ({ resourceVersion: '2' }), () => 'fail'),
        h.perform(update('ns/a', 'v2'), () => Promise.reject(new Error('409 Conflict')), () => 'fail'),
        h.perform(update('ns/a', 'v3'), () => Promise.reject(new Error('socket hang up')), () => 'indeterminate'),
      ]);

      expect(outcomes).toEqual(['ok', 'fail', 'indeterminate']);
      expect(h.operations.map((op) => [op.outcome, op.reason])).toEqual([
        ['ok', undefined],
        ['fail', '409 Conflict'],
        ['indeterminate', 'socket hang up'],
      ]);
      expect(h.operations[0]!.completedAt).toBeGreaterThanOrEqual(h.operations[0]!.invokedAt);
      expect(check(h, finalRead(['ns/a', 'v3', '3'])).passed).toBe(true);
    });

    it('refuses to complete an operation twice, an ack without its resourceVersion, or a resourceVersion that is not a number', () => {
      const h = history();
      const id = acked(h, create('ns/a', 'v1'), '2');
      expect(() => h.ok(id, { resourceVersion: '3' })).toThrow('op #1 (create ns/a) was already completed as ok');
      expect(() => h.ok(h.invoke(update('ns/a', 'v2')))).toThrow('an acknowledged update needs the resourceVersion answered');
      expect(() => h.ok(h.invoke(increment('ns/a')), { resourceVersion: '4' })).toThrow("an acknowledged increment needs the counter's new value");
      expect(() => h.ok(h.invoke(update('ns/a', 'v2')), { resourceVersion: 'abc' })).toThrow('is not a decimal integer');
      expect(() => h.ok(h.invoke(remove('ns/a')))).not.toThrow();
    });
  });
});

/**
 * A correct server, simulated: each operation takes effect at one instant between its invoke and its
 * answer (or later, when its answer was lost), watchers get the store's changes in order with
 * restarts, relists and bookmarks. Whatever the interleaving, the checker must find nothing.
 */
describe('the checker on a simulated correct server', () => {
  /** mulberry32: a small seeded PRNG, so a failing seed reproduces. */
  function random(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  interface Change {
    type: 'ADDED' | 'MODIFIED' | 'DELETED';
    key: string;
    rv: number;
    value: string;
  }

  function simulate(seed: number): { h: History; read: FinalRead } {
    const rand = random(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const h = history();
    const store = new Map<string, { value: string; rv: number }>();
    const changes: Change[] = [];
    let revision = 1;
    const write = (type: Change['type'], key: string, value: string): number => {
      revision++;
      if (type === 'DELETED') store.delete(key);
      else store.set(key, { value, rv: revision });
      changes.push({ type, key, rv: revision, value });
      return revision;
    };

    type Answer = { ok: true; rv: string; counterValue?: number } | { ok: false };
    /** The store applies a request atomically (an increment as the client's retried read-modify-write). */
    const apply = (request: OperationRequest): Answer => {
      const current = store.get(request.key);
      switch (request.kind) {
        case 'create':
          return current ? { ok: false } : { ok: true, rv: String(write('ADDED', request.key, request.value)) };
        case 'update':
          if (!current) return { ok: false };
          if (current.value === request.value) return { ok: true, rv: String(current.rv) };
          return { ok: true, rv: String(write('MODIFIED', request.key, request.value)) };
        case 'delete':
          return current ? { ok: true, rv: String(write('DELETED', request.key, current.value)) } : { ok: false };
        case 'counterIncrement': {
          if (!current) return { ok: false };
          const next = Number(current.value) + 1;
          return { ok: true, rv: String(write('MODIFIED', request.key, String(next))), counterValue: next };
        }
      }
    };

    const counter = h.invoke(create('ns/c', '0'));
    h.ok(counter, { resourceVersion: (apply(create('ns/c', '0')) as { rv: string }).rv });

    interface InFlight {
      id: OperationId;
      request: OperationRequest;
      answer: Answer | undefined;
    }
    const inFlight: InFlight[] = [];
    /** Answers lost before the request was applied: it may still apply, late, or never. */
    const stray: OperationRequest[] = [];

    interface Watcher {
      recorder: ReturnType<History['watch']>;
      namespace: string | undefined;
      /** The next change to deliver, and the resourceVersion it has seen everything up to. */
      next: number;
      seen: number;
    }
    const scoped = (w: { namespace: string | undefined }, key: string): boolean => w.namespace === undefined || key.startsWith(`${w.namespace}/`);
    const watchers: Watcher[] = [undefined, 'ns', 'other'].map((namespace, i) => ({
      recorder: h.watch(`w${i}`, `replica-${i}`, { fromResourceVersion: String(revision) }, { namespace }),
      namespace,
      next: changes.length,
      seen: revision,
    }));
    const keys = ['ns/a', 'ns/b', 'other/d'];
    const values = ['v1', 'v2', 'v3'];

    for (let step = 0; step < 400; step++) {
      const r = rand();
      if (r < 0.25 && inFlight.length < 5) {
        const key = pick(keys);
        const kind = pick(['create', 'update', 'update', 'delete', 'counterIncrement'] as const);
        const request: OperationRequest =
          kind === 'counterIncrement' ? increment('ns/c') : kind === 'delete' ? remove(key) : { kind, key, value: pick(values) };
        inFlight.push({ id: h.invoke(request), request, answer: undefined });
      } else if (r < 0.45 && inFlight.length > 0) {
        const op = pick(inFlight.filter((o) => !o.answer).length ? inFlight.filter((o) => !o.answer) : inFlight);
        op.answer ??= apply(op.request);
      } else if (r < 0.65 && inFlight.length > 0) {
        const op = pick(inFlight);
        inFlight.splice(inFlight.indexOf(op), 1);
        if (rand() < 0.2) {
          h.indeterminate(op.id, 'timeout');
          if (!op.answer) stray.push(op.request);
        } else {
          const answer = op.answer ?? apply(op.request);
          if (answer.ok) h.ok(op.id, { resourceVersion: answer.rv, counterValue: answer.counterValue });
          else h.fail(op.id, '409/404');
        }
      } else if (r < 0.7 && stray.length > 0) {
        apply(stray.splice(Math.floor(rand() * stray.length), 1)[0]!);
      } else {
        const w = pick(watchers);
        const what = rand();
        if (what < 0.05) {
          // 410 Gone: list the watcher's namespace now, watch on from there.
          const items = [...store].filter(([key]) => scoped(w, key)).map(([key, o]) => ({ key, value: o.value, resourceVersion: String(o.rv) }));
          w.recorder.relisted({ resourceVersion: String(revision), items });
          w.next = changes.length;
          w.seen = revision;
        } else if (what < 0.1) {
          w.recorder.restarted(String(w.seen));
        } else if (what < 0.15 && w.next === changes.length) {
          w.recorder.bookmark(String(revision));
          w.seen = revision;
        } else {
          while (w.next < changes.length && !scoped(w, changes[w.next]!.key)) w.next++;
          const change = changes[w.next];
          if (change) {
            w.recorder.event({ type: change.type, key: change.key, resourceVersion: String(change.rv), value: change.value });
            w.next++;
            w.seen = change.rv;
          }
        }
      }
    }
    for (const op of inFlight) {
      const answer = op.answer ?? apply(op.request);
      if (answer.ok) h.ok(op.id, { resourceVersion: answer.rv, counterValue: answer.counterValue });
      else h.fail(op.id, '409/404');
    }
    if (rand() < 0.5) for (const request of stray) apply(request);
    const items = [...store].map(([key, o]) => ({ key, value: o.value, resourceVersion: String(o.rv) }));
    return { h, read: { replica: 'replica-0', items } };
  }

  it('finds nothing wrong in 200 random runs with overlapping writes, lost answers, restarts and relists', () => {
    const totals = { ok: 0, indeterminate: 0, restarts: 0, relists: 0, events: 0 };
    for (let seed = 1; seed <= 200; seed++) {
      const { h, read } = simulate(seed);
      const report = check(h, read);
      expect({ seed, report: report.toString() }).toEqual({ seed, report: expect.stringMatching(/^history check passed/) });
      totals.ok += report.figures.operations.ok;
      totals.indeterminate += report.figures.operations.indeterminate;
      totals.restarts += report.figures.watchRestarts;
      totals.relists += report.figures.relists;
      totals.events += report.figures.events;
    }
    // The runs did exercise what they claim to.
    expect(Math.min(...Object.values(totals))).toBeGreaterThan(50);
  });

  it('finds a lost write once the final read loses one acknowledged object', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const { h, read } = simulate(seed);
      // An object some acknowledged write left, that no delete whose answer was lost may have removed.
      const victim = read.items.find(
        (item) =>
          h.operations.some((op) => op.key === item.key && op.outcome === 'ok' && op.resourceVersion === item.resourceVersion) &&
          !h.operations.some((op) => op.key === item.key && op.kind === 'delete' && op.outcome !== 'ok' && op.outcome !== 'fail'),
      );
      if (!victim) continue;
      const report = check(h, { ...read, items: read.items.filter((item) => item !== victim) });
      expect({ seed, lost: report.counts.lostWrites }).toEqual({ seed, lost: 1 });
    }
  });

  it('finds a watch gap once a watcher drops one event of an acknowledged write inside its window', () => {
    let dropped = 0;
    for (let seed = 1; seed <= 50; seed++) {
      const { h, read } = simulate(seed);
      const acked = new Set(h.operations.filter((op) => op.outcome === 'ok').map((op) => `${op.key}@${op.resourceVersion}`));
      for (const stream of h.watches) {
        const entries = stream.entries;
        // An event followed by another one, so the watcher's window still covers the dropped one.
        const victim = entries.findIndex(
          (e, i) => e.entry === 'event' && e.event.type !== 'BOOKMARK' && acked.has(`${e.event.key}@${e.event.resourceVersion}`) && entries[i + 1]?.entry === 'event',
        );
        if (victim < 0) continue;
        // A RecordedHistory need not be a History: here, one edited.
        const watches = h.watches.map((s) => (s === stream ? { ...s, entries: entries.filter((_, i) => i !== victim) } : s));
        const report = check({ operations: h.operations, watches }, read);
        expect({ seed, watcher: stream.id, gaps: report.counts.watchGaps, problems: report.problems }).toEqual({ seed, watcher: stream.id, gaps: 1, problems: 1 });
        dropped++;
        break;
      }
    }
    expect(dropped).toBeGreaterThan(20);
  });
});
