/**
 * /openapi/v2 as protobuf: the Swagger 2.0 document encoded as gnostic's `openapi_v2.Document`
 * (github.com/google/gnostic-models, openapiv2/OpenAPIv2.proto), which kube-openapi serves for
 * `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf` and kubectl asks for
 * (explain, validation, create of kinds it has no discovery for).
 *
 * Go (kube-openapi's ToProtoBinary) gets there with gnostic's compiler: the JSON is read as a
 * yaml.Node tree and each object is turned into its message. The same mapping is done here on
 * the JSON value:
 * - objects keyed by name (definitions, properties, paths, responses, parameters, security
 *   definitions, scopes, headers, examples) become repeated Named* pairs in the JSON key order;
 * - `x-*` keys become the `vendor_extension` NamedAny list, and every free-form value (vendor
 *   extensions, `default`, `example`, `enum` items, response `examples`) an `Any` whose `yaml`
 *   is the value's YAML text exactly as gnostic writes it (go-yaml v3's emitter, block style,
 *   four-space indent; see {@link goYaml});
 * - `type` is a TypeItem, `items` an ItemsItem, `additionalProperties` a schema or boolean;
 *   oneofs pick the variant gnostic's matcher would: a parameter with `$ref` is a JsonReference,
 *   `in: body` a BodyParameter, the others the sub-schema named by `in`; a response with `$ref`
 *   a JsonReference; a `type: file` response schema a FileSchema; a security definition the
 *   variant for its `type` (and `flow`).
 * Zero values (empty strings, false, 0) are left out as proto3 does, so for a document gnostic
 * accepts the bytes are those of Go's `proto.Marshal` (same field order, same YAML text).
 *
 * Where gnostic rejects a document (a key its schema does not have, a value of the wrong kind)
 * Go fails the whole conversion; here the offending key or value is dropped instead, so one odd
 * schema does not take the protobuf document away from kubectl.
 */
import { Root, type Type } from 'protobufjs';

export const OPENAPI_V2_PROTOBUF_MEDIA_TYPE = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
/** The Content-Type kube-openapi answers either spelling with (it calls the `@` spelling deprecated). */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

// ---------------------------------------------------------------------------------------------
// The schema: the messages of package openapi.v2, by field name and number (Default and
// VendorExtension are not referenced from Document; they are here so the package is whole).

type Field = readonly [id: number, type: string, rule?: 'repeated'];
interface MessageSpec {
  fields: Record<string, Field>;
  /** All fields are members of the one oneof, which gnostic names `oneof`. */
  oneof?: true;
}

const R = 'repeated' as const;
const vendorExtension = (id: number): Record<string, Field> => ({ vendor_extension: [id, 'NamedAny', R] });
const named = (value: string): MessageSpec => ({ fields: { name: [1, 'string'], value: [2, value] } });
const namedList = (item: string): MessageSpec => ({ fields: { additional_properties: [1, item, R] } });
const oneof = (fields: Record<string, Field>): MessageSpec => ({ fields, oneof: true });

/** The validation keywords that Header, PrimitivesItems and the non-body parameters share, in order, from `after + 1`. */
function primitiveFields(after: number): Record<string, Field> {
  const block: Array<[string, string, 'repeated'?]> = [
    ['type', 'string'],
    ['format', 'string'],
    ['items', 'PrimitivesItems'],
    ['collection_format', 'string'],
    ['default', 'Any'],
    ['maximum', 'double'],
    ['exclusive_maximum', 'bool'],
    ['minimum', 'double'],
    ['exclusive_minimum', 'bool'],
    ['max_length', 'int64'],
    ['min_length', 'int64'],
    ['pattern', 'string'],
    ['max_items', 'int64'],
    ['min_items', 'int64'],
    ['unique_items', 'bool'],
    ['enum', 'Any', R],
    ['multiple_of', 'double'],
  ];
  return Object.fromEntries(block.map(([name, type, rule], i) => [name, [after + 1 + i, type, rule] as Field]));
}

/** Header and path parameters: no allowEmptyValue, so the block starts at 5. */
const headerOrPathParameter: MessageSpec = {
  fields: { required: [1, 'bool'], in: [2, 'string'], description: [3, 'string'], name: [4, 'string'], ...primitiveFields(4), ...vendorExtension(22) },
};
/** Query and formData parameters. */
const queryOrFormDataParameter: MessageSpec = {
  fields: {
    required: [1, 'bool'],
    in: [2, 'string'],
    description: [3, 'string'],
    name: [4, 'string'],
    allow_empty_value: [5, 'bool'],
    ...primitiveFields(5),
    ...vendorExtension(23),
  },
};
const oauth2 = (rest: Record<string, Field>): MessageSpec => ({
  fields: { type: [1, 'string'], flow: [2, 'string'], scopes: [3, 'Oauth2Scopes'], ...rest },
});

