/**
 * The typed REST client under every generated one: `ApiClient` is a connection to a cluster (or a
 * server) made from a KubeConfig, so client certificates, tokens, exec plugins, contexts and the
 * in-cluster ServiceAccount work as they do for built-in kinds; `ResourceClient<T>` serves one
 * resource's verbs in one namespace (or the whole cluster) and answers errors as typed exceptions.
 * Requests go through kapi's one client of a host cluster (@kapi/storage/kube).
 */
import { LabelSelector, labelSelectorOf, type Status } from '@kapi/apimachinery';
import { KubeApiError, KubeRestClient, loadKubeConfig, type KubeConfig, type KubeRestClientOptions, type Query } from '@kapi/storage/kube';
import { apiErrorOf } from './errors.js';
import type {
  ApplyConfiguration,
  ApplyOptions,
  DeleteOptions,
  GetOptions,
  JsonPatchOperation,
  LabelSelectorOption,
  ListOptions,
  MergePatch,
  ObjectLike,
  ObjectList,
  WatchEvent,
  WatchOptions,
  WriteOptions,
} from './types.js';
import { openStream, type StreamOptions, type StreamSession } from './stream.js';
import { Watch } from './watch.js';

export interface ApiClientOptions extends KubeRestClientOptions {
  /** A kubeconfig file; default kubectl's search ($KUBECONFIG, ~/.kube/config, then in-cluster). */
  kubeconfig?: string;
  /** A context of the kubeconfig instead of its current-context. */
  context?: string;
}

/** What a generated client knows of a resource. */
export interface ResourceInfo {
  group: string;
  version: string;
  /** The URL name, e.g. flunders. */
  plural: string;
  kind: string;
  namespaced: boolean;
}

/** A connection to an API server; one is shared by every generated client made from it. */
export class ApiClient {
  constructor(readonly rest: KubeRestClient) {}

  /** From a kubeconfig file (or kubectl's default search) and optionally one of its contexts. */
  static async fromKubeConfig(opts: ApiClientOptions = {}): Promise<ApiClient> {
    const { kubeconfig, context, ...rest } = opts;
    const kc = await loadKubeConfig(kubeconfig, { fallback: 'default', ...(context ? { context } : {}) });
    return new ApiClient(new KubeRestClient(kc, rest));
  }

  /** From a KubeConfig already loaded (@kapi/storage/kube's loadKubeConfig, or client-node's own). */
  static of(kubeConfig: KubeConfig, opts: KubeRestClientOptions = {}): ApiClient {
    return new ApiClient(new KubeRestClient(kubeConfig, opts));
  }

  /** Closes the kept-alive connections and any watch still open. */
  close(): void {
    this.rest.close();
  }
}

function selectorString(selector: LabelSelectorOption | undefined): string | undefined {
  if (selector === undefined || typeof selector === 'string') return selector;
  return (selector instanceof LabelSelector ? selector : labelSelectorOf(selector)).toString();
}

function listQuery(opts: ListOptions & WatchOptions): Query {
  return {
    labelSelector: selectorString(opts.labelSelector),
    fieldSelector: opts.fieldSelector,
    limit: opts.limit,
    continue: opts.continue,
    resourceVersion: opts.resourceVersion,
    resourceVersionMatch: opts.resourceVersionMatch,
    timeoutSeconds: opts.timeoutSeconds,
    allowWatchBookmarks: opts.allowWatchBookmarks,
    sendInitialEvents: opts.sendInitialEvents,
  };
}

function writeQuery(opts: WriteOptions | ApplyOptions): Query {
  return {
    dryRun: opts.dryRun ? 'All' : undefined,
    fieldManager: opts.fieldManager,
    fieldValidation: opts.fieldValidation,
    force: 'force' in opts && opts.force ? true : undefined,
  };
}

function deleteBody(opts: DeleteOptions): object {
  return {
    kind: 'DeleteOptions',
    apiVersion: 'v1',
    ...(opts.gracePeriodSeconds !== undefined ? { gracePeriodSeconds: opts.gracePeriodSeconds } : {}),
    ...(opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : {}),
    ...(opts.preconditions ? { preconditions: opts.preconditions } : {}),
    ...(opts.dryRun ? { dryRun: ['All'] } : {}),
  };
}

