/**
 * The generic Store (k8s.io/apiserver/pkg/registry/generic/registry/store.go): every verb of one
 * resource over a @kapi/storage Storage, parameterised by the kind's definition and strategy.
 * Objects in and out are in the hub version.
 */
import { randomUUID } from 'node:crypto';
import {
  OPTIMISTIC_LOCK_MESSAGE,
  StatusError,
  isAlreadyExists,
  isNotFound,
  newAlreadyExists,
  newBadRequest,
  newConflict,
  newInvalid,
  newNotFound,
  rfc3339,
  type FieldError,
  type GroupResource,
  type KubeList,
  type KubeObject,
  deepCopy,
  deepEqual,
} from '@kapi/apimachinery';
import {
  namespacePrefix,
  objectKey,
  resourcePrefix,
  checkPreconditions,
  parseResourceVersion,
  type Preconditions,
  type Storage,
  type Watcher,
} from '@kapi/storage';
import { FieldManager, managerOrUserAgent, validateManagedFields } from '../apply/index.js';
import type { KindDefinition, KindStrategy } from '../scheme/kind.js';
import { validateKindRules } from '../scheme/schema-cel.js';
import { AdmissionChain, admissionObjectsOf } from './admission.js';
import { Scheme } from '../scheme/scheme.js';
import type { SchemeLike } from '../scheme/scheme-like.js';
import { checkDeletePreconditions, DeleteNow, finalizersForGarbageCollection, markForDeletion, shouldDeleteDuringUpdate } from './deletion.js';
import type { RestStorage } from './interfaces.js';
import { scaleFieldManager, updatedScaleObject, validateScaleReplicas } from './scale.js';
import { predicateFor, validateListOptions } from './list-options.js';
import { generateNameFrom } from './naming.js';
import {
  ensureNamespaceMatchesRequest,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './object-meta-validation.js';
import type {
  AdmissionAttributes,
  AdmissionObjects,
  AdmissionPlugin,
  ApiDeleteOptions,
  ApiGetOptions,
  ApiListOptions,
  DeleteResult,
  RequestContext,
  UpdatedObjectFunc,
  UpdateResult,
  WriteOptions,
} from './rest.js';
import { interpretStorageError } from './storage-errors.js';
import { keepCurrentStatus, specChanged, statusOnlyUpdate } from './update-semantics.js';

/** How many names a generateName create tries before giving up (maxNameGenerationCreateAttempts). */
const MAX_NAME_GENERATION_ATTEMPTS = 8;

export interface StoreOptions<Hub extends KubeObject = KubeObject> {
  kind: KindDefinition<Hub>;
  storage: Storage;
  /** Run on every write, in order: all admit hooks, then (after validation) all validate hooks. */
  admission?: readonly AdmissionPlugin[];
  /**
   * The resource's key prefix (default /registry/<group>/<plural>/): computed once by whoever also
   * puts a watch cache on it, so the two never disagree.
   */
  prefix?: string;
  /** An update without metadata.resourceVersion overwrites the latest (default true, as most Go kinds). */
  allowUnconditionalUpdate?: boolean;
  /** PUT on a missing name creates it (default false, as sample-apiserver's strategies). */
  allowCreateOnUpdate?: boolean;
  /**
   * A delete's propagationPolicy sets the garbage collector's finalizers (default true, as Go's
   * --enable-garbage-collector). Without a garbage collector the policy is ignored: an Orphan or
   * Foreground delete would otherwise wait for good on a finalizer that nothing removes.
   */
  enableGarbageCollection?: boolean;
  /** The clock (tests pin it). */
  now?: () => Date;
  /** The scheme the kind is served by: admission converts with it (default: one of this kind alone). */
  scheme?: SchemeLike;
}

/**
 * `subresource`: the write is of /status (only status changes) or /scale: the UpdatedObjectFunc
 * is given the current object's autoscaling/v1 Scale (with the managedFields the Scale sees) and
 * returns the new Scale; only its replicas land on the object. Both are recorded in managedFields
 * under that subresource.
 * `apply`: server-side apply; the UpdatedObjectFunc returns the apply configuration (the patch, in
 * the request's version, or a Scale's), merged into the current object (or Scale) by the field
 * manager of the kind (or of Scale).
 */
export type UpdateOptions = WriteOptions & {
  subresource?: 'status' | 'scale';
  forceAllowCreate?: boolean;
  apply?: { force: boolean };
  /** A PUT's: the body's uid, which the stored object must have (rest.DefaultUpdatedObjectInfo's Preconditions). */
  preconditions?: Pick<Preconditions, 'uid'>;
};

/** Thrown inside guaranteedUpdate when an update empties the finalizers of an object being deleted. */
class EmptiedFinalizers extends Error {
  constructor(readonly object: KubeObject) {
    super('emptied finalizers');
  }
}

export class Store<Hub extends KubeObject = KubeObject> implements RestStorage {
  readonly kind: KindDefinition;
  private readonly storage: Storage;
  private readonly strategy: KindStrategy;
  private readonly admission: AdmissionChain;
  private readonly prefix: string;
  private readonly resource: GroupResource;
  private readonly allowUnconditionalUpdate: boolean;
  private readonly allowCreateOnUpdate: boolean;
  private readonly enableGarbageCollection: boolean;
  private readonly now: () => Date;
  private readonly scheme: SchemeLike | undefined;
  private objects: AdmissionObjects | undefined;
  /** One FieldManager per request version and subresource, made on first use. */
  private readonly fieldManagers = new Map<string, FieldManager>();
  /** The field manager of /scale writes, on Scale objects (made on first use). */
  private scaleFields: FieldManager | undefined;

  constructor(opts: StoreOptions<Hub>) {
    this.kind = opts.kind as unknown as KindDefinition;
    this.storage = opts.storage;
    this.strategy = this.kind.strategy ?? {};
    this.admission = new AdmissionChain(opts.admission);
    this.prefix = opts.prefix ?? resourcePrefix(this.kind.group, this.kind.plural);
    this.resource = { group: this.kind.group, resource: this.kind.plural };
    this.allowUnconditionalUpdate = opts.allowUnconditionalUpdate ?? true;
    this.allowCreateOnUpdate = opts.allowCreateOnUpdate ?? false;
    this.enableGarbageCollection = opts.enableGarbageCollection ?? true;
    this.now = opts.now ?? (() => new Date());
    this.scheme = opts.scheme;
  }

  private get hasStatusSubresource(): boolean {
    return this.kind.subresources?.status === true;
  }

  // ---- keys -------------------------------------------------------------------------------

  /** The key of `name` in the request's namespace (NamespaceKeyFunc / NoNamespaceKeyFunc). */
  private keyFor(ctx: RequestContext, name: string): string {
    if (!name) throw newBadRequest('Name parameter required.');
    if (name === '.' || name === '..' || name.includes('/') || name.includes('%')) {
      throw newBadRequest(`Name parameter invalid: ${JSON.stringify(name)}: may not be '.', '..', or contain '/' or '%'`);
    }
    if (!this.kind.namespaced) return objectKey(this.prefix, name);
    if (!ctx.namespace) throw newBadRequest('Namespace parameter required.');
    return objectKey(this.prefix, name, ctx.namespace);
  }

  /** Where a list or watch looks: the resource, or one namespace of it. */
  private scopePrefix(ctx: RequestContext): string {
    return this.kind.namespaced && ctx.namespace ? namespacePrefix(this.prefix, ctx.namespace) : this.prefix;
  }

  private interpret(err: unknown, name: string): unknown {
    return interpretStorageError(err, this.resource, name);
  }

  private invalid(name: string, errs: FieldError[]): StatusError {
    return newInvalid(this.kind.group, this.kind.kind, name, errs);
  }

  private attributes(
    ctx: RequestContext,
    operation: AdmissionAttributes['operation'],
    name: string,
    opts: WriteOptions,
    object?: KubeObject,
    oldObject?: KubeObject,
    subresource?: string,
  ): AdmissionAttributes {
    return {
      operation,
      group: this.kind.group,
      version: ctx.version ?? this.kind.hubVersion,
      kind: this.kind.kind,
      resource: this.kind.plural,
      ...(subresource ? { subresource } : {}),
      ...(this.kind.namespaced && ctx.namespace ? { namespace: ctx.namespace } : {}),
      name,
      ...(object ? { object } : {}),
      ...(oldObject ? { oldObject } : {}),
      ...(ctx.user ? { user: ctx.user } : {}),
      dryRun: opts.dryRun === true,
      ...(opts.fieldManager ? { fieldManager: opts.fieldManager } : {}),
      objects: this.admissionObjects,
      warnings: ctx.warnings,
      ...(ctx.auditAnnotations ? { auditAnnotations: ctx.auditAnnotations } : {}),
    };
  }

  /**
   * Mutating admission (managedFieldsValidatingAdmissionController): managedFields a plugin left
   * invalid are put back as they were before it, with Go's warning.
   */
  private async admitKeepingManagedFields(ctx: RequestContext, attrs: AdmissionAttributes): Promise<void> {
    const obj = attrs.object!;
    const before = obj.metadata.managedFields;
    await this.admission.admit(attrs);
    const invalid = validateManagedFields(obj.metadata.managedFields);
    if (invalid === undefined) return;
    if (before === undefined) delete obj.metadata.managedFields;
    else obj.metadata.managedFields = before;
    ctx.warnings.push(
      `.metadata.managedFields was in an invalid state after admission; this could be caused by an outdated mutating admission controller; please fix your requests: ${invalid}`,
    );
  }

  /** The field manager of the request's version and `subresource` ('' for the resource itself; 'scale' the Scale's, of every version). */
  private fieldManager(ctx: RequestContext, subresource: string): FieldManager {
    if (subresource === 'scale') return (this.scaleFields ??= scaleFieldManager(this.now));
    const version = ctx.version ?? this.kind.hubVersion;
    const key = `${version}/${subresource}`;
    let fm = this.fieldManagers.get(key);
    if (!fm) this.fieldManagers.set(key, (fm = new FieldManager(this.kind, version, { subresource, now: this.now })));
    return fm;
  }

  /** The manager a write is recorded under: the fieldManager option, else the User-Agent's prefix. */
  private managerOf(ctx: RequestContext, opts: WriteOptions): string {
    return managerOrUserAgent(opts.fieldManager, ctx.userAgent);
  }

  /** The kind in its other versions, for admission (made on first use: most Stores run no plugin that needs it). */
  private get admissionObjects(): AdmissionObjects {
    return (this.objects ??= admissionObjectsOf(this.scheme ?? new Scheme().addKind(this.kind), this.kind));
  }

  // ---- reads ------------------------------------------------------------------------------

  async get(ctx: RequestContext, name: string, opts: ApiGetOptions): Promise<KubeObject> {
    const key = this.keyFor(ctx, name);
    let obj: KubeObject | undefined;
    try {
      obj = await this.storage.get(key, { resourceVersion: opts.resourceVersion ?? '', ignoreNotFound: true });
    } catch (err) {
      throw this.interpret(err, name);
    }
    if (!obj) throw newNotFound(this.resource, name);
    return obj;
  }

  async list(ctx: RequestContext, opts: ApiListOptions): Promise<KubeList> {
    validateListOptions(opts, false);
    const predicate = predicateFor(this.kind, opts, false);
    const single = this.singleKey(ctx, predicate.field.requiresExactMatch('metadata.name'));
    const result = await this.storage.list(single ?? this.scopePrefix(ctx), {
      resourceVersion: opts.resourceVersion ?? '',
      ...(opts.resourceVersionMatch ? { resourceVersionMatch: opts.resourceVersionMatch } : {}),
      predicate,
      recursive: single === undefined,
    });
    return {
      metadata: {
        resourceVersion: String(result.resourceVersion),
        ...(result.continue ? { continue: result.continue } : {}),
        ...(result.remainingItemCount !== undefined ? { remainingItemCount: result.remainingItemCount } : {}),
      },
      items: result.items,
    };
  }

  async watch(ctx: RequestContext, opts: ApiListOptions): Promise<Watcher> {
    validateListOptions(opts, true);
    const predicate = predicateFor(this.kind, opts, true);
    const single = this.singleKey(ctx, predicate.field.requiresExactMatch('metadata.name'));
    return this.storage.watch(single ?? this.scopePrefix(ctx), {
      resourceVersion: opts.resourceVersion ?? '',
      predicate,
      recursive: single === undefined,
      ...(opts.allowWatchBookmarks !== undefined ? { allowWatchBookmarks: opts.allowWatchBookmarks } : {}),
      ...(opts.sendInitialEvents !== undefined ? { sendInitialEvents: opts.sendInitialEvents } : {}),
    });
  }

  /** A selector pinning metadata.name reads one key (SelectionPredicate.MatchesSingle). */
  private singleKey(ctx: RequestContext, name: string | undefined): string | undefined {
    if (!name || (this.kind.namespaced && !ctx.namespace)) return undefined;
    try {
      return this.keyFor(ctx, name);
    } catch {
      return undefined;
    }
  }

  // ---- create -----------------------------------------------------------------------------

  async create(ctx: RequestContext, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const generating = !obj.metadata?.name && !!obj.metadata?.generateName;
    if (!generating) return this.createOnce(ctx, obj, opts);
    let lastName = '';
    for (let attempt = 0; attempt < MAX_NAME_GENERATION_ATTEMPTS; attempt++) {
      try {
        return await this.createOnce(ctx, obj, opts);
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        lastName = (err as StatusError).status.details?.name ?? '';
      }
    }
    throw new StatusError(
      409,
      'AlreadyExists',
      `${this.kind.plural}.${this.kind.group} "${lastName}" already exists, the server was not able to generate a unique name for the object`,
      { name: lastName, group: this.kind.group, kind: this.kind.plural, retryAfterSeconds: 1 },
    );
  }

  private async createOnce(ctx: RequestContext, input: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    const obj = await this.prepareCreate(ctx, this.trackCreate(ctx, deepCopy(input), opts), opts);
    const name = obj.metadata.name as string;
    const key = this.keyFor(ctx, name);
    if (opts.dryRun) {
      const existing = await this.storage.get(key, { ignoreNotFound: true });
      if (existing) throw newAlreadyExists(this.resource, name);
      return obj;
    }
    try {
      return await this.storage.create(key, obj);
    } catch (err) {
      throw this.interpret(err, name);
    }
  }

  /** A create's managedFields (create.go: FieldManager.UpdateNoErrors from an empty object, before admission). */
  private trackCreate(ctx: RequestContext, obj: KubeObject, opts: WriteOptions): KubeObject {
    return this.fieldManager(ctx, '').updateNoErrors(undefined, obj, this.managerOf(ctx, opts));
  }

  /**
   * Everything a create does before the write (rest.BeforeCreate and the admission around it):
   * namespace, mutating admission, system fields, generated name, strategy, validation,
   * validating admission.
   */
  private async prepareCreate(ctx: RequestContext, obj: KubeObject, opts: WriteOptions): Promise<KubeObject> {
    obj.metadata ??= {};
    ensureNamespaceMatchesRequest(obj.metadata, this.kind.namespaced, ctx.namespace);
    if (this.admission.admits) await this.admitKeepingManagedFields(ctx, this.attributes(ctx, 'CREATE', obj.metadata.name ?? '', opts, obj));
    // Admission may not move the object to another namespace.
    ensureNamespaceMatchesRequest(obj.metadata, this.kind.namespaced, ctx.namespace);

    const meta = obj.metadata;
    meta.uid = randomUUID();
    meta.creationTimestamp = rfc3339(this.now());
    if (!meta.name && meta.generateName) meta.name = generateNameFrom(meta.generateName);
    delete meta.resourceVersion;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    meta.generation = 1;
    if (this.hasStatusSubresource) delete obj.status;
    this.strategy.prepareForCreate?.(obj);

    const errs = this.strategy.validate?.(obj) ?? [];
    if (errs.length === 0) errs.push(...validateObjectMeta(meta, this.kind.namespaced));
    errs.push(...validateScaleReplicas(this.kind, obj, false));
    errs.push(...this.schemaRuleErrors(ctx, obj, errs));
    if (errs.length > 0) throw this.invalid(meta.name ?? '', errs);
    this.strategy.canonicalize?.(obj);

    if (this.admission.validates) await this.admission.validate(this.attributes(ctx, 'CREATE', meta.name ?? '', opts, deepCopy(obj)));
    return obj;
  }

  // ---- update -----------------------------------------------------------------------------

  async update(ctx: RequestContext, name: string, objInfo: UpdatedObjectFunc, opts: UpdateOptions): Promise<UpdateResult> {
    const key = this.keyFor(ctx, name);
    const mayCreate = this.allowCreateOnUpdate || opts.forceAllowCreate === true;
    let created = false;
    const tryUpdate = async (current: KubeObject | undefined): Promise<KubeObject> => {
      created = false;
      if (!current) {
        if (!mayCreate || opts.subresource) throw newNotFound(this.resource, name);
        created = true;
        return this.prepareCreateOnUpdate(ctx, name, this.trackUpdate(ctx, undefined, await objInfo(undefined), opts), opts);
      }
      if (opts.subresource === 'scale') {
        // ScaleREST: the field manager records the write on the Scale, whose entries go back to the object's.
        const track = async (oldScale: KubeObject): Promise<KubeObject> => this.trackUpdate(ctx, oldScale, deepCopy(await objInfo(deepCopy(oldScale))), opts);
        const asked = await updatedScaleObject(this.kind, ctx.version ?? this.kind.hubVersion, current, track);
        this.checkResourceVersion(name, current, asked);
        return this.prepareUpdate(ctx, name, current, asked, opts);
      }
      const asked = deepCopy(await objInfo(deepCopy(current)));
      if (opts.apply) {
        // The configuration may carry a resourceVersion: it is checked on the merge's result.
        const applied = this.trackUpdate(ctx, current, asked, opts);
        this.checkResourceVersion(name, current, applied);
        return this.prepareUpdate(ctx, name, current, applied, opts);
      }
      // An update's field manager never changes the resourceVersion, so a write that lost the race is
      // answered before that work (with 8 writers on one object, most writes are such).
      this.checkResourceVersion(name, current, asked);
      return this.prepareUpdate(ctx, name, current, this.trackUpdate(ctx, current, asked, opts), opts);
    };

    try {
      const preconditions = opts.preconditions?.uid ? { preconditions: opts.preconditions } : {};
      if (opts.dryRun) {
        const current = await this.storage.get(key, { ignoreNotFound: true });
        if (current || mayCreate) checkPreconditions(key, opts.preconditions, current ?? { metadata: {} });
        return { object: await tryUpdate(current), created };
      }
      const object = await this.storage.guaranteedUpdate(key, tryUpdate, { ignoreNotFound: mayCreate && !opts.subresource, ...preconditions });
      return { object, created };
    } catch (err) {
      if (err instanceof EmptiedFinalizers) return this.deleteEmptied(key, name, err.object, opts.dryRun === true);
      throw this.interpret(err, name);
    }
  }

  /**
   * managedFields of an update (update.go and patch.go: FieldManager.UpdateNoErrors before
   * admission), or the object a server-side apply makes of `asked` (the apply configuration).
   */
  private trackUpdate(ctx: RequestContext, current: KubeObject | undefined, asked: KubeObject, opts: UpdateOptions): KubeObject {
    const fm = this.fieldManager(ctx, opts.subresource ?? '');
    const manager = this.managerOf(ctx, opts);
    // The applied object shares values with the current one, which may be the watch cache's.
    if (opts.apply) {
      try {
        return deepCopy(fm.apply(current, asked, manager, opts.apply.force));
      } catch (err) {
        // Go answers the field manager's own errors (a value of the wrong type, …) as they are: 500, no reason.
        if (err instanceof StatusError || !(err instanceof Error)) throw err;
        throw new StatusError(500, '', err.message);
      }
    }
    return fm.updateNoErrors(current, asked, manager);
  }

  private async prepareCreateOnUpdate(ctx: RequestContext, name: string, input: KubeObject, opts: UpdateOptions): Promise<KubeObject> {
    const obj = deepCopy(input);
    obj.metadata ??= {};
    if (obj.metadata.name && obj.metadata.name !== name) throw this.nameMismatch(obj.metadata.name, name);
    obj.metadata.name = name;
    delete obj.metadata.generateName;
    return this.prepareCreate(ctx, obj, opts);
  }

  /** The schema's x-kubernetes-validations in the request's version (ratcheted ones become warnings). */
  private schemaRuleErrors(ctx: RequestContext, obj: KubeObject, prior: FieldError[], old?: KubeObject): FieldError[] {
    const { errors, warnings } = validateKindRules(this.kind, ctx.version ?? this.kind.hubVersion, obj, prior, old);
    ctx.warnings.push(...warnings);
    return errors;
  }

  private nameMismatch(bodyName: string, urlName: string): StatusError {
    return newBadRequest(`the name of the object (${bodyName}) does not match the name on the URL (${urlName})`);
  }

  /**
   * store.go Update's precondition: the asked resourceVersion, when set, is the current one. As
   * the versioner reads it, "" and "0" are unset and the rest compare as numbers (one that is not a
   * number is a 400 here; Go answers its ParseUint error as a 500).
   */
  private checkResourceVersion(name: string, current: KubeObject, asked: KubeObject): void {
    const askedRV = parseResourceVersion(asked.metadata?.resourceVersion);
    if (askedRV === 0) {
      if (this.allowUnconditionalUpdate) return;
      throw newInvalid(this.kind.group, this.kind.plural, name, [
        { type: 'FieldValueInvalid', field: 'metadata.resourceVersion', message: 'Invalid value: 0: must be specified for an update' },
      ]);
    }
    if (askedRV !== parseResourceVersion(current.metadata.resourceVersion)) {
      throw newConflict(this.resource, name, OPTIMISTIC_LOCK_MESSAGE);
    }
  }

  /**
   * The object an update writes, given the current one and the one asked for, whose resourceVersion
   * the caller has checked (store.go Update's tryUpdate with rest.BeforeUpdate): subresource rules, immutable fields, generation,
   * strategy, validation, admission. Returns `current` itself when nothing changes.
   */
  private async prepareUpdate(
    ctx: RequestContext,
    name: string,
    current: KubeObject,
    asked: KubeObject,
    opts: UpdateOptions,
  ): Promise<KubeObject> {
    asked.metadata ??= {};
    let obj: KubeObject;
    if (opts.subresource === 'status') {
      obj = statusOnlyUpdate(current, asked);
      // As the CRD status strategy: managedFields as the field manager recorded them on `asked`.
      if (asked.metadata.managedFields === undefined) delete obj.metadata.managedFields;
      else obj.metadata.managedFields = asked.metadata.managedFields;
    } else {
      obj = asked;
      if (this.hasStatusSubresource) keepCurrentStatus(obj, current);
    }
    const meta = obj.metadata;
    const old = current.metadata;
    meta.resourceVersion = old.resourceVersion;
    if (!meta.name) meta.name = name;
    if (meta.name !== name) throw this.nameMismatch(meta.name, name);
    ensureNamespaceMatchesRequest(meta, this.kind.namespaced, ctx.namespace);

    if (this.admission.admits) await this.admitKeepingManagedFields(ctx, this.attributes(ctx, 'UPDATE', name, opts, obj, deepCopy(current), opts.subresource));

    // rest.BeforeUpdate: requests cannot set generation, timestamps or (once set) the deletion fields.
    meta.generation = old.generation;
    if (opts.subresource !== 'status') this.strategy.prepareForUpdate?.(obj, current);
    if (!meta.uid) meta.uid = old.uid;
    if (old.creationTimestamp) meta.creationTimestamp = old.creationTimestamp;
    if (old.deletionTimestamp) meta.deletionTimestamp = old.deletionTimestamp;
    if (old.deletionGracePeriodSeconds !== undefined && meta.deletionGracePeriodSeconds === undefined) {
      meta.deletionGracePeriodSeconds = old.deletionGracePeriodSeconds;
    }
    if (specChanged(obj, current, this.hasStatusSubresource)) meta.generation = (old.generation ?? 0) + 1;

    const errs = validateObjectMetaUpdate(meta, old, this.kind.namespaced);
    const strategyErrs = this.strategy.validateUpdate ? this.strategy.validateUpdate(obj, current) : (this.strategy.validate?.(obj) ?? []);
    errs.push(...strategyErrs);
    errs.push(...validateScaleReplicas(this.kind, obj, opts.subresource === 'status'));
    errs.push(...this.schemaRuleErrors(ctx, obj, errs, current));
    if (errs.length > 0) throw this.invalid(name, errs);
    this.strategy.canonicalize?.(obj);

    if (this.admission.validates) {
      await this.admission.validate(this.attributes(ctx, 'UPDATE', name, opts, deepCopy(obj), deepCopy(current), opts.subresource));
    }

    if (shouldDeleteDuringUpdate(obj, current)) throw new EmptiedFinalizers(obj);
    // A no-op update writes nothing and keeps the resourceVersion.
    return deepEqual(obj, current) ? current : obj;
  }

  /** The update emptied the finalizers of an object being deleted: delete it now. */
  private async deleteEmptied(key: string, name: string, obj: KubeObject, dryRun: boolean): Promise<UpdateResult> {
    if (dryRun) return { object: obj, created: false };
    try {
      const deleted = await this.storage.delete(key);
      return { object: { ...obj, metadata: { ...obj.metadata, resourceVersion: deleted.metadata.resourceVersion } }, created: false };
    } catch (err) {
      // Several updates may race to remove the last finalizer; the object is gone either way.
      if (isNotFound(err)) return { object: obj, created: false };
      throw this.interpret(err, name);
    }
  }

  // ---- delete -----------------------------------------------------------------------------

  async delete(ctx: RequestContext, name: string, opts: ApiDeleteOptions): Promise<DeleteResult> {
    const key = this.keyFor(ctx, name);
    const current = await this.get(ctx, name, {});
    checkDeletePreconditions(this.kind, current, opts);
    const dryRun = opts.dryRun === true;
    const attrs = this.attributes(ctx, 'DELETE', name, opts, undefined, deepCopy(current));
    await this.admission.admit(attrs);
    await this.admission.validate(attrs);
    const preconditions = this.storagePreconditions(opts);

    // Finalizers (the object's, and the garbage collector's that propagationPolicy sets) keep it, marked as deleting.
    const policy = opts.propagationPolicy;
    const gc = this.enableGarbageCollection;
    if ((current.metadata.finalizers ?? []).length > 0 || (gc && finalizersForGarbageCollection(current.metadata.finalizers ?? [], policy))) {
      const mark = (existing: KubeObject | undefined): KubeObject => {
        if (!existing) throw newNotFound(this.resource, name);
        const obj = markForDeletion(existing, policy, this.now(), gc);
        if (!obj) throw new DeleteNow();
        return deepEqual(obj, existing) ? existing : obj;
      };
      try {
        if (dryRun) return { object: mark(current), deleted: false };
        const object = await this.storage.guaranteedUpdate(key, mark, preconditions ? { preconditions } : {});
        return { object, deleted: false };
      } catch (err) {
        // No finalizer left (Background on an object with only `orphan`): deleted right away, below.
        if (!(err instanceof DeleteNow)) throw this.interpret(err, name);
      }
    }

    if (dryRun) return { object: current, deleted: true };
    try {
      const object = await this.storage.delete(key, preconditions ? { preconditions } : {});
      return { object, deleted: true };
    } catch (err) {
      throw this.interpret(err, name);
    }
  }

  private storagePreconditions(opts: ApiDeleteOptions): Preconditions | undefined {
    const pre = opts.preconditions;
    if (!pre || (pre.uid === undefined && pre.resourceVersion === undefined)) return undefined;
    return {
      ...(pre.uid !== undefined ? { uid: pre.uid } : {}),
      ...(pre.resourceVersion !== undefined ? { resourceVersion: pre.resourceVersion } : {}),
    };
  }

  async deleteCollection(ctx: RequestContext, opts: ApiDeleteOptions, listOpts: ApiListOptions): Promise<KubeList> {
    const listed = await this.list(ctx, listOpts);
    const items: KubeObject[] = [];
    for (const item of listed.items) {
      const itemCtx: RequestContext = { ...ctx, ...(this.kind.namespaced ? { namespace: item.metadata.namespace } : {}) };
      try {
        items.push((await this.delete(itemCtx, item.metadata.name ?? '', opts)).object);
      } catch (err) {
        // Deleted by someone else in the meantime: that is what was asked.
        if (!isNotFound(err)) throw err;
      }
    }
    return { metadata: { resourceVersion: listed.metadata.resourceVersion }, items };
  }
}
