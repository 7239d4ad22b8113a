import { rfc3339 } from './time';

describe('rfc3339', () => {
  it('prints whole seconds in UTC, reusing the text within a second', () => {
    expect(rfc3339(new Date('2026-01-02T03:04:05.123Z'))).toBe('2026-01-02T03:04:05Z');
    expect(rfc3339(new Date('2026-01-02T03:04:05.999Z'))).toBe('2026-01-02T03:04:05Z');
    expect(rfc3339(new Date('2026-01-02T03:04:06.000Z'))).toBe('2026-01-02T03:04:06Z');
    expect(rfc3339(new Date('1969-12-31T23:59:59.500Z'))).toBe('1969-12-31T23:59:59Z');
    expect(rfc3339(new Date('1970-01-01T00:00:00.500Z'))).toBe('1970-01-01T00:00:00Z');
  });
});
