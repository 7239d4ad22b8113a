/**
 * CrdStorage: the Storage interface kept as custom resources of the cluster an aggregated API
 * server is registered with (no etcd of its own). One cluster-scoped CRD per stored resource in a
 * storage group of its own (see names.ts for the key ↔ custom resource layout); the custom
 * resource's resourceVersion — the host etcd's revision, global and monotonic — is the revision.
 *
 *   create            POST (409 → AlreadyExists)
 *   guaranteedUpdate  GET, tryUpdate, PUT with metadata.resourceVersion (409 → read again, retry)
 *   delete            GET, preconditions + validateDeletion, DELETE with preconditions.resourceVersion
 *   get / list        GET with resourceVersion / resourceVersionMatch / limit / continue passed
 *                     through; label selectors (and the namespace of a namespace prefix) applied by
 *                     the host, field selectors and key prefixes below the resource applied here
 *   watch             runWatch over a host list (snapshot) and a host watch from a revision
 *                     (bookmarks, reconnects from the last revision seen, 410 → our 410)
 */
import {
  StatusError,
  deepCopy,
  decodeContinue,
  encodeContinue,
  newBadRequest,
  newInternalError,
  type KubeObject,
} from '@kapi/apimachinery';
import { DEFAULT_MAX_VALUE_BYTES, encodeValue, sameValue } from '../codec.js';
import { corruptValue, keyExists, keyNotFound } from '../errors.js';
import type {
  DeleteOptions,
  GetOptions,
  ListOptions,
  ListResult,
  Storage,
  UpdateFunction,
  UpdateOptions,
  WatchOptions,
} from '../interface.js';
import { DEFAULT_KEY_ROOT, normalizePrefix } from '../keys.js';
import { defaultAttrs, type SelectionPredicate } from '../predicate.js';
import { checkPreconditions, parseResourceVersion } from '../revision.js';
import { runWatch } from '../watch-driver.js';
import type { Watcher } from '../watcher.js';
import { isHostAlreadyExists, isHostConflict, isHostNotFound, mapHostError, type HostOperation } from './errors.js';
import { KubeApiError, KubeRestClient, loadKubeConfig, type KubeConfig, type Query } from '../kube/index.js';
import {
  KEY_ANNOTATION,
  KEY_PREFIX_ANNOTATION,
  NAMESPACE_LABEL,
  RESERVED_LABEL_PREFIX,
  STORAGE_VERSION,
  crdNames,
  decodeName,
  defaultStorageGroup,
  encodeName,
  hostContinue,
  isLabelValue,
  namespaceOf,
  parseKey,
  type KeyParts,
} from './names.js';
import { crdEstablished, customResourceDefinition, sameCrdSpec, type CustomResourceDefinition, type SchemaNode } from './schema.js';
import type { HostList, HostObject, StoredResource } from './resources.js';
import { CrdWatchSource } from './watch-source.js';

/** A resource the server stores, made known up front: its CRD is created (or updated) at start-up. */
export interface CrdResource {
  /** The API group of the keys ("" for /registry/<resource>/...). */
  group: string;
  /** The resource (plural) segment of the keys. */
  resource: string;
  /** The kind, for the CRD's kind; the plural capitalized otherwise. */
  kind?: string;
  /** The hub (storage version) OpenAPI v3 schema: the CRD's schema is made from it (structural). */
  schema?: SchemaNode;
}

