/**
 * Schema validation with ajv 8, compiled once per version. Errors come back as field errors
 * worded as kube-apiserver words CRD validation failures (k8s.io/kube-openapi validate).
 */
import type { FieldError } from '@kapi/apimachinery';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { childPath, indexPath } from './field-path.js';
import type { JSONSchemaProps } from './kind.js';

/** Keywords Kubernetes schemas carry that only annotate (they shape pruning, merging and OpenAPI). */
const ANNOTATION_KEYWORDS = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  // CEL rules: checked by schema-cel.ts, not by ajv.
  'x-kubernetes-validations',
];

/** Formats Kubernetes accepts (kube-openapi strfmt) that ajv-formats does not define; checked loosely. */
const EXTRA_FORMATS: Record<string, RegExp | true> = {
  'int-or-string': true,
  quantity: /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[KMGTPE]i?|[numkMGTPE])?$/,
  datetime: true,
  cidr: /^[0-9a-fA-F:.]+\/\d{1,3}$/,
  mac: /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/,
  uuid3: true,
  uuid4: true,
  uuid5: true,
  bsonobjectid: /^[0-9a-fA-F]{24}$/,
  isbn: true,
  isbn10: true,
  isbn13: true,
  creditcard: true,
  ssn: true,
  hexcolor: /^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/,
  rgbcolor: true,
};

export type SchemaValidator = (obj: unknown) => FieldError[];

function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: 'log', logger: false });
  addFormats(ajv);
  ajv.addVocabulary(ANNOTATION_KEYWORDS);
  ajv.addKeyword({
    keyword: 'x-kubernetes-int-or-string',
    schemaType: 'boolean',
    errors: false,
    validate: (enabled: boolean, data: unknown) =>
      !enabled || typeof data === 'string' || (typeof data === 'number' && Number.isInteger(data)),
  });
  for (const [name, check] of Object.entries(EXTRA_FORMATS)) ajv.addFormat(name, check);
  return ajv;
}

let sharedAjv: Ajv | undefined;

/** Compiles a whole-object schema; throws on a schema ajv cannot compile (a programming error). */
export function compileSchemaValidator(schema: JSONSchemaProps): SchemaValidator {
  sharedAjv ??= createAjv();
  const validate: ValidateFunction = sharedAjv.compile(schema as object);
  return (obj) => (validate(obj) ? [] : (validate.errors ?? []).map((err) => toFieldError(err, obj)));
}

/** JSON pointer → field path, "[i]" for array indices as Go prints them. */
function fieldPathOf(instancePath: string, root: unknown): string {
  let path = '';
  let node: unknown = root;
  for (const raw of instancePath.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      path = indexPath(path, Number(segment));
      node = node[Number(segment)];
    } else {
      path = childPath(path, segment);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined;
    }
  }
  return path;
}

/** A value as Go's field.Error prints it: strings quoted, numbers and booleans bare. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** The JSON type name kube-openapi reports for a value. */
function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function toFieldError(err: ErrorObject, root: unknown): FieldError {
  const field = fieldPathOf(err.instancePath, root);
  const value = err.data;
  const at = field || '<root>';
  const invalid = (detail: string): FieldError => ({
    type: 'FieldValueInvalid',
    field,
    message: `Invalid value: ${formatValue(value)}: ${at} in body ${detail}`,
  });
  const params = err.params as Record<string, unknown>;
  switch (err.keyword) {
    case 'required':
      return { type: 'FieldValueRequired', field: childPath(field, String(params.missingProperty)), message: 'Required value' };
    case 'type': {
      const actual = jsonTypeOf(value);
      return {
        type: 'FieldValueTypeInvalid',
        field,
        message: `Invalid value: ${formatValue(actual)}: ${at} in body must be of type ${String(params.type)}: ${formatValue(actual)}`,
      };
    }
    case 'x-kubernetes-int-or-string': {
      const actual = jsonTypeOf(value);
      return {
        type: 'FieldValueTypeInvalid',
        field,
        message: `Invalid value: ${formatValue(actual)}: ${at} in body must be of type integer,string: ${formatValue(actual)}`,
      };
    }
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(formatValue).join(', ');
      return { type: 'FieldValueNotSupported', field, message: `Unsupported value: ${formatValue(value)}: supported values: ${allowed}` };
    }
    case 'minimum':
      return invalid(`should be greater than or equal to ${String(params.limit)}`);
    case 'maximum':
      return invalid(`should be less than or equal to ${String(params.limit)}`);
    case 'minLength':
      return invalid(`should be at least ${String(params.limit)} chars long`);
    case 'maxLength':
      return { type: 'FieldValueTooLong', field, message: `Too long: may not be more than ${String(params.limit)} bytes` };
    case 'pattern':
      return invalid(`should match '${String(params.pattern)}'`);
    case 'minItems':
      return invalid(`should have at least ${String(params.limit)} items`);
    case 'maxItems':
      return { type: 'FieldValueTooMany', field, message: `Too many: ${Array.isArray(value) ? value.length : 0}: must have at most ${String(params.limit)} items` };
    case 'format':
      return invalid(`must be of type ${String(params.format)}: ${formatValue(value)}`);
    default:
      return invalid(err.message ?? 'is invalid');
  }
}
