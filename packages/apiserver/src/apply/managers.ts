/**
 * The field manager's chain (k8s.io/apimachinery/pkg/util/managedfields/internal), each step a
 * Manager wrapping the next, in Go's order from the outside in:
 *
 *   versionCheck → lastAppliedUpdater → lastAppliedManager → skipNonApplied → capManagers →
 *   buildManagerInfo → managedFieldsUpdater → stripMeta → structuredMerge
 *
 * Objects are plain JSON (KubeObject) in the hub (storage) version; structuredMerge works on them
 * in the request's version, converting through the ObjectConverter.
 */
import { deepCopy, newBadRequest, rfc3339, type KubeObject, type ObjectMeta } from '@kapi/apimachinery';
import { excludeSetFilter, type FieldSetFilter } from './compare.js';
import { Conflicts, type Conflict } from './conflict.js';
import { FieldSet, fieldElement, versionedSet, type ManagedFields } from './fieldpath.js';
import { buildManagerIdentifier, type Managed } from './managed-fields.js';
import type { TypeSpec } from './schema.js';
import { TypedValue } from './typed.js';
import { Updater, type Converter } from './updater.js';
import { isMap, toGoJSON } from './value.js';

export interface Manager {
  update(liveObj: KubeObject, newObj: KubeObject, managed: Managed, manager: string): { object: KubeObject; managed: Managed };
  /** object undefined: the apply changes nothing. */
  apply(liveObj: KubeObject, appliedObj: KubeObject, managed: Managed, manager: string, force: boolean): { object: KubeObject | undefined; managed: Managed };
}

/** The kind at each of its versions: its schema, and conversion between versions. */
export interface TypeConverter {
  /** The type of objects at apiVersion (group/version); undefined when the kind has no such version. */
  typeAt(apiVersion: string): TypeSpec | undefined;
}

/** Converts an object of the kind to another apiVersion (group/version). */
export interface ObjectConverter {
  convert(obj: KubeObject, apiVersion: string): KubeObject;
}

/** Thrown by an ObjectConverter or TypeConverter for a version the kind does not have (runtime.IsNotRegisteredError). */
export class NotRegisteredError extends Error {
  constructor(apiVersion: string, kind: string) {
    super(`no kind "${kind}" is registered for version "${apiVersion}"`);
    this.name = 'NotRegisteredError';
  }
}

/** The object's metadata, {} when it has none (or it is not an object). */
export function metaOf(obj: KubeObject): ObjectMeta {
  return isMap(obj.metadata) ? obj.metadata : {};
}

export function managedFieldsOf(obj: KubeObject): ObjectMeta['managedFields'] {
  return metaOf(obj).managedFields;
}

/** The object with metadata.managedFields set (or removed when undefined); the input is not changed. */
export function withManagedFields(obj: KubeObject, entries: ObjectMeta['managedFields']): KubeObject {
  const metadata: ObjectMeta = { ...metaOf(obj) };
  if (entries === undefined) delete metadata.managedFields;
  else metadata.managedFields = entries;
  return { ...obj, metadata };
}

export function gvkString(obj: KubeObject): string {
  const av = obj.apiVersion ?? '';
  const slash = av.indexOf('/');
  const group = slash < 0 ? '' : av.slice(0, slash);
  const version = slash < 0 ? av : av.slice(slash + 1);
  return `${group}/${version}, Kind=${obj.kind ?? ''}`;
}

/** An unstructured object always has an accessor in Go: missing names print as "". */
function objectGVKNN(obj: KubeObject): string {
  const m = metaOf(obj);
  return `${m.namespace ?? ''}/${m.name ?? ''}; ${gvkString(obj)}`;
}

/** versionConverter: a typed object to another version, through the objects. */
export class VersionConverter implements Converter {
  constructor(
    private readonly types: TypeConverter,
    private readonly objects: ObjectConverter,
  ) {}

  convert(object: TypedValue, version: string): TypedValue {
    const obj = object.value as KubeObject;
    if (isMap(obj) && obj.apiVersion === version) return object;
    const type = this.types.typeAt(version);
    if (!type) throw new NotRegisteredError(version, isMap(obj) ? String(obj.kind ?? '') : '');
    const converted = this.objects.convert(obj, version);
    return TypedValue.of(converted, type, { allowDuplicates: true });
  }

  isMissingVersionError(err: unknown): boolean {
    return err instanceof NotRegisteredError;
  }
}

