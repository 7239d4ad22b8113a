/**
 * ApplyConfiguration mutations, as k8s.io/apiserver pkg/admission/plugin/policy/mutating/patch/smd.go
 * applies them (ApplyStructuredMergeDiff): the patch is typed by the kind's schema in the host's
 * OpenAPI (a field the schema does not declare is an error), may not set atomic lists, maps or
 * structs, and is merged into the object by structured-merge-diff (../../apply). An admission patch
 * has no manager: no field ownership is tracked.
 */
import { TypedValue, findField, pathString, type Path, type Schema, type TypeRef, type TypeSpec } from '../../apply/index.js';

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * `patch` (apiVersion and kind those of `live`) merged into `live`; throws Go's error texts
 * ("failed to convert patch object to typed object: …", "invalid ApplyConfiguration: may not
 * mutate atomic arrays, maps or structs: …", "failed to merge patch: …").
 */
export function applyConfiguration(live: Record<string, unknown>, patch: Record<string, unknown>, type: TypeSpec): Record<string, unknown> {
  let patchTyped: TypedValue;
  try {
    patchTyped = TypedValue.of(patch, type);
  } catch (err) {
    throw new Error(`failed to convert patch object to typed object: ${message(err)}`);
  }
  const atomics = findAtomics([], type.schema, type.typeRef, patch);
  if (atomics.length > 0) throw new Error(`invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: ${atomics.join(', ')}`);
  let liveTyped: TypedValue;
  try {
    liveTyped = TypedValue.of(live, type, { allowDuplicates: true });
  } catch (err) {
    throw new Error(`failed to convert original object to typed object: ${message(err)}`);
  }
  try {
    return (liveTyped.merge(patchTyped).value ?? {}) as Record<string, unknown>;
  } catch (err) {
    throw new Error(`failed to merge patch: ${message(err)}`);
  }
}

/** The paths where the patch sets an atomic list, map or struct (walking declared fields only, as Go does). */
function findAtomics(path: Path, schema: Schema, tr: TypeRef, value: unknown): string[] {
  const atom = schema.resolve(tr);
  if (!atom) return [];
  const atomics: string[] = [];
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && atom.map) {
    if (atom.map.elementRelationship === 'atomic') atomics.push(pathString(path));
    for (const [key, member] of Object.entries(value)) {
      const field = findField(atom.map, key);
      if (field) atomics.push(...findAtomics([...path, { kind: 'field', name: key }], schema, field.type, member));
    }
  }
  if (Array.isArray(value) && atom.list) {
    if (atom.list.elementRelationship === 'atomic') atomics.push(pathString(path));
    value.forEach((item, index) => atomics.push(...findAtomics([...path, { kind: 'index', index }], schema, atom.list!.elementType ?? {}, item)));
  }
  return atomics;
}