export interface CrdStorageOptions {
  /** Path of the host cluster's kubeconfig. Default: client-node's loadFromDefault (KUBECONFIG, ~/.kube/config, in-cluster). */
  kubeconfig?: string;
  /** A KubeConfig already loaded (wins over `kubeconfig`). */
  kubeConfig?: KubeConfig;
  /** The kubeconfig context to use; its current context otherwise. */
  context?: string;
  /** The storage group of a resource's CRD: a fixed group, or one per API group. Default storage.<group> (storage.kapi.dev for the core group). */
  storageGroup?: string | ((apiGroup: string) => string);
  /** Resources whose CRDs are made at start-up; any other resource's CRD is made on first use. */
  resources?: CrdResource[];
  /** The root of the keys. Default /registry. */
  keyRoot?: string;
  /**
   * The largest stored object, in bytes; bigger ones are refused with 413 before anything is sent.
   * Default 2 MiB; the host's etcd must accept requests that big (etcd's --max-request-bytes
   * defaults to 1.5 MiB, and its refusal is reported as 413 too).
   */
  maxValueBytes?: number;
  /** How often a watch that allows bookmarks gets one. Default 60 s. */
  bookmarkIntervalMs?: number;
  /** Timeout of one host request (not of watches). Default 30 s. */
  requestTimeoutMs?: number;
  /** How long one host watch request lasts before it is renewed from the last revision. Default 300 s. */
  watchTimeoutSeconds?: number;
  /** How long start-up waits for a new CRD to be served. Default 60 s. */
  crdReadyTimeoutMs?: number;
}

/** What preconditions are checked against when the key is missing (Go checks a zero object). */
const MISSING_OBJECT: KubeObject = { metadata: {} };
/** Items per host request when a local filter leaves a page short (etcd's maxLimit). */
const MAX_BATCH = 10_000;
const CRD_PATH = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';

export class CrdStorage implements Storage {
  readonly name = 'crd';
  readonly maxValueBytes: number;
  readonly keyRoot: string;
  readonly bookmarkIntervalMs: number;
  readonly watchTimeoutSeconds: number;
  private readonly resources = new Map<string, Promise<StoredResource>>();
  private readonly watchers = new Set<Watcher>();
  private closed = false;

  /** Loads the kubeconfig and makes the CRDs of `opts.resources`. */
  static async create(opts: CrdStorageOptions = {}): Promise<CrdStorage> {
    let kc = opts.kubeConfig;
    if (kc) {
      if (opts.context) kc.setCurrentContext(opts.context);
    } else {
      kc = await loadKubeConfig(opts.kubeconfig, { fallback: 'default', ...(opts.context ? { context: opts.context } : {}) });
    }
    const storage = new CrdStorage(new KubeRestClient(kc, { timeoutMs: opts.requestTimeoutMs ?? 30_000, maxSockets: 64 }), opts);
    try {
      const root = storage.keyRoot;
      await Promise.all(
        (opts.resources ?? []).map((r) => storage.resourceFor(parseKey(`${root}/${r.group ? `${r.group}/` : ''}${r.resource}/x`, root) as KeyParts)),
      );
    } catch (err) {
      await storage.close();
      throw err;
    }
    return storage;
  }

  private constructor(
    readonly host: KubeRestClient,
    private readonly opts: CrdStorageOptions,
  ) {
    this.maxValueBytes = opts.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES;
    this.keyRoot = (opts.keyRoot ?? DEFAULT_KEY_ROOT).replace(/\/$/, '');
    this.bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 60_000;
    this.watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300;
  }

  // ---- reads -------------------------------------------------------------------------------

  async get<T extends KubeObject = KubeObject>(key: string, opts: GetOptions = {}): Promise<T | undefined> {
    parseResourceVersion(opts.resourceVersion);
    const { res, name } = await this.locate(key);
    let cr: HostObject;
    try {
      cr = await this.host.request<HostObject>('GET', `${res.path}/${name}`, { resourceVersion: opts.resourceVersion });
    } catch (err) {
      if (isHostNotFound(err)) {
        if (opts.ignoreNotFound) return undefined;
        throw keyNotFound(key);
      }
      throw mapHostError(err, { key, op: 'read' });
    }
    return this.decode<T>(res, cr, key);
  }

