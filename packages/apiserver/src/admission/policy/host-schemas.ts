/**
 * The schemas ApplyConfiguration mutations are typed by, from where Go's MutatingAdmissionPolicy
 * takes them (patch/typeconverter.go TypeConverterManager): the host's OpenAPI v3, whose index
 * (/openapi/v3) is read again when older than 5 s, and each group-version's document fetched once
 * per hash the index gives it. The host aggregates this server's own OpenAPI, so a kind's schema is
 * the one this server publishes.
 */
import type { GroupVersionKind } from '@kapi/apimachinery';
import { schemaFromOpenAPIComponents, type OpenAPISchema, type Schema, type TypeSpec } from '../../apply/index.js';
import type { KubeRestClient } from '../../kube/index.js';

interface OpenAPIIndex {
  paths?: Record<string, { serverRelativeURL?: string }>;
}

interface OpenAPIDocument {
  components?: { schemas?: Record<string, OpenAPISchema & { 'x-kubernetes-group-version-kind'?: Array<{ group?: string; version?: string; kind?: string }> }> };
}

/** Go polls the index every 5 s. */
const INDEX_MAX_AGE_MS = 5_000;

export class HostSchemas {
  private index: { at: number; paths: Record<string, string> } | undefined;
  private readonly documents = new Map<string, { url: string; doc: OpenAPIDocument; schema?: Schema; kinds: Map<string, TypeSpec | undefined> }>();

  constructor(
    private readonly host: KubeRestClient,
    private readonly opts: { onError?(err: unknown): void } = {},
  ) {}

  /** The kind's schema, or undefined when the host has none for it (yet). */
  async schemaOf(gvk: GroupVersionKind): Promise<TypeSpec | undefined> {
    const gv = gvk.group === '' ? `api/${gvk.version}` : `apis/${gvk.group}/${gvk.version}`;
    let url = (await this.paths(false))?.[gv];
    if (url === undefined) url = (await this.paths(true))?.[gv];
    if (url === undefined) return undefined;
    let entry = this.documents.get(gv);
    if (!entry || entry.url !== url) {
      try {
        const [path, query] = url.split('?', 2) as [string, string | undefined];
        const doc = await this.host.get<OpenAPIDocument>(path, Object.fromEntries(new URLSearchParams(query ?? '')));
        entry = { url, doc, kinds: new Map() };
        this.documents.set(gv, entry);
      } catch (err) {
        this.opts.onError?.(err);
        return undefined;
      }
    }
    if (!entry.kinds.has(gvk.kind)) {
      const name = kindComponent(entry.doc, gvk);
      // The document's schema is converted once, on the first kind asked of it.
      entry.schema ??= schemaFromOpenAPIComponents(entry.doc.components?.schemas ?? {});
      entry.kinds.set(gvk.kind, name === undefined ? undefined : { schema: entry.schema, typeRef: { namedType: name } });
    }
    return entry.kinds.get(gvk.kind);
  }

  /** The index's paths; read again when stale (or when `refresh` and not read in the last half second). */
  private async paths(refresh: boolean): Promise<Record<string, string> | undefined> {
    const age = this.index ? Date.now() - this.index.at : Infinity;
    if (this.index && age < INDEX_MAX_AGE_MS && !(refresh && age > 500)) return this.index.paths;
    try {
      const index = await this.host.get<OpenAPIIndex>('/openapi/v3');
      const paths: Record<string, string> = {};
      for (const [path, entry] of Object.entries(index.paths ?? {})) if (entry.serverRelativeURL) paths[path] = entry.serverRelativeURL;
      this.index = { at: Date.now(), paths };
    } catch (err) {
      this.opts.onError?.(err);
    }
    return this.index?.paths;
  }
}

/** The name of the component that declares the kind (x-kubernetes-group-version-kind). */
function kindComponent(doc: OpenAPIDocument, gvk: GroupVersionKind): string | undefined {
  for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
    const gvks = schema['x-kubernetes-group-version-kind'] ?? [];
    if (gvks.some((g) => (g.group ?? '') === gvk.group && g.version === gvk.version && g.kind === gvk.kind)) return name;
  }
  return undefined;
}
