import type { IEvent, IKeyValue } from 'etcd3';
import { StorageError } from '../errors.js';
import { keyChangeOf } from './watch-source.js';

function kv(key: string, create: number, mod: number, value: object): IKeyValue {
  return { key: Buffer.from(key), create_revision: String(create), mod_revision: String(mod), version: '1', value: Buffer.from(JSON.stringify(value)), lease: '0' };
}

const obj = (name: string, ref: string): object => ({ apiVersion: 'wardle.example.com/v1beta1', kind: 'Flunder', metadata: { name, namespace: 'ns' }, spec: { reference: ref } });

describe('keyChangeOf', () => {
  it('reads a create without a previous value, and a delete or update with one', () => {
    const created = keyChangeOf({ type: 'Put', kv: kv('/registry/f/ns/a', 5, 5, obj('a', 'x')), prev_kv: null } as unknown as IEvent);
    expect(created).toMatchObject({ key: '/registry/f/ns/a', revision: 5, previous: undefined });
    const deleted = keyChangeOf({ type: 'Delete', kv: kv('/registry/f/ns/a', 0, 9, {}), prev_kv: kv('/registry/f/ns/a', 5, 7, obj('a', 'y')) } as unknown as IEvent);
    expect(deleted.current).toBeUndefined();
    expect(deleted.previous?.metadata?.resourceVersion).toBe('7');
  });

  it('answers 410 for a delete or an update whose previous value etcd no longer has (compacted), instead of dropping or misnaming it', () => {
    const noPrevious = [
      { type: 'Delete', kv: kv('/registry/f/ns/a', 0, 9, {}) },
      { type: 'Put', kv: kv('/registry/f/ns/a', 5, 9, obj('a', 'z')) },
    ];
    for (const event of noPrevious) {
      let err: unknown;
      try {
        keyChangeOf(event as unknown as IEvent);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StorageError);
      expect((err as StorageError).status).toMatchObject({ code: 410, reason: 'Expired' });
      expect((err as StorageError).status.message).toMatch(/at revision 9 was compacted/);
    }
  });
});
