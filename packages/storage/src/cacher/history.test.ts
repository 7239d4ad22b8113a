import type { KeyChange } from '../events.js';
import { EventHistory } from './history.js';

const change = (revision: number): KeyChange => ({ key: `/k/${revision}`, revision, current: { metadata: {} }, previous: undefined });
const revisions = (changes: KeyChange[] | undefined) => changes?.map((c) => c.revision);

describe('EventHistory', () => {
  it('replays the changes after a revision', () => {
    const history = new EventHistory(10, 5);
    for (const r of [6, 8, 9]) history.push(change(r));
    expect(revisions(history.since(5))).toEqual([6, 8, 9]);
    expect(revisions(history.since(7))).toEqual([8, 9]);
    expect(revisions(history.since(9))).toEqual([]);
    expect(history.since(4)).toBeUndefined();
  });

  it('raises its floor as old changes fall off the ring', () => {
    const history = new EventHistory(3, 0);
    for (const r of [1, 2, 3, 4, 5]) history.push(change(r));
    expect(history.size).toBe(3);
    expect(history.oldestRevision).toBe(2);
    expect(history.since(1)).toBeUndefined();
    expect(revisions(history.since(2))).toEqual([3, 4, 5]);
  });

  it('drops compacted changes', () => {
    const history = new EventHistory(10, 0);
    for (const r of [1, 2, 3, 4]) history.push(change(r));
    history.compact(2);
    expect(history.oldestRevision).toBe(2);
    expect(history.since(1)).toBeUndefined();
    expect(revisions(history.since(2))).toEqual([3, 4]);
    history.push(change(5));
    expect(revisions(history.since(3))).toEqual([4, 5]);
  });

  it('forgets everything on reset', () => {
    const history = new EventHistory(4, 0);
    for (const r of [1, 2, 3]) history.push(change(r));
    history.reset(10);
    expect(history.size).toBe(0);
    expect(history.since(9)).toBeUndefined();
    expect(revisions(history.since(10))).toEqual([]);
  });
});
