export type { DynamicGroupVersion } from './dynamic.js';
export { apisRoute, storageLookupOf, type ApisRouteOptions, type StorageLookup } from './router.js';
export { DEFAULT_MAX_REQUEST_BODY_BYTES, readBody, parseObjectBody } from './body.js';
export { parseDeleteOptions, parseGetOptions, parseListOptions, parseWriteOptions, type ParsedDeleteOptions, type ParsedWriteOptions } from './options.js';
export { negotiateOutput, type MetaTransform, type OutputTarget, type IncludeObjectPolicy } from './negotiation.js';
export { buildTable, tableColumns, type TableOptions } from './table.js';
export { evaluateSimpleJsonPath } from './jsonpath.js';
export { MAX_JSON_PATCH_OPERATIONS, SUPPORTED_PATCH_TYPES, applyParsedPatch, parsePatch, patchTypeOf, type ParsedPatch, type PatchType } from './patch.js';
export { serveWatch, bookmarkObject, defaultWatchTimeoutSeconds, type ServeWatchOptions, type WatchObjectEncoder } from './watch.js';
