/**
 * merge/update.go, merge.Updater: the ownership bookkeeping of server-side apply.
 *
 * - update(live, new, version, managers, manager): the manager takes ownership of every field it
 *   changed; other managers lose the fields changed under them (no conflicts: updates always win).
 * - apply(live, config, version, managers, manager, force): the config is merged into the live
 *   object; the manager owns exactly the config's fields; a field it stopped applying is removed
 *   unless someone else owns it; a field another manager owns and the apply changes is a conflict
 *   (thrown as Conflicts) unless forced, when it is taken over.
 *
 * Managers record the API version they used; comparisons for them are made in their version,
 * through the Converter (a manager whose version no longer exists is dropped).
 */
import { Comparison, excludeSetFilter, type FieldSetFilter } from './compare.js';
import { Conflicts } from './conflict.js';
import { FieldSet, versionedSet, type ManagedFields, type VersionedSet } from './fieldpath.js';
import { ensureNamedFieldsAreMembers, reconcileFieldSetWithSchema } from './reconcile.js';
import type { TypedValue } from './typed.js';
import { equalValues } from './value.js';

/** merge.Converter: a typed object in another API version. */
export interface Converter {
  convert(object: TypedValue, version: string): TypedValue;
  /** The error convert throws for a version that no longer exists (its managers are dropped). */
  isMissingVersionError(err: unknown): boolean;
}

export interface UpdaterOptions {
  converter: Converter;
  /** Per version, the fields no manager is recorded to own (the strategy resets them). */
  ignoreFilter?: ReadonlyMap<string, FieldSetFilter>;
  /** As ignoreFilter, given as sets of paths (excluded with what is below them); not with ignoreFilter. */
  ignoredFields?: ReadonlyMap<string, FieldSet>;
  /** apply returns the input object even when nothing changed (otherwise undefined). */
  returnInputOnNoop?: boolean;
}

export interface UpdateResult {
  object: TypedValue;
  managers: ManagedFields;
}

export interface ApplyResult {
  /** Undefined when the apply changes nothing (unless returnInputOnNoop). */
  object: TypedValue | undefined;
  managers: ManagedFields;
}

export class Updater {
  readonly converter: Converter;
  private readonly ignoreFilter?: ReadonlyMap<string, FieldSetFilter>;
  private readonly ignoredFields?: ReadonlyMap<string, FieldSet>;
  private readonly returnInputOnNoop: boolean;

  constructor(opts: UpdaterOptions) {
    this.converter = opts.converter;
    this.ignoreFilter = opts.ignoreFilter;
    this.ignoredFields = opts.ignoredFields;
    this.returnInputOnNoop = opts.returnInputOnNoop ?? false;
    if (this.ignoreFilter && this.ignoredFields) throw new Error('IgnoreFilter and IgnoreFilter may not both be set');
  }

  private filtered(c: Comparison, version: string): Comparison {
    if (this.ignoredFields) return c.excludeFields(this.ignoredFields.get(version));
    return c.filterFields(this.ignoreFilter?.get(version));
  }

  private filterFor(version: string): FieldSetFilter | undefined {
    if (this.ignoredFields) {
      const set = this.ignoredFields.get(version);
      return set ? excludeSetFilter(set) : undefined;
    }
    return this.ignoreFilter?.get(version);
  }

