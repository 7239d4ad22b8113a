import { parseFieldSelector } from './fields';

const fields = { 'metadata.name': 'a,b=c', 'metadata.namespace': 'ns1', 'spec.phase': '' };

describe('parseFieldSelector', () => {
  it.each([
    ['metadata.namespace=ns1', true],
    ['metadata.namespace==ns1', true],
    ['metadata.namespace!=ns1', false],
    ['metadata.name=a\\,b\\=c', true],
    ['spec.phase=', true],
    ['status.other=', true],
    ['status.other!=x', true],
    ['metadata.namespace=ns1,metadata.name!=x', true],
    ['metadata.namespace=ns1,metadata.name=x', false],
  ])('%s matches %s', (selector, expected) => {
    expect(parseFieldSelector(selector).matches(fields)).toBe(expected);
  });

  it('names the fields it pins and the ones not allowed', () => {
    const sel = parseFieldSelector('metadata.name=x,spec.color!=red');
    expect(sel.requiresExactMatch('metadata.name')).toBe('x');
    expect(sel.requiresExactMatch('spec.color')).toBeUndefined();
    expect(sel.unknownFields(new Set(['metadata.name']))).toEqual(['spec.color']);
    expect(sel.toString()).toBe('metadata.name=x,spec.color!=red');
  });

  it.each(['metadata.name', '=x', 'metadata.name=a\\x', 'a=b=c'])('refuses %j with a 400 Status', (selector) => {
    expect(() => parseFieldSelector(selector)).toThrow(expect.objectContaining({ status: expect.objectContaining({ code: 400 }) }));
  });
});