const MESSAGES: Record<string, MessageSpec> = {
  AdditionalPropertiesItem: oneof({ schema: [1, 'Schema'], boolean: [2, 'bool'] }),
  Any: { fields: { value: [1, '.google.protobuf.Any'], yaml: [2, 'string'] } },
  ApiKeySecurity: {
    fields: { type: [1, 'string'], name: [2, 'string'], in: [3, 'string'], description: [4, 'string'], ...vendorExtension(5) },
  },
  BasicAuthenticationSecurity: { fields: { type: [1, 'string'], description: [2, 'string'], ...vendorExtension(3) } },
  BodyParameter: {
    fields: {
      description: [1, 'string'],
      name: [2, 'string'],
      in: [3, 'string'],
      required: [4, 'bool'],
      schema: [5, 'Schema'],
      ...vendorExtension(6),
    },
  },
  Contact: { fields: { name: [1, 'string'], url: [2, 'string'], email: [3, 'string'], ...vendorExtension(4) } },
  Default: namedList('NamedAny'),
  Definitions: namedList('NamedSchema'),
  Document: {
    fields: {
      swagger: [1, 'string'],
      info: [2, 'Info'],
      host: [3, 'string'],
      base_path: [4, 'string'],
      schemes: [5, 'string', R],
      consumes: [6, 'string', R],
      produces: [7, 'string', R],
      paths: [8, 'Paths'],
      definitions: [9, 'Definitions'],
      parameters: [10, 'ParameterDefinitions'],
      responses: [11, 'ResponseDefinitions'],
      security: [12, 'SecurityRequirement', R],
      security_definitions: [13, 'SecurityDefinitions'],
      tags: [14, 'Tag', R],
      external_docs: [15, 'ExternalDocs'],
      ...vendorExtension(16),
    },
  },
  Examples: namedList('NamedAny'),
  ExternalDocs: { fields: { description: [1, 'string'], url: [2, 'string'], ...vendorExtension(3) } },
  FileSchema: {
    fields: {
      format: [1, 'string'],
      title: [2, 'string'],
      description: [3, 'string'],
      default: [4, 'Any'],
      required: [5, 'string', R],
      type: [6, 'string'],
      read_only: [7, 'bool'],
      external_docs: [8, 'ExternalDocs'],
      example: [9, 'Any'],
      ...vendorExtension(10),
    },
  },
  FormDataParameterSubSchema: queryOrFormDataParameter,
  Header: { fields: { ...primitiveFields(0), description: [18, 'string'], ...vendorExtension(19) } },
  HeaderParameterSubSchema: headerOrPathParameter,
  Headers: namedList('NamedHeader'),
  Info: {
    fields: {
      title: [1, 'string'],
      version: [2, 'string'],
      description: [3, 'string'],
      terms_of_service: [4, 'string'],
      contact: [5, 'Contact'],
      license: [6, 'License'],
      ...vendorExtension(7),
    },
  },
  ItemsItem: { fields: { schema: [1, 'Schema', R] } },
  JsonReference: { fields: { _ref: [1, 'string'], description: [2, 'string'] } },
  License: { fields: { name: [1, 'string'], url: [2, 'string'], ...vendorExtension(3) } },
  NamedAny: named('Any'),
  NamedHeader: named('Header'),
  NamedParameter: named('Parameter'),
  NamedPathItem: named('PathItem'),
  NamedResponse: named('Response'),
  NamedResponseValue: named('ResponseValue'),
  NamedSchema: named('Schema'),
  NamedSecurityDefinitionsItem: named('SecurityDefinitionsItem'),
  NamedString: named('string'),
  NamedStringArray: named('StringArray'),
  NonBodyParameter: oneof({
    header_parameter_sub_schema: [1, 'HeaderParameterSubSchema'],
    form_data_parameter_sub_schema: [2, 'FormDataParameterSubSchema'],
    query_parameter_sub_schema: [3, 'QueryParameterSubSchema'],
    path_parameter_sub_schema: [4, 'PathParameterSubSchema'],
  }),
  Oauth2AccessCodeSecurity: oauth2({ authorization_url: [4, 'string'], token_url: [5, 'string'], description: [6, 'string'], ...vendorExtension(7) }),
  Oauth2ApplicationSecurity: oauth2({ token_url: [4, 'string'], description: [5, 'string'], ...vendorExtension(6) }),
  Oauth2ImplicitSecurity: oauth2({ authorization_url: [4, 'string'], description: [5, 'string'], ...vendorExtension(6) }),
  Oauth2PasswordSecurity: oauth2({ token_url: [4, 'string'], description: [5, 'string'], ...vendorExtension(6) }),
  Oauth2Scopes: namedList('NamedString'),
  Operation: {
    fields: {
      tags: [1, 'string', R],
      summary: [2, 'string'],
      description: [3, 'string'],
      external_docs: [4, 'ExternalDocs'],
      operation_id: [5, 'string'],
      produces: [6, 'string', R],
      consumes: [7, 'string', R],
      parameters: [8, 'ParametersItem', R],
      responses: [9, 'Responses'],
      schemes: [10, 'string', R],
      deprecated: [11, 'bool'],
      security: [12, 'SecurityRequirement', R],
      ...vendorExtension(13),
    },
  },
  Parameter: oneof({ body_parameter: [1, 'BodyParameter'], non_body_parameter: [2, 'NonBodyParameter'] }),
  ParameterDefinitions: namedList('NamedParameter'),
  ParametersItem: oneof({ parameter: [1, 'Parameter'], json_reference: [2, 'JsonReference'] }),
  PathItem: {
    fields: {
      _ref: [1, 'string'],
      get: [2, 'Operation'],
      put: [3, 'Operation'],
      post: [4, 'Operation'],
      delete: [5, 'Operation'],
      options: [6, 'Operation'],
      head: [7, 'Operation'],
      patch: [8, 'Operation'],
      parameters: [9, 'ParametersItem', R],
      ...vendorExtension(10),
    },
  },
  PathParameterSubSchema: headerOrPathParameter,
  Paths: { fields: { vendor_extension: [1, 'NamedAny', R], path: [2, 'NamedPathItem', R] } },
  PrimitivesItems: { fields: { ...primitiveFields(0), ...vendorExtension(18) } },
  Properties: namedList('NamedSchema'),
  QueryParameterSubSchema: queryOrFormDataParameter,
  Response: {
    fields: {
      description: [1, 'string'],
      schema: [2, 'SchemaItem'],
      headers: [3, 'Headers'],
      examples: [4, 'Examples'],
      ...vendorExtension(5),
    },
  },
  ResponseDefinitions: namedList('NamedResponse'),
  ResponseValue: oneof({ response: [1, 'Response'], json_reference: [2, 'JsonReference'] }),
  Responses: { fields: { response_code: [1, 'NamedResponseValue', R], vendor_extension: [2, 'NamedAny', R] } },
  Schema: {
    fields: {
      _ref: [1, 'string'],
      format: [2, 'string'],
      title: [3, 'string'],
      description: [4, 'string'],
      default: [5, 'Any'],
      multiple_of: [6, 'double'],
      maximum: [7, 'double'],
      exclusive_maximum: [8, 'bool'],
      minimum: [9, 'double'],
      exclusive_minimum: [10, 'bool'],
      max_length: [11, 'int64'],
      min_length: [12, 'int64'],
      pattern: [13, 'string'],
      max_items: [14, 'int64'],
      min_items: [15, 'int64'],
      unique_items: [16, 'bool'],
      max_properties: [17, 'int64'],
      min_properties: [18, 'int64'],
      required: [19, 'string', R],
      enum: [20, 'Any', R],
      additional_properties: [21, 'AdditionalPropertiesItem'],
      type: [22, 'TypeItem'],
      items: [23, 'ItemsItem'],
      all_of: [24, 'Schema', R],
      properties: [25, 'Properties'],
      discriminator: [26, 'string'],
      read_only: [27, 'bool'],
      xml: [28, 'Xml'],
      external_docs: [29, 'ExternalDocs'],
      example: [30, 'Any'],
      ...vendorExtension(31),
    },
  },
  SchemaItem: oneof({ schema: [1, 'Schema'], file_schema: [2, 'FileSchema'] }),
  SecurityDefinitions: namedList('NamedSecurityDefinitionsItem'),
  SecurityDefinitionsItem: oneof({
    basic_authentication_security: [1, 'BasicAuthenticationSecurity'],
    api_key_security: [2, 'ApiKeySecurity'],
    oauth2_implicit_security: [3, 'Oauth2ImplicitSecurity'],
    oauth2_password_security: [4, 'Oauth2PasswordSecurity'],
    oauth2_application_security: [5, 'Oauth2ApplicationSecurity'],
    oauth2_access_code_security: [6, 'Oauth2AccessCodeSecurity'],
  }),
  SecurityRequirement: namedList('NamedStringArray'),
  StringArray: { fields: { value: [1, 'string', R] } },
  Tag: { fields: { name: [1, 'string'], description: [2, 'string'], external_docs: [3, 'ExternalDocs'], ...vendorExtension(4) } },
  TypeItem: { fields: { value: [1, 'string', R] } },
  VendorExtension: namedList('NamedAny'),
  Xml: {
    fields: {
      name: [1, 'string'],
      namespace: [2, 'string'],
      prefix: [3, 'string'],
      attribute: [4, 'bool'],
      wrapped: [5, 'bool'],
      ...vendorExtension(6),
    },
  },
};

