import { formatIPv6Groups } from './ip.js';

describe('formatIPv6Groups', () => {
  it.each([
    [[0, 0, 0, 0, 0, 0, 0, 1], '::1'],
    [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
    [[0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], '2001:db8::1:0:0:1'],
    [[0x2001, 0xdb8, 0, 1, 0, 0, 0, 1], '2001:db8:0:1::1'],
    [[0x2001, 0xdb8, 1, 1, 1, 1, 0, 1], '2001:db8:1:1:1:1:0:1'],
    [[0xfe80, 0, 0, 0, 0xabc, 0, 0, 0], 'fe80::abc:0:0:0'],
  ])('%j is %s', (groups, text) => {
    expect(formatIPv6Groups(groups)).toBe(text);
  });
});
