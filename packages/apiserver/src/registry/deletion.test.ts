import type { KubeObject } from '@kapi/apimachinery';
import { finalizersForGarbageCollection, markForDeletion } from './deletion.js';

const NOW = new Date('2026-01-02T03:04:05.678Z');

describe('finalizersForGarbageCollection (deletionFinalizersForGarbageCollection)', () => {
  it.each([
    // finalizers, policy, the finalizers after (undefined: unchanged)
    [[], undefined, undefined],
    [[], 'Background', undefined],
    [[], 'Foreground', ['foregroundDeletion']],
    [[], 'Orphan', ['orphan']],
    [['example.com/hold'], 'Foreground', ['example.com/hold', 'foregroundDeletion']],
    [['example.com/hold'], undefined, undefined],
    // The policy replaces the garbage collector's finalizer the object has.
    [['orphan'], 'Foreground', ['foregroundDeletion']],
    [['foregroundDeletion', 'example.com/hold'], 'Orphan', ['example.com/hold', 'orphan']],
    [['orphan', 'example.com/hold'], 'Background', ['example.com/hold']],
    // Without a policy, the one the object has stays (in its place).
    [['orphan'], undefined, undefined],
    [['foregroundDeletion'], undefined, undefined],
    [['foregroundDeletion'], 'Foreground', undefined],
  ] as const)('%j with %s → %j', (finalizers, policy, after) => {
    expect(finalizersForGarbageCollection(finalizers, policy)).toEqual(after);
  });
});

describe('markForDeletion (updateForGracefulDeletionAndFinalizers without graceful deletion)', () => {
  const obj = (meta: KubeObject['metadata']): KubeObject => ({ apiVersion: 'x/v1', kind: 'X', metadata: { name: 'a', generation: 1, ...meta } });

  it('deletes now when no finalizer is left', () => {
    expect(markForDeletion(obj({}), 'Background', NOW)).toBeUndefined();
    expect(markForDeletion(obj({ finalizers: ['orphan'] }), 'Background', NOW)).toBeUndefined();
  });

  it('sets the policy’s finalizer and marks the object as deleting, leaving the given one alone', () => {
    const given = obj({});
    expect(markForDeletion(given, 'Foreground', NOW)?.metadata).toEqual({
      name: 'a',
      generation: 2,
      finalizers: ['foregroundDeletion'],
      deletionTimestamp: '2026-01-02T03:04:05Z',
      deletionGracePeriodSeconds: 0,
    });
    expect(given.metadata).toEqual({ name: 'a', generation: 1 });
  });

  it('keeps the first deletionTimestamp of an object already being deleted, and changes its finalizers', () => {
    const deleting = obj({ finalizers: ['example.com/hold'], deletionTimestamp: '2026-01-01T00:00:00Z', deletionGracePeriodSeconds: 0 });
    expect(markForDeletion(deleting, 'Orphan', NOW)?.metadata).toEqual({ ...deleting.metadata, finalizers: ['example.com/hold', 'orphan'] });
  });
});
