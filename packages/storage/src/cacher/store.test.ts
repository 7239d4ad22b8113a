import type { KubeObject } from '@kapi/apimachinery';
import { CacheStore } from './store.js';

const obj = (name: string): KubeObject => ({ metadata: { name } });

function keysUnder(store: CacheStore, prefix: string, from?: string): string[] {
  const keys: string[] = [];
  store.forEachUnder(prefix, (key) => void keys.push(key), from);
  return keys;
}

describe('CacheStore', () => {
  it('keeps keys sorted through inserts and deletes', () => {
    const store = new CacheStore();
    for (const k of ['/r/b', '/r/a', '/r/c', '/q/x', '/s/y']) store.set(k, obj(k));
    expect(keysUnder(store, '/r/')).toEqual(['/r/a', '/r/b', '/r/c']);
    expect(store.delete('/r/b')?.metadata.name).toBe('/r/b');
    expect(store.delete('/r/b')).toBeUndefined();
    expect(keysUnder(store, '/r/')).toEqual(['/r/a', '/r/c']);
    expect(store.size).toBe(4);
  });

  it('returns the previous value on set and replaces in place', () => {
    const store = new CacheStore();
    expect(store.set('/a', obj('1'))).toBeUndefined();
    expect(store.set('/a', obj('2'))?.metadata.name).toBe('1');
    expect(store.size).toBe(1);
    expect(store.get('/a')?.metadata.name).toBe('2');
  });

  it('walks from a start key and stops when asked', () => {
    const store = new CacheStore();
    for (const k of ['/r/a', '/r/b', '/r/c', '/r/d']) store.set(k, obj(k));
    expect(keysUnder(store, '/r/', '/r/b')).toEqual(['/r/b', '/r/c', '/r/d']);
    const seen: string[] = [];
    store.forEachUnder('/r/', (key) => {
      seen.push(key);
      return seen.length < 2;
    });
    expect(seen).toEqual(['/r/a', '/r/b']);
  });

  it('counts under a prefix and after a key', () => {
    const store = new CacheStore();
    for (const k of ['/r/ns1/a', '/r/ns1/b', '/r/ns2/a', '/r0/x']) store.set(k, obj(k));
    expect(store.countUnder('/r/')).toBe(3);
    expect(store.countUnder('/r/ns1/')).toBe(2);
    expect(store.countUnder('/nothing/')).toBe(0);
    expect(store.countUnderAfter('/r/', '/r/ns1/a')).toBe(2);
    expect(store.countUnderAfter('/r/', '/r/ns2/a')).toBe(0);
  });

  it('replaces everything at once', () => {
    const store = new CacheStore();
    store.set('/old', obj('old'));
    store.replace([
      ['/b', obj('b')],
      ['/a', obj('a')],
    ]);
    expect(keysUnder(store, '/')).toEqual(['/a', '/b']);
    expect(store.get('/old')).toBeUndefined();
  });
});

describe('CacheStore over many keys (blocks split and empty)', () => {
  it('agrees with a sorted array through random inserts, deletes and replaces', () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const store = new CacheStore();
    const model = new Set<string>();
    const key = (): string => `/r/ns${random(7)}/${random(3000).toString(36)}`;
    const check = (): void => {
      const sorted = [...model].sort();
      expect(keysUnder(store, '/r/')).toEqual(sorted);
      for (let ns = 0; ns < 7; ns++) {
        const prefix = `/r/ns${ns}/`;
        const under = sorted.filter((k) => k.startsWith(prefix));
        expect(store.countUnder(prefix)).toBe(under.length);
        expect(keysUnder(store, prefix)).toEqual(under);
        if (under.length > 2) {
          const from = under[1]!;
          expect(keysUnder(store, prefix, from)).toEqual(under.slice(1));
          expect(store.countUnderAfter(prefix, from)).toBe(under.length - 2);
          expect(store.countUnderAfter(prefix, `${from}-`)).toBe(under.filter((k) => k > `${from}-`).length);
        }
      }
      expect(store.size).toBe(model.size);
    };
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < 6000; n++) {
        const k = key();
        if (random(3) === 0) {
          expect(store.delete(k) !== undefined).toBe(model.delete(k));
        } else {
          store.set(k, obj(k));
          model.add(k);
        }
      }
      check();
    }
    const kept = [...model].filter((_, i) => i % 2 === 0);
    store.replace(kept.map((k) => [k, obj(k)] as const));
    model.clear();
    for (const k of kept) model.add(k);
    check();
    for (const k of kept) store.delete(k);
    model.clear();
    check();
    store.set('/r/ns1/z', obj('z'));
    model.add('/r/ns1/z');
    check();
  });
});
