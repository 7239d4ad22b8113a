/**
 * The field manager of a kind at one version (and subresource), as k8s.io/apimachinery's
 * managedfields.FieldManager: `update` records what a create, update or non-apply patch changed
 * in metadata.managedFields; `apply` is server-side apply. Objects come and go in the hub
 * (storage) version, plain JSON; the merge is made in the request's version, with the kind's
 * schema of that version, and managers of other versions are compared in theirs.
 */
import { apiVersionOf, type KubeObject } from '@kapi/apimachinery';
import { applySchemaDefaults, objectSchemaFor, type KindDefinition, type VersionDefinition } from '../scheme/index.js';
import { Conflicts } from './conflict.js';
import { FieldSet, fieldElement } from './fieldpath.js';
import {
  decodeManagedFields,
  emptyManaged,
  encodeManagedFields,
  isResetManagedFields,
  newApplyConflictError,
  type Managed,
} from './managed-fields.js';
import {
  BuildManagerInfoManager,
  CapManagersManager,
  LastAppliedManager,
  LastAppliedUpdater,
  ManagedFieldsUpdater,
  NotRegisteredError,
  SkipNonAppliedManager,
  StripMetaManager,
  StructuredMergeManager,
  VersionCheckManager,
  managedFieldsOf,
  withManagedFields,
  type Manager,
  type ObjectConverter,
  type TypeConverter,
} from './managers.js';
import type { TypeSpec } from './schema.js';
import { schemaFromJSONSchemaProps, typeNameOf } from './schema-from-openapi.js';

/** DefaultMaxUpdateManagers. */
export const DEFAULT_MAX_UPDATE_MANAGERS = 10;

const versionOf = (apiVersion: string): string => apiVersion.slice(apiVersion.indexOf('/') + 1);
const groupOf = (apiVersion: string): string => (apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '');

const typeConverters = new WeakMap<KindDefinition, KindTypeConverter>();

/** The SMD types of a kind's versions, built once per kind (from each version's schema). */
export class KindTypeConverter implements TypeConverter {
  private readonly types = new Map<string, TypeSpec>();

  private constructor(readonly kind: KindDefinition) {}

  static of(kind: KindDefinition): KindTypeConverter {
    let tc = typeConverters.get(kind);
    if (!tc) typeConverters.set(kind, (tc = new KindTypeConverter(kind)));
    return tc;
  }

  typeAt(apiVersion: string): TypeSpec | undefined {
    let t = this.types.get(apiVersion);
    if (t) return t;
    if (groupOf(apiVersion) !== this.kind.group) return undefined;
    const version = this.kind.versions.find((v) => v.name === versionOf(apiVersion));
    if (!version) return undefined;
    t = schemaFromJSONSchemaProps(version.schema, typeNameOf(this.kind.group, version.name, this.kind.kind));
    this.types.set(apiVersion, t);
    return t;
  }
}

/** Conversion between a kind's versions through its hub, with the VersionDefinitions' toHub/fromHub. */
export function kindObjectConverter(kind: KindDefinition): ObjectConverter {
  const find = (apiVersion: string): VersionDefinition => {
    const v = groupOf(apiVersion) === kind.group ? kind.versions.find((x) => x.name === versionOf(apiVersion)) : undefined;
    if (!v) throw new NotRegisteredError(apiVersion, kind.kind);
    return v;
  };
  return {
    convert(obj: KubeObject, apiVersion: string): KubeObject {
      const target = find(apiVersion);
      const from = obj.apiVersion ? find(obj.apiVersion) : find(apiVersionOf(kind.group, kind.hubVersion));
      if (from === target) return { ...obj, apiVersion, kind: kind.kind };
      const hub = from.name === kind.hubVersion || !from.toHub ? obj : from.toHub(obj);
      const out = target.name === kind.hubVersion || !target.fromHub ? hub : target.fromHub(hub);
      return { ...out, apiVersion, kind: kind.kind };
    },
  };
}