  private updateManagers(
    oldObject: TypedValue,
    newObject: TypedValue,
    version: string,
    managers: ManagedFields,
    workflow: string,
    force: boolean,
  ): { managers: ManagedFields; compare: Comparison } {
    const conflicts: ManagedFields = new Map();
    const removed: ManagedFields = new Map();
    let compare: Comparison;
    try {
      compare = oldObject.compare(newObject);
    } catch (err) {
      throw new Error(`failed to compare objects: ${(err as Error).message}`);
    }
    const versions = new Map<string, Comparison>([[version, this.filtered(compare, version)]]);

    for (const [manager, managerSet] of [...managers]) {
      if (manager === workflow) continue;
      let cmp = versions.get(managerSet.apiVersion);
      if (!cmp) {
        let versionedOld: TypedValue;
        let versionedNew: TypedValue;
        try {
          versionedOld = this.converter.convert(oldObject, managerSet.apiVersion);
        } catch (err) {
          if (this.converter.isMissingVersionError(err)) {
            managers.delete(manager);
            continue;
          }
          throw new Error(`failed to convert old object: ${(err as Error).message}`);
        }
        try {
          versionedNew = this.converter.convert(newObject, managerSet.apiVersion);
        } catch (err) {
          if (this.converter.isMissingVersionError(err)) {
            managers.delete(manager);
            continue;
          }
          throw new Error(`failed to convert new object: ${(err as Error).message}`);
        }
        try {
          cmp = versionedOld.compare(versionedNew);
        } catch (err) {
          throw new Error(`failed to compare objects: ${(err as Error).message}`);
        }
        cmp = this.filtered(cmp, managerSet.apiVersion);
        versions.set(managerSet.apiVersion, cmp);
      }
      const conflictSet = managerSet.set.intersection(cmp.modified.union(cmp.added));
      if (!conflictSet.empty()) conflicts.set(manager, versionedSet(conflictSet, managerSet.apiVersion, false));
      if (!cmp.removed.empty()) removed.set(manager, versionedSet(cmp.removed, managerSet.apiVersion, false));
    }

    if (!force && conflicts.size !== 0) throw Conflicts.fromManagers(conflicts);

    for (const [manager, conflictSet] of conflicts) {
      const m = managers.get(manager)!;
      managers.set(manager, versionedSet(m.set.difference(conflictSet.set), m.apiVersion, m.applied));
    }
    for (const [manager, removedSet] of removed) {
      const m = managers.get(manager)!;
      managers.set(manager, versionedSet(m.set.difference(removedSet.set), m.apiVersion, m.applied));
    }
    for (const [manager, m] of [...managers]) if (m.set.empty()) managers.delete(manager);
    return { managers, compare };
  }

  /** Updater.Update: `newObject` is returned as is; the managers are updated (the map is changed in place). */
  update(liveObject: TypedValue, newObject: TypedValue, version: string, managers: ManagedFields, manager: string): UpdateResult {
    managers = this.reconcileManagedFieldsWithSchemaChanges(liveObject, managers);
    const r = this.updateManagers(liveObject, newObject, version, managers, manager, true);
    managers = r.managers;
    const compare = r.compare;
    const previous = managers.get(manager) ?? versionedSet(new FieldSet(), version, false);
    let set = previous.set.difference(compare.removed).union(compare.modified).union(compare.added);
    const filter = this.filterFor(version);
    if (filter) set = filter(set);
    managers.set(manager, versionedSet(set, version, false));
    if (set.empty()) managers.delete(manager);
    return { object: newObject, managers };
  }

  /** Updater.Apply: throws Conflicts when not forced and another manager owns a field the apply changes. */
  apply(liveObject: TypedValue, configObject: TypedValue, version: string, managers: ManagedFields, manager: string, force: boolean): ApplyResult {
    managers = this.reconcileManagedFieldsWithSchemaChanges(liveObject, managers);
    let newObject: TypedValue;
    try {
      newObject = liveObject.merge(configObject);
    } catch (err) {
      throw new Error(`failed to merge config: ${(err as Error).message}`);
    }
    const lastSet = managers.get(manager);
    let set: FieldSet;
    try {
      set = configObject.toFieldSet();
    } catch (err) {
      throw new Error(`failed to get field set: ${(err as Error).message}`);
    }
    const filter = this.filterFor(version);
    if (filter) set = filter(set);
    managers.set(manager, versionedSet(set, version, true));
    try {
      newObject = this.prune(newObject, managers, manager, lastSet);
    } catch (err) {
      throw new Error(`failed to prune fields: ${(err as Error).message}`);
    }
    managers = this.updateManagers(liveObject, newObject, version, managers, manager, force).managers;
    if (!this.returnInputOnNoop && equalValues(liveObject.value, newObject.value)) return { object: undefined, managers };
    return { object: newObject, managers };
  }

