import { isStatusError } from '@kapi/apimachinery';
import { StorageError } from '../errors.js';
import { isNoSpace, writeError } from './errors.js';

describe('writeError', () => {
  it('answers a write to an etcd out of space with a 500 that says so, not as unreachable', () => {
    const err = writeError('/registry/flunders/ns/a', new Error('8 RESOURCE_EXHAUSTED: etcdserver: mvcc: database space exceeded'), 10, 100);
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).storageCode).toBe('Full');
    expect(isStatusError(err) && err.status).toMatchObject({ code: 500, reason: 'InternalError', message: 'Internal error occurred: etcdserver: mvcc: database space exceeded' });
  });

  it('answers etcd\'s request size limit with 413 and anything else as unreachable', () => {
    expect((writeError('/k', new Error('etcdserver: request is too large'), 3_000_000, 1_000) as StorageError).status.code).toBe(413);
    expect((writeError('/k', new Error('14 UNAVAILABLE: No connection established'), 1, 1) as StorageError).storageCode).toBe('Unreachable');
  });

  it('tells NOSPACE apart from other resource-exhausted errors', () => {
    expect(isNoSpace(new Error('8 RESOURCE_EXHAUSTED: etcdserver: mvcc: database space exceeded'))).toBe(true);
    expect(isNoSpace(new Error('8 RESOURCE_EXHAUSTED: received message larger than max'))).toBe(false);
  });
});