/**
 * The fields a kind's strategy resets, per version, as Go's CRD strategies declare them: with a
 * status subresource, the main resource resets `status`, and the status subresource resets
 * `metadata` and `spec` (what it does not let change), so that no manager is recorded to own them.
 */
export function defaultResetFields(kind: KindDefinition, subresource: string): Map<string, FieldSet> {
  const out = new Map<string, FieldSet>();
  if (!kind.subresources?.status) return out;
  const set = subresource === 'status' ? FieldSet.of([fieldElement('metadata')], [fieldElement('spec')]) : subresource === '' ? FieldSet.of([fieldElement('status')]) : undefined;
  if (!set) return out;
  for (const v of kind.versions) out.set(apiVersionOf(kind.group, v.name), set);
  return out;
}

export interface FieldManagerOptions {
  /** '' (the resource) or e.g. 'status', 'scale': recorded in the entries, and an update of one keeps the live object's entries. */
  subresource?: string;
  /** Converts objects between the kind's versions (default: the kind's toHub/fromHub). */
  converter?: ObjectConverter;
  /** The SMD types of the kind's versions (default: built from the versions' schemas). */
  typeConverter?: TypeConverter;
  /** Defaults an apply's result at its version (default: the version's schema defaults, then its `default` hook). */
  defaulter?: (obj: KubeObject, apiVersion: string) => void;
  /** Per version (group/version), the fields no manager owns (default: defaultResetFields). */
  resetFields?: ReadonlyMap<string, FieldSet>;
  /** Update entries kept before the oldest are merged into "ancient-changes" (default 10). */
  maxUpdateManagers?: number;
  /** The probability that a create is tracked when the object had no managedFields (Go: 1). */
  trackOnCreateProbability?: number;
  /** The clock of the entries' times (default: now). */
  now?: () => Date;
}

export interface UpdateOptions {
  /** The manager's name, as the endpoints derive it (managerOrUserAgent). */
  manager: string;
}

/**
 * FieldManager for a kind served at `version` (a version name of the kind, e.g. "v1beta1").
 * Objects given and returned are in the hub version; the returned ones are new objects, the
 * inputs are not changed.
 */
export class FieldManager {
  readonly kind: KindDefinition;
  /** group/version of the requests this manager serves. */
  readonly apiVersion: string;
  readonly subresource: string;
  private readonly chain: Manager;
  private readonly hubApiVersion: string;

  constructor(kind: KindDefinition, version: string, opts: FieldManagerOptions = {}) {
    this.kind = kind;
    this.apiVersion = apiVersionOf(kind.group, version);
    this.hubApiVersion = apiVersionOf(kind.group, kind.hubVersion);
    this.subresource = opts.subresource ?? '';
    const types = opts.typeConverter ?? KindTypeConverter.of(kind);
    const objects = opts.converter ?? kindObjectConverter(kind);
    const defaulter = opts.defaulter ?? defaultDefaulter(kind);
    const now = opts.now ?? (() => new Date());
    const structured = new StructuredMergeManager({
      types,
      objects,
      defaulter,
      apiVersion: this.apiVersion,
      hubVersion: this.hubApiVersion,
      resetFields: opts.resetFields ?? defaultResetFields(kind, this.subresource),
    });
    const newEmpty = (apiVersion: string, kindName: string): KubeObject => ({ apiVersion, kind: kindName, metadata: {} });
    this.chain = new VersionCheckManager(
      new LastAppliedUpdater(
        new LastAppliedManager(
          new SkipNonAppliedManager(
            new CapManagersManager(
              new BuildManagerInfoManager(new ManagedFieldsUpdater(new StripMetaManager(structured), now), this.apiVersion, this.subresource),
              opts.maxUpdateManagers ?? DEFAULT_MAX_UPDATE_MANAGERS,
            ),
            newEmpty,
            opts.trackOnCreateProbability ?? 1,
          ),
          types,
          objects,
          this.apiVersion,
        ),
      ),
      this.apiVersion,
      kind.kind,
    );
  }

