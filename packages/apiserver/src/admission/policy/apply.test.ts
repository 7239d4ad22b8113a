/**
 * The structured-merge-diff merge ApplyConfiguration mutations use, on triplets ported from
 * sigs.k8s.io/structured-merge-diff typed/merge_test.go (their schemas written as OpenAPI), and the
 * checks of the patch (undeclared fields, atomic lists, maps and structs).
 */
import { applyConfiguration, mergeTyped, type OpenAPISchema, type TypedSchema } from './apply.js';

const schemaOf = (root: OpenAPISchema, components: Record<string, OpenAPISchema> = {}): TypedSchema => ({ root, components });
const set = (type: string): OpenAPISchema => ({ type: 'array', items: { type }, 'x-kubernetes-list-type': 'set' });

const GRAB_BAG = schemaOf({ type: 'object', properties: { numeric: { type: 'number' }, string: { type: 'string' }, bool: { type: 'boolean' }, setStr: set('string'), setBool: set('boolean'), setNumeric: set('number') } });

const ASSOCIATIVE = schemaOf(
  {
    type: 'object',
    properties: {
      list: { type: 'array', items: { $ref: '#/components/schemas/myElement' }, 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['key', 'id'] },
      atomicList: { type: 'array', items: { type: 'string' } },
    },
  },
  { myElement: { type: 'object', properties: { key: { type: 'string' }, id: { type: 'number' }, value: { type: 'object', additionalProperties: { type: 'string' } }, bv: { type: 'boolean' }, nv: { type: 'number' } } } },
);

const NESTED = schemaOf({ type: 'object', properties: { inner: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'atomic' }, innerMap: { type: 'object', additionalProperties: { type: 'string' } } } });

type Triplet = [string, string, string];
const run = (schema: TypedSchema, triplets: Triplet[]): void => {
  it.each(triplets)('%s + %s = %s', (lhs, rhs, out) => {
    expect(mergeTyped(JSON.parse(lhs), JSON.parse(rhs), schema)).toEqual(JSON.parse(out));
  });
};

describe('mergeTyped: null and empty', () => {
  run(NESTED, [
    ['{}', '{"inner":[]}', '{"inner":[]}'],
    ['{}', '{"inner":null}', '{"inner":null}'],
    ['{"inner":null}', '{"inner":[]}', '{"inner":[]}'],
    ['{"inner":[]}', '{"inner":null}', '{"inner":null}'],
    ['{"inner":[]}', '{"inner":[]}', '{"inner":[]}'],
    ['{}', '{"innerMap":{}}', '{"innerMap":{}}'],
    ['{"innerMap":null}', '{"innerMap":{}}', '{"innerMap":{}}'],
    ['{"innerMap":{}}', '{"innerMap":null}', '{"innerMap":null}'],
    ['{"innerMap":{"a":"b"}}', '{"innerMap":null}', '{"innerMap":{"a":"b"}}'],
  ]);
});

