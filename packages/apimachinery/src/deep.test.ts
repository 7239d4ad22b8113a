import { deepCopy, deepEqual } from './deep.js';

describe('deepCopy', () => {
  it('copies plain JSON values, sharing nothing', () => {
    const value = { a: 1, b: 'x', c: null, d: [1, { e: true }, [2]], f: { g: { h: 'i' } }, u: undefined };
    const copy = deepCopy(value);
    expect(copy).toEqual(value);
    expect(Object.keys(copy)).toEqual(Object.keys(value));
    expect(copy).not.toBe(value);
    expect(copy.d).not.toBe(value.d);
    expect(copy.d[1]).not.toBe(value.d[1]);
    expect(copy.f.g).not.toBe(value.f.g);
    expect(JSON.stringify(copy)).toBe(JSON.stringify(value));
  });

  it('keeps a JSON "__proto__" member as an own property, as structuredClone does', () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
    const copy = deepCopy(parsed);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.prototype.hasOwnProperty.call(copy, '__proto__')).toBe(true);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
    expect(JSON.stringify(copy)).toBe(JSON.stringify(parsed));
  });

  it('copies what is not plain JSON (a Date, a Map) as structuredClone does', () => {
    const when = new Date('2026-01-02T03:04:05Z');
    const copy = deepCopy({ when, map: new Map([['k', 1]]) });
    // (structuredClone answers in the realm it runs in, which is not jest's: compare by tag)
    expect(Object.prototype.toString.call(copy.when)).toBe('[object Date]');
    expect(copy.when).not.toBe(when);
    expect(copy.when.getTime()).toBe(when.getTime());
    expect(copy.map.get('k')).toBe(1);
  });

  it('copies primitives as they are', () => {
    for (const v of [0, 'a', true, null, undefined]) expect(deepCopy(v)).toBe(v);
  });
});

describe('deepEqual', () => {
  it('ignores key order and undefined members', () => {
    expect(deepEqual({ a: 1, b: [1, 2], c: undefined }, { b: [1, 2], a: 1 })).toBe(true);
    expect(deepEqual({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });

  it('tells Dates by their time and other class instances apart (no keys is not equal)', () => {
    expect(deepEqual({ t: new Date(1000) }, { t: new Date(1000) })).toBe(true);
    expect(deepEqual({ t: new Date(1000) }, { t: new Date(2000) })).toBe(false);
    expect(deepEqual(new Map([['a', 1]]), new Map([['b', 2]]))).toBe(false);
    expect(deepEqual(Object.assign(Object.create(null) as object, { a: 1 }), { a: 1 })).toBe(true);
  });
});
