/**
 * managedFields between a resource and its scale subresource (k8s.io/apimachinery/pkg/util/
 * managedfields scalehandler.go): a Scale's field manager sees the parent's entries that own the
 * replicas field, as autoscaling/v1 entries owning `.spec.replicas`; what it records goes back
 * onto the parent's entries, at the parent's replicas path, the parent's other fields kept.
 */
import type { ManagedFieldsEntry } from '@kapi/apimachinery';
import { FieldSet, makePath, versionedSet, type ManagedFields, type Path, type VersionedSet } from './fieldpath.js';
import { decodeManagedFields, encodeManagedFields, type Managed } from './managed-fields.js';

/** The Scale's group/version (scaleGroupVersion). */
export const SCALE_API_VERSION = 'autoscaling/v1';

/** `.spec.replicas` of an autoscaling/v1 Scale (replicasPathInScale). */
const REPLICAS_PATH_IN_SCALE: Path = makePath('spec', 'replicas');

/**
 * ResourcePathMappings: the replicas path of the parent at each of its group/versions; undefined
 * for a version without a scale subresource (Go's nil path). Versions not in the map are unknown.
 */
export type ResourcePathMappings = ReadonlyMap<string, Path | undefined>;

export class ScaleHandler {
  /**
   * `parentEntries`: the parent's metadata.managedFields; `groupVersion`: the parent's version
   * the request is served at (group/version), where new scale managers are recorded.
   */
  constructor(
    private readonly parentEntries: readonly ManagedFieldsEntry[] | undefined,
    private readonly groupVersion: string,
    private readonly mappings: ResourcePathMappings,
  ) {}

  /**
   * ToSubresource: the parent's entries that own its replicas path (of a known version), each as
   * an autoscaling/v1 entry of `.spec.replicas`; undefined when there are none. Throws when the
   * parent's entries do not decode.
   */
  toSubresource(): ManagedFieldsEntry[] | undefined {
    const managed = decodeManagedFields(this.parentEntries);
    const out: Managed = { fields: new Map(), times: new Map() };
    for (const [manager, vs] of managed.fields) {
      const path = this.mappings.get(vs.apiVersion);
      // Entries of an unknown version, or of one without scale, are skipped.
      if (path === undefined || !vs.set.has(path)) continue;
      out.fields.set(manager, versionedSet(FieldSet.of(REPLICAS_PATH_IN_SCALE), SCALE_API_VERSION, vs.applied));
      out.times.set(manager, managed.times.get(manager));
    }
    return encodeManagedFields(out);
  }

  /**
   * ToParent: the parent's entries after the Scale's field manager recorded `scaleEntries`. A
   * parent entry owning the replicas path keeps it only if its manager is still among the Scale's
   * entries; the Scale's other managers that own `.spec.replicas` are added at the request's
   * version. Entries of versions the mappings do not know are dropped. Times are the parent's
   * (a manager new to the parent has none), as Go's.
   */
  toParent(scaleEntries: readonly ManagedFieldsEntry[] | undefined): ManagedFieldsEntry[] | undefined {
    const parent = decodeManagedFields(this.parentEntries);
    const scaleFields: ManagedFields = new Map(decodeManagedFields(scaleEntries).fields);
    const out: Managed = { fields: new Map(), times: new Map() };
    const keep = (manager: string, vs: VersionedSet): void => {
      out.fields.set(manager, vs);
      out.times.set(manager, parent.times.get(manager));
    };

    for (const [manager, vs] of parent.fields) {
      if (!this.mappings.has(vs.apiVersion)) continue;
      const path = this.mappings.get(vs.apiVersion);
      // No replicas path (a version without scale) or not owned: the entry as it is.
      if (path === undefined || !vs.set.has(path)) {
        keep(manager, vs);
        continue;
      }
      if (!scaleFields.has(manager)) {
        // The Scale's manager took the replicas over: the parent's entry loses them.
        const set = vs.set.difference(FieldSet.of(path));
        if (!set.empty()) keep(manager, versionedSet(set, vs.apiVersion, vs.applied));
      } else {
        keep(manager, vs);
        scaleFields.delete(manager);
      }
    }

    const replicasPath = this.mappings.get(this.groupVersion);
    for (const [manager, vs] of scaleFields) {
      if (!vs.set.has(REPLICAS_PATH_IN_SCALE)) continue;
      keep(manager, versionedSet(replicasPath ? FieldSet.of(replicasPath) : new FieldSet(), this.groupVersion, vs.applied));
    }
    return encodeManagedFields(out);
  }
}
