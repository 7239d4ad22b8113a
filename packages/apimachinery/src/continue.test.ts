import { decodeContinue, encodeContinue } from './continue';

const prefix = '/registry/wardle.example.com/flunders/';

describe('continue tokens', () => {
  it('encodes the Go wire form and decodes it back', () => {
    const token = encodeContinue(`${prefix}ns/a`, prefix, 42);
    expect(JSON.parse(Buffer.from(token, 'base64url').toString())).toEqual({ v: 'meta.k8s.io/v1', rv: 42, start: 'ns/a\u0000' });
    expect(token).not.toMatch(/[=+/]/);
    expect(decodeContinue(token, prefix)).toEqual({ resourceVersion: 42, startKey: `${prefix}ns/a\u0000` });
  });

  it.each([
    ['not base64', '!!!'],
    ['not JSON', Buffer.from('hello').toString('base64url')],
    ['wrong version', Buffer.from('{"v":"x","rv":1,"start":"a"}').toString('base64url')],
    ['zero revision', Buffer.from('{"v":"meta.k8s.io/v1","rv":0,"start":"a"}').toString('base64url')],
    ['empty start', Buffer.from('{"v":"meta.k8s.io/v1","rv":3,"start":""}').toString('base64url')],
    ['escaping the prefix', Buffer.from('{"v":"meta.k8s.io/v1","rv":3,"start":"../secrets/x"}').toString('base64url')],
  ])('refuses a token that is %s with 400', (_why, token) => {
    expect(() => decodeContinue(token, prefix)).toThrow(
      expect.objectContaining({ status: expect.objectContaining({ code: 400, reason: 'BadRequest' }) }),
    );
  });
});