export interface StructuredMergeOptions {
  types: TypeConverter;
  objects: ObjectConverter;
  /** Sets defaults on an object at `apiVersion` (run on an apply's result, before it goes back to the hub). */
  defaulter?: (obj: KubeObject, apiVersion: string) => void;
  /** The request's version (group/version). */
  apiVersion: string;
  /** The hub (storage) version (group/version). */
  hubVersion: string;
  /** Per version, the fields the strategy resets: no manager is recorded to own them. */
  resetFields?: ReadonlyMap<string, FieldSet>;
}

/** structuredMergeManager: the Updater run on the objects typed at the request's version. */
export class StructuredMergeManager implements Manager {
  private readonly updater: Updater;

  constructor(private readonly opts: StructuredMergeOptions) {
    const ignoreFilter = new Map<string, FieldSetFilter>();
    for (const [v, set] of opts.resetFields ?? []) ignoreFilter.set(v, excludeSetFilter(set));
    this.updater = new Updater({ converter: new VersionConverter(opts.types, opts.objects), ignoreFilter });
  }

  private type(): TypeSpec {
    const t = this.opts.types.typeAt(this.opts.apiVersion);
    if (!t) throw new NotRegisteredError(this.opts.apiVersion, '');
    return t;
  }

  private toVersioned(obj: KubeObject): KubeObject {
    return obj.apiVersion === this.opts.apiVersion ? obj : this.opts.objects.convert(obj, this.opts.apiVersion);
  }

  private typed(obj: KubeObject, what: string, allowDuplicates: boolean): TypedValue {
    try {
      return TypedValue.of(obj, this.type(), { allowDuplicates });
    } catch (err) {
      throw new Error(`failed to ${what} (${objectGVKNN(obj)}): ${(err as Error).message}`, { cause: err });
    }
  }

  update(liveObj: KubeObject, newObj: KubeObject, managed: Managed, manager: string): { object: KubeObject; managed: Managed } {
    const newVersioned = this.toVersioned(newObj);
    const liveVersioned = this.toVersioned(liveObj);
    const newTyped = this.typed(newVersioned, 'convert new object to smd typed', true);
    const liveTyped = this.typed(liveVersioned, 'convert live object to smd typed', true);
    let fields: ManagedFields;
    try {
      fields = this.updater.update(liveTyped, newTyped, this.opts.apiVersion, managed.fields, manager).managers;
    } catch (err) {
      throw new Error(`failed to update ManagedFields (${objectGVKNN(newVersioned)}): ${(err as Error).message}`, { cause: err });
    }
    return { object: newObj, managed: { fields, times: managed.times } };
  }

  apply(liveObj: KubeObject, patchObj: KubeObject, managed: Managed, manager: string, force: boolean): { object: KubeObject | undefined; managed: Managed } {
    if (patchObj.apiVersion !== this.opts.apiVersion) {
      throw newBadRequest(
        `Incorrect version specified in apply patch. Specified patch version: ${patchObj.apiVersion ?? ''}, expected: ${this.opts.apiVersion}`,
      );
    }
    if (metaOf(patchObj).managedFields !== undefined && metaOf(patchObj).managedFields !== null) {
      throw newBadRequest('metadata.managedFields must be nil');
    }
    const liveVersioned = this.toVersioned(liveObj);
    const patchTyped = this.typed(patchObj, 'create typed patch object', false);
    const liveTyped = this.typed(liveVersioned, 'create typed live object', true);
    const r = this.updater.apply(liveTyped, patchTyped, this.opts.apiVersion, managed.fields, manager, force);
    const out: Managed = { fields: r.managers, times: managed.times };
    if (!r.object) return { object: undefined, managed: out };
    // The merge shares values with its inputs; defaulting changes the object in place.
    const newVersioned = deepCopy(r.object.value as KubeObject);
    this.opts.defaulter?.(newVersioned, this.opts.apiVersion);
    const hub = newVersioned.apiVersion === this.opts.hubVersion ? newVersioned : this.opts.objects.convert(newVersioned, this.opts.hubVersion);
    return { object: hub, managed: out };
  }
}

const STRIP_SET = FieldSet.of(
  [fieldElement('apiVersion')],
  [fieldElement('kind')],
  [fieldElement('metadata')],
  ...['name', 'namespace', 'creationTimestamp', 'selfLink', 'uid', 'clusterName', 'generation', 'managedFields', 'resourceVersion'].map((f) => [
    fieldElement('metadata'),
    fieldElement(f),
  ]),
);

