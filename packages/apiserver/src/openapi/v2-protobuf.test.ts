import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { buildSwagger } from './v2.js';
import { buildGroupVersionDocuments } from './v3.js';
import { widgetKind } from '../scheme/test-kinds.js';
import {
  OPENAPI_V2_PROTOBUF_CONTENT_TYPE,
  OPENAPI_V2_PROTOBUF_MEDIA_TYPE,
  encodeOpenAPIV2Protobuf,
  goYaml,
  openAPIV2ProtobufRoot,
} from './v2-protobuf.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * A Kubernetes-style Swagger 2.0 document that touches every message gnostic has for one: all
 * parameter kinds (query, header, path, formData, body, $ref), response headers, examples, $ref
 * and file schema, boolean and schema additionalProperties, type lists, xml, every security
 * definition variant, document-level parameters and responses, and vendor extensions at each level.
 */
const DOC: Json = {
    "swagger": "2.0",
    "info": {
      "title": "Kubernetes", "version": "v1.37.2", "description": "", "termsOfService": "https://example.com/tos",
      "contact": { "name": "kapi", "url": "https://example.com", "email": "kapi@example.com", "x-contact": 1 },
      "license": { "name": "Apache 2.0", "url": "https://www.apache.org/licenses/LICENSE-2.0", "x-license": [true] },
      "x-info": { "nested": ["a", "b"] }
    },
    "host": "127.0.0.1:8443",
    "basePath": "/",
    "schemes": ["https", "wss"],
    "consumes": ["application/json", "application/yaml"],
    "produces": ["application/json"],
    "paths": {
      "x-paths": "paths extension",
      "/apis/wardle.example.com/v1alpha1/namespaces/{namespace}/flunders/{name}": {
        "get": {
          "tags": ["wardleExampleCom_v1alpha1"],
          "summary": "read a Flunder",
          "description": "read the specified Flunder",
          "operationId": "readWardleExampleComV1alpha1NamespacedFlunder",
          "externalDocs": { "description": "docs", "url": "https://example.com/docs", "x-docs": "d" },
          "consumes": ["*/*"],
          "produces": ["application/json", "application/yaml", "application/vnd.kubernetes.protobuf"],
          "schemes": ["https"],
          "deprecated": true,
          "security": [{ "BearerToken": [] }, { "OAuth": ["read", "write"] }],
          "parameters": [
            { "name": "pretty", "in": "query", "description": "If 'true', then the output is pretty printed.", "type": "string", "uniqueItems": true, "allowEmptyValue": true, "x-kubernetes-param": "q" },
            { "name": "X-Request-Id", "in": "header", "type": "string", "required": false, "format": "uuid", "pattern": "^[0-9a-f-]+$", "maxLength": 36, "minLength": 1 },
            { "name": "fields", "in": "query", "type": "array", "collectionFormat": "multi", "items": { "type": "array", "collectionFormat": "csv", "items": { "type": "integer", "format": "int32", "maximum": 10, "minimum": -3, "exclusiveMaximum": true, "exclusiveMinimum": true, "multipleOf": 2.5, "enum": [1, 2], "default": 2, "x-item": "i" } }, "maxItems": 5, "minItems": 0, "default": ["1,2"] },
            { "$ref": "#/parameters/namespace-mJ3kc" },
            { "name": "upload", "in": "formData", "type": "file", "required": true, "description": "a file" },
            { "name": "limit", "in": "formData", "type": "integer", "enum": [10, 20, 0], "default": 10, "maximum": 0, "minimum": 0 }
          ],
          "responses": {
            "200": {
              "description": "OK",
              "schema": { "$ref": "#/definitions/com.example.wardle.v1alpha1.Flunder" },
              "headers": {
                "X-Rate-Limit": { "type": "integer", "format": "int32", "description": "calls per hour", "x-header": "h" },
                "X-Tags": { "type": "array", "items": { "type": "string" }, "collectionFormat": "pipes" }
              },
              "examples": { "application/json": { "kind": "Flunder", "apiVersion": "wardle.example.com/v1alpha1" }, "text/plain": "a\nb\n" },
              "x-response": { "r": 1 }
            },
            "401": { "description": "Unauthorized" },
            "404": { "$ref": "#/responses/NotFound" },
            "default": { "description": "file", "schema": { "type": "file", "description": "raw", "x-file": "f" } },
            "x-responses": ["y"]
          },
          "x-kubernetes-action": "get",
          "x-kubernetes-group-version-kind": { "group": "wardle.example.com", "kind": "Flunder", "version": "v1alpha1" }
        },
        "put": { "operationId": "replace", "parameters": [{ "name": "body", "in": "body", "required": true, "description": "the object", "schema": { "$ref": "#/definitions/com.example.wardle.v1alpha1.Flunder" }, "x-body": "b" }], "responses": { "200": { "description": "OK" } } },
        "post": { "responses": { "201": { "description": "Created" } } },
        "delete": { "parameters": [{ "name": "body", "in": "body", "schema": { "type": "object", "additionalProperties": false } }], "responses": { "200": { "description": "OK" } } },
        "options": { "responses": { "204": { "description": "" } } },
        "head": { "responses": { "200": { "description": "OK" } } },
        "patch": { "consumes": ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"], "responses": { "200": { "description": "OK" } } },
        "parameters": [
          { "name": "name", "in": "path", "required": true, "type": "string", "uniqueItems": true, "description": "name of the Flunder" },
          { "name": "namespace", "in": "path", "required": true, "type": "string", "x-path": null }
        ],
        "x-path-item": 3
      },
      "/apis/wardle.example.com/v1alpha1/alias": { "$ref": "#/paths/~1apis~1wardle.example.com~1v1alpha1~1namespaces~1{namespace}~1flunders~1{name}" }
    },
    "definitions": {
      "com.example.wardle.v1alpha1.Flunder": {
        "description": "Flunder is an example type.",
        "type": "object",
        "required": ["spec"],
        "properties": {
          "apiVersion": { "description": "APIVersion defines the versioned schema.", "type": "string" },
          "metadata": { "default": {}, "allOf": [{ "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" }] },
          "spec": {
            "type": "object",
            "properties": {
              "reference": { "type": ["string", "null"], "maxLength": 253, "pattern": "^[a-z]+$" },
              "fischers": { "type": "array", "items": { "$ref": "#/definitions/com.example.wardle.v1alpha1.Fischer" }, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "namespace"], "maxItems": 3, "minItems": 1, "uniqueItems": true },
              "labels": { "type": "object", "additionalProperties": { "type": "string", "default": "" }, "x-kubernetes-map-type": "atomic", "maxProperties": 10, "minProperties": 1 },
              "anything": { "x-kubernetes-preserve-unknown-fields": true, "additionalProperties": true },
              "port": { "x-kubernetes-int-or-string": true },
              "mode": { "type": "string", "enum": ["", "Always", "IfNotPresent", "true", "1", "2001-12-14", null], "default": "Always", "example": "IfNotPresent", "title": "Mode", "readOnly": true },
              "ratio": { "type": "number", "format": "double", "maximum": 1.5, "minimum": -1e-7, "default": 0.25, "multipleOf": 0.05 },
              "xml": { "type": "string", "xml": { "name": "x", "namespace": "urn:x", "prefix": "p", "attribute": true, "wrapped": false, "x-xml": "xx" }, "externalDocs": { "url": "https://example.com/xml" } },
              "kind": { "type": "string", "discriminator": "kind" }
            },
            "x-kubernetes-validations": [
              { "rule": "self.minReplicas <= self.replicas", "message": "replicas should be greater than or equal to minReplicas" },
              { "rule": "self.mode == 'Always' || !has(self.reference)", "messageExpression": "'mode is ' + self.mode", "reason": "FieldValueForbidden", "fieldPath": ".reference" },
              { "rule": "# starts with hash: and colon\nsecond line\n", "optionalOldSelf": true }
            ],
            "x-kubernetes-unions": [{ "discriminator": "type", "fields-to-discriminateBy": { "reference": "Reference", "fischers": "Fischers" } }]
          }
        },
        "x-kubernetes-group-version-kind": [{ "group": "wardle.example.com", "kind": "Flunder", "version": "v1alpha1" }, { "group": "", "kind": "Flunder", "version": "v1" }],
        "x-kubernetes-patch-strategy": "merge",
        "x-kubernetes-patch-merge-key": "name",
        "x-empty-list": [],
        "x-number": 1e21,
        "x-unicode": "ünïcödé 🎉 \u0085"
      },
      "com.example.wardle.v1alpha1.Fischer": { "type": "object", "properties": { "disallowedFlunders": { "type": "array", "items": { "type": "string", "default": "" } } } },
      "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": { "type": "object" },
      "io.k8s.apimachinery.pkg.apis.meta.v1.Time": { "type": "string", "format": "date-time", "description": "Time is a wrapper around time.Time." }
    },
    "parameters": {
      "namespace-mJ3kc": { "name": "namespace", "in": "path", "required": true, "type": "string", "uniqueItems": true },
      "body-2Y1dVQaQ": { "name": "body", "in": "body", "required": true, "schema": { "$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" } },
      "fieldManager": { "name": "fieldManager", "in": "query", "type": "string" },
      "X-Trace": { "name": "X-Trace", "in": "header", "type": "boolean", "default": false }
    },
    "responses": {
      "NotFound": { "description": "Not Found", "schema": { "type": "object", "properties": { "message": { "type": "string" } } }, "x-shared": "r" }
    },
    "securityDefinitions": {
      "BearerToken": { "description": "Bearer Token authentication", "type": "apiKey", "name": "authorization", "in": "header", "x-sec": "s" },
      "Basic": { "type": "basic", "description": "HTTP basic" },
      "Implicit": { "type": "oauth2", "flow": "implicit", "authorizationUrl": "https://example.com/auth", "scopes": { "read": "read things", "write": "" } },
      "Password": { "type": "oauth2", "flow": "password", "tokenUrl": "https://example.com/token", "scopes": {} },
      "Application": { "type": "oauth2", "flow": "application", "tokenUrl": "https://example.com/token", "scopes": { "admin": "everything" }, "description": "app" },
      "OAuth": { "type": "oauth2", "flow": "accessCode", "authorizationUrl": "https://example.com/auth", "tokenUrl": "https://example.com/token", "scopes": { "read": "r", "write": "w" }, "x-oauth": { "a": [] } }
    },
    "security": [{ "BearerToken": [] }, { "OAuth": ["read"], "Basic": [] }],
    "tags": [
      { "name": "wardleExampleCom_v1alpha1", "description": "wardle", "externalDocs": { "url": "https://example.com/wardle" }, "x-tag": "t" },
      { "name": "core" }
    ],
    "externalDocs": { "description": "Kubernetes", "url": "https://kubernetes.io/docs" },
    "x-document": { "generated-by": "kapi", "list": [1, 2.5, "three", null, true] }
  };

