export * from './rest.js';
export * from './interfaces.js';
export { Store, type StoreOptions, type UpdateOptions } from './store.js';
export { AdmissionChain, addAuditAnnotation } from './admission.js';
export { getScale, updateScale, readPath, writePath, jsonPathSegments, type Scale } from './scale.js';
export { validateListOptions, predicateFor, attrFuncFor, selectableFieldNames } from './list-options.js';
export {
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateObjectName,
  ensureNamespaceMatchesRequest,
} from './object-meta-validation.js';
export { interpretStorageError } from './storage-errors.js';
export { generateNameFrom } from './naming.js';
export {
  markAsDeleting,
  markForDeletion,
  finalizersForGarbageCollection,
  shouldDeleteDuringUpdate,
  checkDeletePreconditions,
  FINALIZER_ORPHAN_DEPENDENTS,
  FINALIZER_DELETE_DEPENDENTS,
} from './deletion.js';
export { specChanged, statusOnlyUpdate, keepCurrentStatus } from './update-semantics.js';
export { computedStorage, computedVerbs, type ComputedResourceImpl } from './computed.js';
