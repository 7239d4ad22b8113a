export * from './kind.js';
export { Scheme } from './scheme.js';
export { checkKindDefinition } from './kind-checks.js';
export { compileSchemaValidator, formatValue, type SchemaValidator } from './schema-validator.js';
export { pruneUnknownFields } from './unknown-fields.js';
export { applySchemaDefaults } from './schema-defaults.js';
export { OBJECT_META_SCHEMA, objectSchemaFor } from './object-meta-schema.js';
export { childPath, indexPath, keyPath } from './field-path.js';
export * from './scheme-like.js';