/**
 * sha256 of the bytes kube-openapi's ToProtoBinary produces for DOC: gnostic-models v0.7.0's
 * openapi_v2.ParseDocument of JSON.stringify(DOC), then google.golang.org/protobuf v1.35.1's
 * proto.Marshal (the versions k8s.io/kube-openapi's go.mod names), computed with a small Go program.
 */
const GO_SHA256 = '02ae6ef42155e8f42b2d0fbff1ed4c8a8e75acef2e2d926e87abcf2237512334';
const GO_LENGTH = 5698;

function decode(bytes: Uint8Array): Json {
  const type = openAPIV2ProtobufRoot().lookupType('openapi.v2.Document');
  return type.toObject(type.decode(bytes), { longs: Number, oneofs: true });
}

const named = (list: Json[] | undefined): string[] => (list ?? []).map((p) => p['name']);
const byName = (list: Json[] | undefined, name: string): Json => (list ?? []).find((p) => p['name'] === name)!['value'];

describe('encodeOpenAPIV2Protobuf', () => {
  const bytes = encodeOpenAPIV2Protobuf(DOC);
  const doc = decode(bytes);
  const definitions: Json[] = doc['definitions']['additional_properties'];
  const flunder = byName(definitions, 'com.example.wardle.v1alpha1.Flunder');
  const spec = byName(flunder['properties']['additional_properties'], 'spec');
  const specProps: Json[] = spec['properties']['additional_properties'];
  const item = byName(doc['paths']['path'], '/apis/wardle.example.com/v1alpha1/namespaces/{namespace}/flunders/{name}');
  const get = item['get'];

  it('writes the bytes Go writes', () => {
    expect(bytes.length).toBe(GO_LENGTH);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(GO_SHA256);
  });

  it('names the media types kubectl asks for and kube-openapi answers with', () => {
    expect(OPENAPI_V2_PROTOBUF_MEDIA_TYPE).toBe('application/com.github.proto-openapi.spec.v2@v1.0+protobuf');
    expect(OPENAPI_V2_PROTOBUF_CONTENT_TYPE).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
  });

  it('carries the document-level fields', () => {
    expect(doc['swagger']).toBe('2.0');
    // description: "" is proto3's zero value: absent.
    expect(doc['info']).toEqual({
      title: 'Kubernetes',
      version: 'v1.37.2',
      terms_of_service: 'https://example.com/tos',
      contact: { name: 'kapi', url: 'https://example.com', email: 'kapi@example.com', vendor_extension: [{ name: 'x-contact', value: { yaml: '1\n' } }] },
      license: { name: 'Apache 2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0', vendor_extension: [{ name: 'x-license', value: { yaml: '- true\n' } }] },
      vendor_extension: [{ name: 'x-info', value: { yaml: 'nested:\n    - a\n    - b\n' } }],
    });
    expect(doc['host']).toBe('127.0.0.1:8443');
    expect(doc['base_path']).toBe('/');
    expect(doc['schemes']).toEqual(['https', 'wss']);
    expect(doc['consumes']).toEqual(['application/json', 'application/yaml']);
    expect(doc['produces']).toEqual(['application/json']);
    expect(doc['tags']).toEqual([
      {
        name: 'wardleExampleCom_v1alpha1',
        description: 'wardle',
        external_docs: { url: 'https://example.com/wardle' },
        vendor_extension: [{ name: 'x-tag', value: { yaml: 't\n' } }],
      },
      { name: 'core' },
    ]);
    expect(doc['external_docs']).toEqual({ description: 'Kubernetes', url: 'https://kubernetes.io/docs' });
    expect(named(doc['vendor_extension'])).toEqual(['x-document']);
    expect(doc['vendor_extension'][0]['value']['yaml']).toBe('generated-by: kapi\nlist:\n    - 1\n    - 2.5\n    - three\n    - null\n    - true\n');
  });

  it('keeps definitions, properties and paths as named lists in JSON key order', () => {
    expect(named(definitions)).toEqual(Object.keys(DOC['definitions']));
    expect(named(specProps)).toEqual(Object.keys(DOC['definitions']['com.example.wardle.v1alpha1.Flunder']['properties']['spec']['properties']));
    expect(named(doc['paths']['path'])).toEqual(Object.keys(DOC['paths']).filter((k) => k.startsWith('/')));
    expect(doc['paths']['vendor_extension']).toEqual([{ name: 'x-paths', value: { yaml: 'paths extension\n' } }]);
    expect(byName(doc['paths']['path'], '/apis/wardle.example.com/v1alpha1/alias')).toEqual({
      _ref: '#/paths/~1apis~1wardle.example.com~1v1alpha1~1namespaces~1{namespace}~1flunders~1{name}',
    });
  });

  it('writes vendor extensions as NamedAny with the YAML text of the value', () => {
    const ext = (name: string): string => byName(flunder['vendor_extension'], name)['yaml'];
    expect(named(flunder['vendor_extension'])).toEqual([
      'x-kubernetes-group-version-kind',
      'x-kubernetes-patch-strategy',
      'x-kubernetes-patch-merge-key',
      'x-empty-list',
      'x-number',
      'x-unicode',
    ]);
    expect(ext('x-kubernetes-group-version-kind')).toBe(
      '- group: wardle.example.com\n  kind: Flunder\n  version: v1alpha1\n- group: ""\n  kind: Flunder\n  version: v1\n',
    );
    expect(ext('x-kubernetes-patch-strategy')).toBe('merge\n');
    expect(ext('x-empty-list')).toBe('[]\n');
    expect(ext('x-number')).toBe('1e+21\n');
    expect(ext('x-unicode')).toBe('"ünïcödé \\U0001F389 \\N"\n');
    expect(byName(spec['vendor_extension'], 'x-kubernetes-validations')['yaml']).toBe(
      [
        '- rule: self.minReplicas <= self.replicas',
        '  message: replicas should be greater than or equal to minReplicas',
        "- rule: self.mode == 'Always' || !has(self.reference)",
        "  messageExpression: '''mode is '' + self.mode'",
        '  reason: FieldValueForbidden',
        '  fieldPath: .reference',
        '- rule: |',
        '    # starts with hash: and colon',
        '    second line',
        '  optionalOldSelf: true',
        '',
      ].join('\n'),
    );
    expect(byName(get['vendor_extension'], 'x-kubernetes-group-version-kind')['yaml']).toBe(
      'group: wardle.example.com\nkind: Flunder\nversion: v1alpha1\n',
    );
    expect(byName(get['vendor_extension'], 'x-kubernetes-action')['yaml']).toBe('get\n');
  });

  it('maps schemas field by field', () => {
    expect(flunder['description']).toBe('Flunder is an example type.');
    expect(flunder['type']).toEqual({ value: ['object'] });
    expect(flunder['required']).toEqual(['spec']);
    const prop = (name: string): Json => byName(specProps, name);
    expect(prop('reference')).toEqual({ type: { value: ['string', 'null'] }, max_length: 253, pattern: '^[a-z]+$' });
    expect(prop('fischers')['items']).toEqual({ schema: [{ _ref: '#/definitions/com.example.wardle.v1alpha1.Fischer' }] });
    expect(prop('fischers')).toMatchObject({ max_items: 3, min_items: 1, unique_items: true });
    expect(byName(prop('fischers')['vendor_extension'], 'x-kubernetes-list-map-keys')['yaml']).toBe('- name\n- namespace\n');
    expect(prop('labels')['additional_properties']).toEqual({
      oneof: 'schema',
      schema: { type: { value: ['string'] }, default: { yaml: '""\n' } },
    });
    expect(prop('labels')).toMatchObject({ max_properties: 10, min_properties: 1 });
    expect(prop('anything')['additional_properties']).toEqual({ oneof: 'boolean', boolean: true });
    expect(prop('mode')).toMatchObject({
      enum: ['""\n', 'Always\n', 'IfNotPresent\n', '"true"\n', '"1"\n', '"2001-12-14"\n', 'null\n'].map((yaml) => ({ yaml })),
      default: { yaml: 'Always\n' },
      example: { yaml: 'IfNotPresent\n' },
      title: 'Mode',
      read_only: true,
    });
    expect(prop('ratio')).toMatchObject({ format: 'double', maximum: 1.5, minimum: -1e-7, multiple_of: 0.05, default: { yaml: '0.25\n' } });
    // wrapped: false is absent.
    expect(prop('xml')['xml']).toEqual({
      name: 'x',
      namespace: 'urn:x',
      prefix: 'p',
      attribute: true,
      vendor_extension: [{ name: 'x-xml', value: { yaml: 'xx\n' } }],
    });
    expect(prop('xml')['external_docs']).toEqual({ url: 'https://example.com/xml' });
    expect(prop('kind')['discriminator']).toBe('kind');
    const metadata = byName(flunder['properties']['additional_properties'], 'metadata');
    expect(metadata).toEqual({ default: { yaml: '{}\n' }, all_of: [{ _ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }] });
    // additionalProperties: false is a set oneof, not an absent field.
    const deleteBody = item['delete']['parameters'][0]['parameter']['body_parameter'];
    expect(deleteBody['schema']['additional_properties']).toEqual({ oneof: 'boolean', boolean: false });
  });

  it('picks the parameter variant gnostic picks', () => {
    const params: Json[] = get['parameters'];
    const nonBody = (i: number): Json => params[i]!['parameter']['non_body_parameter'];
    expect(params.map((p) => p['oneof'])).toEqual(['parameter', 'parameter', 'parameter', 'json_reference', 'parameter', 'parameter']);
    expect(nonBody(0)).toEqual({
      oneof: 'query_parameter_sub_schema',
      query_parameter_sub_schema: {
        name: 'pretty',
        in: 'query',
        description: "If 'true', then the output is pretty printed.",
        type: 'string',
        unique_items: true,
        allow_empty_value: true,
        vendor_extension: [{ name: 'x-kubernetes-param', value: { yaml: 'q\n' } }],
      },
    });
    // required: false is proto3's zero value: absent.
    expect(nonBody(1)).toEqual({
      oneof: 'header_parameter_sub_schema',
      header_parameter_sub_schema: { name: 'X-Request-Id', in: 'header', type: 'string', format: 'uuid', pattern: '^[0-9a-f-]+$', max_length: 36, min_length: 1 },
    });
    expect(nonBody(2)['query_parameter_sub_schema']).toEqual({
      name: 'fields',
      in: 'query',
      type: 'array',
      collection_format: 'multi',
      max_items: 5,
      default: { yaml: '- 1,2\n' },
      items: {
        type: 'array',
        collection_format: 'csv',
        items: {
          type: 'integer',
          format: 'int32',
          maximum: 10,
          minimum: -3,
          exclusive_maximum: true,
          exclusive_minimum: true,
          multiple_of: 2.5,
          enum: [{ yaml: '1\n' }, { yaml: '2\n' }],
          default: { yaml: '2\n' },
          vendor_extension: [{ name: 'x-item', value: { yaml: 'i\n' } }],
        },
      },
    });
    expect(params[3]).toEqual({ oneof: 'json_reference', json_reference: { _ref: '#/parameters/namespace-mJ3kc' } });
    expect(nonBody(4)).toEqual({
      oneof: 'form_data_parameter_sub_schema',
      form_data_parameter_sub_schema: { name: 'upload', in: 'formData', type: 'file', required: true, description: 'a file' },
    });
    // maximum: 0 and minimum: 0 are zero values; an enum item 0 is not.
    expect(nonBody(5)['form_data_parameter_sub_schema']).toEqual({
      name: 'limit',
      in: 'formData',
      type: 'integer',
      enum: [{ yaml: '10\n' }, { yaml: '20\n' }, { yaml: '0\n' }],
      default: { yaml: '10\n' },
    });
    expect(item['put']['parameters'][0]['parameter']).toEqual({
      oneof: 'body_parameter',
      body_parameter: {
        name: 'body',
        in: 'body',
        required: true,
        description: 'the object',
        schema: { _ref: '#/definitions/com.example.wardle.v1alpha1.Flunder' },
        vendor_extension: [{ name: 'x-body', value: { yaml: 'b\n' } }],
      },
    });
    expect(item['parameters'].map((p: Json) => p['parameter']['non_body_parameter']['oneof'])).toEqual([
      'path_parameter_sub_schema',
      'path_parameter_sub_schema',
    ]);
    expect(item['parameters'][1]['parameter']['non_body_parameter']['path_parameter_sub_schema']['vendor_extension']).toEqual([
      { name: 'x-path', value: { yaml: 'null\n' } },
    ]);
    const docParams: Json[] = doc['parameters']['additional_properties'];
    expect(named(docParams)).toEqual(['namespace-mJ3kc', 'body-2Y1dVQaQ', 'fieldManager', 'X-Trace']);
    expect(byName(docParams, 'body-2Y1dVQaQ')['oneof']).toBe('body_parameter');
    expect(byName(docParams, 'X-Trace')['non_body_parameter']['header_parameter_sub_schema']).toEqual({
      name: 'X-Trace',
      in: 'header',
      type: 'boolean',
      default: { yaml: 'false\n' },
    });
  });

  it('maps operations and responses', () => {
    expect(get).toMatchObject({
      tags: ['wardleExampleCom_v1alpha1'],
      summary: 'read a Flunder',
      operation_id: 'readWardleExampleComV1alpha1NamespacedFlunder',
      consumes: ['*/*'],
      produces: ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'],
      schemes: ['https'],
      deprecated: true,
      external_docs: { description: 'docs', url: 'https://example.com/docs', vendor_extension: [{ name: 'x-docs', value: { yaml: 'd\n' } }] },
    });
    expect(get['security']).toEqual([
      { additional_properties: [{ name: 'BearerToken', value: {} }] },
      { additional_properties: [{ name: 'OAuth', value: { value: ['read', 'write'] } }] },
    ]);
    for (const method of ['put', 'post', 'delete', 'options', 'head', 'patch']) expect(item[method]['responses']['response_code']).toHaveLength(1);
    expect(item['patch']['consumes']).toEqual(['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']);
    const responses: Json[] = get['responses']['response_code'];
    expect(named(responses)).toEqual(['200', '401', '404', 'default']);
    expect(get['responses']['vendor_extension']).toEqual([{ name: 'x-responses', value: { yaml: '- y\n' } }]); // go-yaml v3 reads y as a string, so it is not quoted
    const ok = byName(responses, '200');
    expect(ok['oneof']).toBe('response');
    expect(ok['response']['schema']).toEqual({ oneof: 'schema', schema: { _ref: '#/definitions/com.example.wardle.v1alpha1.Flunder' } });
    expect(ok['response']['headers']['additional_properties']).toEqual([
      {
        name: 'X-Rate-Limit',
        value: { type: 'integer', format: 'int32', description: 'calls per hour', vendor_extension: [{ name: 'x-header', value: { yaml: 'h\n' } }] },
      },
      { name: 'X-Tags', value: { type: 'array', items: { type: 'string' }, collection_format: 'pipes' } },
    ]);
    expect(ok['response']['examples']['additional_properties']).toEqual([
      { name: 'application/json', value: { yaml: 'kind: Flunder\napiVersion: wardle.example.com/v1alpha1\n' } },
      { name: 'text/plain', value: { yaml: '|\n    a\n    b\n' } },
    ]);
    expect(byName(responses, '404')).toEqual({ oneof: 'json_reference', json_reference: { _ref: '#/responses/NotFound' } });
    expect(byName(responses, 'default')['response']['schema']).toEqual({
      oneof: 'file_schema',
      file_schema: { type: 'file', description: 'raw', vendor_extension: [{ name: 'x-file', value: { yaml: 'f\n' } }] },
    });
    const shared = byName(doc['responses']['additional_properties'], 'NotFound');
    expect(shared['description']).toBe('Not Found');
    expect(shared['schema']['schema']['properties']['additional_properties']).toEqual([{ name: 'message', value: { type: { value: ['string'] } } }]);
  });

  it('picks the security definition variant by type and flow', () => {
    const defs: Json[] = doc['security_definitions']['additional_properties'];
    expect(defs.map((d) => [d['name'], d['value']['oneof']])).toEqual([
      ['BearerToken', 'api_key_security'],
      ['Basic', 'basic_authentication_security'],
      ['Implicit', 'oauth2_implicit_security'],
      ['Password', 'oauth2_password_security'],
      ['Application', 'oauth2_application_security'],
      ['OAuth', 'oauth2_access_code_security'],
    ]);
    expect(byName(defs, 'BearerToken')['api_key_security']).toEqual({
      type: 'apiKey',
      name: 'authorization',
      in: 'header',
      description: 'Bearer Token authentication',
      vendor_extension: [{ name: 'x-sec', value: { yaml: 's\n' } }],
    });
    expect(byName(defs, 'Implicit')['oauth2_implicit_security']['scopes']).toEqual({
      additional_properties: [{ name: 'read', value: 'read things' }, { name: 'write' }],
    });
    expect(byName(defs, 'OAuth')['oauth2_access_code_security']).toMatchObject({
      flow: 'accessCode',
      authorization_url: 'https://example.com/auth',
      token_url: 'https://example.com/token',
    });
    expect(doc['security']).toEqual([
      { additional_properties: [{ name: 'BearerToken', value: {} }] },
      { additional_properties: [{ name: 'OAuth', value: { value: ['read'] } }, { name: 'Basic', value: {} }] },
    ]);
  });

  it('drops what gnostic has no field for instead of failing', () => {
    const lenient = structuredClone(DOC);
    const specSchema = lenient['definitions']['com.example.wardle.v1alpha1.Flunder']['properties']['spec'];
    specSchema['properties']['port']['anyOf'] = [{ type: 'integer' }, { type: 'string' }];
    specSchema['nullable'] = true;
    lenient['openapi'] = '3.0.0';
    expect(Buffer.from(encodeOpenAPIV2Protobuf(lenient)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('leaves out zero values as Go does, but keeps empty messages and set oneofs', () => {
    // Empty names and strings are absent, the empty Paths and Schema messages are present, and
    // additionalProperties: false is written; the hex is Go's ToProtoBinary of the same JSON.
    const tiny = {
      swagger: '2.0',
      info: { title: '', version: 'v' },
      paths: {},
      definitions: { '': { type: 'object', properties: { '': {}, b: { additionalProperties: false, 'x-': '' } } } },
      'x-': '',
    };
    expect(Buffer.from(encodeOpenAPIV2Protobuf(tiny)).toString('hex')).toBe(
      '0a03322e30120312017642004a300a2e122cb201080a066f626a656374ca011e0a0212000a180a01621213aa01021000fa010b0a02782d1205120322220a82010b0a02782d1205120322220a',
    );
  });

  it('builds the schema once', () => {
    expect(openAPIV2ProtobufRoot()).toBe(openAPIV2ProtobufRoot());
  });
});

describe("encodeOpenAPIV2Protobuf of kapi's own document", () => {
  const swagger = buildSwagger(
    buildGroupVersionDocuments([widgetKind()]).map((d) => d.document),
    { title: 'Test', version: '0.1' },
  );
  const doc = decode(encodeOpenAPIV2Protobuf(swagger as unknown as Json));

  it('carries every path and definition in order', () => {
    expect(doc['info']).toEqual({ title: 'Test', version: '0.1' });
    expect(Object.keys(swagger.paths).length).toBeGreaterThan(3);
    expect(named(doc['paths']['path'])).toEqual(Object.keys(swagger.paths));
    expect(Object.keys(swagger.definitions).length).toBeGreaterThan(5);
    expect(named(doc['definitions']['additional_properties'])).toEqual(Object.keys(swagger.definitions));
    expect(doc['security_definitions']['additional_properties'][0]).toMatchObject({ name: 'BearerToken', value: { oneof: 'api_key_security' } });
  });

  it('writes extension YAML that reads back to the JSON value, in order', () => {
    const fromJson: unknown[] = [];
    const collectJson = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(collectJson);
      else if (typeof v === 'object' && v !== null)
        for (const [k, x] of Object.entries(v)) {
          if (k.startsWith('x-')) fromJson.push(x);
          else collectJson(x);
        }
    };
    const fromProto: unknown[] = [];
    const collectProto = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(collectProto);
      else if (typeof v === 'object' && v !== null)
        for (const [k, x] of Object.entries(v)) {
          if (k === 'vendor_extension') for (const e of x as Json[]) fromProto.push(parseYaml(e['value']['yaml']));
          else collectProto(x);
        }
    };
    collectJson(swagger);
    collectProto(doc);
    expect(fromJson.length).toBeGreaterThan(10);
    expect(new Set(fromProto)).not.toEqual(new Set([undefined]));
    expect(fromProto.map((v) => JSON.stringify(v)).sort()).toEqual(fromJson.map((v) => JSON.stringify(v)).sort());
  });
});

describe('goYaml', () => {
  // The expected texts are go-yaml v3's, through gnostic's compiler.Marshal, for the same values.
  it.each<[unknown, string]>([
    ['Always', 'Always\n'],
    ['', '""\n'],
    ['true', '"true"\n'],
    ['1', '"1"\n'],
    ['2001-12-14', '"2001-12-14"\n'],
    ['0x1F', '"0x1F"\n'],
    ['.5_0', '".5_0"\n'],
    ['yes', 'yes\n'],
    ["it's", "it's\n"],
    ['a: b', "'a: b'\n"],
    ['x #y', "'x #y'\n"],
    ['- x', "'- x'\n"],
    ['multi\nline', '|-\n    multi\n    line\n'],
    ['🎉', '"\\U0001F389"\n'],
    [true, 'true\n'],
    [null, 'null\n'],
    [1.5, '1.5\n'],
    [1e21, '1e+21\n'],
    [{}, '{}\n'],
    [[], '[]\n'],
    [{ a: { b: 'c' }, l: ['x', 'y'], e: {}, z: [], n: null }, 'a:\n    b: c\nl:\n    - x\n    - y\ne: {}\nz: []\nn: null\n'],
    [{ m: [{ p: 1, q: [1, 2] }], ll: [[1, 2], [3]] }, 'm:\n    - p: 1\n      q:\n        - 1\n        - 2\nll:\n    - - 1\n      - 2\n    - - 3\n'],
    [{ true: 2, 'multi\nkey': 5, ['k'.repeat(129)]: 1 }, `"true": 2\n? |-\n    multi\n    key\n: 5\n? ${'k'.repeat(129)}\n: 1\n`],
  ])('%j', (value, yaml) => {
    expect(goYaml(value)).toBe(yaml);
  });
});
