/**
 * The CRD that stores one resource, generated from the kind's hub (storage-version) schema when
 * one is given. The custom resource holds the stored object in `.object`; its own metadata is
 * the storage's (name from the key, key annotation, copied labels).
 */
import type { KubeObject } from '@kapi/apimachinery';
import { KEY_ANNOTATION, KEY_PREFIX_ANNOTATION, STORAGE_CATEGORY, STORAGE_VERSION, type CrdNames } from './names.js';

/** An OpenAPI v3 schema node, as kinds declare them (only the parts a CRD schema keeps are read). */
export interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode | SchemaNode[];
  additionalProperties?: boolean | SchemaNode;
  nullable?: boolean;
  format?: string;
  [keyword: string]: unknown;
}

/** The fields of a structural schema a CRD accepts that are kept from a kind's schema. */
const KEPT = ['description', 'nullable', 'x-kubernetes-list-type', 'x-kubernetes-map-type', 'x-kubernetes-list-map-keys'] as const;
const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

/**
 * A kind's OpenAPI schema made structural for a CRD: every node typed, `properties` and
 * `items` recursed into, `additionalProperties` kept as a schema, and validation keywords (enum,
 * pattern, required, bounds, oneOf/anyOf/allOf, $ref) dropped — the registry validated the object
 * already, and the host must never refuse or prune what the registry accepted. So every object
 * node also preserves unknown fields, and a node whose type can not be told preserves anything.
 */
export function structuralSchema(node: SchemaNode | undefined): SchemaNode {
  if (!node || typeof node !== 'object') return { 'x-kubernetes-preserve-unknown-fields': true };
  const out: SchemaNode = {};
  for (const k of KEPT) if (node[k] !== undefined) (out as Record<string, unknown>)[k] = node[k];
  if (node['x-kubernetes-int-or-string'] === true) return { ...out, 'x-kubernetes-int-or-string': true };
  const type = typeof node.type === 'string' && TYPES.has(node.type) ? node.type : node.properties ? 'object' : undefined;
  if (!type) return { ...out, 'x-kubernetes-preserve-unknown-fields': true };
  out.type = type;
  if (type === 'object') {
    if (node.properties) {
      out.properties = Object.fromEntries(Object.entries(node.properties).map(([name, child]) => [name, structuralSchema(child)]));
    } else if (node.additionalProperties && typeof node.additionalProperties === 'object') {
      out.additionalProperties = structuralSchema(node.additionalProperties);
    }
    if (!out.additionalProperties) out['x-kubernetes-preserve-unknown-fields'] = true;
    if (node['x-kubernetes-embedded-resource'] === true) out['x-kubernetes-embedded-resource'] = true;
  } else if (type === 'array') {
    out.items = structuralSchema(Array.isArray(node.items) ? node.items[0] : node.items);
  } else if (node.format !== undefined && type === 'string' && ['date-time', 'byte', 'int-or-string'].includes(node.format)) {
    // Formats other than these would be validated by the host; drop them.
    if (node.format !== 'int-or-string') out.format = node.format;
  }
  return out;
}

/** The schema of the stored object's field: the kind's schema made structural, or anything. */
export function objectFieldSchema(hub: SchemaNode | undefined): SchemaNode {
  if (!hub) {
    // No type: any JSON value (a corrupt value planted by a test is a string and must fit too).
    return { description: 'The stored object (everything but metadata.resourceVersion).', 'x-kubernetes-preserve-unknown-fields': true };
  }
  const s = structuralSchema(hub);
  return {
    ...s,
    type: 'object',
    description: s.description ?? 'The stored object (everything but metadata.resourceVersion).',
    properties: {
      ...(s.properties ?? {}),
      apiVersion: { type: 'string' },
      kind: { type: 'string' },
      // Nested ObjectMeta is not special to the host: keep it whole.
      metadata: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
    'x-kubernetes-preserve-unknown-fields': true,
  };
}

export interface CustomResourceDefinition extends KubeObject {
  spec: {
    group: string;
    scope: 'Cluster';
    names: { plural: string; singular: string; kind: string; listKind: string; categories: string[] };
    versions: Array<{
      name: string;
      served: boolean;
      storage: boolean;
      schema: { openAPIV3Schema: SchemaNode };
      additionalPrinterColumns: Array<{ name: string; type: string; jsonPath: string; description?: string }>;
    }>;
  };
  status?: {
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

/** The CRD for one stored resource. `keyPrefix` is recorded so that two resources never share one. */
export function customResourceDefinition(names: CrdNames, keyPrefix: string, hub?: SchemaNode): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: names.crdName,
      labels: { 'app.kubernetes.io/managed-by': 'kapi' },
      annotations: { [KEY_PREFIX_ANNOTATION]: keyPrefix },
    },
    spec: {
      group: names.storageGroup,
      scope: 'Cluster',
      names: { plural: names.plural, singular: names.singular, kind: names.kind, listKind: names.listKind, categories: [STORAGE_CATEGORY] },
      versions: [
        {
          name: STORAGE_VERSION,
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description: `Storage of ${keyPrefix} for a kapi API server (not an API for users: read and write the objects through that server).`,
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                object: objectFieldSchema(hub),
              },
            },
          },
          additionalPrinterColumns: [
            { name: 'Key', type: 'string', jsonPath: `.metadata.annotations.${KEY_ANNOTATION.replace(/\./g, '\\.')}`, description: 'The storage key' },
            { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' },
          ],
        },
      ],
    },
  };
}

/** Whether the host's CRD already has the spec we would write (names, schema, columns). */
export function sameCrdSpec(host: CustomResourceDefinition, wanted: CustomResourceDefinition): boolean {
  const pick = (c: CustomResourceDefinition) =>
    stableStringify({
      group: c.spec.group,
      scope: c.spec.scope,
      names: c.spec.names,
      versions: c.spec.versions.map((v) => ({ name: v.name, served: v.served, storage: v.storage, schema: v.schema, cols: v.additionalPrinterColumns })),
    });
  return pick(host) === pick(wanted);
}

/** Established: the host serves the resource. Undefined while it is still deciding; an error when it refused the names. */
export function crdEstablished(crd: CustomResourceDefinition): boolean | Error {
  const conditions = crd.status?.conditions ?? [];
  const names = conditions.find((c) => c.type === 'NamesAccepted');
  if (names && names.status === 'False') return new Error(`CRD ${crd.metadata.name}: names not accepted: ${names.message ?? names.reason ?? ''}`);
  return conditions.some((c) => c.type === 'Established' && c.status === 'True');
}

/** JSON with object keys sorted, so that the host's key order does not matter. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
