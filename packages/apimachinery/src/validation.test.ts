import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from './validation';

describe('name validation', () => {
  it.each(['a', 'abc-123', 'a.b.c', '0x'])('accepts subdomain %s', (name) => expect(isDNS1123Subdomain(name)).toEqual([]));
  it.each(['', 'A', '-a', 'a-', 'a_b', 'a..b', 'a'.repeat(254)])('refuses subdomain %j', (name) =>
    expect(isDNS1123Subdomain(name).length).toBeGreaterThan(0),
  );
  it('refuses dots and long names in a label', () => {
    expect(isDNS1123Label('a.b')).not.toEqual([]);
    expect(isDNS1123Label('a'.repeat(64))).toContain('must be no more than 63 characters');
    expect(isDNS1123Label('a'.repeat(63))).toEqual([]);
  });
  it.each(['app', 'example.com/app', 'App_1.x'])('accepts qualified name %s', (n) => expect(isQualifiedName(n)).toEqual([]));
  it.each(['', '/app', 'a/b/c', '-app', 'Example.com/app', 'x/' + 'a'.repeat(64)])('refuses qualified name %j', (n) =>
    expect(isQualifiedName(n).length).toBeGreaterThan(0),
  );
  it('accepts empty label values and refuses bad ones', () => {
    expect(isValidLabelValue('')).toEqual([]);
    expect(isValidLabelValue('v1.2_3')).toEqual([]);
    expect(isValidLabelValue('-v')).not.toEqual([]);
  });
});