function rootJSON(): Record<string, unknown> {
  const nested: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(MESSAGES)) {
    const fields = Object.fromEntries(
      Object.entries(spec.fields).map(([field, [id, type, rule]]) => [field, rule ? { id, type, rule } : { id, type }]),
    );
    nested[name] = spec.oneof ? { fields, oneofs: { oneof: { oneof: Object.keys(fields) } } } : { fields };
  }
  return {
    nested: {
      openapi: { nested: { v2: { nested } } },
      // The well-known type Any.value refers to (never set: gnostic fills it only for registered extension handlers).
      google: { nested: { protobuf: { nested: { Any: { fields: { type_url: { id: 1, type: 'string' }, value: { id: 2, type: 'bytes' } } } } } } },
    },
  };
}

let root: Root | undefined;
/** The protobufjs reflection of package openapi.v2 (built once); `lookupType('openapi.v2.Document')` decodes what the encoder writes. */
export function openAPIV2ProtobufRoot(): Root {
  if (!root) {
    root = Root.fromJSON(rootJSON());
    root.resolveAll();
  }
  return root;
}
let documentType: Type | undefined;
function documentMessage(): Type {
  return (documentType ??= openAPIV2ProtobufRoot().lookupType('openapi.v2.Document'));
}

/**
 * The Swagger 2.0 JSON document as gnostic `openapi_v2.Document` bytes: for a document gnostic
 * accepts, the bytes of kube-openapi's ToProtoBinary(JSON.stringify(doc)). Tens of milliseconds
 * for kapi's own documents, a few hundred for kube-apiserver's 3 MB one: render it once per
 * document change, as the JSON is.
 */