  async list<T extends KubeObject = KubeObject>(keyPrefix: string, opts: ListOptions): Promise<ListResult<T>> {
    parseResourceVersion(opts.resourceVersion);
    const predicate = opts.predicate;
    if (!(opts.recursive ?? false)) return this.listOne<T>(keyPrefix, opts);
    const prefix = normalizePrefix(keyPrefix, true);
    const { res, parts } = await this.locatePrefix(prefix);
    const labelSelector = this.hostLabelSelector(predicate, parts.rest);
    // Whether the host's list covers exactly the prefix (then its remainingItemCount is ours).
    const exactPrefix = parts.rest === '' || labelSelector.ns;
    const query: Query = {
      resourceVersion: opts.resourceVersion,
      resourceVersionMatch: opts.resourceVersionMatch,
      labelSelector: labelSelector.selector,
    };
    let op: HostOperation = 'list';
    if (predicate.continue) {
      const pos = decodeContinue(predicate.continue, prefix);
      if (!pos.startKey.startsWith(res.keyPrefix)) throw newBadRequest(`continue key is not valid: not under ${prefix}`);
      const start = pos.startKey.slice(res.keyPrefix.length);
      query['continue'] = hostContinue(pos.resourceVersion, start.endsWith('\u0000') ? `${encodeName(start.slice(0, -1))}\u0000` : encodeName(start));
      op = 'continue';
    }
    const limit = predicate.limit;
    let batch = limit;
    const items: T[] = [];
    for (;;) {
      const page = await this.hostList(res, { ...query, limit: batch || undefined }, prefix, op);
      const revision = Number(page.metadata.resourceVersion);
      for (let i = 0; i < page.items.length; i++) {
        const cr = page.items[i] as HostObject;
        const key = this.keyOf(res, cr);
        if (!key.startsWith(prefix)) continue;
        const obj = this.decode<T>(res, cr, key);
        if (!predicate.matches(obj)) continue;
        items.push(obj);
        if (limit > 0 && items.length === limit) {
          const more = i < page.items.length - 1 || !!page.metadata.continue;
          const result: ListResult<T> = { items, resourceVersion: revision };
          if (more) {
            result.continue = encodeContinue(key, prefix, revision);
            const unfiltered = exactPrefix && predicate.isEverything() && !labelSelector.selector;
            const left = page.items.length - 1 - i;
            if (unfiltered && (page.metadata.remainingItemCount !== undefined || !page.metadata.continue)) {
              result.remainingItemCount = left + (page.metadata.remainingItemCount ?? 0);
            }
          }
          return result;
        }
      }
      if (!page.metadata.continue || batch === 0) return { items, resourceVersion: revision };
      // Filtered out here: read on at the same revision with the host's own token.
      query['continue'] = page.metadata.continue;
      query['resourceVersion'] = undefined;
      query['resourceVersionMatch'] = undefined;
      op = 'continue';
      batch = Math.min(batch * 2, MAX_BATCH);
    }
  }

  async count(keyPrefix: string): Promise<number> {
    const prefix = normalizePrefix(keyPrefix, true);
    const { res, parts } = await this.locatePrefix(prefix);
    if (parts.rest === '') {
      const page = await this.hostList(res, { limit: 1 }, prefix, 'list');
      if (!page.metadata.continue) return page.items.length;
      if (page.metadata.remainingItemCount !== undefined) return page.items.length + page.metadata.remainingItemCount;
    }
    const ns = this.hostLabelSelector(undefined, parts.rest);
    const page = await this.hostList(res, { labelSelector: ns.selector }, prefix, 'list');
    return page.items.filter((cr) => this.keyOf(res, cr).startsWith(prefix)).length;
  }

  async currentRevision(): Promise<number> {
    // A consistent list answers with the host etcd's current revision; this one matches nothing.
    try {
      const list = await this.host.request<HostList>('GET', CRD_PATH, { fieldSelector: 'metadata.name=kapi-storage-revision-probe' });
      return Number(list.metadata.resourceVersion);
    } catch (err) {
      throw mapHostError(err, { key: this.keyRoot, op: 'read' });
    }
  }

