/**
 * The builder of a server (apiserver-runtime's builder.APIServer): each kind is named once, with
 * what it needs, and the builder owns the rest: the Scheme, the backend's kinds (the crd backend
 * makes their CRDs), one watch cache and one generic Store per stored kind on one key prefix,
 * the storages of resources that are not stored, and closing them all on shutdown.
 *
 *   await apiServer({ name: 'wardle', serviceHosts })
 *     .withKind(fischerKind)
 *     .withKind(flunderKind, { admission: (api) => [banFlunder(api)] })
 *     .withResource(flunderMetricsKind, { list: async (ctx) => ... })
 *     .run();
 *
 *   await apiServer({ name: 'metrics' }).withExternalMetrics((api) => myProvider(() => api.host())).run();
 *
 * `runAPIServer(argv, { kinds, install })` underneath stays the escape hatch.
 */
import type { KubeObject } from '@kapi/apimachinery';
import { Cacher, resourcePrefix, type Storage } from '@kapi/storage';
import type { DynamicGroupVersion } from '../endpoints/dynamic.js';
import type { Filter } from '../http/routes.js';
import { KubeRestClient, loadKubeConfig } from '../kube/index.js';
import { externalMetricsGroupVersion } from '../metrics/external.js';
import type { ExternalMetricsProvider } from '../metrics/types.js';
import { computedStorage, computedVerbs, type ComputedResourceImpl } from '../registry/computed.js';
import type { ConnectStream, RestStorage } from '../registry/interfaces.js';
import type { AdmissionPlugin, RequestContext } from '../registry/rest.js';
import { Store, type StoreOptions } from '../registry/store.js';
import type { KindDefinition } from '../scheme/kind.js';
import { Scheme } from '../scheme/scheme.js';
import type { ServerWorkers } from '../server/cluster.js';
import type { GenericAPIServer } from '../server/generic-apiserver.js';
import { runAPIServer, type APIServerDefinition, type InstallContext, type InstalledAPI } from '../server/run.js';

export interface APIServerOptions {
  /** Names the generated certificates and kubeconfig. */
  name: string;
  /** DNS names a generated serving certificate carries (the Service kube-apiserver dials, e.g. api.wardle.svc). */
  serviceHosts?: readonly string[];
  /** The kubectl command suggested with the admin kubeconfig of a standalone server. */
  kubectlHint?: string;
  /** A watch cache in front of each stored kind (default true, as kube-apiserver). */
  watchCache?: boolean;
}

/** What a kind's hooks (and a group version's maker) may reach of the built API. */
export interface BuiltAPI {
  /** The Store of any stored kind. */
  store<Hub extends KubeObject>(kind: KindDefinition<Hub>): Store<Hub>;
  /**
   * The host cluster's client, as the server's --kubeconfig (or, delegated without it, the pod's
   * in-cluster configuration) reaches it: made on first call, closed on shutdown. Rejects when the
   * server runs standalone.
   */
  host(): Promise<KubeRestClient>;
}

/** POST <name>/<action>: the decoded request kind (undefined when it has none) in, the response kind out. */
export type ActionHandler = (ctx: RequestContext, name: string, body: KubeObject | undefined, api: BuiltAPI) => Promise<KubeObject>;

/** A connect subresource: serves the upgraded stream until it ends. */
export type ConnectHandler = (ctx: RequestContext, name: string, stream: ConnectStream, api: BuiltAPI) => Promise<void>;

/** The implementations of the subresources a kind declares (kind.subresources.actions / .connect), by name. */
export interface SubresourceHandlers {
  actions?: Readonly<Record<string, ActionHandler>>;
  connect?: Readonly<Record<string, ConnectHandler>>;
}

export interface KindOptions extends SubresourceHandlers {
  /** Admission plugins of the kind's writes, made with the built API (e.g. to read another kind). */
  admission?: (api: BuiltAPI) => readonly AdmissionPlugin[];
  /** Store behaviour (defaults as Go's sample strategies). */
  store?: Pick<StoreOptions, 'allowUnconditionalUpdate' | 'allowCreateOnUpdate'>;
}

interface StoredEntry {
  kind: KindDefinition;
  options: KindOptions;
}

type GroupVersionEntry = (api: BuiltAPI) => DynamicGroupVersion;

interface ComputedEntry {
  kind: KindDefinition;
  make: (api: BuiltAPI) => ComputedResourceImpl;
  handlers: SubresourceHandlers;
}

const keyOf = (kind: Pick<KindDefinition, 'group' | 'plural'>): string => `${kind.group}/${kind.plural}`;

export class APIServerBuilder {
  private readonly stored: StoredEntry[] = [];
  private readonly computed: ComputedEntry[] = [];
  private readonly groupVersions: Array<{ group: string; version: string; make: GroupVersionEntry }> = [];
  private nonResourceHandler: Filter | undefined;
  private readonly extensions: Array<(server: GenericAPIServer) => void> = [];