export function encodeOpenAPIV2Protobuf(doc: Record<string, unknown>): Uint8Array {
  return documentMessage().encode(toMessage('Document', doc)).finish();
}

// ---------------------------------------------------------------------------------------------
// JSON -> message objects (plain objects with the schema's field names; protobufjs encodes them).

type Json = Record<string, unknown>;
type Message = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const isExtension = (key: string): boolean => key.startsWith('x-');

/** The JSON key of a field: camelCase of its name; `_ref` is `$ref`. */
function jsonKey(field: string): string {
  return field === '_ref' ? '$ref' : field.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

/** A scalar gnostic reads as a string: strings, integers (as their JSON text) and null (as ""). */
function scalarString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (v === null) return '';
  return undefined;
}

function stringList(v: unknown): string[] | undefined {
  if (!Array.isArray(v)) return undefined;
  return v.map(scalarString).filter((s): s is string => s !== undefined);
}

function anyOf(v: unknown): Message {
  return { yaml: goYaml(v) };
}

function vendorExtensions(v: Json): Message[] {
  const out: Message[] = [];
  for (const [key, value] of Object.entries(v)) if (isExtension(key) && value !== undefined) out.push({ name: key, value: anyOf(value) });
  return out;
}

function pair(name: string, value: Message | string | undefined): Message {
  const out: Message = {};
  if (name !== '') out['name'] = name;
  if (value !== undefined && value !== '') out['value'] = value;
  return out;
}

/** A Named* list from an object, in key order, optionally only the keys a pattern selects. */
function namedEntries(v: unknown, value: (x: unknown) => Message | string | undefined, select?: (key: string) => boolean): Message[] {
  if (!isObject(v)) return [];
  return Object.entries(v)
    .filter(([key, x]) => x !== undefined && (!select || select(key)))
    .map(([key, x]) => pair(key, value(x)));
}

const namedListOf =
  (value: (x: unknown) => Message | string | undefined) =>
  (v: unknown): Message | undefined =>
    isObject(v) ? { additional_properties: namedEntries(v, value) } : undefined;

const has = (v: Json, key: string): boolean => Object.hasOwn(v, key) && v[key] !== undefined;

/** FileSchema's keys: a `type: file` response schema using only these is a FileSchema for gnostic. */
const FILE_SCHEMA_KEYS = new Set(Object.keys(MESSAGES['FileSchema']!.fields).map(jsonKey));

const NON_BODY_PARAMETER: Record<string, string> = {
  header: 'header_parameter_sub_schema',
  formData: 'form_data_parameter_sub_schema',
  query: 'query_parameter_sub_schema',
  path: 'path_parameter_sub_schema',
};
const NON_BODY_TYPE: Record<string, string> = {
  header_parameter_sub_schema: 'HeaderParameterSubSchema',
  form_data_parameter_sub_schema: 'FormDataParameterSubSchema',
  query_parameter_sub_schema: 'QueryParameterSubSchema',
  path_parameter_sub_schema: 'PathParameterSubSchema',
};

function securityDefinitionsItem(v: Json): Message | undefined {
  const type = v['type'];
  if (type === 'basic') return { basic_authentication_security: toMessage('BasicAuthenticationSecurity', v) };
  if (type === 'apiKey') return { api_key_security: toMessage('ApiKeySecurity', v) };
  if (type !== 'oauth2') return undefined;
  switch (v['flow']) {
    case 'implicit':
      return { oauth2_implicit_security: toMessage('Oauth2ImplicitSecurity', v) };
    case 'password':
      return { oauth2_password_security: toMessage('Oauth2PasswordSecurity', v) };
    case 'application':
      return { oauth2_application_security: toMessage('Oauth2ApplicationSecurity', v) };
    case 'accessCode':
      return { oauth2_access_code_security: toMessage('Oauth2AccessCodeSecurity', v) };
    default:
      return undefined;
  }
}

