/**
 * The params of policies (k8s.io/apiserver pkg/admission/plugin/policy/generic: policy_source.go
 * ensureParamsForPolicyLocked and policy_dispatcher.go CollectParams): a policy's paramKind is
 * found by the host's discovery, and its objects kept by an informer started the first time a
 * policy names the kind (and stopped when none does any more); a binding's paramRef picks them by
 * name (a cache miss asked of the host, as Go does for a param created a moment ago) or selector,
 * in the paramRef's namespace or the request's, and parameterNotFoundAction decides when none is found.
 */
import { labelSelectorOf, type GroupVersionKind } from '@kapi/apimachinery';
import { KubeApiError, type KubeRestClient } from '../../kube/index.js';
import { Informer } from '../../kube/informer.js';
import type { ParamKind, ParamRef } from './types.js';

/** A param object: any host object. */
export type Param = Record<string, unknown> & { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } };


/** Go's GroupVersionKind.String(): `apps/v1, Kind=Deployment`, `/v1, Kind=ConfigMap`. */
export const gvkString = (gvk: GroupVersionKind): string => `${gvk.group}/${gvk.version}, Kind=${gvk.kind}`;

/** Go's generated ParamKind.String(), which its messages print. */
export const paramKindString = (kind: ParamKind): string => `&ParamKind{APIVersion:${kind.apiVersion ?? ''},Kind:${kind.kind ?? ''},}`;

/** schema.ParseGroupVersion; throws Go's error for more than one slash. */
export function parseParamKind(kind: ParamKind): GroupVersionKind {
  const apiVersion = kind.apiVersion ?? '';
  const parts = apiVersion.split('/');
  if (apiVersion === '' || parts.length > 2) throw new Error(`failed to parse paramKind APIVersion: unexpected GroupVersion string: ${apiVersion}`);
  return parts.length === 1 ? { group: '', version: parts[0]!, kind: kind.kind ?? '' } : { group: parts[0]!, version: parts[1]!, kind: kind.kind ?? '' };
}

/** The REST mapping of a param kind: its collection and scope. */
interface Mapping {
  resource: string;
  namespaced: boolean;
  /** /api/v1 or /apis/<group>/<version>. */
  base: string;
}

/** A param kind ready to use: its mapping and the informer of its objects. */
export interface ParamKindSource {
  gvk: GroupVersionKind;
  mapping: Mapping;
  informer: Informer<Param>;
  /** Resolves once the informer listed (rejects if its first list failed). */
  synced: Promise<void>;
}

interface APIResourceList {
  resources?: Array<{ name: string; kind: string; namespaced?: boolean }>;
}

/** How long a paramKind the host's discovery did not know is not asked again. */
const DISCOVERY_MISS_TTL_MS = 1_000;
/** How long a request waits for a param informer's first list (Go: 1 s). */
const PARAM_SYNC_WAIT_MS = 1_000;

export class ParamSources {
  private readonly mappings = new Map<string, { mapping?: Mapping; at: number }>();
  private readonly sources = new Map<string, ParamKindSource>();

  constructor(
    private readonly host: KubeRestClient,
    private readonly opts: { onError?(err: unknown): void } = {},
  ) {}

  /** The param kind's source, its informer started when first asked; Go's configuration error when discovery does not know it. */
  async ensure(gvk: GroupVersionKind): Promise<ParamKindSource | { error: string }> {
    const key = gvkString(gvk);
    const existing = this.sources.get(key);
    if (existing) return existing;
    const mapping = await this.mappingOf(gvk);
    if (!mapping) return { error: `failed to find resource referenced by paramKind: '${key}'` };
    const again = this.sources.get(key);
    if (again) return again;
    const informer = new Informer<Param>(this.host, { path: `${mapping.base}/${mapping.resource}`, ...(this.opts.onError ? { onError: this.opts.onError } : {}) });
    const source: ParamKindSource = { gvk, mapping, informer, synced: informer.start() };
    // A first list that fails is tried again by the next request that needs the kind.
    source.synced.catch((err: unknown) => {
      this.opts.onError?.(err);
      informer.stop();
      if (this.sources.get(key) === source) this.sources.delete(key);
    });
    this.sources.set(key, source);
    return source;
  }

