import { StatusError } from '@kapi/apimachinery';
import { EXPIRED_CONTINUE_MESSAGE, EXPIRED_LIST_MESSAGE, EXPIRED_WATCH_MESSAGE } from '../errors.js';
import { isHostAlreadyExists, isHostConflict, mapHostError } from './errors.js';
import { KubeApiError } from '../kube/client.js';

const host = (code: number, reason: string, message = 'host said so') => new KubeApiError(code, message, { kind: 'Status', code, reason, message });
const key = '/registry/g.x/widgets/a';
const status = (err: StatusError) => ({ code: err.status.code, reason: err.status.reason, message: err.status.message });

describe('host errors as storage errors', () => {
  it('maps 404, 409 and 410 to the storage conditions with our messages', () => {
    expect(status(mapHostError(host(404, 'NotFound'), { key, op: 'read' }))).toMatchObject({ code: 404, reason: 'NotFound' });
    expect(status(mapHostError(host(409, 'AlreadyExists'), { key, op: 'write' }))).toMatchObject({ code: 409, reason: 'AlreadyExists' });
    expect(status(mapHostError(host(409, 'Conflict'), { key, op: 'write' }))).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(status(mapHostError(host(410, 'Expired'), { key, op: 'list' })).message).toBe(EXPIRED_LIST_MESSAGE);
    expect(status(mapHostError(host(410, 'Expired'), { key, op: 'continue' })).message).toBe(EXPIRED_CONTINUE_MESSAGE);
    expect(status(mapHostError(host(410, 'Gone'), { key, op: 'watch' }))).toEqual({ code: 410, reason: 'Expired', message: EXPIRED_WATCH_MESSAGE });
    expect(isHostConflict(host(409, 'Conflict'))).toBe(true);
    expect(isHostConflict(host(409, 'AlreadyExists'))).toBe(false);
    expect(isHostAlreadyExists(host(409, 'AlreadyExists'))).toBe(true);
  });

  it('keeps the revisions of a 504 for a resourceVersion from the future', () => {
    const err = mapHostError(host(504, 'Timeout', 'Too large resource version: 900, current: 12'), { key, op: 'list' });
    expect(status(err)).toEqual({ code: 504, reason: 'Timeout', message: 'Too large resource version: 900, current: 12' });
  });

  it('reports values too large for the host as 413, and the rest as 400 or 500', () => {
    expect(status(mapHostError(host(413, 'RequestEntityTooLarge'), { key, op: 'write', size: 10, limit: 5 }))).toMatchObject({ code: 413 });
    expect(status(mapHostError(host(500, 'InternalError', 'etcdserver: request is too large'), { key, op: 'write' }))).toMatchObject({ code: 413 });
    expect(status(mapHostError(host(422, 'Invalid', 'bad label'), { key, op: 'write' }))).toEqual({ code: 400, reason: 'BadRequest', message: 'bad label' });
    expect(status(mapHostError(new Error('ECONNREFUSED'), { key, op: 'read' }))).toMatchObject({ code: 500, reason: 'InternalError' });
  });
});