/** Messages that are not "one JSON key per field": maps, oneofs and the type/items shorthands. */
const SPECIAL: Record<string, (v: unknown) => Message | undefined> = {
  Any: anyOf,
  Definitions: namedListOf((x) => toMessage('Schema', x)),
  Properties: namedListOf((x) => toMessage('Schema', x)),
  ParameterDefinitions: namedListOf((x) => convert('Parameter', x)),
  ResponseDefinitions: namedListOf((x) => toMessage('Response', x)),
  SecurityDefinitions: namedListOf((x) => convert('SecurityDefinitionsItem', x)),
  Headers: namedListOf((x) => toMessage('Header', x)),
  Examples: namedListOf(anyOf),
  Oauth2Scopes: namedListOf(scalarString),
  SecurityRequirement: namedListOf((x) => convert('StringArray', x)),
  StringArray: (v) => ({ value: Array.isArray(v) ? v.map((s) => scalarString(s) ?? '') : [] }),
  Paths: (v) =>
    isObject(v)
      ? { vendor_extension: vendorExtensions(v), path: namedEntries(v, (x) => toMessage('PathItem', x), (k) => k.startsWith('/')) }
      : undefined,
  Responses: (v) =>
    isObject(v)
      ? {
          response_code: namedEntries(v, (x) => convert('ResponseValue', x), (k) => /^([0-9]{3})$|^(default)$/.test(k)),
          vendor_extension: vendorExtensions(v),
        }
      : undefined,
  TypeItem: (v) => {
    if (Array.isArray(v)) return { value: v.filter((x) => !isObject(x) && !Array.isArray(x)).map(scalarText) };
    return isObject(v) ? undefined : { value: [scalarText(v)] };
  },
  ItemsItem: (v) => {
    if (isObject(v)) return { schema: [toMessage('Schema', v)] };
    return Array.isArray(v) ? { schema: v.map((x) => toMessage('Schema', x)) } : undefined;
  },
  AdditionalPropertiesItem: (v) => {
    if (typeof v === 'boolean') return { boolean: v };
    return isObject(v) ? { schema: toMessage('Schema', v) } : undefined;
  },
  ParametersItem: (v) => {
    if (!isObject(v)) return undefined;
    return has(v, '$ref') ? { json_reference: toMessage('JsonReference', v) } : { parameter: convert('Parameter', v) };
  },
  Parameter: (v) => {
    if (!isObject(v)) return undefined;
    if (v['in'] === 'body') return { body_parameter: toMessage('BodyParameter', v) };
    return { non_body_parameter: convert('NonBodyParameter', v) };
  },
  NonBodyParameter: (v) => {
    if (!isObject(v)) return undefined;
    const field = NON_BODY_PARAMETER[String(v['in'])] ?? 'query_parameter_sub_schema';
    return { [field]: toMessage(NON_BODY_TYPE[field]!, v) };
  },
  ResponseValue: (v) => {
    if (!isObject(v)) return undefined;
    return has(v, '$ref') ? { json_reference: toMessage('JsonReference', v) } : { response: toMessage('Response', v) };
  },
  SchemaItem: (v) => {
    if (!isObject(v)) return undefined;
    const file = v['type'] === 'file' && Object.keys(v).every((k) => isExtension(k) || FILE_SCHEMA_KEYS.has(k));
    return file ? { file_schema: toMessage('FileSchema', v) } : { schema: toMessage('Schema', v) };
  },
  SecurityDefinitionsItem: (v) => (isObject(v) ? securityDefinitionsItem(v) : undefined),
};

/** The text of a scalar as the YAML node holds it (what gnostic's TypeItem takes). */
function scalarText(v: unknown): string {
  return typeof v === 'string' ? v : jsonScalarText(v);
}

function convert(type: string, v: unknown): Message | undefined {
  const special = SPECIAL[type];
  return special ? special(v) : toMessage(type, v);
}

interface FieldInfo {
  name: string;
  type: string;
  repeated: boolean;
}
interface MessageFields {
  /** By JSON key. */
  byKey: Map<string, FieldInfo>;
  vendorExtension: boolean;
}
const fieldCache = new Map<string, MessageFields>();
function fieldsOf(type: string): MessageFields {
  let fields = fieldCache.get(type);
  if (!fields) {
    const byKey = new Map<string, FieldInfo>();
    let vendorExtension = false;
    for (const [name, [, t, rule]] of Object.entries(MESSAGES[type]!.fields)) {
      if (name === 'vendor_extension') vendorExtension = true;
      else byKey.set(jsonKey(name), { name, type: t, repeated: rule === R });
    }
    fields = { byKey, vendorExtension };
    fieldCache.set(type, fields);
  }
  return fields;
}

/** One value of a field; undefined leaves the field out (zero values, or what gnostic would reject). */
function fieldValue(type: string, v: unknown): unknown {
  switch (type) {
    case 'string': {
      const s = scalarString(v);
      return s === '' ? undefined : s;
    }
    case 'bool':
      return v === true ? true : undefined;
    case 'double':
      return typeof v === 'number' && Number.isFinite(v) && v !== 0 ? v : undefined;
    case 'int64':
      return typeof v === 'number' && Number.isSafeInteger(v) && v !== 0 ? v : undefined;
    default:
      return convert(type, v);
  }
}

