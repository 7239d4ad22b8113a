/**
 * For the policy plugins' unit tests: an in-memory host cluster behind the KubeRestClient methods
 * the plugins use (get, watch), so that the real informers, discovery and param lookups run; and
 * AdmissionAttributes of a small kind served in two versions.
 */
import type { KubeObject } from '@kapi/apimachinery';
import { KubeApiError, type KubeRestClient, type KubeWatchHandlers } from '../../kube/index.js';
import type { AdmissionAttributes, AdmissionObjects } from '../../registry/rest.js';
import { deepCopy } from '@kapi/apimachinery';

type Obj = Record<string, unknown> & { metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string> } };

/** A collection the host serves: /api/v1/configmaps, /apis/<group>/<version>/<resource>. */
interface Collection {
  base: string;
  resource: string;
  kind: string;
  namespaced: boolean;
  items: Map<string, Obj>;
  watchers: Set<KubeWatchHandlers>;
}

export const ADMISSION_V1 = '/apis/admissionregistration.k8s.io/v1';

export class TestHost {
  private readonly collections = new Map<string, Collection>();
  /** Fixed answers by path (the OpenAPI index and documents). */
  readonly answers = new Map<string, unknown>();
  private rv = 1;
  /** Paths asked with GET, in order. */
  readonly gets: string[] = [];

  constructor() {
    this.serve('/api/v1', 'namespaces', 'Namespace', false);
    this.serve('/api/v1', 'configmaps', 'ConfigMap', true);
    for (const resource of ['validatingadmissionpolicies', 'validatingadmissionpolicybindings', 'mutatingadmissionpolicies', 'mutatingadmissionpolicybindings']) {
      const kind = { validatingadmissionpolicies: 'ValidatingAdmissionPolicy', validatingadmissionpolicybindings: 'ValidatingAdmissionPolicyBinding', mutatingadmissionpolicies: 'MutatingAdmissionPolicy', mutatingadmissionpolicybindings: 'MutatingAdmissionPolicyBinding' }[resource]!;
      this.serve(ADMISSION_V1, resource, kind, false);
    }
  }

  /** Serves a collection (and lists it in discovery). */
  serve(base: string, resource: string, kind: string, namespaced: boolean): void {
    this.collections.set(`${base}/${resource}`, { base, resource, kind, namespaced, items: new Map(), watchers: new Set() });
  }

  /** Creates or replaces objects; `silently` keeps them from the watchers (an informer that has not seen them yet). */
  put(collection: string, objects: Obj[], opts: { silently?: boolean } = {}): void {
    const c = this.collection(collection);
    for (const obj of objects) {
      const stored = deepCopy(obj);
      const meta = (stored.metadata ??= {});
      meta.resourceVersion = String(++this.rv);
      const key = c.namespaced ? `${meta.namespace ?? ''}/${meta.name ?? ''}` : (meta.name ?? '');
      const type = c.items.has(key) ? 'MODIFIED' : 'ADDED';
      c.items.set(key, stored);
      if (!opts.silently) for (const w of c.watchers) w.event(type, deepCopy(stored));
    }
  }

  remove(collection: string, name: string, namespace?: string): void {
    const c = this.collection(collection);
    const key = c.namespaced ? `${namespace ?? ''}/${name}` : name;
    const obj = c.items.get(key);
    if (!obj) return;
    c.items.delete(key);
    for (const w of c.watchers) w.event('DELETED', deepCopy(obj));
  }

