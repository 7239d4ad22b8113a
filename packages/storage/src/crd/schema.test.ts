import { crdNames } from './names.js';
import { crdEstablished, customResourceDefinition, sameCrdSpec, structuralSchema, type CustomResourceDefinition } from './schema.js';

describe('structural schema from a hub schema', () => {
  it('keeps types and structure, drops validation, preserves unknown fields', () => {
    const hub = {
      type: 'object',
      required: ['spec'],
      properties: {
        spec: {
          type: 'object',
          properties: {
            replicas: { type: 'integer', minimum: 0 },
            mode: { type: 'string', enum: ['a', 'b'], pattern: '^[ab]$' },
            port: { 'x-kubernetes-int-or-string': true, anyOf: [{ type: 'integer' }, { type: 'string' }] },
            tags: { type: 'array', items: { type: 'string' } },
            extra: { type: 'object', additionalProperties: { type: 'string' } },
            ref: { $ref: '#/definitions/Other' },
          },
        },
      },
    };
    expect(structuralSchema(hub)).toEqual({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      properties: {
        spec: {
          type: 'object',
          'x-kubernetes-preserve-unknown-fields': true,
          properties: {
            replicas: { type: 'integer' },
            mode: { type: 'string' },
            port: { 'x-kubernetes-int-or-string': true },
            tags: { type: 'array', items: { type: 'string' } },
            extra: { type: 'object', additionalProperties: { type: 'string' } },
            ref: { 'x-kubernetes-preserve-unknown-fields': true },
          },
        },
      },
    });
  });
});

describe('the CRD of a stored resource', () => {
  const names = crdNames('flunders', 'storage.wardle.example.com', 'Flunder');

  it('is cluster-scoped, in the storage group, with the key prefix recorded', () => {
    const crd = customResourceDefinition(names, '/registry/wardle.example.com/flunders/');
    expect(crd.metadata.name).toBe('flunders.storage.wardle.example.com');
    expect(crd.metadata.annotations).toEqual({ 'storage.kapi.dev/key-prefix': '/registry/wardle.example.com/flunders/' });
    expect(crd.spec.scope).toBe('Cluster');
    expect(crd.spec.names).toMatchObject({ plural: 'flunders', kind: 'Flunder', categories: ['kapi-storage'] });
    const version = crd.spec.versions[0]!;
    expect(version.schema.openAPIV3Schema.properties?.['object']).toMatchObject({ 'x-kubernetes-preserve-unknown-fields': true });
    expect(version.schema.openAPIV3Schema.properties?.['object']?.type).toBeUndefined();
  });

  it('takes the hub schema for the object field, keeping metadata whole', () => {
    const crd = customResourceDefinition(names, '/p/', { type: 'object', properties: { spec: { type: 'object' } } });
    const object = crd.spec.versions[0]!.schema.openAPIV3Schema.properties?.['object'];
    expect(object?.type).toBe('object');
    expect(object?.properties?.['metadata']).toEqual({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
    expect(object?.properties?.['spec']).toEqual({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  });

  it('compares specs regardless of key order, and reads the conditions', () => {
    const a = customResourceDefinition(names, '/p/');
    const reordered = JSON.parse(JSON.stringify({ ...a, spec: { versions: a.spec.versions, names: a.spec.names, scope: a.spec.scope, group: a.spec.group } })) as CustomResourceDefinition;
    expect(sameCrdSpec(reordered, a)).toBe(true);
    expect(sameCrdSpec(customResourceDefinition(names, '/p/', { type: 'object' }), a)).toBe(false);
    expect(crdEstablished({ ...a, status: { conditions: [{ type: 'Established', status: 'True' }] } })).toBe(true);
    expect(crdEstablished(a)).toBe(false);
    expect(crdEstablished({ ...a, status: { conditions: [{ type: 'NamesAccepted', status: 'False', message: 'taken' }] } })).toBeInstanceOf(Error);
  });
});
