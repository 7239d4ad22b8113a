import { isConflict, isNotFound, StatusError } from '@kapi/apimachinery';
import { AlreadyExistsError, apiErrorOf, apiErrorOfStatus, ApiError, ConflictError, InvalidError, NotFoundError, ResourceExpiredError, ServiceUnavailableError } from './errors.js';

describe('apiErrorOf', () => {
  it('makes the class of the Status reason, keeping the Status', () => {
    const err = apiErrorOf(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: 'flunders.wardle.example.com "x" not found', details: { name: 'x', group: 'wardle.example.com', kind: 'flunders' } }, 'GET');
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toBeInstanceOf(StatusError);
    expect(isNotFound(err)).toBe(true);
    expect(err.name).toBe('NotFoundError');
    expect(err.message).toBe('flunders.wardle.example.com "x" not found');
    expect(err.status.details?.name).toBe('x');
  });

  it('tells AlreadyExists from Conflict (both 409) and lists an apply\'s conflicts', () => {
    expect(apiErrorOf(409, { kind: 'Status', code: 409, reason: 'AlreadyExists' }, 'POST')).toBeInstanceOf(AlreadyExistsError);
    const conflict = apiErrorOf(409, { kind: 'Status', code: 409, reason: 'Conflict', details: { causes: [{ reason: 'FieldManagerConflict', field: '.spec.x', message: 'conflict with "a"' }] } }, 'PATCH');
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(isConflict(conflict)).toBe(true);
    expect((conflict as ConflictError).conflicts.map((c) => c.field)).toEqual(['.spec.x']);
  });

  it('gives an Invalid error its causes', () => {
    const err = apiErrorOf(422, { kind: 'Status', code: 422, reason: 'Invalid', details: { causes: [{ reason: 'FieldValueRequired', field: 'spec.message' }] } }, 'POST');
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).causes).toEqual([{ reason: 'FieldValueRequired', field: 'spec.message' }]);
  });

  it('falls back on the code without a Status (e.g. an aggregated server down behind kube-apiserver)', () => {
    const err = apiErrorOf(503, 'service unavailable', 'GET /apis/x');
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect(err.code).toBe(503);
    expect(err.message).toBe('GET /apis/x: service unavailable');
    expect(apiErrorOf(418, '', 'GET')).toBeInstanceOf(ApiError);
  });

  it('reads a watch ERROR event\'s Status (410 Expired)', () => {
    expect(apiErrorOfStatus({ code: 410, reason: 'Expired', message: 'too old resource version' })).toBeInstanceOf(ResourceExpiredError);
  });
});