  constructor(private readonly options: APIServerOptions) {}

  /** A stored kind: a generic Store behind a watch cache on the server's backend. */
  withKind<Hub extends KubeObject>(kind: KindDefinition<Hub>, options: KindOptions = {}): this {
    this.claim(kind as unknown as KindDefinition);
    checkHandlers(kind as unknown as KindDefinition, options);
    this.stored.push({ kind: kind as unknown as KindDefinition, options });
    return this;
  }

  /**
   * A resource that is not stored: served by `impl` (or what it makes with the built API) with
   * only the verbs it implements (get, list), which discovery and OpenAPI show; selectors, scope,
   * Table and RBAC as for a stored kind.
   */
  withResource<T extends KubeObject>(
    kind: KindDefinition<T>,
    impl: ComputedResourceImpl<T> | ((api: BuiltAPI) => ComputedResourceImpl<T>),
    handlers: SubresourceHandlers = {},
  ): this {
    const def = kind as unknown as KindDefinition;
    this.claim(def);
    checkHandlers(def, handlers);
    const make = typeof impl === 'function' ? impl : () => impl;
    this.computed.push({ kind: def, make: make as (api: BuiltAPI) => ComputedResourceImpl, handlers });
    return this;
  }

  /**
   * An API group version served by its own handler (discovery lists its resources from its
   * lister): what Go's custom-metrics-apiserver does for the metrics APIs. `make` is called once
   * the API is built.
   */
  withGroupVersion(group: string, version: string, make: DynamicGroupVersion | ((api: BuiltAPI) => DynamicGroupVersion)): this {
    const taken = [...this.stored, ...this.computed].find((e) => e.kind.group === group);
    if (taken) throw new Error(`${group} is the group of the kind ${taken.kind.kind}: a group version of its own cannot be ${group}/${version}`);
    if (this.groupVersions.some((gv) => gv.group === group && gv.version === version)) throw new Error(`${group}/${version} is served twice`);
    this.groupVersions.push({ group, version, make: typeof make === 'function' ? make : () => make });
    return this;
  }

  /**
   * external.metrics.k8s.io/v1beta1 from `provider` (or what it makes with the built API, e.g. a
   * client of the host cluster): Go's AdapterBase.WithExternalMetrics (sigs.k8s.io/custom-metrics-apiserver).
   */
  withExternalMetrics(provider: ExternalMetricsProvider | ((api: BuiltAPI) => ExternalMetricsProvider)): this {
    const make = typeof provider === 'function' ? provider : () => provider;
    return this.withGroupVersion('external.metrics.k8s.io', 'v1beta1', (api) => externalMetricsGroupVersion(make(api)));
  }

  /** The author's handler of non-resource paths (an express app), behind every filter. */
  withNonResourceHandler(handler: Filter): this {
    this.nonResourceHandler = handler;
    return this;
  }

  /** Called with the server before it listens: filters, health checks, post-start and shutdown hooks. */
  configure(extend: (server: GenericAPIServer) => void): this {
    this.extensions.push(extend);
    return this;
  }

  /** What runAPIServer serves: the builder's kinds installed on the backend it opens. */
  definition(): APIServerDefinition {
    const stored = [...this.stored];
    const computed = [...this.computed];
    const watchCache = this.options.watchCache !== false;
    const extensions = [...this.extensions];
    const groupVersions = [...this.groupVersions];
    return {
      name: this.options.name,
      kinds: stored.map((e) => e.kind),
      serviceHosts: this.options.serviceHosts ?? [],
      ...(this.options.kubectlHint ? { kubectlHint: this.options.kubectlHint } : {}),
      ...(this.nonResourceHandler ? { nonResourceHandler: this.nonResourceHandler } : {}),
      ...(extensions.length ? { extend: (server: GenericAPIServer) => extensions.forEach((extend) => extend(server)) } : {}),
      install: (backend, context) => install(backend, context, stored, computed, groupVersions, watchCache),
    };
  }

  /** Parses `argv`, serves until SIGTERM/SIGINT (see runAPIServer). */
  run(argv: readonly string[] = process.argv.slice(2)): Promise<GenericAPIServer | ServerWorkers> {
    return runAPIServer(argv, this.definition());
  }

  private claim(kind: KindDefinition): void {
    const taken = [...this.stored, ...this.computed].find((e) => keyOf(e.kind) === keyOf(kind));
    if (taken) throw new Error(`${keyOf(kind)} is served twice (kinds ${taken.kind.kind} and ${kind.kind})`);
    if (this.groupVersions.some((gv) => gv.group === kind.group)) throw new Error(`${kind.group} is served by a group version of its own: the kind ${kind.kind} cannot be in it`);
  }
}