/** stripMetaManager: no manager owns apiVersion, kind, metadata itself, or the metadata the server sets. */
export class StripMetaManager implements Manager {
  constructor(private readonly next: Manager) {}

  private strip(managed: ManagedFields, manager: string): void {
    const vs = managed.get(manager);
    if (!vs) return;
    const set = vs.set.difference(STRIP_SET);
    if (set.empty()) managed.delete(manager);
    else managed.set(manager, versionedSet(set, vs.apiVersion, vs.applied));
  }

  update(liveObj: KubeObject, newObj: KubeObject, managed: Managed, manager: string): { object: KubeObject; managed: Managed } {
    const r = this.next.update(liveObj, newObj, managed, manager);
    this.strip(r.managed.fields, manager);
    return r;
  }

  apply(liveObj: KubeObject, appliedObj: KubeObject, managed: Managed, manager: string, force: boolean): { object: KubeObject | undefined; managed: Managed } {
    const r = this.next.apply(liveObj, appliedObj, managed, manager, force);
    this.strip(r.managed.fields, manager);
    return r;
  }
}

/** managedFieldsUpdater: an update is recorded under a temporary name then merged into the manager's entry, with the time. */
export class ManagedFieldsUpdater implements Manager {
  constructor(
    private readonly next: Manager,
    private readonly now: () => Date,
  ) {}

  update(liveObj: KubeObject, newObj: KubeObject, managed: Managed, manager: string): { object: KubeObject; managed: Managed } {
    const self = 'current-operation';
    const r = this.next.update(liveObj, newObj, managed, self);
    const vs = r.managed.fields.get(self);
    if (vs) {
      r.managed.fields.delete(self);
      const previous = r.managed.fields.get(manager);
      r.managed.fields.set(manager, previous ? versionedSet(vs.set.union(previous.set), vs.apiVersion, vs.applied) : vs);
      r.managed.times.set(manager, rfc3339(this.now()));
    }
    return r;
  }

  apply(liveObj: KubeObject, appliedObj: KubeObject, managed: Managed, manager: string, force: boolean): { object: KubeObject | undefined; managed: Managed } {
    const r = this.next.apply(liveObj, appliedObj, managed, manager, force);
    if (r.object) {
      r.managed.times.set(manager, rfc3339(this.now()));
      return r;
    }
    // Nothing changed: the live object, without its managedFields (the caller writes them back).
    return { object: withManagedFields(liveObj, undefined), managed: r.managed };
  }
}

/** buildManagerInfoManager: the manager's name becomes its identifier (manager, operation, apiVersion, subresource). */
export class BuildManagerInfoManager implements Manager {
  constructor(
    private readonly next: Manager,
    private readonly apiVersion: string,
    private readonly subresource: string,
  ) {}

  private id(prefix: string, operation: 'Apply' | 'Update'): string {
    return buildManagerIdentifier({ manager: prefix || 'unknown', operation, apiVersion: this.apiVersion, subresource: this.subresource || undefined });
  }

  update(liveObj: KubeObject, newObj: KubeObject, managed: Managed, manager: string): { object: KubeObject; managed: Managed } {
    return this.next.update(liveObj, newObj, managed, this.id(manager, 'Update'));
  }

  apply(liveObj: KubeObject, appliedObj: KubeObject, managed: Managed, manager: string, force: boolean): { object: KubeObject | undefined; managed: Managed } {
    return this.next.apply(liveObj, appliedObj, managed, this.id(manager, 'Apply'), force);
  }
}

const unixSeconds = (t: string | undefined): number => (t ? Math.floor(Date.parse(t) / 1000) || 0 : 0);

/** capManagersManager: beyond maxUpdateManagers Update entries, the oldest are merged into "ancient-changes" (one per version). */
export class CapManagersManager implements Manager {
  constructor(
    private readonly next: Manager,
    private readonly maxUpdateManagers: number,
  ) {}

  update(liveObj: KubeObject, newObj: KubeObject, managed: Managed, manager: string): { object: KubeObject; managed: Managed } {
    const r = this.next.update(liveObj, newObj, managed, manager);
    return { object: r.object, managed: this.capUpdateManagers(r.managed) };
  }

  apply(liveObj: KubeObject, appliedObj: KubeObject, managed: Managed, manager: string, force: boolean): { object: KubeObject | undefined; managed: Managed } {
    return this.next.apply(liveObj, appliedObj, managed, manager, force);
  }

