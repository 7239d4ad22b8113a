/** OpenAPI v3 documents: one per served group-version, and the root that points at them. */
import { OpenApiBuilder, type OpenAPIObject } from 'openapi3-ts/oas30';
import { servedGroups } from '../discovery/served-groups.js';
import type { KindDefinition } from '../scheme/kind.js';
import { kindSchema, listSchema } from './kind-schemas.js';
import { metaSchemas, scaleSchemas } from './meta-schemas.js';
import { kindSchemaName } from './names.js';
import { kindPaths, resourcesPath } from './paths.js';

export interface OpenApiInfo {
  title?: string;
  version?: string;
}

export interface GroupVersionDocument {
  group: string;
  version: string;
  document: OpenAPIObject;
}

/** The OpenAPI v3 document of one group-version (paths, operations, schemas). */
export function buildGroupVersionDocument(kinds: readonly KindDefinition[], group: string, version: string, info: OpenApiInfo = {}): OpenAPIObject {
  const builder = OpenApiBuilder.create({
    openapi: '3.0.0',
    info: { title: info.title ?? 'Kubernetes', version: info.version ?? 'unversioned' },
    paths: {},
    components: { schemas: {}, securitySchemes: {} },
  });
  builder.addSecurityScheme('BearerToken', { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' });
  const spec = builder.getSpec();
  spec.security = [{ BearerToken: [] }];

  for (const [path, item] of Object.entries(resourcesPath(group, version))) builder.addPath(path, item);
  let needsScale = false;
  for (const kind of kinds) {
    if (kind.group !== group) continue;
    const def = kind.versions.find((v) => v.name === version && v.served !== false);
    if (!def) continue;
    for (const [path, item] of Object.entries(kindPaths(kind, version))) builder.addPath(path, item);
    builder.addSchema(kindSchemaName(group, version, kind.kind), kindSchema(kind, def));
    builder.addSchema(kindSchemaName(group, version, `${kind.kind}List`), listSchema(kind, def));
    if (kind.subresources?.scale) needsScale = true;
  }
  for (const [name, schema] of Object.entries(metaSchemas([{ group, version }]))) builder.addSchema(name, schema);
  if (needsScale) for (const [name, schema] of Object.entries(scaleSchemas())) builder.addSchema(name, schema);
  // Sorted keys keep the document, and so its hash, stable.
  spec.paths = sortKeys(spec.paths);
  if (spec.components?.schemas) spec.components.schemas = sortKeys(spec.components.schemas);
  return spec;
}

function sortKeys<T>(obj: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function buildGroupVersionDocuments(kinds: readonly KindDefinition[], info: OpenApiInfo = {}): GroupVersionDocument[] {
  return servedGroups(kinds).flatMap((g) =>
    g.versions.map((v) => ({ group: g.name, version: v.version, document: buildGroupVersionDocument(kinds, g.name, v.version, info) })),
  );
}

/** The v3 root: `{"paths":{"apis/<g>/<v>":{"serverRelativeURL":"/openapi/v3/apis/<g>/<v>?hash=<HASH>"}}}`. */
export function buildV3Root(entries: Array<{ group: string; version: string; hash: string }>): { paths: Record<string, { serverRelativeURL: string }> } {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const e of entries) {
    paths[`apis/${e.group}/${e.version}`] = { serverRelativeURL: `/openapi/v3/apis/${e.group}/${e.version}?hash=${e.hash}` };
  }
  return { paths };
}
