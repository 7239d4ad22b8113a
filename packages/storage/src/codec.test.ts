import { decodeValue, encodeValue } from './codec.js';

describe('encodeValue', () => {
  const obj = { apiVersion: 'g/v1', kind: 'K', metadata: { name: 'a', namespace: 'n', labels: { x: 'y' } }, spec: { n: 1 } };

  it('leaves metadata.resourceVersion out, keeping the order of everything else', () => {
    const withRV = { ...obj, metadata: { name: 'a', resourceVersion: '7', namespace: 'n', labels: { x: 'y' } } };
    expect(encodeValue('/k', withRV, 1024).toString()).toBe(JSON.stringify(obj));
    expect(withRV.metadata.resourceVersion).toBe('7');
  });

  it('writes an object without a resourceVersion as it is', () => {
    expect(encodeValue('/k', obj, 1024).toString()).toBe(JSON.stringify(obj));
    expect(encodeValue('/k', { ...obj, metadata: { ...obj.metadata, resourceVersion: undefined } }, 1024).toString()).toBe(JSON.stringify(obj));
  });

  it('round-trips through decodeValue with the revision stamped', () => {
    expect(decodeValue('/k', encodeValue('/k', obj, 1024), 42)).toEqual({ ...obj, metadata: { ...obj.metadata, resourceVersion: '42' } });
  });

  it('refuses values over the limit and objects without metadata', () => {
    expect(() => encodeValue('/k', obj, 10)).toThrow();
    expect(() => encodeValue('/k', { kind: 'K' } as never, 1024)).toThrow();
  });
});