  capUpdateManagers(managed: Managed): Managed {
    const updaters = [...managed.fields].filter(([, vs]) => !vs.applied).map(([m]) => m);
    if (updaters.length <= this.maxUpdateManagers) return managed;
    updaters.sort((a, b) => {
      const as = unixSeconds(managed.times.get(a));
      const bs = unixSeconds(managed.times.get(b));
      if (as !== bs) return as < bs ? -1 : 1;
      return a < b ? -1 : a > b ? 1 : 0;
    });
    const versionToFirstManager = new Map<string, string>();
    let length = updaters.length;
    for (let i = 0; i < updaters.length && length > this.maxUpdateManagers; i++) {
      const manager = updaters[i];
      const vs = managed.fields.get(manager)!;
      const time = managed.times.get(manager);
      const version = vs.apiVersion;
      const bucket = buildManagerIdentifier({ manager: 'ancient-changes', operation: 'Update', apiVersion: version });
      const first = versionToFirstManager.get(version);
      if (first !== undefined) {
        if (!managed.fields.has(bucket)) {
          const s = managed.fields.get(first)!;
          managed.fields.delete(first);
          managed.fields.set(bucket, s);
        }
        managed.fields.set(bucket, versionedSet(vs.set.union(managed.fields.get(bucket)!.set), vs.apiVersion, vs.applied));
        managed.fields.delete(manager);
        length--;
        managed.times.set(bucket, time);
      } else {
        versionToFirstManager.set(version, manager);
      }
    }
    return managed;
  }
}

/**
 * skipNonAppliedManager: objects never applied get no managedFields from updates (only when a
 * create is tracked, which Go does always: probability 1); the first apply to an object that has
 * none records what it had as "before-first-apply".
 */
export class SkipNonAppliedManager implements Manager {
  constructor(
    private readonly next: Manager,
    private readonly newEmpty: (apiVersion: string, kind: string) => KubeObject,
    private readonly probability: number,
    private readonly random: () => number = Math.random,
  ) {}

  update(liveObj: KubeObject, newObj: KubeObject, managed: Managed, manager: string): { object: KubeObject; managed: Managed } {
    if (managed.fields.size === 0) {
      const uid = metaOf(liveObj).uid;
      if (!uid) {
        if (this.probability <= this.random()) return { object: newObj, managed };
      } else {
        return { object: newObj, managed };
      }
    }
    return this.next.update(liveObj, newObj, managed, manager);
  }

  apply(liveObj: KubeObject, appliedObj: KubeObject, managed: Managed, manager: string, force: boolean): { object: KubeObject | undefined; managed: Managed } {
    if (managed.fields.size === 0) {
      const empty = this.newEmpty(appliedObj.apiVersion ?? '', appliedObj.kind ?? '');
      let r: { object: KubeObject; managed: Managed };
      try {
        r = this.next.update(empty, liveObj, managed, 'before-first-apply');
      } catch (err) {
        throw new Error(`failed to create manager for existing fields: ${(err as Error).message}`, { cause: err });
      }
      liveObj = r.object;
      managed = r.managed;
    }
    return this.next.apply(liveObj, appliedObj, managed, manager, force);
  }
}

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';
/** Go's TotalAnnotationSizeLimitB. */
const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

function lastAppliedOf(obj: KubeObject): string | undefined {
  const v = metaOf(obj).annotations?.[LAST_APPLIED_ANNOTATION];
  return v ? v : undefined;
}

/**
 * lastAppliedManager: kubectl's server-side apply after a client-side one does not conflict on
 * the fields its last-applied-configuration annotation says it set and the object still has.
 */
export class LastAppliedManager implements Manager {
  constructor(
    private readonly next: Manager,
    private readonly types: TypeConverter,
    private readonly objects: ObjectConverter,
    private readonly apiVersion: string,
  ) {}

  update(liveObj: KubeObject, newObj: KubeObject, managed: Managed, manager: string): { object: KubeObject; managed: Managed } {
    return this.next.update(liveObj, newObj, managed, manager);
  }

