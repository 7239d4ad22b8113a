import { newConflict, StatusError, newInvalid, newNotFound, OPTIMISTIC_LOCK_MESSAGE, toStatusError } from './status';

const flunders = { group: 'wardle.example.com', resource: 'flunders' };

describe('Status errors', () => {
  it('names the resource as kube-apiserver does', () => {
    expect(newNotFound(flunders, 'x').status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'flunders.wardle.example.com "x" not found',
      reason: 'NotFound',
      details: { name: 'x', group: 'wardle.example.com', kind: 'flunders' },
      code: 404,
    });
    expect(newConflict(flunders, 'x', OPTIMISTIC_LOCK_MESSAGE).message).toBe(
      'Operation cannot be fulfilled on flunders.wardle.example.com "x": the object has been modified; please apply your changes to the latest version and try again',
    );
  });

  it('lists field causes on Invalid', () => {
    const err = newInvalid('wardle.example.com', 'Flunder', 'x', [
      { type: 'FieldValueRequired', field: 'spec.reference', message: 'Required value' },
      { type: 'FieldValueInvalid', field: 'metadata.name', message: 'Invalid value: "X"' },
    ]);
    expect(err.status.code).toBe(422);
    expect(err.message).toBe('Flunder.wardle.example.com "x" is invalid: [spec.reference: Required value, metadata.name: Invalid value: "X"]');
    expect(err.status.details?.causes).toHaveLength(2);
  });

  it('turns anything else into a 500', () => {
    expect(toStatusError(new Error('boom')).status).toMatchObject({ code: 500, reason: 'InternalError', message: 'Internal error occurred: boom' });
  });

  it("a client's error carries no stack trace; a server's error keeps it", () => {
    const conflict = newConflict({ group: 'g', resource: 'r' }, 'n', OPTIMISTIC_LOCK_MESSAGE);
    expect(conflict.stack).not.toMatch(/\n\s+at /);
    expect(new StatusError(500, 'InternalError', 'boom').stack).toMatch(/\n\s+at /);
    // The limit is restored for every other error.
    expect(new Error('plain').stack).toMatch(/\n\s+at /);
  });
});
