/**
 * ApplyConfiguration mutations, as k8s.io/apiserver pkg/admission/plugin/policy/mutating/patch/smd.go
 * applies them: the patch object is typed by the kind's OpenAPI schema (a field the schema does not
 * declare is an error), may not set atomic lists, maps or structs, and is merged into the object as
 * structured-merge-diff merges (typed.Merge): struct fields and granular maps key by key, lists by
 * their x-kubernetes-list-type (set: by value, map: by x-kubernetes-list-map-keys, in SMD's order),
 * everything else replaced; a null in the patch clears a scalar and leaves a non-empty map or list alone.
 *
 * Left out of SMD: type errors of scalars (a string where the schema says integer is refused by
 * the version's schema when the object is converted back), defaulted map keys, and the field
 * ownership SMD also tracks (an admission patch has no manager).
 */
import { deepCopy, isPlainObject } from '../../scheme/deep.js';

/** The part of an OpenAPI v3 schema SMD reads. */
export interface OpenAPISchema {
  $ref?: string;
  allOf?: OpenAPISchema[];
  type?: string;
  properties?: Record<string, OpenAPISchema>;
  additionalProperties?: OpenAPISchema | boolean;
  items?: OpenAPISchema;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: string;
  default?: unknown;
}

/** A kind's schema with the components its references resolve in. */
export interface TypedSchema {
  root: OpenAPISchema;
  components: Readonly<Record<string, OpenAPISchema>>;
}

/** What a schema node is to SMD. */
type Atom =
  | { kind: 'map'; fields: Record<string, OpenAPISchema>; element: OpenAPISchema | 'deduced' | undefined; atomic: boolean }
  | { kind: 'list'; element: OpenAPISchema | 'deduced'; type: 'atomic' | 'set' | 'map'; keys: string[] }
  | { kind: 'scalar' }
  | { kind: 'deduced' };

const REF_PREFIX = '#/components/schemas/';

/** The node with its $ref (or single allOf reference) resolved; the node's own extensions win. */
function resolved(node: OpenAPISchema, components: TypedSchema['components']): OpenAPISchema {
  let out: OpenAPISchema = node;
  for (let depth = 0; depth < 32; depth++) {
    const ref = out.$ref ?? (out.allOf?.length === 1 ? out.allOf[0]!.$ref : undefined);
    if (!ref || !ref.startsWith(REF_PREFIX)) return out;
    const target = components[ref.slice(REF_PREFIX.length)] ?? {};
    const { $ref: _ref, allOf: _allOf, ...own } = out;
    out = { ...target, ...own };
  }
  return out;
}

function atomOf(node: OpenAPISchema | 'deduced' | undefined, components: TypedSchema['components']): Atom {
  if (node === undefined || node === 'deduced') return { kind: 'deduced' };
  const s = resolved(node, components);
  if (s['x-kubernetes-int-or-string']) return { kind: 'scalar' };
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  if (s.type === 'array' || (s.type === undefined && s.items)) {
    const listType = s['x-kubernetes-list-type'];
    return {
      kind: 'list',
      element: s.items ?? 'deduced',
      type: listType === 'set' || listType === 'map' ? listType : 'atomic',
      keys: s['x-kubernetes-list-map-keys'] ?? [],
    };
  }
  if (s.type === 'object' || s.properties || s.additionalProperties !== undefined || s['x-kubernetes-embedded-resource']) {
    const element = typeof s.additionalProperties === 'object' ? s.additionalProperties : preserve || s.additionalProperties === true ? 'deduced' : undefined;
    return { kind: 'map', fields: s.properties ?? {}, element, atomic: s['x-kubernetes-map-type'] === 'atomic' };
  }
  if (s.type === undefined) return preserve ? { kind: 'deduced' } : { kind: 'scalar' };
  return { kind: 'scalar' };
}

/** A deduced (untyped) value is typed by what it is: maps granular, lists atomic. */
function deducedAtom(value: unknown): Atom {
  if (isPlainObject(value)) return { kind: 'map', fields: {}, element: 'deduced', atomic: false };
  if (Array.isArray(value)) return { kind: 'list', element: 'deduced', type: 'atomic', keys: [] };
  return { kind: 'scalar' };
}

const atomFor = (node: OpenAPISchema | 'deduced' | undefined, value: unknown, components: TypedSchema['components']): Atom => {
  const atom = atomOf(node, components);
  return atom.kind === 'deduced' ? deducedAtom(value) : atom;
};

function fieldSchema(atom: Extract<Atom, { kind: 'map' }>, key: string): OpenAPISchema | 'deduced' | undefined {
  return Object.hasOwn(atom.fields, key) ? atom.fields[key] : atom.element;
}

/** value.ToString, as SMD prints a key's value in a path. */
const keyValueString = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : v === null || v === undefined ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v));