  /** decodeLiveOrNew: a subresource keeps the live entries; `[]`/`[{}]` in the new object resets them; otherwise the new object's, else the live's. */
  private decodeLiveOrNew(liveObj: KubeObject, newObj: KubeObject): Managed {
    const safe = (entries: KubeObject['metadata']['managedFields']): Managed => {
      try {
        return decodeManagedFields(entries);
      } catch {
        return emptyManaged();
      }
    };
    if (this.subresource !== '') return safe(managedFieldsOf(liveObj));
    const newEntries = managedFieldsOf(newObj);
    if (isResetManagedFields(newEntries)) return emptyManaged();
    let managed: Managed | undefined;
    try {
      managed = decodeManagedFields(newEntries);
    } catch {
      managed = undefined;
    }
    if (!managed || managed.fields.size === 0) return safe(managedFieldsOf(liveObj));
    return managed;
  }

  /**
   * FieldManager.Update, for create (liveObj: undefined, an empty object), update and the patches
   * that are not apply: `newObj` with metadata.managedFields recording the manager's changes.
   * Throws on an internal failure; see updateNoErrors.
   */
  update(liveObj: KubeObject | undefined, newObj: KubeObject, manager: string): KubeObject {
    const live = liveObj ?? this.emptyObject();
    const managed = this.decodeLiveOrNew(live, newObj);
    const stripped = withManagedFields(newObj, undefined);
    const r = this.chain.update(live, stripped, managed, manager);
    return withManagedFields(r.object, encodeManagedFields(r.managed));
  }

  /** UpdateNoErrors: as update, but on a failure `newObj` keeps the live object's managedFields (Go logs it). */
  updateNoErrors(liveObj: KubeObject | undefined, newObj: KubeObject, manager: string): KubeObject {
    try {
      return this.update(liveObj, newObj, manager);
    } catch {
      return withManagedFields(newObj, liveObj ? managedFieldsOf(liveObj) : undefined);
    }
  }

  /**
   * FieldManager.Apply: `appliedObj` (the apply patch, at this manager's version, apiVersion and
   * kind set) merged into `liveObj` (undefined or an empty object when it does not exist yet),
   * owned by `manager`. Throws a 409 StatusError on conflicts (unless `force`), 400 on a patch of
   * another version or kind or with managedFields; other failures are plain Errors (Go's 500).
   */
  apply(liveObj: KubeObject | undefined, appliedObj: KubeObject, manager: string, force: boolean): KubeObject {
    const live = liveObj ?? this.emptyObject();
    let managed: Managed;
    try {
      managed = decodeManagedFields(managedFieldsOf(live));
    } catch (err) {
      throw new Error(`failed to decode managed fields: ${(err as Error).message}`, { cause: err });
    }
    let r: { object: KubeObject | undefined; managed: Managed };
    try {
      r = this.chain.apply(live, appliedObj, managed, manager, force);
    } catch (err) {
      if (err instanceof Conflicts) throw newApplyConflictError(err);
      throw err;
    }
    const object = r.object ?? withManagedFields(live, undefined);
    return withManagedFields(object, encodeManagedFields(r.managed));
  }

  private emptyObject(): KubeObject {
    return { apiVersion: this.hubApiVersion, kind: this.kind.kind, metadata: {} };
  }
}

function defaultDefaulter(kind: KindDefinition): (obj: KubeObject, apiVersion: string) => void {
  const schemas = new Map<string, ReturnType<typeof objectSchemaFor>>();
  return (obj, apiVersion) => {
    const version = kind.versions.find((v) => v.name === versionOf(apiVersion));
    if (!version) return;
    let schema = schemas.get(version.name);
    if (!schema) schemas.set(version.name, (schema = objectSchemaFor(version.schema)));
    applySchemaDefaults(obj, schema);
    version.default?.(obj);
  };
}