  /** Stops the informers of kinds no policy names any more. */
  retain(used: ReadonlySet<string>): void {
    for (const [key, source] of this.sources) {
      if (!used.has(key)) {
        source.informer.stop();
        this.sources.delete(key);
      }
    }
  }

  stop(): void {
    this.retain(new Set());
  }

  private async mappingOf(gvk: GroupVersionKind): Promise<Mapping | undefined> {
    const key = gvkString(gvk);
    const cached = this.mappings.get(key);
    if (cached && (cached.mapping || Date.now() - cached.at < DISCOVERY_MISS_TTL_MS)) return cached.mapping;
    const base = gvk.group === '' ? `/api/${gvk.version}` : `/apis/${gvk.group}/${gvk.version}`;
    let mapping: Mapping | undefined;
    try {
      const list = await this.host.get<APIResourceList>(base);
      const found = (list.resources ?? []).find((r) => r.kind === gvk.kind && !r.name.includes('/'));
      if (found) mapping = { resource: found.name, namespaced: found.namespaced === true, base };
    } catch (err) {
      if (!(err instanceof KubeApiError && err.code === 404)) this.opts.onError?.(err);
    }
    this.mappings.set(key, { ...(mapping ? { mapping } : {}), at: Date.now() });
    return mapping;
  }
}

/**
 * CollectParams: the params to evaluate a policy-binding with; [null] when the policy has no
 * paramKind or the binding no paramRef; [] when none is found and parameterNotFoundAction is Allow.
 * Throws the Error the binding is refused with.
 */
export async function collectParams(paramKind: ParamKind | undefined, source: ParamKindSource | undefined, paramRef: ParamRef | undefined, namespace: string, host: KubeRestClient): Promise<Array<Param | null>> {
  if (!paramKind || !paramRef) return [null];
  if (!source) throw new Error(`paramKind kind \`${paramKindString(paramKind)}\` not known`);
  let paramsNamespace = '';
  if (source.mapping.namespaced) {
    paramsNamespace = paramRef.namespace || namespace;
    if (!paramsNamespace) throw new Error('cannot use namespaced paramRef in policy binding that matches cluster-scoped resources');
  }
  if (!source.informer.hasSynced && !(await syncedWithin(source, PARAM_SYNC_WAIT_MS))) {
    throw new Error(`paramKind kind \`${paramKindString(paramKind)}\` not yet synced to use for admission`);
  }
  let params: Param[];
  if (paramRef.namespace && !source.mapping.namespaced) {
    throw new Error('paramRef.namespace must not be provided for a cluster-scoped `paramKind`');
  } else if (paramRef.name) {
    if (paramRef.selector) throw new Error('paramRef.name and paramRef.selector are mutually exclusive');
    const cached = source.informer.get(paramsNamespace ? `${paramsNamespace}/${paramRef.name}` : paramRef.name);
    const found = cached ?? (await getParam(source, paramsNamespace, paramRef.name, host));
    params = found ? [found] : [];
  } else if (paramRef.selector) {
    const selector = labelSelectorOf(paramRef.selector);
    params = source.informer
      .objects()
      .filter((p) => !paramsNamespace || p.metadata?.namespace === paramsNamespace)
      .filter((p) => selector.matches(p.metadata?.labels ?? {}))
      .sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
  } else {
    throw new Error('one of name or selector must be provided');
  }
  if (params.length === 0 && paramRef.parameterNotFoundAction === 'Deny') {
    throw new Error('no params found for policy binding with `Deny` parameterNotFoundAction');
  }
  return params;
}

const keyOf = (p: Param): string => `${p.metadata?.namespace ?? ''}/${p.metadata?.name ?? ''}`;

function syncedWithin(source: ParamKindSource, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    source.synced.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(false);
      },
    );
  });
}

/** The cache missed: ask the host (a param created just before the request may not have reached the informer). */
async function getParam(source: ParamKindSource, namespace: string, name: string, host: KubeRestClient): Promise<Param | undefined> {
  const { base, resource } = source.mapping;
  const path = namespace ? `${base}/namespaces/${encodeURIComponent(namespace)}/${resource}/${encodeURIComponent(name)}` : `${base}/${resource}/${encodeURIComponent(name)}`;
  try {
    return await host.get<Param>(path);
  } catch (err) {
    if (err instanceof KubeApiError && err.code === 404) return undefined;
    throw err;
  }
}