/** A message whose fields are JSON keys of the same (camelCase) name, plus the `x-*` extensions. */
function toMessage(type: string, v: unknown): Message {
  const out: Message = {};
  if (!isObject(v)) return out;
  const { byKey, vendorExtension } = fieldsOf(type);
  let extensions: Message[] | undefined;
  for (const key of Object.keys(v)) {
    const x = v[key];
    if (x === undefined) continue; // not in the JSON text
    if (isExtension(key)) {
      if (vendorExtension) (extensions ??= []).push({ name: key, value: anyOf(x) });
      continue;
    }
    const f = byKey.get(key);
    if (!f) continue; // gnostic rejects the document; the key is dropped here
    let value: unknown;
    if (!f.repeated) value = fieldValue(f.type, x);
    else if (f.type === 'string') value = stringList(x);
    else if (Array.isArray(x)) value = x.map((item) => fieldValue(f.type, item)).filter((item) => item !== undefined);
    if (value !== undefined) out[f.name] = value;
  }
  if (extensions) out['vendor_extension'] = extensions;
  return out;
}

// ---------------------------------------------------------------------------------------------
// YAML text as gnostic writes it: compiler.Marshal clears the node styles and go-yaml v3 emits the
// node in block style with a four-space indent and no line width. This follows go-yaml's encoder
// (which strings are quoted) and emitter (libyaml's scalar analysis, style choice and writers)
// for the values JSON has; anchors, tags, comments and flow collections other than the empty
// `[]`/`{}` do not occur.

const BEST_INDENT = 4;

/** The YAML text gnostic stores in an Any for a JSON value. */
export function goYaml(value: unknown): string {
  const e = new Emitter();
  e.node(value, { root: true, mapping: false, simpleKey: false }, false);
  e.writeIndent(); // document end
  return e.out;
}

function jsonScalarText(v: unknown): string {
  if (typeof v === 'number') return Number.isFinite(v) ? JSON.stringify(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v === undefined || v === null) return 'null';
  return String(v);
}

type Style = 'plain' | 'single' | 'double' | 'literal';
interface Context {
  root: boolean;
  mapping: boolean;
  simpleKey: boolean;
}
interface Analysis {
  multiline: boolean;
  blockPlainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
}

const isBreak = (c: number): boolean => c === 0x0d || c === 0x0a || c === 0x85 || c === 0x2028 || c === 0x2029;
const isBlank = (c: number | undefined): boolean => c === 0x20 || c === 0x09;
const isPrintable = (c: number): boolean =>
  c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);

function codePoints(s: string): number[] {
  const out: number[] = [];
  for (const ch of s) out.push(ch.codePointAt(0)!);
  return out;
}

/** libyaml's yaml_emitter_analyze_scalar, for block context (the flow-context answers are never asked). */
function analyze(cs: number[]): Analysis {
  if (cs.length === 0) {
    return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: false };
  }
  let blockIndicators = false;
  let lineBreaks = false;
  let specialCharacters = false;
  let tabCharacters = false;
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  const startsWith3 = (c: number): boolean => cs.length >= 3 && cs[0] === c && cs[1] === c && cs[2] === c;
  if (startsWith3(0x2d) || startsWith3(0x2e)) blockIndicators = true; // "---" or "..."
  let precededByWhitespace = true;
  for (let i = 0; i < cs.length; i++) {
    const c = cs[i]!;
    const last = i === cs.length - 1;
    const followedByWhitespace = last || isBlank(cs[i + 1]);
    const ch = String.fromCodePoint(c);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      else if ((ch === '?' || ch === ':' || ch === '-') && followedByWhitespace) blockIndicators = true;
    } else if ((ch === ':' && followedByWhitespace) || (ch === '#' && precededByWhitespace)) {
      blockIndicators = true;
    }
    if (c === 0x09) tabCharacters = true;
    else if (!isPrintable(c)) specialCharacters = true;
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (last) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0) leadingBreak = true;
      if (last) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(c) || isBreak(c) || c === 0;
  }
  const a: Analysis = { multiline: lineBreaks, blockPlainAllowed: true, singleQuotedAllowed: true, blockAllowed: true };
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak || lineBreaks || blockIndicators) a.blockPlainAllowed = false;
  if (breakSpace || spaceBreak || tabCharacters || specialCharacters) {
    a.blockPlainAllowed = false;
    a.singleQuotedAllowed = false;
  }
  if (trailingSpace || spaceBreak || specialCharacters) a.blockAllowed = false;
  return a;
}

