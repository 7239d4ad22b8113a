/**
 * structured-merge-diff schemas from OpenAPI, as kube-openapi's schemaconv.ToSchemaFromOpenAPI
 * builds them: for a kind of this server from its version's JSONSchemaProps (as apiextensions-apiserver
 * does for a CRD's OpenAPI), and for every kind of a served OpenAPI v3 document from its components
 * (as MutatingAdmissionPolicy's ApplyConfiguration types them):
 *
 * - objects are maps: `properties` its fields, `additionalProperties` its element type (a schema,
 *   or `true`: anything, deduced), none: no other field, unless there are no properties or
 *   x-kubernetes-preserve-unknown-fields (then anything, deduced); x-kubernetes-map-type atomic
 *   replaces it whole, granular (the default) merges it key by key;
 * - arrays are lists: atomic unless x-kubernetes-list-type says set (items by value) or map (items
 *   by x-kubernetes-list-map-keys, or the built-in types' x-kubernetes-patch-strategy merge with
 *   its x-kubernetes-patch-merge-key) — Go's default is atomic;
 * - a `$ref` (or an allOf of one `$ref`) is a reference to the named type of that component;
 * - string (plain or byte), integer and number, boolean are scalars; strings of another format
 *   (date-time, int-or-string, …) are untyped scalars, as is x-kubernetes-int-or-string; a schema
 *   with no type is untyped (a scalar, an atomic list or a deduced map, by value);
 * - x-kubernetes-embedded-resource objects get apiVersion, kind and metadata (ObjectMeta);
 * - the root gets apiVersion, kind and metadata typed as Go's ObjectMeta: labels and annotations
 *   granular maps, finalizers a set, ownerReferences a list map keyed by uid of atomic items,
 *   managedFields atomic, timestamps untyped.
 */
import type { JSONSchemaProps } from '../scheme/index.js';
import { Schema, UNTYPED_ATOMIC, UNTYPED_DEDUCED, commonTypes, type Atom, type ListType, type MapType, type StructField, type TypeDef, type TypeRef } from './schema.js';

/** An OpenAPI v3 schema node as the conversion reads it: a kind's JSONSchemaProps, or a document's component. */
export interface OpenAPISchema {
  $ref?: string;
  allOf?: OpenAPISchema[];
  type?: string;
  format?: string;
  nullable?: boolean;
  default?: unknown;
  properties?: Record<string, OpenAPISchema>;
  additionalProperties?: OpenAPISchema | boolean;
  items?: OpenAPISchema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-patch-merge-key'?: string;
}

export const OBJECT_META_TYPE = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';
const OWNER_REFERENCE_TYPE = 'io.k8s.apimachinery.pkg.apis.meta.v1.OwnerReference';
const MANAGED_FIELDS_ENTRY_TYPE = 'io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry';
const FIELDS_V1_TYPE = 'io.k8s.apimachinery.pkg.apis.meta.v1.FieldsV1';
const TIME_TYPE = 'io.k8s.apimachinery.pkg.apis.meta.v1.Time';

const str: TypeRef = { scalar: 'string' };
const num: TypeRef = { scalar: 'numeric' };
const bool: TypeRef = { scalar: 'boolean' };
const time: TypeRef = { namedType: TIME_TYPE };
const field = (name: string, type: TypeRef): StructField => ({ name, type });