async function install(
  backend: Storage,
  context: InstallContext,
  stored: readonly StoredEntry[],
  computed: readonly ComputedEntry[],
  groupVersions: ReadonlyArray<{ group: string; version: string; make: GroupVersionEntry }>,
  watchCache: boolean,
): Promise<InstalledAPI> {
  const scheme = new Scheme();
  const storages = new Map<string, RestStorage>();
  const stores = new Map<string, Store>();
  const caches: Cacher[] = [];
  let hostClient: Promise<KubeRestClient> | undefined;
  const api: BuiltAPI = {
    store<Hub extends KubeObject>(kind: KindDefinition<Hub>): Store<Hub> {
      const store = stores.get(keyOf(kind));
      if (!store) throw new Error(`${keyOf(kind)} is not a stored kind of this server`);
      return store as unknown as Store<Hub>;
    },
    host(): Promise<KubeRestClient> {
      const host = context.host;
      if (!host) return Promise.reject(new Error('this server runs standalone: it reaches a host cluster only when run with --kubeconfig'));
      hostClient ??= loadKubeConfig(host.kubeconfig).then((kc) => new KubeRestClient(kc));
      // A failed load is tried again at the next call.
      hostClient.catch(() => (hostClient = undefined));
      return hostClient;
    },
  };
  const close = async (): Promise<void> => {
    for (const cache of caches.splice(0)) await cache.close();
    const client = hostClient;
    hostClient = undefined;
    if (client) (await client.catch(() => undefined))?.close();
  };
  try {
    for (const { kind, options } of stored) {
      scheme.addKind(kind);
      // The one place a resource's key prefix is computed: its watch cache and its Store share it.
      const prefix = resourcePrefix(kind.group, kind.plural);
      let storage: Storage = backend;
      if (watchCache) {
        const cache = await Cacher.create(backend, { resourcePrefix: prefix });
        caches.push(cache);
        storage = cache;
      }
      // The host cluster's plugins first, then the kind's own (Go runs the server's chain in that order).
      const admission = [...context.admission, ...(options.admission?.(api) ?? [])];
      const store = new Store({ kind, storage, prefix, scheme, ...options.store, admission, enableGarbageCollection: context.enableGarbageCollection });
      stores.set(keyOf(kind), store);
      storages.set(keyOf(kind), withSubresources(store, options, api));
    }
    for (const { kind, make, handlers } of computed) {
      const impl = make(api);
      // Discovery, OpenAPI and routing serve exactly the verbs the implementation has.
      const served: KindDefinition = { ...kind, verbs: computedVerbs(impl) };
      scheme.addKind(served);
      storages.set(keyOf(kind), withSubresources(computedStorage(served, impl), handlers, api));
    }
    const served = groupVersions.map(({ group, version, make }) => {
      const gv = make(api);
      if (gv.group !== group || gv.version !== version) throw new Error(`the group version made for ${group}/${version} is ${gv.group}/${gv.version}`);
      return gv;
    });
    return { scheme, storages, close, ...(served.length ? { groupVersions: served } : {}) };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Every action and connect subresource the kind declares has its handler, and no handler is for an undeclared one. */
function checkHandlers(kind: KindDefinition, handlers: SubresourceHandlers): void {
  for (const shape of ['actions', 'connect'] as const) {
    const declared = Object.keys(kind.subresources?.[shape] ?? {}).sort();
    const given = Object.keys(handlers[shape] ?? {}).sort();
    const missing = declared.filter((name) => !given.includes(name));
    const extra = given.filter((name) => !declared.includes(name));
    if (missing.length) throw new Error(`${keyOf(kind)}: no handler for the ${shape === 'actions' ? 'action' : 'connect'} subresource ${missing.join(', ')}`);
    if (extra.length) throw new Error(`${keyOf(kind)}: a handler for ${extra.join(', ')}, which kind.subresources.${shape} does not declare`);
  }
}

/** `storage` with the kind's action and connect subresources served by their handlers. */
function withSubresources(storage: RestStorage, handlers: SubresourceHandlers, api: BuiltAPI): RestStorage {
  const { actions, connect } = handlers;
  if (!actions && !connect) return storage;
  const served: RestStorage = Object.create(storage) as RestStorage;
  if (actions) served.action = (ctx, name, subresource, body) => actions[subresource]!(ctx, name, body, api);
  if (connect) served.connect = (ctx, name, subresource, stream) => connect[subresource]!(ctx, name, stream, api);
  return served;
}

/** Starts a builder (apiserver-runtime's builder.APIServer). */
export function apiServer(options: APIServerOptions): APIServerBuilder {
  return new APIServerBuilder(options);
}