  /** The fields the manager applied last time and no longer does are removed, unless another manager owns them. */
  private prune(merged: TypedValue, managers: ManagedFields, applyingManager: string, lastSet: VersionedSet | undefined): TypedValue {
    if (!lastSet || lastSet.set.empty()) return merged;
    const version = lastSet.apiVersion;
    let convertedMerged: TypedValue;
    try {
      convertedMerged = this.converter.convert(merged, version);
    } catch (err) {
      if (this.converter.isMissingVersionError(err)) return merged;
      throw new Error(`failed to convert merged object to last applied version: ${(err as Error).message}`);
    }
    const { schema: sc, typeRef: tr } = convertedMerged;
    let pruned = convertedMerged.removeItems(ensureNamedFieldsAreMembers(lastSet.set, sc, tr));
    try {
      pruned = this.addBackOwnedItems(convertedMerged, pruned, version, managers);
    } catch (err) {
      throw new Error(`failed add back owned items: ${(err as Error).message}`);
    }
    try {
      pruned = this.addBackDanglingItems(convertedMerged, pruned, lastSet);
    } catch (err) {
      throw new Error(`failed add back dangling items: ${(err as Error).message}`);
    }
    return this.converter.convert(pruned, managers.get(applyingManager)!.apiVersion);
  }

  private addBackOwnedItems(merged: TypedValue, pruned: TypedValue, prunedVersion: string, managedFields: ManagedFields): TypedValue {
    const managedAtVersion = new Map<string, FieldSet>();
    for (const ms of managedFields.values()) {
      managedAtVersion.set(ms.apiVersion, (managedAtVersion.get(ms.apiVersion) ?? new FieldSet()).union(ms.set));
    }
    const managed = managedAtVersion.get(prunedVersion);
    if (managed) {
      [merged, pruned] = this.addBackOwnedItemsForVersion(merged, pruned, prunedVersion, managed);
      managedAtVersion.delete(prunedVersion);
    }
    for (const [version, set] of managedAtVersion) [merged, pruned] = this.addBackOwnedItemsForVersion(merged, pruned, version, set);
    return pruned;
  }

  private addBackOwnedItemsForVersion(merged: TypedValue, pruned: TypedValue, version: string, managed: FieldSet): [TypedValue, TypedValue] {
    try {
      merged = this.converter.convert(merged, version);
    } catch (err) {
      if (this.converter.isMissingVersionError(err)) return [merged, pruned];
      throw new Error(`failed to convert merged object at version ${version}: ${(err as Error).message}`);
    }
    try {
      pruned = this.converter.convert(pruned, version);
    } catch (err) {
      if (this.converter.isMissingVersionError(err)) return [merged, pruned];
      throw new Error(`failed to convert pruned object at version ${version}: ${(err as Error).message}`);
    }
    const mergedSet = merged.toFieldSet();
    const prunedSet = pruned.toFieldSet();
    const { schema: sc, typeRef: tr } = merged;
    pruned = merged.removeItems(
      ensureNamedFieldsAreMembers(mergedSet, sc, tr).difference(
        ensureNamedFieldsAreMembers(prunedSet, sc, tr).union(ensureNamedFieldsAreMembers(managed, sc, tr)),
      ),
    );
    return [merged, pruned];
  }

  private addBackDanglingItems(merged: TypedValue, pruned: TypedValue, lastSet: VersionedSet): TypedValue {
    let convertedPruned: TypedValue;
    try {
      convertedPruned = this.converter.convert(pruned, lastSet.apiVersion);
    } catch (err) {
      if (this.converter.isMissingVersionError(err)) return merged;
      throw new Error(`failed to convert pruned object to last applied version: ${(err as Error).message}`);
    }
    const { schema: sc, typeRef: tr } = merged;
    const prunedSet = ensureNamedFieldsAreMembers(convertedPruned.toFieldSet(), sc, tr);
    const mergedSet = ensureNamedFieldsAreMembers(merged.toFieldSet(), sc, tr);
    const last = ensureNamedFieldsAreMembers(lastSet.set, sc, tr);
    return merged.removeItems(mergedSet.difference(prunedSet).intersection(last));
  }

  private reconcileManagedFieldsWithSchemaChanges(liveObject: TypedValue, managers: ManagedFields): ManagedFields {
    const result: ManagedFields = new Map();
    for (const [manager, vs] of managers) {
      let tv: TypedValue;
      try {
        tv = this.converter.convert(liveObject, vs.apiVersion);
      } catch (err) {
        // Obsolete versions are dropped later.
        if (this.converter.isMissingVersionError(err)) continue;
        throw err;
      }
      const reconciled = reconcileFieldSetWithSchema(vs.set, tv.schema, tv.typeRef);
      result.set(manager, reconciled ? versionedSet(reconciled, vs.apiVersion, vs.applied) : vs);
    }
    return result;
  }
}
