import { crdNames, decodeName, encodeName, hostContinue, namespaceOf, parseKey } from './names.js';

describe('key ↔ custom resource name', () => {
  it.each([
    ['a', 'a'],
    ['ns1/a', 'ns1.a'],
    ['my-app', 'my--app'],
    ['default/web.v1', 'default.web-2ev1'],
    ['ns/aUpper_case', 'ns.a-55pper-5fcase'],
  ])('encodes %s as %s and back', (rest, name) => {
    expect(encodeName(rest)).toBe(name);
    expect(decodeName(name)).toBe(rest);
  });

  it('keeps key order for keys made of [a-z0-9-./]', () => {
    const keys = ['a', 'a-b', 'a.b', 'a/b', 'a0', 'ab', 'ns1-x/b', 'ns1/a', 'ns1/a-1', 'ns1/a.1', 'ns10/a', 'ns2/d', 'z'];
    const sorted = [...keys].sort();
    const byName = [...keys].sort((x, y) => (encodeName(x) < encodeName(y) ? -1 : encodeName(x) > encodeName(y) ? 1 : 0));
    expect(byName).toEqual(sorted);
  });

  it('is injective on look-alike keys', () => {
    const keys = ['a-b', 'a--b', 'a/b', 'a.b', 'a-2eb', 'a/-b'];
    expect(new Set(keys.map(encodeName)).size).toBe(keys.length);
  });

  it('hashes keys that would not be valid names, and those do not decode', () => {
    for (const rest of ['-leading', 'ns/-x', 'a//b', 'x'.repeat(300), 'trailing/']) {
      const name = encodeName(rest);
      expect(name).toMatch(/^x-g[0-9a-f]{64}$/);
      expect(decodeName(name)).toBeUndefined();
    }
  });
});

describe('key layout', () => {
  it('splits grouped and core keys', () => {
    expect(parseKey('/registry/wardle.example.com/flunders/ns/a', '/registry')).toEqual({
      group: 'wardle.example.com',
      resource: 'flunders',
      resourcePrefix: '/registry/wardle.example.com/flunders/',
      rest: 'ns/a',
    });
    expect(parseKey('/registry/pods/ns/a', '/registry')).toMatchObject({ group: '', resource: 'pods', rest: 'ns/a' });
    expect(parseKey('/registry/wardle.example.com/flunders/', '/registry')).toMatchObject({ rest: '' });
    expect(parseKey('/registry/wardle.example.com/', '/registry')).toBeUndefined();
    expect(parseKey('/other/x/y', '/registry')).toBeUndefined();
  });

  it('labels the namespace of two-segment keys only', () => {
    expect(namespaceOf('ns1/a')).toBe('ns1');
    expect(namespaceOf('a')).toBeUndefined();
    expect(namespaceOf('/a')).toBeUndefined();
  });

  it('names CRDs after the resource, in the storage group', () => {
    expect(crdNames('flunders', 'storage.wardle.example.com', 'Flunder')).toEqual({
      crdName: 'flunders.storage.wardle.example.com',
      storageGroup: 'storage.wardle.example.com',
      plural: 'flunders',
      singular: 'flunder',
      kind: 'Flunder',
      listKind: 'FlunderList',
    });
    expect(crdNames('crud-1-2', 'g.x').kind).toBe('Crud-1-2');
    expect(crdNames('Bad_Resource', 'g.x').plural).toMatch(/^r[0-9a-f]{40}$/);
  });

  it('writes host continue tokens in the wire format', () => {
    expect(JSON.parse(Buffer.from(hostContinue(42, 'ns1.a\u0000'), 'base64url').toString())).toEqual({
      v: 'meta.k8s.io/v1',
      rv: 42,
      start: 'ns1.a\u0000',
    });
  });
});