  async healthCheck(): Promise<void> {
    await this.currentRevision();
  }

  // ---- writes ------------------------------------------------------------------------------

  async create<T extends KubeObject = KubeObject>(key: string, obj: T): Promise<T> {
    const { res, parts, name } = await this.locate(key);
    const value = encodeValue(key, obj, this.maxValueBytes);
    const body = this.body(res, parts, name, key, obj, value.toString('utf8'));
    try {
      return this.decode<T>(res, await this.host.request<HostObject>('POST', res.path, {}, body), key);
    } catch (err) {
      if (isHostAlreadyExists(err)) throw keyExists(key);
      throw mapHostError(err, { key, op: 'write', size: value.length, limit: this.maxValueBytes });
    }
  }

  async guaranteedUpdate<T extends KubeObject = KubeObject>(key: string, tryUpdate: UpdateFunction<T>, opts: UpdateOptions = {}): Promise<T> {
    const { res, parts, name } = await this.locate(key);
    for (;;) {
      const cr = await this.read(res, name, key);
      if (!cr) {
        if (!opts.ignoreNotFound) throw keyNotFound(key);
        checkPreconditions(key, opts.preconditions, MISSING_OBJECT);
        const created = await tryUpdate(undefined);
        try {
          return await this.create(key, created);
        } catch (err) {
          if (err instanceof StatusError && err.status.reason === 'AlreadyExists') continue;
          throw err;
        }
      }
      const current = this.decode<T>(res, cr, key);
      checkPreconditions(key, opts.preconditions, current);
      const next = await tryUpdate(deepCopy(current));
      if (sameValue(current, next)) return current;
      const value = encodeValue(key, next, this.maxValueBytes);
      const body = this.body(res, parts, name, key, next, value.toString('utf8'), cr.metadata.resourceVersion);
      try {
        return this.decode<T>(res, await this.host.request<HostObject>('PUT', `${res.path}/${name}`, {}, body), key);
      } catch (err) {
        // Changed or deleted since the read: read again and retry, as Go's GuaranteedUpdate does.
        if (isHostConflict(err) || isHostNotFound(err)) continue;
        throw mapHostError(err, { key, op: 'write', size: value.length, limit: this.maxValueBytes });
      }
    }
  }

  async delete<T extends KubeObject = KubeObject>(key: string, opts: DeleteOptions<T> = {}): Promise<T> {
    const { res, name } = await this.locate(key);
    for (;;) {
      const cr = await this.read(res, name, key);
      if (!cr) throw keyNotFound(key);
      const current = this.decode<T>(res, cr, key);
      checkPreconditions(key, opts.preconditions, current);
      if (opts.validateDeletion) await opts.validateDeletion(current);
      // A delete's answer carries the object as it was, at its old revision; the revision of the
      // delete itself is that of the DELETED event, read from a watch of this one name.
      const deleted = await this.watchDelete(res, name, cr.metadata.resourceVersion);
      let gone: HostObject;
      try {
        gone = await this.host.request<HostObject>('DELETE', `${res.path}/${name}`, {}, {
          apiVersion: 'v1',
          kind: 'DeleteOptions',
          preconditions: { resourceVersion: cr.metadata.resourceVersion, ...(cr.metadata.uid ? { uid: cr.metadata.uid } : {}) },
        });
      } catch (err) {
        deleted.stop();
        if (isHostConflict(err)) continue;
        if (isHostNotFound(err)) throw keyNotFound(key);
        throw mapHostError(err, { key, op: 'write' });
      }
      const revision = await deleted.revision;
      const last = gone && gone.kind !== 'Status' && gone.object !== undefined ? this.decode<T>(res, gone, key) : current;
      last.metadata.resourceVersion = String(revision ?? (await this.currentRevision()));
      return last;
    }
  }

