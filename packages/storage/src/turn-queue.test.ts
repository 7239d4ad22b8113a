import { slices, TurnQueue } from './turn-queue.js';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TurnQueue', () => {
  it('hands over everything added in one turn at once, after the turn', async () => {
    const drained: number[][] = [];
    const queue = new TurnQueue<number>((items) => drained.push(items));
    queue.add(1);
    queue.add(2);
    await Promise.resolve();
    queue.add(3);
    expect(drained).toEqual([]);
    await nextTurn();
    expect(drained).toEqual([[1, 2, 3]]);
    queue.add(4);
    await nextTurn();
    expect(drained).toEqual([[1, 2, 3], [4]]);
  });

  it('drains at once when flushed, and not again when the turn ends', async () => {
    const drained: string[][] = [];
    const queue = new TurnQueue<string>((items) => drained.push(items));
    queue.add('a');
    queue.flush();
    expect(drained).toEqual([['a']]);
    await nextTurn();
    queue.flush();
    expect(drained).toEqual([['a']]);
  });
});

describe('slices', () => {
  it('cuts a list into consecutive slices of at most the size', () => {
    expect([...slices([1, 2, 3, 4, 5], 2)]).toEqual([[1, 2], [3, 4], [5]]);
    expect([...slices([], 3)]).toEqual([]);
  });
});