class SmdErrors {
  readonly list: string[] = [];
  add(path: string, message: string): void {
    this.list.push(path ? `${path}: ${message}` : message);
  }
  /** ValidationErrors.Error(). */
  message(): string {
    return this.list.length === 1 ? this.list[0]! : ['errors:', ...this.list.map((e) => `  ${e}`)].join('\n');
  }
}

/** The path element of a list item (listItemToPathElement): its keys, its value (sets) or its index. */
function itemKey(atom: Extract<Atom, { kind: 'list' }>, item: unknown, index: number, components: TypedSchema['components']): { key: string; shown: string } | { error: string } {
  if (atom.type === 'set') {
    if (isPlainObject(item) || Array.isArray(item)) return { error: 'only scalar elements are supported in sets' };
    return { key: JSON.stringify(item), shown: `[=${keyValueString(item)}]` };
  }
  if (atom.type === 'map' && atom.keys.length > 0) {
    if (!isPlainObject(item)) return { error: 'associative list with keys may not have non-map elements' };
    const element = atom.element === 'deduced' ? undefined : resolved(atom.element, components);
    const values: unknown[] = [];
    const shown: string[] = [];
    for (const name of [...atom.keys].sort()) {
      let v = item[name];
      if (v === undefined) v = element?.properties?.[name] ? resolved(element.properties[name]!, components).default : undefined;
      if (v === undefined) return { error: `associative list with keys has an element that omits key field ${JSON.stringify(name)} (and doesn't have default value)` };
      values.push(v);
      shown.push(`${name}=${keyValueString(v)}`);
    }
    return { key: JSON.stringify(values), shown: `[${shown.join(',')}]` };
  }
  return { key: `#${index}`, shown: `[${index}]` };
}

/** typed.AsTyped's validation of the patch: fields the schema does not declare, duplicate keys. */
function validate(value: unknown, node: OpenAPISchema | 'deduced' | undefined, path: string, components: TypedSchema['components'], errors: SmdErrors): void {
  const atom = atomFor(node, value, components);
  if (atom.kind === 'map' && isPlainObject(value)) {
    for (const [key, member] of Object.entries(value)) {
      const field = fieldSchema(atom, key);
      if (field === undefined) {
        errors.add(`${path}.${key}`, 'field not declared in schema');
        return;
      }
      validate(member, field, `${path}.${key}`, components, errors);
    }
  } else if (atom.kind === 'list' && Array.isArray(value)) {
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const k = itemKey(atom, item, i, components);
      if ('error' in k) {
        errors.add(path, `element ${i}: ${k.error}`);
        return;
      }
      if (atom.type !== 'atomic' && seen.has(k.key)) errors.add(path, `duplicate entries for key ${k.shown}`);
      seen.add(k.key);
      validate(item, atom.element, `${path}${k.shown}`, components, errors);
    });
  }
}

/** findAtomics: the paths where the patch sets an atomic list, map or struct (of declared fields only, as Go walks). */
function findAtomics(value: unknown, node: OpenAPISchema | 'deduced' | undefined, path: string, components: TypedSchema['components'], out: string[]): void {
  const atom = atomFor(node, value, components);
  if (atom.kind === 'map' && isPlainObject(value)) {
    if (atom.atomic) out.push(path);
    for (const [key, member] of Object.entries(value)) {
      if (Object.hasOwn(atom.fields, key)) findAtomics(member, atom.fields[key], `${path}.${key}`, components, out);
    }
  } else if (atom.kind === 'list' && Array.isArray(value)) {
    if (atom.type === 'atomic') out.push(path);
    value.forEach((item, i) => findAtomics(item, atom.element, `${path}[${i}]`, components, out));
  }
}

const isEmpty = (v: unknown): boolean => v === undefined || v === null || (Array.isArray(v) && v.length === 0) || (isPlainObject(v) && Object.keys(v).length === 0);

/** mergingWalker.merge of one node: undefined when the result has no value here. */
function merge(lhs: unknown, rhs: unknown, node: OpenAPISchema | 'deduced' | undefined, path: string, components: TypedSchema['components'], errors: SmdErrors): unknown {
  if (rhs === undefined) return lhs === undefined ? undefined : deepCopy(lhs);
  // A map or list of the patch is walked even where the object has none (its list keys are checked).
  const atom = atomFor(node, rhs === null ? lhs : rhs, components);
  const absent = lhs === undefined || lhs === null;
  if (atom.kind === 'map' && (isPlainObject(lhs) || absent) && (isPlainObject(rhs) || rhs === null)) {
    if (atom.atomic || (isEmpty(lhs) && isEmpty(rhs))) return deepCopy(rhs);
    const left = (lhs ?? {}) as Record<string, unknown>;
    const right = (rhs ?? {}) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
      const merged = merge(left[key], right[key], fieldSchema(atom, key), `${path}.${key}`, components, errors);
      if (merged !== undefined) out[key] = merged;
    }
    return Object.keys(out).length > 0 ? out : undefined;
  }
  if (atom.kind === 'list' && (Array.isArray(lhs) || absent) && (Array.isArray(rhs) || rhs === null)) {
    if (atom.type === 'atomic' || (isEmpty(lhs) && isEmpty(rhs))) return deepCopy(rhs);
    return mergeList(atom, (lhs ?? []) as unknown[], (rhs ?? []) as unknown[], path, components, errors);
  }
  return deepCopy(rhs);
}

