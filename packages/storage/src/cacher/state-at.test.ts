import type { KubeObject } from '@kapi/apimachinery';
import type { KeyChange } from '../events.js';
import { StateAt } from './state-at.js';
import { CacheStore } from './store.js';

const PREFIX = '/r/g/things/';

/** A deterministic generator (mulberry32), so a failure repeats. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function obj(name: string, revision: number): KubeObject {
  return { metadata: { name, resourceVersion: String(revision) } };
}

describe('StateAt', () => {
  it('reads every past revision exactly as it was, from any start key, with the counts of then', () => {
    const next = random(19);
    const store = new CacheStore();
    const changes: KeyChange[] = [];
    /** revision → the state under PREFIX then, in key order. */
    const snapshots = new Map<number, Array<[string, KubeObject]>>();
    const keyAt = (i: number): string => (i % 7 === 0 ? `/r/g/other/k${i}` : `${PREFIX}ns${i % 3}/k${String(i).padStart(3, '0')}`);
    const snapshot = (): Array<[string, KubeObject]> => {
      const out: Array<[string, KubeObject]> = [];
      store.forEachUnder(PREFIX, (key, o) => void out.push([key, o]));
      return out;
    };
    for (let i = 0; i < 40; i++) store.set(keyAt(i), obj(`k${i}`, 0));
    snapshots.set(0, snapshot());
    for (let revision = 1; revision <= 300; revision++) {
      const key = keyAt(Math.floor(next() * 80));
      const previous = store.get(key);
      const current = previous !== undefined && next() < 0.4 ? undefined : obj(key, revision);
      if (current) store.set(key, current);
      else store.delete(key);
      changes.push({ key, revision, current, previous });
      snapshots.set(revision, snapshot());
    }

    for (const [revision, then] of snapshots) {
      const state = new StateAt(store, PREFIX, changes.filter((c) => c.revision > revision));
      const walked: Array<[string, KubeObject]> = [];
      state.forEachUnder(PREFIX, (key, o) => void walked.push([key, o]));
      expect(walked).toEqual(then);
      // From a key in the middle, stopping after three; and the count past a key.
      const from = `${PREFIX}ns1/k040`;
      const page: string[] = [];
      state.forEachUnder(PREFIX, (key) => page.push(key) < 3, from);
      expect(page).toEqual(then.map(([key]) => key).filter((key) => key >= from).slice(0, 3));
      for (const [key] of then.slice(0, 5)) expect(state.countUnderAfter(PREFIX, key)).toBe(then.filter(([k]) => k > key).length);
      const ns2: string[] = [];
      state.forEachUnder(`${PREFIX}ns2/`, (key) => void ns2.push(key));
      expect(ns2).toEqual(then.map(([key]) => key).filter((key) => key.startsWith(`${PREFIX}ns2/`)));
    }
  });
});
