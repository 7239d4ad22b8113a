export { CrdStorage, type CrdStorageOptions, type CrdResource } from './storage.js';
export type { StoredResource } from './resources.js';
export { crdStorageClusterRole, CRD_STORAGE_CLUSTER_ROLE_NAME } from './rbac.js';
export { encodeName, decodeName, parseKey, crdNames, KEY_ANNOTATION, NAMESPACE_LABEL, DEFAULT_STORAGE_GROUP } from './names.js';
export { customResourceDefinition, structuralSchema, type SchemaNode } from './schema.js';
export type { KubeConfig } from '../kube/index.js';