/** metav1's types as Go's OpenAPI describes them (with their list and map markers). */
function metaTypes(): TypeDef[] {
  return [
    {
      name: OBJECT_META_TYPE,
      map: {
        fields: [
          field('annotations', { map: { elementType: str } }),
          field('creationTimestamp', time),
          field('deletionGracePeriodSeconds', num),
          field('deletionTimestamp', time),
          field('finalizers', { list: { elementType: str, elementRelationship: 'associative' } }),
          field('generateName', str),
          field('generation', num),
          field('labels', { map: { elementType: str } }),
          field('managedFields', { list: { elementType: { namedType: MANAGED_FIELDS_ENTRY_TYPE }, elementRelationship: 'atomic' } }),
          field('name', str),
          field('namespace', str),
          field('ownerReferences', { list: { elementType: { namedType: OWNER_REFERENCE_TYPE }, elementRelationship: 'associative', keys: ['uid'] } }),
          field('resourceVersion', str),
          field('selfLink', str),
          field('uid', str),
        ],
      },
    },
    {
      name: OWNER_REFERENCE_TYPE,
      map: {
        fields: [
          field('apiVersion', str),
          field('blockOwnerDeletion', bool),
          field('controller', bool),
          field('kind', str),
          field('name', str),
          field('uid', str),
        ],
        elementRelationship: 'atomic',
      },
    },
    {
      name: MANAGED_FIELDS_ENTRY_TYPE,
      map: {
        fields: [
          field('apiVersion', str),
          field('fieldsType', str),
          field('fieldsV1', { namedType: FIELDS_V1_TYPE }),
          field('manager', str),
          field('operation', str),
          field('subresource', str),
          field('time', time),
        ],
      },
    },
    { name: FIELDS_V1_TYPE, map: { elementType: { namedType: UNTYPED_DEDUCED } } },
    { name: TIME_TYPE, scalar: 'untyped' },
  ];
}

const TYPE_META_FIELDS: StructField[] = [field('apiVersion', str), field('kind', str), field('metadata', { namedType: OBJECT_META_TYPE })];

interface Converter {
  preserveUnknownFields: boolean;
}

function parseSchema(c: Converter, s: OpenAPISchema): Atom {
  if (s['x-kubernetes-preserve-unknown-fields'] === true) c = { preserveUnknownFields: true };
  const type = s['x-kubernetes-int-or-string'] ? undefined : s.type;
  switch (type) {
    case undefined:
      return { scalar: 'untyped', list: parseList(c, s), map: parseObject(c, s) };
    case 'object':
      return { map: parseObject(c, s) };
    case 'array':
      return { list: parseList(c, s) };
    case 'integer':
    case 'number':
      return { scalar: 'numeric' };
    case 'boolean':
      return { scalar: 'boolean' };
    case 'string':
      return { scalar: !s.format || s.format === 'byte' ? 'string' : 'untyped' };
    default:
      return { scalar: 'untyped' };
  }
}

const REFERENCE = /([^/]+)$/;

/** makeOpenAPIRef: a reference to the named type a $ref names, else the node inlined. */
function makeRef(c: Converter, s: OpenAPISchema): TypeRef {
  const refString = s.$ref ?? (s.allOf?.length === 1 ? s.allOf[0]!.$ref : undefined);
  const name = refString ? REFERENCE.exec(refString)?.[1] : undefined;
  const ref: TypeRef = name !== undefined ? { namedType: name } : { ...parseSchema(c, s) };
  if (name !== undefined) {
    const relationship = mapRelationship(s);
    if (relationship) ref.elementRelationship = relationship;
  }
  if (s.nullable) ref.nullable = true;
  return ref;
}

function mapRelationship(s: OpenAPISchema): MapType['elementRelationship'] {
  const mapType = s['x-kubernetes-map-type'];
  return mapType === 'atomic' ? 'atomic' : mapType === 'granular' ? 'separable' : undefined;
}

function parseObject(c: Converter, s: OpenAPISchema): MapType {
  const properties: Record<string, OpenAPISchema> = { ...(s.properties ?? {}) };
  if (s['x-kubernetes-embedded-resource']) {
    properties.apiVersion = { type: 'string' };
    properties.kind = { type: 'string' };
  }
  const fields: StructField[] = Object.entries(properties).map(([name, member]) => {
    const f: StructField = { name, type: makeRef(c, member) };
    if (member.default !== undefined) f.default = member.default;
    return f;
  });
  if (s['x-kubernetes-embedded-resource']) fields.push(field('metadata', { namedType: OBJECT_META_TYPE }));
  let elementType: TypeRef | undefined;
  const ap = s.additionalProperties;
  if (ap === undefined) {
    if (c.preserveUnknownFields || Object.keys(properties).length === 0) elementType = { namedType: UNTYPED_DEDUCED };
  } else if (typeof ap === 'object') {
    elementType = makeRef(c, ap);
  } else if (ap === true) {
    elementType = { namedType: UNTYPED_DEDUCED };
  }
  const m: MapType = {};
  if (fields.length > 0) m.fields = fields;
  if (elementType) m.elementType = elementType;
  const relationship = mapRelationship(s);
  if (relationship) m.elementRelationship = relationship;
  return m;
}

