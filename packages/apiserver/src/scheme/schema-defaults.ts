/** Structural-schema defaulting: `default` values of the schema fill in missing object fields. */
import { deepCopy, isPlainObject } from '@kapi/apimachinery';
import type { JSONSchemaProps } from './kind.js';

/** Applies the schema's defaults to `value` in place (parents first, so defaulted objects get their own defaults). */
export function applySchemaDefaults(value: unknown, schema: JSONSchemaProps): void {
  if (Array.isArray(value)) {
    if (schema.items) for (const item of value) applySchemaDefaults(item, schema.items);
    return;
  }
  if (!isPlainObject(value)) return;
  for (const [key, fieldSchema] of Object.entries(schema.properties ?? {})) {
    if (value[key] === undefined && fieldSchema.default !== undefined) value[key] = deepCopy(fieldSchema.default);
    if (value[key] !== undefined) applySchemaDefaults(value[key], fieldSchema);
  }
  if (isPlainObject(schema.additionalProperties)) {
    const additional = schema.additionalProperties as JSONSchemaProps;
    for (const key of Object.keys(value)) {
      if (!schema.properties?.[key]) applySchemaDefaults(value[key], additional);
    }
  }
}