const PLAIN_WORDS = new Set(['true', 'True', 'TRUE', 'false', 'False', 'FALSE', '', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS = new Set(['.nan', '.NaN', '.NAN', '.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF', '-.inf', '-.Inf', '-.INF']);
const YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const GO_INT = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;
const INT64_MAX = 2n ** 63n - 1n;

/** strconv.ParseInt(s, 0, 64) or strconv.ParseUint(s, 0, 64) succeeds. */
function goInteger(s: string): boolean {
  const m = GO_INT.exec(s);
  if (!m) return false;
  const [, sign, body] = m as unknown as [string, string, string];
  const lower = body.toLowerCase();
  const digits = lower.startsWith('0o') ? '0o' + lower.slice(2) : lower.length > 1 && lower[0] === '0' && /^[0-7]+$/.test(lower) ? '0o' + lower.slice(1) : lower;
  const magnitude = BigInt(digits);
  const value = sign === '-' ? -magnitude : magnitude;
  if (value >= INT64_MIN && value <= INT64_MAX) return true;
  return sign === '' && value <= UINT64_MAX;
}

const daysIn = (month: number, year: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();
const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:([Tt])|( ))(\d{1,2}):(\d{1,2}):(\d{1,2})(?:[.,]\d+)?(Z|[+-](\d{2}):(\d{2}))?)?$/;

/** go-yaml's parseTimestamp: one of its time.Parse layouts accepts the string. */
function goTimestamp(s: string): boolean {
  const m = TIMESTAMP.exec(s);
  if (!m) return false;
  const [, y, mo, d, t, space, h, mi, sec, zone, zh, zm] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) return false;
  if (h === undefined) return true;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return false;
  if (t !== undefined) {
    if (zone === undefined) return false; // the T layouts end in Z07:00
    if (zh !== undefined && (Number(zh) > 24 || Number(zm) > 60)) return false;
    return true;
  }
  return space !== undefined && zone === undefined; // "2006-1-2 15:4:5.999999999" has no zone
}

/** strconv's underscoreOK for a decimal number: each `_` sits between two digits. */
function underscoresBetweenDigits(s: string): boolean {
  return !/(^|[^0-9])_|_($|[^0-9])/.test(s);
}

/** go-yaml's resolve(): would this plain text read back as something other than a string? */
function resolvesToNonString(s: string): boolean {
  if (s === '') return true;
  const first = s[0]!;
  const hint = first === '+' || first === '-' ? 'S' : first >= '0' && first <= '9' ? 'D' : 'yYnNtTfFoO~'.includes(first) ? 'M' : first === '.' ? '.' : '';
  if (hint === '') return false;
  if (PLAIN_WORDS.has(s) || SPECIAL_FLOATS.has(s)) return true;
  if (hint === 'M') return false;
  if (hint === '.') {
    const stripped = s.replaceAll('_', '');
    return underscoresBetweenDigits(s) && /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(stripped) && Number.isFinite(Number(stripped));
  }
  if (goTimestamp(s)) return true;
  const plain = s.replaceAll('_', '');
  if (goInteger(plain)) return true;
  return YAML_FLOAT.test(plain) && Number.isFinite(Number(plain));
}

class Emitter {
  out = '';
  private column = 0;
  private indent = -1;
  private readonly indents: number[] = [];
  private whitespace = true;
  private indention = true;

  /** A node; `inSequenceItem` is libyaml's "the state below is a block sequence item" (which indents by 2). */
  node(v: unknown, ctx: Context, inSequenceItem: boolean): void {
    if (Array.isArray(v)) {
      if (v.length === 0) return this.emptyFlow('[', ']', inSequenceItem);
      this.increaseIndent(false, inSequenceItem);
      for (const item of v) {
        this.writeIndent();
        this.writeIndicator('-', true, false, true);
        this.node(item, { root: false, mapping: false, simpleKey: false }, true);
      }
      this.indent = this.indents.pop()!;
      return;
    }
    if (isObject(v)) {
      const entries = Object.entries(v).filter(([, x]) => x !== undefined);
      if (entries.length === 0) return this.emptyFlow('{', '}', inSequenceItem);
      this.increaseIndent(false, inSequenceItem);
      for (const [key, value] of entries) {
        this.writeIndent();
        const keyPoints = codePoints(key);
        const simple = !analyze(keyPoints).multiline && Buffer.byteLength(key) <= 128;
        if (simple) {
          this.scalar(key, true, { root: false, mapping: true, simpleKey: true }, false);
          this.writeIndicator(':', false, false, false);
        } else {
          this.writeIndicator('?', true, false, true);
          this.scalar(key, true, { root: false, mapping: true, simpleKey: false }, false);
          this.writeIndent();
          this.writeIndicator(':', true, false, true);
        }
        this.node(value, { root: false, mapping: true, simpleKey: false }, false);
      }
      this.indent = this.indents.pop()!;
      return;
    }
    if (typeof v === 'string') this.scalar(v, true, ctx, inSequenceItem);
    else this.scalar(jsonScalarText(v), false, ctx, inSequenceItem);
  }

  /** `[]` or `{}`: the only flow collections, so no scalar is ever written in flow context. */
  private emptyFlow(open: string, close: string, inSequenceItem: boolean): void {
    this.writeIndicator(open, true, true, false);
    this.increaseIndent(true, inSequenceItem);
    this.indent = this.indents.pop()!;
    this.writeIndicator(close, false, false, false);
  }