function parseList(c: Converter, s: OpenAPISchema): ListType {
  const listType = s['x-kubernetes-list-type'];
  const strategy = s['x-kubernetes-patch-strategy'];
  const l: ListType = { elementType: s.items ? makeRef(c, s.items) : { namedType: UNTYPED_ATOMIC }, elementRelationship: 'atomic' };
  if (listType === 'set') l.elementRelationship = 'associative';
  else if (listType === 'map') {
    l.elementRelationship = 'associative';
    l.keys = [...(s['x-kubernetes-list-map-keys'] ?? [])];
  } else if (listType === undefined && (strategy === 'merge' || strategy === 'merge,retainKeys')) {
    // A built-in type's strategic-merge list: a set, or a map keyed by its merge key.
    l.elementRelationship = 'associative';
    const key = s['x-kubernetes-patch-merge-key'];
    if (key !== undefined) l.keys = [key];
  }
  return l;
}

/** The name of a kind's type at a version in the schema built for it. */
export function typeNameOf(group: string, version: string, kind: string): string {
  return `${group || 'core'}.${version}.${kind}`;
}

/**
 * The schema of a whole object of a kind at one version: its own schema as the CRD's, with
 * apiVersion, kind and metadata (ObjectMeta) at the root. The root's own `metadata` is replaced.
 */
export function schemaFromJSONSchemaProps(versionSchema: JSONSchemaProps, typeName: string): { schema: Schema; typeRef: TypeRef } {
  // As the CRD's OpenAPI has it: apiVersion, kind and metadata among the root's properties.
  const rootProps: JSONSchemaProps = {
    ...versionSchema,
    type: 'object',
    properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, metadata: { type: 'object' }, ...(versionSchema.properties ?? {}) },
  };
  delete rootProps['x-kubernetes-embedded-resource'];
  const root = parseObject({ preserveUnknownFields: versionSchema['x-kubernetes-preserve-unknown-fields'] === true }, rootProps);
  root.fields = [...TYPE_META_FIELDS, ...(root.fields ?? []).filter((f) => f.name !== 'apiVersion' && f.name !== 'kind' && f.name !== 'metadata')];
  const types: TypeDef[] = [{ name: typeName, map: root }, ...metaTypes(), ...commonTypes()];
  return { schema: new Schema(types), typeRef: { namedType: typeName } };
}

const QUANTITY_TYPE = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const RAW_EXTENSION_TYPE = 'io.k8s.apimachinery.pkg.runtime.RawExtension';

/**
 * ToSchemaFromOpenAPI of a document's components (preserveUnknownFields false): a named type per
 * component (a component that is itself a $ref is skipped), Quantity an untyped scalar and
 * RawExtension untyped, with the untyped and deduced types every schema has.
 */
export function schemaFromOpenAPIComponents(components: Readonly<Record<string, OpenAPISchema>>): Schema {
  const types: TypeDef[] = [];
  for (const [name, component] of Object.entries(components)) {
    if (component.$ref) continue;
    if (name === QUANTITY_TYPE) types.push({ name, scalar: 'untyped' });
    else if (name === RAW_EXTENSION_TYPE) types.push({ ...commonTypes()[0]!, name });
    else types.push({ name, ...parseSchema({ preserveUnknownFields: component['x-kubernetes-preserve-unknown-fields'] === true }, component) });
  }
  return new Schema([...types, ...commonTypes()]);
}