describe('mergeTyped: struct grab bag (sets in SMD\'s order)', () => {
  run(GRAB_BAG, [
    ['{"numeric":1}', '{"numeric":3.14159}', '{"numeric":3.14159}'],
    ['{"string":"aoeu"}', '{"bool":true}', '{"string":"aoeu","bool":true}'],
    ['{"setStr":["a","b","c"]}', '{"setStr":["a","b"]}', '{"setStr":["a","b","c"]}'],
    ['{"setStr":["a","b"]}', '{"setStr":["a","b","c"]}', '{"setStr":["a","b","c"]}'],
    ['{"setStr":["a","b","c"]}', '{"setStr":[]}', '{"setStr":["a","b","c"]}'],
    ['{"setStr":[]}', '{"setStr":["a","b","c"]}', '{"setStr":["a","b","c"]}'],
    ['{"setStr":["a","b"]}', '{"setStr":["b","a"]}', '{"setStr":["b","a"]}'],
    ['{"setStr":["a","b","c"]}', '{"setStr":["d","e","f"]}', '{"setStr":["a","b","c","d","e","f"]}'],
    ['{"setStr":["a","b","c"]}', '{"setStr":["c","d","e","f"]}', '{"setStr":["a","b","c","d","e","f"]}'],
    ['{"setStr":["a","b","c","g","f"]}', '{"setStr":["c","d","e","f"]}', '{"setStr":["a","b","c","g","d","e","f"]}'],
    ['{"setStr":["c","d","e","f"]}', '{"setStr":["a","c","e"]}', '{"setStr":["a","c","d","e","f"]}'],
    ['{"setStr":["a","b","c","x","y","z"]}', '{"setStr":["d","e","f","x","y","z"]}', '{"setStr":["a","b","c","d","e","f","x","y","z"]}'],
    ['{"setStr":["c","a","g","f"]}', '{"setStr":["c","f","a","g"]}', '{"setStr":["c","f","a","g"]}'],
    ['{"setStr":["a","b","c","d"]}', '{"setStr":["d","e","f","a"]}', '{"setStr":["b","c","d","e","f","a"]}'],
    ['{"setStr":["c","d","e","f","g","h","i","j"]}', '{"setStr":["2","h","3","e","4","k","l"]}', '{"setStr":["c","d","f","g","2","h","i","j","3","e","4","k","l"]}'],
    ['{"setStr":["a","b","c","d","e","f","g","h","i","j"]}', '{"setStr":["1","b","2","h","3","e","4","k","l"]}', '{"setStr":["a","1","b","c","d","f","g","2","h","i","j","3","e","4","k","l"]}'],
    ['{"setStr":["a","b","b"]}', '{"setStr":["c"]}', '{"setStr":["a","b","b","c"]}'],
    ['{"setStr":["a","b","b"]}', '{"setStr":["b"]}', '{"setStr":["a","b"]}'],
    ['{"setStr":["a","b","b"]}', '{"setStr":["a"]}', '{"setStr":["a","b","b"]}'],
    ['{"setStr":["a","b","c","d","e","c"]}', '{"setStr":["1","b","2","e","d"]}', '{"setStr":["a","1","b","c","2","e","c","d"]}'],
    ['{"setStr":["a","b","c","d","e","c"]}', '{"setStr":["1","b","2","c","e","d"]}', '{"setStr":["a","1","b","2","c","e","d"]}'],
    ['{"setStr":["a","a","b","b"]}', '{"setStr":["b","c","d"]}', '{"setStr":["a","a","b","c","d"]}'],
    ['{"setStr":["a","a","b","b"]}', '{"setStr":[]}', '{"setStr":["a","a","b","b"]}'],
    ['{"setBool":[true]}', '{"setBool":[false]}', '{"setBool":[true, false]}'],
    ['{"setNumeric":[1,2,3.14159]}', '{"setNumeric":[1,2,3]}', '{"setNumeric":[1,2,3.14159,3]}'],
    ['{"setStr":["c","a","g","f","c","a"]}', '{"setStr":["c","f","a","g"]}', '{"setStr":["c","f","a","g"]}'],
    ['{"setBool":[true,false,true]}', '{"setBool":[false]}', '{"setBool":[true,false,true]}'],
    ['{"setBool":[true,false,true]}', '{"setBool":[true]}', '{"setBool":[true, false]}'],
  ]);
});