/** Is this answer of a delete a Status (the object was gone at once) rather than the object? */
export function isStatus(value: unknown): value is Status {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

const CONTENT_TYPE = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

/**
 * One resource's verbs, in `namespace` for a namespaced kind ('' = every namespace, for list,
 * watch; the others need one) or cluster-wide. Generated clients extend it with their kind's
 * subresources.
 */
export class ResourceClient<T extends ObjectLike> {
  constructor(
    readonly api: ApiClient,
    readonly resource: ResourceInfo,
    readonly namespace = '',
  ) {}

  /** The resource's URL path, to `name` and its `subresource` when given. */
  path(name?: string, subresource?: string): string {
    const r = this.resource;
    const base = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
    const ns = r.namespaced && this.namespace !== '' ? `/namespaces/${encodeURIComponent(this.namespace)}` : '';
    if (name === undefined) return `${base}${ns}/${r.plural}`;
    if (r.namespaced && this.namespace === '') throw new Error(`${r.plural}.${r.group} is namespaced: give the client a namespace for a request on "${name}"`);
    if (name === '') throw new Error(`${r.plural}.${r.group}: a name is required`);
    return `${base}${ns}/${r.plural}/${encodeURIComponent(name)}${subresource ? `/${subresource}` : ''}`;
  }

  /** Sends one request; a non-2xx answer rejects with its typed error (NotFoundError, ConflictError, ...). */
  protected async send<R>(method: string, path: string, query: Query = {}, body?: object | string, contentType?: string): Promise<R> {
    try {
      return await this.api.rest.request<R>(method, path, query, body, contentType);
    } catch (err) {
      throw toApiError(err);
    }
  }

  create(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.send<T>('POST', this.path(), writeQuery(opts), this.typed(obj));
  }

  get(name: string, opts: GetOptions = {}): Promise<T> {
    return this.send<T>('GET', this.path(name), { resourceVersion: opts.resourceVersion });
  }

  /** One page when `limit` is given (its metadata.continue asks for the next), else everything. */
  list(opts: ListOptions = {}): Promise<ObjectList<T>> {
    return this.send<ObjectList<T>>('GET', this.path(), listQuery(opts));
  }

  /** Every item, fetched `pageSize` at a time (default 500) following the continue tokens. */
  async *listAll(opts: Omit<ListOptions, 'limit' | 'continue'> & { pageSize?: number } = {}): AsyncGenerator<T, void, undefined> {
    const { pageSize = 500, ...rest } = opts;
    let next: string | undefined;
    do {
      const page = await this.list({ ...rest, limit: pageSize, ...(next ? { continue: next } : {}) });
      yield* page.items;
      next = page.metadata.continue || undefined;
    } while (next);
  }

  /** Replaces the object (its metadata.resourceVersion, when set, must be current: else ConflictError). */
  update(obj: T, opts: WriteOptions = {}): Promise<T> {
    return this.send<T>('PUT', this.path(this.nameOf(obj)), writeQuery(opts), this.typed(obj));
  }

  /** RFC 7396 merge patch: the fields given are set, `null` removes one. */
  mergePatch(name: string, patch: MergePatch<T>, opts: WriteOptions = {}): Promise<T> {
    return this.patchAs<T>('merge', this.path(name), patch, opts);
  }

  /** RFC 6902 JSON patch. */
  jsonPatch(name: string, operations: JsonPatchOperation[], opts: WriteOptions = {}): Promise<T> {
    return this.patchAs<T>('json', this.path(name), operations, opts);
  }

  /** Server-side apply: `config` holds the fields `fieldManager` owns; a conflict with another manager is a ConflictError unless `force`. */
  apply(config: ApplyConfiguration<T>, opts: ApplyOptions): Promise<T> {
    return this.patchAs<T>('apply', this.path(config.metadata.name), config, opts);
  }

  /** Deletes the object: the answer is the object (while finalizers or a grace period keep it) or a Status. */
  delete(name: string, opts: DeleteOptions = {}): Promise<T | Status> {
    return this.send<T | Status>('DELETE', this.path(name), {}, deleteBody(opts));
  }

  /** Deletes every object the selectors match (in the client's namespace). */
  deleteCollection(opts: Pick<ListOptions, 'labelSelector' | 'fieldSelector'> & DeleteOptions = {}): Promise<ObjectList<T> | Status> {
    const { labelSelector, fieldSelector, ...rest } = opts;
    return this.send<ObjectList<T> | Status>('DELETE', this.path(), listQuery({ labelSelector, fieldSelector }), deleteBody(rest));
  }

  /**
   * Watches the resource from `resourceVersion` (default: now, with the current objects as ADDED
   * events first). Resolves once the server accepted the watch; a resourceVersion too old rejects
   * with ResourceExpiredError (or comes as an ERROR event with a 410 Status, per server).
   */
  async watch(opts: WatchOptions = {}): Promise<Watch<T>> {
    const watch = new Watch<T>();
    try {
      const stop = await this.api.rest.watch(this.path(), listQuery(opts), {
        event: (type, object) => watch.push({ type, object } as WatchEvent<T>),
        end: (err) => watch.end(err),
      });
      watch.started(stop);
    } catch (err) {
      throw toApiError(err);
    }
    return watch;
  }

  // Subresources: generated clients call these with their kind's types.

  protected getSubresource<R>(name: string, subresource: string): Promise<R> {
    return this.send<R>('GET', this.path(name, subresource));
  }

  protected updateSubresource<R extends ObjectLike>(name: string, subresource: string, obj: R, opts: WriteOptions = {}): Promise<R> {
    return this.send<R>('PUT', this.path(name, subresource), writeQuery(opts), obj);
  }

  protected patchSubresource<R>(name: string, subresource: string, type: 'merge' | 'json', patch: object, opts: WriteOptions = {}): Promise<R> {
    return this.patchAs<R>(type, this.path(name, subresource), patch, opts);
  }

  protected applySubresource<R>(name: string, subresource: string, config: object, opts: ApplyOptions): Promise<R> {
    return this.patchAs<R>('apply', this.path(name, subresource), config, opts);
  }

  /** POST to an action subresource (e.g. flunders/x/approve). */
  protected postSubresource<R>(name: string, subresource: string, body?: object): Promise<R> {
    return this.send<R>('POST', this.path(name, subresource), {}, body ?? {});
  }

  /** Opens a session of a connect subresource (e.g. flunders/x/exec) over a WebSocket. */
  protected connectSubresource(name: string, subresource: string, opts: StreamOptions = {}): Promise<StreamSession> {
    return openStream(this.api.rest, this.path(name, subresource), opts);
  }

  private patchAs<R>(type: keyof typeof CONTENT_TYPE, path: string, body: object, opts: WriteOptions | ApplyOptions): Promise<R> {
    return this.send<R>('PATCH', path, writeQuery(opts), JSON.stringify(body), CONTENT_TYPE[type]);
  }

  /** The object's metadata.name (an Error without one). */
  protected nameOf(obj: ObjectLike): string {
    const name = obj.metadata?.name;
    if (!name) throw new Error(`${this.resource.kind}: metadata.name is required`);
    return name;
  }

  /** The object with its apiVersion and kind (so a caller may leave them out). */
  private typed(obj: T): T {
    const r = this.resource;
    return { ...obj, apiVersion: obj.apiVersion ?? (r.group === '' ? r.version : `${r.group}/${r.version}`), kind: obj.kind ?? r.kind };
  }
}

/** A KubeApiError (or a network error, kept as it is) as the typed error of its Status. */
export function toApiError(err: unknown): unknown {
  if (!(err instanceof KubeApiError)) return err;
  // Without a Status, KubeApiError's message already says what was asked and what came back.
  return apiErrorOf(err.code, err.status, err.message);
}
