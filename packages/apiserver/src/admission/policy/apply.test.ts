/**
 * ApplyConfiguration's checks of the patch (undeclared fields; atomic lists, maps and structs) and
 * its merge, on a kind typed as the host's OpenAPI v3 document types it (components and references).
 * The merge itself is structured-merge-diff's (../../apply, with SMD's own cases there).
 */
import { schemaFromOpenAPIComponents, type OpenAPISchema, type TypeSpec } from '../../apply/index.js';
import { applyConfiguration } from './apply.js';

const schemaOf = (root: OpenAPISchema, components: Record<string, OpenAPISchema> = {}): TypeSpec => ({
  schema: schemaFromOpenAPIComponents({ ...components, 'com.example.v1.Widget': root }),
  typeRef: { namedType: 'com.example.v1.Widget' },
});

describe('applyConfiguration', () => {
  const schema = schemaOf({
    type: 'object',
    properties: {
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      metadata: { allOf: [{ $ref: '#/components/schemas/ObjectMeta' }] },
      spec: {
        type: 'object',
        properties: {
          atomicMap: { type: 'object', additionalProperties: { type: 'string' }, 'x-kubernetes-map-type': 'atomic' },
          plainList: { type: 'array', items: { type: 'string' } },
          anything: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
          byName: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
          containers: { type: 'array', items: { $ref: '#/components/schemas/Container' }, 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name' },
        },
      },
    },
  }, {
    ObjectMeta: { type: 'object', properties: { labels: { type: 'object', additionalProperties: { type: 'string' } } } },
    Container: { type: 'object', properties: { name: { type: 'string' }, image: { type: 'string' } } },
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

  it("merges a built-in type's strategic-merge list by its merge key", () => {
    const withContainers = { ...live, spec: { containers: [{ name: 'a', image: 'one' }, { name: 'b', image: 'two' }] } };
    expect(applyConfiguration(withContainers, { spec: { containers: [{ name: 'b', image: 'three' }] } }, schema)).toMatchObject({
      spec: { containers: [{ name: 'a', image: 'one' }, { name: 'b', image: 'three' }] },
    });
  });
});