  apply(liveObj: KubeObject, newObj: KubeObject, managed: Managed, manager: string, force: boolean): { object: KubeObject | undefined; managed: Managed } {
    // The chain changes the managed maps in place: the retry starts from copies of what was given.
    const fields = new Map(managed.fields);
    const times = new Map(managed.times);
    try {
      return this.next.apply(liveObj, newObj, managed, manager, force);
    } catch (err) {
      if (manager !== 'kubectl' || !(err instanceof Conflicts)) throw err;
      let allowed: FieldSet;
      try {
        allowed = this.allowedConflictsFromLastApplied(liveObj);
      } catch {
        throw err;
      }
      const conflictSet = err.toSet();
      if (!conflictSet.difference(allowed).empty()) {
        throw new Conflicts(err.conflicts.filter((c: Conflict) => !allowed.has(c.path)));
      }
      return this.next.apply(liveObj, newObj, { fields, times }, manager, true);
    }
  }

  private allowedConflictsFromLastApplied(liveObj: KubeObject): FieldSet {
    const lastApplied = lastAppliedOf(liveObj);
    if (!lastApplied) throw new Error('no last applied annotation');
    const type = this.types.typeAt(this.apiVersion);
    if (!type) throw new Error('no type');
    const liveVersioned = liveObj.apiVersion === this.apiVersion ? liveObj : this.objects.convert(liveObj, this.apiVersion);
    const liveTyped = TypedValue.of(liveVersioned, type);
    const lastAppliedObj = JSON.parse(lastApplied) as KubeObject;
    if (!isMap(lastAppliedObj) || lastAppliedObj.apiVersion !== this.apiVersion) {
      throw new Error(`expected version of last applied to match live object '${this.apiVersion}'`);
    }
    const lastTyped = TypedValue.of(lastAppliedObj, type);
    const set = lastTyped.toFieldSet();
    const c = lastTyped.compare(liveTyped);
    return set.difference(c.modified).difference(c.added).difference(c.removed);
  }
}

/** lastAppliedUpdater: kubectl's server-side apply keeps its last-applied-configuration annotation, when there is one, up to date. */
export class LastAppliedUpdater implements Manager {
  constructor(private readonly next: Manager) {}

  update(liveObj: KubeObject, newObj: KubeObject, managed: Managed, manager: string): { object: KubeObject; managed: Managed } {
    return this.next.update(liveObj, newObj, managed, manager);
  }

  apply(liveObj: KubeObject, newObj: KubeObject, managed: Managed, manager: string, force: boolean): { object: KubeObject | undefined; managed: Managed } {
    const r = this.next.apply(liveObj, newObj, managed, manager, force);
    if (manager === 'kubectl' && r.object && lastAppliedOf(r.object) !== undefined) {
      const applied: KubeObject = { ...newObj, metadata: { ...metaOf(newObj) } };
      if (applied.metadata.annotations) {
        const annotations = { ...applied.metadata.annotations };
        delete annotations[LAST_APPLIED_ANNOTATION];
        applied.metadata.annotations = annotations;
      }
      // runtime.Encode(UnstructuredJSONScheme): json.Encoder's output, keys sorted, with its newline.
      const value = `${toGoJSON(applied)}\n`;
      const annotations: Record<string, string> = { ...(r.object.metadata.annotations ?? {}), [LAST_APPLIED_ANNOTATION]: value };
      let total = 0;
      for (const [k, v] of Object.entries(annotations)) total += Buffer.byteLength(k) + Buffer.byteLength(v);
      if (total > TOTAL_ANNOTATION_SIZE_LIMIT) delete annotations[LAST_APPLIED_ANNOTATION];
      return { object: { ...r.object, metadata: { ...r.object.metadata, annotations } }, managed: r.managed };
    }
    return r;
  }
}

/** versionCheckManager: an apply's object must be of the manager's kind and version. */
export class VersionCheckManager implements Manager {
  constructor(
    private readonly next: Manager,
    private readonly apiVersion: string,
    private readonly kind: string,
  ) {}

  update(liveObj: KubeObject, newObj: KubeObject, managed: Managed, manager: string): { object: KubeObject; managed: Managed } {
    return this.next.update(liveObj, newObj, managed, manager);
  }

  apply(liveObj: KubeObject, appliedObj: KubeObject, managed: Managed, manager: string, force: boolean): { object: KubeObject | undefined; managed: Managed } {
    if (appliedObj.apiVersion !== this.apiVersion || appliedObj.kind !== this.kind) {
      throw newBadRequest(`invalid object type: ${gvkString(appliedObj)}`);
    }
    return this.next.apply(liveObj, appliedObj, managed, manager, force);
  }
}