  /** go-yaml's encoder picks the requested style; the emitter may overrule it. */
  private scalar(value: string, isString: boolean, ctx: Context, inSequenceItem: boolean): void {
    let style: Style = 'plain';
    if (isString) {
      if (value.includes('\n')) style = 'literal';
      else if (resolvesToNonString(value)) style = 'double';
    }
    const cs = codePoints(value);
    const a = analyze(cs);
    if (ctx.simpleKey && a.multiline) style = 'double';
    if (style === 'plain' && (!a.blockPlainAllowed || (cs.length === 0 && ctx.simpleKey))) style = 'single';
    if (style === 'single' && !a.singleQuotedAllowed) style = 'double';
    if (style === 'literal' && (!a.blockAllowed || ctx.simpleKey)) style = 'double';

    this.increaseIndent(true, inSequenceItem);
    if (style === 'plain') this.writePlain(cs);
    else if (style === 'single') this.writeSingleQuoted(cs);
    else if (style === 'double') this.writeDoubleQuoted(cs);
    else this.writeLiteral(cs);
    this.indent = this.indents.pop()!;
  }

  private increaseIndent(flow: boolean, inSequenceItem: boolean): void {
    this.indents.push(this.indent);
    if (this.indent < 0) this.indent = flow ? BEST_INDENT : 0;
    else if (inSequenceItem) this.indent += 2;
    else this.indent = BEST_INDENT * Math.floor((this.indent + BEST_INDENT) / BEST_INDENT);
  }

  private put(s: string): void {
    this.out += s;
    this.column++;
  }

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
    this.indention = true;
  }

  private writeBreak(c: number): void {
    if (c === 0x0a) return this.putBreak();
    this.out += String.fromCodePoint(c);
    this.column = 0;
    this.indention = true;
  }

  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    while (this.column < indent) this.put(' ');
    this.whitespace = true;
  }

  private writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) this.put(' ');
    this.out += indicator;
    this.column += indicator.length;
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  /** The loop plain and single-quoted scalars share (no folding: go-yaml's width is unlimited). */
  private writeRun(cs: number[], quote: boolean): void {
    let breaks = false;
    for (const c of cs) {
      if (c === 0x20) {
        this.put(' ');
      } else if (isBreak(c)) {
        if (!breaks && c === 0x0a) this.putBreak();
        this.writeBreak(c);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        if (quote && c === 0x27) this.put("'");
        this.put(String.fromCodePoint(c));
        this.indention = false;
        breaks = false;
      }
    }
  }

  private writePlain(cs: number[]): void {
    if (cs.length > 0 && !this.whitespace) this.put(' ');
    this.writeRun(cs, false);
    if (cs.length > 0) this.whitespace = false;
    this.indention = false;
  }

  private writeSingleQuoted(cs: number[]): void {
    this.writeIndicator("'", true, false, false);
    this.writeRun(cs, true);
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeDoubleQuoted(cs: number[]): void {
    this.writeIndicator('"', true, false, false);
    const bom = cs[0] === 0xfeff; // libyaml checks the BOM at the start of the value for every character
    for (const c of cs) {
      if (!isPrintable(c) || bom || isBreak(c) || c === 0x22 || c === 0x5c) {
        this.put('\\');
        const short = DOUBLE_QUOTED_ESCAPES.get(c);
        if (short) {
          this.put(short);
        } else {
          const [letter, width] = c <= 0xff ? ['x', 2] : c <= 0xffff ? ['u', 4] : ['U', 8];
          this.put(letter);
          for (const digit of c.toString(16).toUpperCase().padStart(width, '0')) this.put(digit);
        }
      } else {
        this.put(String.fromCodePoint(c));
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  private writeLiteral(cs: number[]): void {
    this.writeIndicator('|', true, false, false);
    if (cs.length > 0 && (cs[0] === 0x20 || isBreak(cs[0]!))) this.writeIndicator(String(BEST_INDENT), false, false, false);
    let chomp = '';
    const n = cs.length;
    if (n === 0 || !isBreak(cs[n - 1]!)) chomp = '-';
    else if (n === 1 || isBreak(cs[n - 2]!)) chomp = '+';
    if (chomp) this.writeIndicator(chomp, false, false, false);
    this.putBreak();
    this.whitespace = true;
    let breaks = true;
    for (const c of cs) {
      if (isBreak(c)) {
        this.writeBreak(c);
        breaks = true;
      } else {
        if (breaks) this.writeIndent();
        this.put(String.fromCodePoint(c));
        this.indention = false;
        breaks = false;
      }
    }
  }
}

const DOUBLE_QUOTED_ESCAPES = new Map<number, string>([
  [0x00, '0'],
  [0x07, 'a'],
  [0x08, 'b'],
  [0x09, 't'],
  [0x0a, 'n'],
  [0x0b, 'v'],
  [0x0c, 'f'],
  [0x0d, 'r'],
  [0x1b, 'e'],
  [0x22, '"'],
  [0x5c, '\\'],
  [0x85, 'N'],
  [0xa0, '_'],
  [0x2028, 'L'],
  [0x2029, 'P'],
]);
