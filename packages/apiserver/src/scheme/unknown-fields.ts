/**
 * Unknown-field pruning: removes every field the schema does not declare (as the Go decoder and
 * CRD pruning do in all fieldValidation modes) and reports their paths, so the caller can warn
 * about them or refuse the request.
 */
import { isPlainObject } from '@kapi/apimachinery';
import { childPath, indexPath, keyPath } from './field-path.js';
import type { JSONSchemaProps } from './kind.js';
import { OBJECT_META_SCHEMA } from './object-meta-schema.js';

const EMBEDDED_RESOURCE_FIELDS: Record<string, JSONSchemaProps> = {
  apiVersion: { type: 'string' },
  kind: { type: 'string' },
  metadata: OBJECT_META_SCHEMA,
};

/** Prunes `value` in place against `schema`; returns the paths of the fields removed, in document order. */
export function pruneUnknownFields(value: unknown, schema: JSONSchemaProps, path = ''): string[] {
  const unknown: string[] = [];
  prune(value, schema, path, unknown);
  return unknown;
}

function prune(value: unknown, schema: JSONSchemaProps, path: string, unknown: string[]): void {
  if (Array.isArray(value)) {
    if (schema.items) value.forEach((item, i) => prune(item, schema.items as JSONSchemaProps, indexPath(path, i), unknown));
    return;
  }
  if (!isPlainObject(value)) return;
  const preserve = schema['x-kubernetes-preserve-unknown-fields'] === true || schema.additionalProperties === true;
  const declared: Record<string, JSONSchemaProps> = {
    ...(schema['x-kubernetes-embedded-resource'] ? EMBEDDED_RESOURCE_FIELDS : {}),
    ...(schema.properties ?? {}),
  };
  const additional = isPlainObject(schema.additionalProperties) ? (schema.additionalProperties as JSONSchemaProps) : undefined;
  for (const key of Object.keys(value)) {
    const fieldSchema = Object.prototype.hasOwnProperty.call(declared, key) ? declared[key] : undefined;
    if (fieldSchema) {
      prune(value[key], fieldSchema, childPath(path, key), unknown);
    } else if (additional) {
      prune(value[key], additional, keyPath(path, key), unknown);
    } else if (!preserve) {
      unknown.push(childPath(path, key));
      delete value[key];
    }
  }
}
