import type { WatchEvent } from '@kapi/apimachinery';
import { Watcher } from './watcher';

const added = (name: string): WatchEvent => ({ type: 'ADDED', object: { metadata: { name } } });

describe('Watcher', () => {
  it('delivers events in order, then ends after the queued ones', async () => {
    const w = new Watcher();
    w.send(added('a'));
    w.send(added('b'));
    w.end();
    expect(w.send(added('late'))).toBe(false);
    const names: string[] = [];
    for await (const e of w) names.push((e.object as { metadata: { name: string } }).metadata.name);
    expect(names).toEqual(['a', 'b']);
  });

  it('wakes a waiting reader when an event arrives', async () => {
    const w = new Watcher();
    const next = w.next();
    w.send(added('a'));
    expect(await next).toEqual(added('a'));
  });

  it('ends a consumer that falls behind its capacity with a 410 ERROR event', async () => {
    const w = new Watcher(2);
    w.send(added('a'));
    w.send(added('b'));
    expect(w.send(added('c'))).toBe(false);
    expect((await w.next())?.type).toBe('ADDED');
    expect((await w.next())?.type).toBe('ADDED');
    expect(await w.next()).toEqual({ type: 'ERROR', object: expect.objectContaining({ code: 410, reason: 'Expired' }) });
    expect(await w.next()).toBeUndefined();
  });

  it('runs cleanups once when stopped, and at once when registered after', () => {
    const w = new Watcher();
    const cleanup = jest.fn();
    w.onStop(cleanup);
    w.stop();
    w.stop();
    expect(cleanup).toHaveBeenCalledTimes(1);
    const late = jest.fn();
    w.onStop(late);
    expect(late).toHaveBeenCalledTimes(1);
    expect(w.isStopped).toBe(true);
  });

  it('keeps reading correctly across many events (queue compaction)', async () => {
    const w = new Watcher();
    for (let i = 0; i < 3000; i++) w.send(added(String(i)));
    for (let i = 0; i < 3000; i++) expect((await w.next())?.object).toEqual({ metadata: { name: String(i) } });
    w.send(added('after'));
    expect((await w.next())?.object).toEqual({ metadata: { name: 'after' } });
  });
});
