/**
 * OpenAPI v2 (Swagger 2.0), converted by hand from the v3 documents: openapi3-ts has no
 * Swagger 2.0 model. Only what kube-apiserver's aggregator and kubectl read is carried over:
 * paths with operations, body parameters, responses, and definitions with their GVK arrays.
 */
import type {
  OpenAPIObject,
  OperationObject,
  ParameterObject,
  PathItemObject,
  ReferenceObject,
  RequestBodyObject,
  ResponseObject,
  SchemaObject,
} from 'openapi3-ts/oas30';

export interface SwaggerDocument {
  swagger: '2.0';
  info: { title: string; version: string };
  paths: Record<string, Record<string, unknown>>;
  definitions: Record<string, unknown>;
  securityDefinitions: Record<string, unknown>;
  security: Array<Record<string, string[]>>;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

/** Rewrites $refs to #/definitions/ and drops what Swagger 2.0 has no word for (nullable). */
export function toV2Schema(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toV2Schema);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key === '$ref' && typeof v === 'string') out[key] = v.replace('#/components/schemas/', '#/definitions/');
    else if (key === 'nullable') continue;
    else out[key] = toV2Schema(v);
  }
  return out;
}

function isRef(x: unknown): x is ReferenceObject {
  return typeof x === 'object' && x !== null && '$ref' in x;
}

function v2Parameter(p: ParameterObject | ReferenceObject): Record<string, unknown> | undefined {
  if (isRef(p)) return undefined;
  const { schema, content: _content, example: _example, examples: _examples, style: _style, explode: _explode, ...rest } = p;
  const plain = schema && !isRef(schema) ? (schema as SchemaObject) : {};
  return { ...rest, ...(toV2Schema(plain) as Record<string, unknown>) };
}

function v2Operation(op: OperationObject): Record<string, unknown> {
  const { requestBody, responses, parameters, callbacks: _cb, servers: _servers, ...rest } = op;
  const params = (parameters ?? []).map(v2Parameter).filter((p): p is Record<string, unknown> => p !== undefined);
  let consumes: string[] | undefined;
  if (requestBody && !isRef(requestBody)) {
    const rb = requestBody as RequestBodyObject;
    consumes = Object.keys(rb.content);
    const first = Object.values(rb.content)[0];
    params.unshift({ name: 'body', in: 'body', required: rb.required ?? false, schema: toV2Schema(first?.schema ?? {}) });
  }
  const produces = new Set<string>();
  const v2Responses: Record<string, unknown> = {};
  for (const [code, r] of Object.entries(responses as Record<string, ResponseObject | ReferenceObject>)) {
    if (isRef(r)) continue;
    const media = r.content ?? {};
    Object.keys(media).forEach((m) => produces.add(m));
    const first = Object.values(media)[0];
    v2Responses[code] = { description: r.description, ...(first?.schema ? { schema: toV2Schema(first.schema) } : {}) };
  }
  return {
    ...rest,
    ...(consumes ? { consumes } : { consumes: ['*/*'] }),
    ...(produces.size ? { produces: [...produces] } : {}),
    schemes: ['https'],
    ...(params.length ? { parameters: params } : {}),
    responses: v2Responses,
  };
}

function v2PathItem(item: PathItemObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const method of METHODS) {
    const op = item[method];
    if (op) out[method] = v2Operation(op);
  }
  if (item.parameters?.length) {
    out['parameters'] = item.parameters.map(v2Parameter).filter((p) => p !== undefined);
  }
  return out;
}

/** Merges the group-version documents into one Swagger 2.0 document. */
export function buildSwagger(docs: OpenAPIObject[], info: { title?: string; version?: string } = {}): SwaggerDocument {
  const swagger: SwaggerDocument = {
    swagger: '2.0',
    info: { title: info.title ?? 'Kubernetes', version: info.version ?? 'unversioned' },
    paths: {},
    definitions: {},
    securityDefinitions: { BearerToken: { description: 'Bearer Token authentication', type: 'apiKey', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
  for (const doc of docs) {
    for (const [path, item] of Object.entries(doc.paths ?? {})) swagger.paths[path] = v2PathItem(item as PathItemObject);
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
      const converted = toV2Schema(schema) as Record<string, unknown>;
      const existing = swagger.definitions[name] as Record<string, unknown> | undefined;
      swagger.definitions[name] = existing ? mergeGvks(existing, converted) : converted;
    }
  }
  swagger.paths = Object.fromEntries(Object.entries(swagger.paths).sort(([a], [b]) => (a < b ? -1 : 1)));
  swagger.definitions = Object.fromEntries(Object.entries(swagger.definitions).sort(([a], [b]) => (a < b ? -1 : 1)));
  return swagger;
}

/** Shared definitions (DeleteOptions, WatchEvent) list the GVKs of every group-version. */
function mergeGvks(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const key = 'x-kubernetes-group-version-kind';
  const left = (a[key] as Array<Record<string, string>> | undefined) ?? [];
  const right = (b[key] as Array<Record<string, string>> | undefined) ?? [];
  if (left.length === 0 && right.length === 0) return a;
  const seen = new Set(left.map((g) => JSON.stringify(g)));
  return { ...a, [key]: [...left, ...right.filter((g) => !seen.has(JSON.stringify(g)))] };
}
