import { generateNameFrom } from './naming.js';

describe('generateNameFrom', () => {
  it('adds five random characters to a prefix of at most 58', () => {
    expect(generateNameFrom('web-')).toMatch(/^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    expect(generateNameFrom('x'.repeat(80))).toHaveLength(63);
  });
});
