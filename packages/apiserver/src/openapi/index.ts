export { createOpenApiDocuments, createOpenApiHandler, openapiRoute, type OpenApiInfo } from './handler.js';
export { buildGroupVersionDocument, buildGroupVersionDocuments, buildV3Root, type GroupVersionDocument } from './v3.js';
export { buildSwagger, toV2Schema, type SwaggerDocument } from './v2.js';
export { kindSchema, listSchema, toOpenApiSchema } from './kind-schemas.js';
export { metaSchemas, scaleSchemas, GVK_EXTENSION, type GroupVersionKindExtension } from './meta-schemas.js';
export { kindPaths, resourcesPath } from './paths.js';
export { groupVersionCamel, groupVersionTag, kindSchemaName, reverseDomain } from './names.js';