describe('mergeTyped: associative list', () => {
  run(ASSOCIATIVE, [
    ['{"list":[{"key":"a","id":1,"value":{"a":"a"}}]}', '{"list":[{"key":"a","id":1,"value":{"a":"a"}}]}', '{"list":[{"key":"a","id":1,"value":{"a":"a"}}]}'],
    ['{"list":[{"key":"a","id":1,"value":{"a":"a"}}]}', '{"list":[{"key":"a","id":2,"value":{"a":"a"}}]}', '{"list":[{"key":"a","id":1,"value":{"a":"a"}},{"key":"a","id":2,"value":{"a":"a"}}]}'],
    ['{"list":[{"key":"a","id":1},{"key":"b","id":1}]}', '{"list":[{"key":"a","id":1},{"key":"a","id":2}]}', '{"list":[{"key":"a","id":1},{"key":"b","id":1},{"key":"a","id":2}]}'],
    ['{"list":[{"key":"b","id":2}]}', '{"list":[{"key":"a","id":1},{"key":"b","id":2},{"key":"c","id":3}]}', '{"list":[{"key":"a","id":1},{"key":"b","id":2},{"key":"c","id":3}]}'],
    ['{"list":[{"key":"a","id":1},{"key":"b","id":2},{"key":"c","id":3}]}', '{"list":[{"key":"c","id":3},{"key":"b","id":2}]}', '{"list":[{"key":"a","id":1},{"key":"c","id":3},{"key":"b","id":2}]}'],
    ['{"list":[{"key":"a","id":1},{"key":"b","id":2},{"key":"c","id":3}]}', '{"list":[{"key":"c","id":3},{"key":"a","id":1}]}', '{"list":[{"key":"b","id":2},{"key":"c","id":3},{"key":"a","id":1}]}'],
    ['{"atomicList":["a","a","a"]}', '{"atomicList":null}', '{"atomicList":null}'],
    ['{"atomicList":["a","b","c"]}', '{"atomicList":[]}', '{"atomicList":[]}'],
    ['{"atomicList":["a","a","a"]}', '{"atomicList":["a","a"]}', '{"atomicList":["a","a"]}'],
    ['{"list":[{"key":"a","id":1,"bv":true},{"key":"b","id":2},{"key":"a","id":1,"bv":false,"nv":2}]}', '{"list":[{"key":"a","id":1,"nv":3},{"key":"c","id":3},{"key":"b","id":2}]}', '{"list":[{"key":"a","id":1,"nv":3},{"key":"c","id":3},{"key":"b","id":2}]}'],
    ['{"list":[{"key":"a","id":1,"nv":1},{"key":"a","id":1,"nv":2}]}', '{"list":[]}', '{"list":[{"key":"a","id":1,"nv":1},{"key":"a","id":1,"nv":2}]}'],
    ['{"list":[{"key":"a","id":1,"nv":1},{"key":"a","id":1,"nv":2}]}', '{}', '{"list":[{"key":"a","id":1,"nv":1},{"key":"a","id":1,"nv":2}]}'],
  ]);

  it('refuses duplicate keys in the patch, and an item without its key', () => {
    expect(() => mergeTyped({}, { list: [{ key: 'a', id: 1 }, { key: 'a', id: 1 }] }, ASSOCIATIVE)).toThrow('.list: duplicate entries for key [id=1,key="a"]');
    expect(() => mergeTyped({ list: [] }, { list: [{ key: 'a' }] }, ASSOCIATIVE)).toThrow('.list: element 0: associative list with keys has an element that omits key field "id" (and doesn\'t have default value)');
  });
});

describe('applyConfiguration', () => {
  const schema = schemaOf({
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { type: 'object', properties: { labels: { type: 'object', additionalProperties: { type: 'string' } } } },
      spec: {
        type: 'object',
        properties: {
          atomicMap: { type: 'object', additionalProperties: { type: 'string' }, 'x-kubernetes-map-type': 'atomic' },
          plainList: { type: 'array', items: { type: 'string' } },
          anything: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          byName: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
        },
      },
    },
  });
  const live = { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { labels: { a: '1' } }, spec: { anything: { x: { y: 1 } } } };

  it('refuses undeclared fields, atomic lists, maps and structs (of declared fields), as Go words it', () => {
    expect(() => applyConfiguration(live, { spec: { nope: 1, other: 2 } }, schema)).toThrow('failed to convert patch object to typed object: .spec.nope: field not declared in schema');
    expect(() => applyConfiguration(live, { spec: { atomicMap: {}, plainList: ['a'] } }, schema)).toThrow('invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: .spec.atomicMap, .spec.plainList');
    // Map values are not walked (findAtomics follows declared fields only).
    expect(applyConfiguration(live, { spec: { byName: { a: ['x'] } } }, schema)).toMatchObject({ spec: { byName: { a: ['x'] } } });
  });

  it('merges granular maps and fields of unknown shape (preserve-unknown-fields) key by key', () => {
    expect(applyConfiguration(live, { metadata: { labels: { b: '2' } }, spec: { anything: { x: { z: 2 }, w: 3 } } }, schema)).toEqual({
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { labels: { a: '1', b: '2' } },
      spec: { anything: { x: { y: 1, z: 2 }, w: 3 } },
    });
  });
});
