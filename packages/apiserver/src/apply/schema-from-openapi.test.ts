/** Schemas as SMD types, as kube-openapi schemaconv builds them: a kind's (as for a CRD) and a served document's. */
import type { JSONSchemaProps } from '../scheme/index.js';
import { pathString } from './fieldpath.js';
import { schemaFromJSONSchemaProps, schemaFromOpenAPIComponents, type OpenAPISchema } from './schema-from-openapi.js';
import { TypedValue } from './typed.js';

const paths = (schema: JSONSchemaProps, obj: unknown): string[] =>
  TypedValue.of(obj, schemaFromJSONSchemaProps(schema, 'x.v1.X'))
    .toFieldSet()
    .paths()
    .map(pathString);

describe('schemaFromJSONSchemaProps', () => {
  it('types metadata as Go ObjectMeta: granular labels, finalizers a set, ownerReferences keyed by uid and atomic', () => {
    const obj = {
      apiVersion: 'g/v1',
      kind: 'X',
      metadata: {
        name: 'a',
        labels: { app: 'x' },
        finalizers: ['f1'],
        ownerReferences: [{ apiVersion: 'v1', kind: 'K', name: 'o', uid: 'u1', controller: true }],
        managedFields: [{ manager: 'm', operation: 'Apply', apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:a': {} }, time: '2026-01-01T00:00:00Z' }],
        creationTimestamp: null,
      },
    };
    expect(paths({ type: 'object' }, obj)).toEqual([
      '.apiVersion',
      '.kind',
      '.metadata.creationTimestamp',
      '.metadata.managedFields',
      '.metadata.name',
      '.metadata.finalizers[="f1"]',
      '.metadata.labels.app',
      '.metadata.ownerReferences[uid="u1"]',
    ]);
  });

  it('makes lists atomic unless x-kubernetes-list-type says set or map, maps granular unless atomic', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: {
        plain: { type: 'array', items: { type: 'string' } },
        set: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
        map: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' }, v: { type: 'integer' } } } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        atomicMap: { type: 'object', 'x-kubernetes-map-type': 'atomic', properties: { a: { type: 'string' } } },
      },
    };
    expect(paths(schema, { plain: ['a'], set: ['a'], map: [{ name: 'n', v: 1 }], labels: { k: 'v' }, atomicMap: { a: 'x' } })).toEqual([
      '.atomicMap',
      '.plain',
      '.labels.k',
      '.map[name="n"]',
      '.map[name="n"].name',
      '.map[name="n"].v',
      '.set[="a"]',
    ]);
  });

  it('refuses fields not declared, keeps unknown ones under x-kubernetes-preserve-unknown-fields (deduced: granular maps, atomic lists)', () => {
    const strict: JSONSchemaProps = { type: 'object', properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } } };
    expect(() => paths(strict, { spec: { b: 1 } })).toThrow('.spec.b: field not declared in schema');
    const open: JSONSchemaProps = { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, properties: { a: { type: 'string' } } } } };
    // An entry not declared as a field is owned itself too (a map key), as Go's ToFieldSet does.
    expect(paths(open, { spec: { b: { c: 1 }, l: [1, 2] } })).toEqual(['.spec.b', '.spec.l', '.spec.b.c']);
  });

  it('int-or-string, date-time and untyped schemas take any scalar; scalars are checked', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: { port: { 'x-kubernetes-int-or-string': true }, at: { type: 'string', format: 'date-time' }, n: { type: 'integer' }, any: {} },
    };
    expect(paths(schema, { port: 'http', at: '2026', n: 1, any: { x: 1 } })).toEqual(['.at', '.n', '.port', '.any.x']);
    expect(paths(schema, { port: 80 })).toEqual(['.port']);
    expect(() => paths(schema, { n: 'one' })).toThrow('.n: expected numeric (int or float), got string');
  });

  it('gives embedded resources apiVersion, kind and ObjectMeta', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: { template: { type: 'object', 'x-kubernetes-embedded-resource': true, properties: { spec: { type: 'object', properties: { a: { type: 'string' } } } } } },
    };
    expect(paths(schema, { template: { apiVersion: 'v1', kind: 'Pod', metadata: { labels: { a: 'b' } }, spec: { a: 'x' } } })).toEqual([
      '.template.apiVersion',
      '.template.kind',
      '.template.metadata.labels.a',
      '.template.spec.a',
    ]);
  });

  it('uses key defaults of list-map items that omit a key', () => {
    const schema: JSONSchemaProps = {
      type: 'object',
      properties: {
        ports: {
          type: 'array',
          'x-kubernetes-list-type': 'map',
          'x-kubernetes-list-map-keys': ['port', 'protocol'],
          items: { type: 'object', properties: { port: { type: 'integer' }, protocol: { type: 'string', default: 'TCP' } } },
        },
      },
    };
    expect(paths(schema, { ports: [{ port: 80 }] })).toEqual(['.ports[port=80,protocol="TCP"]', '.ports[port=80,protocol="TCP"].port']);
  });
});

describe('schemaFromOpenAPIComponents', () => {
  const ref = (name: string): OpenAPISchema => ({ $ref: `#/components/schemas/${name}` });
  const components: Record<string, OpenAPISchema> = {
    'io.k8s.api.apps.v1.Thing': {
      type: 'object',
      properties: {
        selector: { allOf: [ref('Selector')], 'x-kubernetes-map-type': 'atomic' },
        containers: { type: 'array', items: ref('Container'), 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-patch-merge-key': 'name' },
        finalizers: { type: 'array', items: { type: 'string' }, 'x-kubernetes-patch-strategy': 'merge' },
        args: { type: 'array', items: { type: 'string' } },
        limit: ref('io.k8s.apimachinery.pkg.api.resource.Quantity'),
      },
    },
    Selector: { type: 'object', properties: { matchLabels: { type: 'object', additionalProperties: { type: 'string' } } } },
    Container: { type: 'object', properties: { name: { type: 'string' }, image: { type: 'string' } } },
    'io.k8s.apimachinery.pkg.api.resource.Quantity': { type: 'string' },
    Alias: ref('Selector'),
  };
  const schema = schemaFromOpenAPIComponents(components);
  const type = { schema, typeRef: { namedType: 'io.k8s.api.apps.v1.Thing' } };

  it('names a type per component and follows references; a map-type beside a reference overrides the referent', () => {
    const obj = { selector: { matchLabels: { a: 'b' } }, containers: [{ name: 'c', image: 'i' }], finalizers: ['f'], args: ['x'], limit: '1Gi' };
    expect(TypedValue.of(obj, type).toFieldSet().paths().map(pathString)).toEqual([
      '.args',
      '.limit',
      '.selector',
      '.containers[name="c"]',
      '.containers[name="c"].image',
      '.containers[name="c"].name',
      '.finalizers[="f"]',
    ]);
    expect(schema.findNamedType('Alias')).toBeUndefined();
  });

  it('types Quantity as an untyped scalar (a number or a string)', () => {
    expect(() => TypedValue.of({ limit: 2 }, type)).not.toThrow();
  });
});
