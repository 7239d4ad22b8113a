import { restartDelayMs, workerSlot } from './cluster.js';

describe('--workers', () => {
  it('restarts a failing worker after a delay that doubles up to a bound', () => {
    expect([1, 2, 3, 4].map((n) => restartDelayMs(n))).toEqual([500, 1000, 2000, 4000]);
    expect(restartDelayMs(20)).toBe(30_000);
    expect(restartDelayMs(3, 100, 250)).toBe(250);
  });

  it('is no worker outside node:cluster, whatever the environment says', () => {
    const saved = process.env.KAPI_WORKER_SLOT;
    process.env.KAPI_WORKER_SLOT = '1';
    try {
      expect(workerSlot()).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env.KAPI_WORKER_SLOT;
      else process.env.KAPI_WORKER_SLOT = saved;
    }
  });
});