  /** Resolves to the revision of the DELETED event of `name` after `fromRevision` (undefined if none comes in time). */
  private async watchDelete(res: StoredResource, name: string, fromRevision: string): Promise<{ revision: Promise<number | undefined>; stop(): void }> {
    let settle!: (rv: number | undefined) => void;
    const revision = new Promise<number | undefined>((resolve) => (settle = resolve));
    let stopWatch: (() => void) | undefined;
    const timer = setTimeout(() => settle(undefined), 10_000);
    timer.unref();
    const stop = (): void => {
      clearTimeout(timer);
      stopWatch?.();
      settle(undefined);
    };
    try {
      stopWatch = await this.host.watch(
        res.path,
        { fieldSelector: `metadata.name=${name}`, resourceVersion: fromRevision, timeoutSeconds: 30 },
        {
          event: (type, object) => {
            const rv = Number((object as unknown as HostObject).metadata?.resourceVersion);
            if (type === 'DELETED' && Number.isSafeInteger(rv)) settle(rv);
            else if (type === 'ERROR') settle(undefined);
          },
          end: () => settle(undefined),
        },
      );
    } catch {
      settle(undefined);
    }
    void revision.then(() => {
      clearTimeout(timer);
      stopWatch?.();
    });
    return { revision, stop };
  }

  // ---- watch -------------------------------------------------------------------------------