  namespace(name: string, labels: Record<string, string> = {}): void {
    this.put('/api/v1/namespaces', [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } }]);
  }

  private collection(path: string): Collection {
    const c = this.collections.get(path);
    if (!c) throw new Error(`the test host serves no ${path}`);
    return c;
  }

  async get<T>(path: string): Promise<T> {
    this.gets.push(path);
    if (this.answers.has(path)) return deepCopy(this.answers.get(path)) as T;
    const collection = this.collections.get(path);
    if (collection) return { metadata: { resourceVersion: String(this.rv) }, items: [...collection.items.values()].map((o) => deepCopy(o)) } as T;
    const discovery = [...this.collections.values()].filter((c) => c.base === path);
    if (discovery.length > 0) return { resources: discovery.map((c) => ({ name: c.resource, kind: c.kind, namespaced: c.namespaced })) } as T;
    for (const c of this.collections.values()) {
      const namespaced = new RegExp(`^${c.base}/namespaces/([^/]+)/${c.resource}/([^/]+)$`).exec(path);
      const cluster = new RegExp(`^${c.base}/${c.resource}/([^/]+)$`).exec(path);
      const key = c.namespaced && namespaced ? `${decodeURIComponent(namespaced[1]!)}/${decodeURIComponent(namespaced[2]!)}` : !c.namespaced && cluster ? decodeURIComponent(cluster[1]!) : undefined;
      if (key === undefined) continue;
      const found = c.items.get(key);
      if (found) return deepCopy(found) as T;
      throw new KubeApiError(404, `${c.resource} "${key}" not found`, { kind: 'Status', code: 404, reason: 'NotFound' });
    }
    throw new KubeApiError(404, `the server could not find the requested resource (get ${path})`, { kind: 'Status', code: 404, reason: 'NotFound' });
  }

  async watch(path: string, _query: unknown, handlers: KubeWatchHandlers): Promise<() => void> {
    const c = this.collection(path);
    c.watchers.add(handlers);
    return () => c.watchers.delete(handlers);
  }

  get client(): KubeRestClient {
    return this as unknown as KubeRestClient;
  }
}

export const GROUP = 'example.com';

/** Widgets, served in v1 (the hub) and v1beta1 (spec.size is spec.count there). */
export const WIDGET_OBJECTS: AdmissionObjects = {
  versions: ['v1', 'v1beta1'],
  encode(hub, version) {
    const out = deepCopy(hub) as KubeObject & { spec?: Record<string, unknown> };
    out.apiVersion = `${GROUP}/${version}`;
    out.kind = 'Widget';
    if (version === 'v1beta1' && out.spec && 'size' in out.spec) {
      out.spec = { ...out.spec, count: out.spec['size'] };
      delete out.spec['size'];
    }
    return out;
  },
  decode(obj) {
    const out = deepCopy(obj) as KubeObject & { spec?: Record<string, unknown> };
    if (out.apiVersion === `${GROUP}/v1beta1` && out.spec && 'count' in out.spec) {
      out.spec = { ...out.spec, size: out.spec['count'] };
      delete out.spec['count'];
    }
    out.apiVersion = `${GROUP}/v1`;
    return out;
  },
};

/** A create (or another operation) of a widget, in `version`. */
export function widgetAttributes(opts: {
  name: string;
  namespace?: string;
  operation?: AdmissionAttributes['operation'];
  version?: string;
  labels?: Record<string, string>;
  spec?: Record<string, unknown>;
  oldObject?: KubeObject;
}): AdmissionAttributes {
  const operation = opts.operation ?? 'CREATE';
  const object = {
    apiVersion: `${GROUP}/v1`,
    kind: 'Widget',
    metadata: { name: opts.name, ...(opts.namespace ? { namespace: opts.namespace } : {}), ...(opts.labels ? { labels: opts.labels } : {}) },
    spec: opts.spec ?? {},
  } as KubeObject;
  return {
    operation,
    group: GROUP,
    version: opts.version ?? 'v1',
    kind: 'Widget',
    resource: 'widgets',
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
    name: opts.name,
    ...(operation === 'DELETE' ? {} : { object }),
    ...(opts.oldObject || operation === 'DELETE' ? { oldObject: opts.oldObject ?? object } : {}),
    user: { username: 'alice', groups: ['system:authenticated'] },
    dryRun: false,
    objects: WIDGET_OBJECTS,
    warnings: [],
    auditAnnotations: {},
  };
}
