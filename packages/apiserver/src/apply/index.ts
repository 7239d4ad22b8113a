/**
 * Server-side apply as a library: structured-merge-diff (fieldpath, schema, typed, merge) and
 * k8s.io's field manager (managedFields, conflicts, manager names), for the endpoints to call.
 */
export { FieldManager, KindTypeConverter, kindObjectConverter, defaultResetFields, DEFAULT_MAX_UPDATE_MANAGERS, type FieldManagerOptions } from './field-manager.js';
export { managerOrUserAgent, prefixFromUserAgent, FIELD_MANAGER_MAX_LENGTH } from './user-agent.js';
export { ScaleHandler, SCALE_API_VERSION, type ResourcePathMappings } from './scale-handler.js';
export {
  buildManagerIdentifier,
  decodeManagedFields,
  encodeManagedFields,
  isResetManagedFields,
  validateManagedFields,
  newApplyConflictError,
  printManager,
  emptyManaged,
  type Managed,
} from './managed-fields.js';
export {
  NotRegisteredError,
  LAST_APPLIED_ANNOTATION,
  withManagedFields,
  managedFieldsOf,
  VersionConverter,
  type Manager,
  type ObjectConverter,
  type TypeConverter,
} from './managers.js';
export { schemaFromJSONSchemaProps, schemaFromOpenAPIComponents, typeNameOf, OBJECT_META_TYPE, type OpenAPISchema } from './schema-from-openapi.js';
export {
  FieldSet,
  PathElementSet,
  SetNodeMap,
  makePath,
  fieldElement,
  keyElement,
  keyElementByFields,
  valueElement,
  indexElement,
  pathString,
  elementString,
  comparePaths,
  equalPaths,
  compareElements,
  equalElements,
  versionedSet,
  managedFieldsDifference,
  type KeyField,
  type ManagedFields,
  type Path,
  type PathElement,
  type VersionedSet,
} from './fieldpath.js';
export { setToJSON, setFromJSON, setToFieldsV1, setFromFieldsV1, serializePathElement, deserializePathElement, UnknownPathElementTypeError } from './fieldsv1.js';
export { Schema, commonTypes, findField, UNTYPED_ATOMIC, UNTYPED_DEDUCED, type Atom, type ElementRelationship, type ListType, type MapType, type Scalar, type StructField, type TypeDef, type TypeRef, type TypeSpec } from './schema.js';
export { TypedValue, type ValidationOptions } from './typed.js';
export { ValidationErrors, type ValidationError } from './typed-helpers.js';
export { Comparison, excludeSetFilter, type FieldSetFilter } from './compare.js';
export { Conflicts, conflictString, type Conflict } from './conflict.js';
export { Updater, type Converter, type UpdaterOptions, type ApplyResult, type UpdateResult } from './updater.js';
export { reconcileFieldSetWithSchema, ensureNamedFieldsAreMembers } from './reconcile.js';