  async watch<T extends KubeObject = KubeObject>(key: string, opts: WatchOptions): Promise<Watcher<T>> {
    const recursive = opts.recursive ?? false;
    const target = normalizePrefix(key, recursive);
    const located = recursive ? await this.locatePrefix(target) : await this.locate(target);
    const source = new CrdWatchSource(this, located.res, opts.predicate);
    const watcher = await runWatch<T>(source, target, { ...opts, recursive }, { bookmarkIntervalMs: this.bookmarkIntervalMs });
    this.watchers.add(watcher as unknown as Watcher);
    watcher.onStop(() => this.watchers.delete(watcher as unknown as Watcher));
    return watcher;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.watchers]) w.stop();
    this.host.close();
  }

  // ---- for tests and tools -----------------------------------------------------------------

  /** Writes `raw` as the stored value at `key` past the codec: parsed JSON, or the string itself when it is not JSON. */
  async putRaw(key: string, raw: string): Promise<void> {
    const { res, parts, name } = await this.locate(key);
    let value: string;
    try {
      JSON.parse(raw);
      value = raw;
    } catch {
      value = JSON.stringify(raw);
    }
    const existing = await this.read(res, name, key);
    const labels: KubeObject = { metadata: {} };
    const body = this.body(res, parts, name, key, labels, value, existing?.metadata.resourceVersion);
    if (existing) await this.host.request('PUT', `${res.path}/${name}`, {}, body);
    else await this.host.request('POST', res.path, {}, body);
  }

  /** The CRD of the resource `key` belongs to (made and waited for on first use). */
  async resourceOf(key: string): Promise<StoredResource> {
    return (await this.locatePrefix(normalizePrefix(key, true))).res;
  }

  // ---- internals (also used by the watch source) --------------------------------------------

  /** The key a custom resource stands for: its annotation, or its decoded name. */
  keyOf(res: StoredResource, cr: HostObject): string {
    const annotated = cr.metadata.annotations?.[KEY_ANNOTATION];
    if (annotated) return annotated;
    const rest = decodeName(cr.metadata.name);
    return rest === undefined ? `${res.keyPrefix}${cr.metadata.name}` : `${res.keyPrefix}${rest}`;
  }

  /** The stored object in a custom resource, with the custom resource's resourceVersion. */
  decode<T extends KubeObject>(res: StoredResource, cr: HostObject, key = this.keyOf(res, cr)): T {
    const value = cr.object;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw corruptValue(key, 'value is not a JSON object');
    const obj = value as T;
    if (typeof obj.metadata !== 'object' || obj.metadata === null) throw corruptValue(key, 'value has no metadata');
    obj.metadata.resourceVersion = cr.metadata.resourceVersion;
    return obj;
  }

  async hostList(res: StoredResource, query: Query, key: string, op: HostOperation): Promise<HostList> {
    try {
      return await this.host.request<HostList>('GET', res.path, query);
    } catch (err) {
      throw mapHostError(err, { key, op });
    }
  }

  /**
   * The label selector the host can apply: the namespace of a "<ns>/" prefix, and the predicate's
   * labels when they are the object's own (default attrs) and name no reserved label.
   */
  hostLabelSelector(predicate: SelectionPredicate | undefined, rest: string): { selector: string | undefined; ns: boolean } {
    const parts: string[] = [];
    let ns = false;
    const m = /^([^/]+)\/$/.exec(rest);
    if (m && isLabelValue(m[1] as string)) {
      parts.push(`${NAMESPACE_LABEL}=${m[1]}`);
      ns = true;
    }
    if (predicate && !predicate.label.isEmpty() && predicate.getAttrs === defaultAttrs) {
      const s = predicate.label.toString();
      if (!s.includes(RESERVED_LABEL_PREFIX)) parts.push(s);
    }
    return { selector: parts.length ? parts.join(',') : undefined, ns };
  }

  private async listOne<T extends KubeObject>(key: string, opts: ListOptions): Promise<ListResult<T>> {
    const { res, name } = await this.locate(key);
    const page = await this.hostList(
      res,
      { fieldSelector: `metadata.name=${name}`, resourceVersion: opts.resourceVersion, resourceVersionMatch: opts.resourceVersionMatch },
      key,
      'list',
    );
    const items: T[] = [];
    for (const cr of page.items) {
      if (this.keyOf(res, cr) !== key) continue;
      const obj = this.decode<T>(res, cr, key);
      if (opts.predicate.matches(obj)) items.push(obj);
    }
    return { items, resourceVersion: Number(page.metadata.resourceVersion) };
  }

  /** The current custom resource at `name`, or undefined. */
  private async read(res: StoredResource, name: string, key: string): Promise<HostObject | undefined> {
    try {
      return await this.host.request<HostObject>('GET', `${res.path}/${name}`);
    } catch (err) {
      if (isHostNotFound(err)) return undefined;
      throw mapHostError(err, { key, op: 'read' });
    }
  }

  /** The custom resource for a value: name from the key, key annotation, labels, the value in `.object`. */
  private body(res: StoredResource, parts: KeyParts, name: string, key: string, obj: KubeObject, valueJson: string, resourceVersion?: string): string {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(obj.metadata?.labels ?? {})) {
      if (k.startsWith(RESERVED_LABEL_PREFIX)) throw newBadRequest(`the label ${k} of the object at key "${key}" is reserved by the CRD storage (${RESERVED_LABEL_PREFIX}*)`);
      labels[k] = v;
    }
    const ns = namespaceOf(parts.rest);
    if (ns !== undefined) labels[NAMESPACE_LABEL] = ns;
    const metadata = {
      name,
      ...(Object.keys(labels).length ? { labels } : {}),
      annotations: { [KEY_ANNOTATION]: key },
      ...(resourceVersion ? { resourceVersion } : {}),
    };
    return `{"apiVersion":${JSON.stringify(`${res.names.storageGroup}/${STORAGE_VERSION}`)},"kind":${JSON.stringify(res.names.kind)},"metadata":${JSON.stringify(metadata)},"object":${valueJson}}`;
  }

  /** The resource and custom resource name of one key. */
  private async locate(key: string): Promise<{ res: StoredResource; parts: KeyParts; name: string }> {
    const parts = parseKey(key, this.keyRoot);
    if (!parts || parts.rest === '' || parts.rest.endsWith('/')) {
      throw newInternalError(`the CRD storage can not store key "${key}": keys are ${this.keyRoot}/<group>/<resource>/[<namespace>/]<name>`);
    }
    return { res: await this.resourceFor(parts), parts, name: encodeName(parts.rest) };
  }

  /** The resource of a recursive prefix (the resource itself or below it). */
  private async locatePrefix(prefix: string): Promise<{ res: StoredResource; parts: KeyParts }> {
    const parts = parseKey(prefix, this.keyRoot);
    if (!parts) {
      throw newInternalError(`the CRD storage lists and watches within one resource; "${prefix}" is above ${this.keyRoot}/<group>/<resource>/`);
    }
    return { res: await this.resourceFor(parts), parts };
  }

  private resourceFor(parts: KeyParts): Promise<StoredResource> {
    if (this.closed) return Promise.reject(newInternalError('the CRD storage is closed'));
    let made = this.resources.get(parts.resourcePrefix);
    if (!made) {
      made = this.installCrd(parts);
      this.resources.set(parts.resourcePrefix, made);
      // A failed install is tried again by the next request.
      made.catch(() => this.resources.delete(parts.resourcePrefix));
    }
    return made;
  }

  /** Creates or updates the resource's CRD and waits until the host serves it. */
  private async installCrd(parts: KeyParts): Promise<StoredResource> {
    const known = (this.opts.resources ?? []).find((r) => r.group === parts.group && r.resource === parts.resource);
    const group = typeof this.opts.storageGroup === 'function' ? this.opts.storageGroup(parts.group) : (this.opts.storageGroup ?? defaultStorageGroup(parts.group));
    const names = crdNames(parts.resource, group, known?.kind);
    const wanted = customResourceDefinition(names, parts.resourcePrefix, known?.schema);
    const res: StoredResource = { names, keyPrefix: parts.resourcePrefix, path: `/apis/${group}/${STORAGE_VERSION}/${names.plural}` };
    const fail = (err: unknown): StatusError => mapHostError(err, { key: parts.resourcePrefix, op: 'write' });
    const deadline = Date.now() + (this.opts.crdReadyTimeoutMs ?? 60_000);

    let crd: CustomResourceDefinition | undefined;
    for (let attempt = 0; ; attempt++) {
      crd = await this.host.request<CustomResourceDefinition>('GET', `${CRD_PATH}/${names.crdName}`).catch((err: unknown) => {
        if (isHostNotFound(err)) return undefined;
        throw fail(err);
      });
      try {
        if (!crd) crd = await this.host.request<CustomResourceDefinition>('POST', CRD_PATH, {}, wanted);
        else {
          const owner = crd.metadata.annotations?.[KEY_PREFIX_ANNOTATION];
          if (owner && owner !== parts.resourcePrefix) {
            throw newInternalError(`CRD ${names.crdName} already stores ${owner}, not ${parts.resourcePrefix}: give the resources different storage groups`);
          }
          if (!sameCrdSpec(crd, wanted)) {
            crd = await this.host.request<CustomResourceDefinition>('PUT', `${CRD_PATH}/${names.crdName}`, {}, {
              ...wanted,
              metadata: { ...wanted.metadata, resourceVersion: crd.metadata.resourceVersion },
            });
          }
        }
        break;
      } catch (err) {
        // Someone else made or changed it at the same time: look again.
        if (err instanceof KubeApiError && err.code === 409 && attempt < 5) continue;
        throw err instanceof StatusError ? err : fail(err);
      }
    }

    // Established, then actually served (the handler may lag the condition by a moment).
    for (;;) {
      const state = crdEstablished(crd);
      if (state instanceof Error) throw newInternalError(state);
      if (state) break;
      if (Date.now() > deadline) throw newInternalError(`CRD ${names.crdName} was not established in time`);
      await sleep(100);
      crd = await this.host.request<CustomResourceDefinition>('GET', `${CRD_PATH}/${names.crdName}`).catch((err: unknown) => {
        throw fail(err);
      });
    }
    for (;;) {
      try {
        await this.host.request('GET', res.path, { limit: 1 });
        return res;
      } catch (err) {
        if (!isHostNotFound(err) || Date.now() > deadline) throw fail(err);
        await sleep(100);
      }
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