/** visitListItems: associative lists merged by key, in the order SMD gives them (lhs order, rhs's new items where rhs puts them). */
function mergeList(atom: Extract<Atom, { kind: 'list' }>, lhs: unknown[], rhs: unknown[], path: string, components: TypedSchema['components'], errors: SmdErrors): unknown {
  const index = (list: unknown[], allowDuplicates: boolean): { keys: string[]; shown: Map<string, string>; observed: Map<string, unknown> } | undefined => {
    const keys: string[] = [];
    const shown = new Map<string, string>();
    const observed = new Map<string, unknown>();
    let failed = false;
    list.forEach((item, i) => {
      const k = itemKey(atom, item, i, components);
      if ('error' in k) {
        errors.add(path, `element ${i}: ${k.error}`);
        failed = true;
        return;
      }
      if (observed.has(k.key)) {
        if (!allowDuplicates) {
          errors.add(path, `duplicate entries for key ${k.shown}`);
          failed = true;
          return;
        }
        observed.set(k.key, null);
      } else observed.set(k.key, item);
      shown.set(k.key, k.shown);
      keys.push(k.key);
    });
    return failed ? undefined : { keys, shown, observed };
  };
  const r = index(rhs, false);
  const l = index(lhs, true);
  if (!r || !l) return lhs;
  const sharedOrder = r.keys.filter((k) => l.observed.has(k));
  let nextShared = sharedOrder.shift();
  const mergedRHS = new Set<string>();
  const out: unknown[] = [];
  const mergeItem = (key: string, left: unknown, right: unknown): void => {
    const merged = merge(left === null && right !== undefined ? undefined : left, right, atom.element, `${path}${r.shown.get(key) ?? l.shown.get(key) ?? ''}`, components, errors);
    if (merged !== undefined) out.push(merged);
  };
  let lI = 0;
  let rI = 0;
  while (lI < l.keys.length || rI < r.keys.length) {
    if (lI < l.keys.length && rI < r.keys.length) {
      const pe = l.keys[lI]!;
      if (pe === r.keys[rI]) {
        mergedRHS.add(pe);
        mergeItem(pe, l.observed.get(pe), r.observed.get(pe));
        lI++;
        rI++;
        nextShared = sharedOrder.shift();
        continue;
      }
      if (r.observed.has(pe) && nextShared !== undefined && nextShared !== pe) {
        lI++;
        continue;
      }
    }
    if (lI < l.keys.length) {
      const pe = l.keys[lI]!;
      if (!r.observed.has(pe)) {
        mergeItem(pe, lhs[lI], undefined);
        lI++;
        continue;
      } else if (mergedRHS.has(pe)) {
        lI++;
      }
    }
    if (rI < r.keys.length) {
      const pe = r.keys[rI]!;
      mergedRHS.add(pe);
      mergeItem(pe, l.observed.get(pe), r.observed.get(pe));
      rI++;
      if (nextShared !== undefined && nextShared === pe) nextShared = sharedOrder.shift();
    }
  }
  return out.length > 0 ? out : undefined;
}

/**
 * ApplyStructuredMergeDiff: `patch` (apiVersion and kind those of `live`) merged into `live`;
 * throws Go's error texts ("failed to convert patch object to typed object: …",
 * "invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: …", "failed to merge patch: …").
 */
export function applyConfiguration(live: Record<string, unknown>, patch: Record<string, unknown>, schema: TypedSchema): Record<string, unknown> {
  const { components } = schema;
  const invalid = new SmdErrors();
  validate(patch, schema.root, '', components, invalid);
  if (invalid.list.length > 0) throw new Error(`failed to convert patch object to typed object: ${invalid.message()}`);
  const atomics: string[] = [];
  findAtomics(patch, schema.root, '', components, atomics);
  if (atomics.length > 0) throw new Error(`invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: ${atomics.join(', ')}`);
  try {
    return mergeTyped(live, patch, schema);
  } catch (err) {
    throw new Error(`failed to merge patch: ${(err as Error).message}`);
  }
}

/** typed.Merge: `rhs` merged into `lhs` (which may have duplicate list keys) by `schema`; throws SMD's errors. */
export function mergeTyped(lhs: Record<string, unknown>, rhs: Record<string, unknown>, schema: TypedSchema): Record<string, unknown> {
  const errors = new SmdErrors();
  const merged = merge(lhs, rhs, schema.root, '', schema.components, errors);
  if (errors.list.length > 0) throw new Error(errors.message());
  return (merged ?? {}) as Record<string, unknown>;
}
