/**
 * structured-merge-diff's schema (sigs.k8s.io/structured-merge-diff/v6/schema, elements.go): named
 * types and type references whose atom is a scalar, a list (atomic, or associative: a set, or a map
 * keyed by some of its items' fields) or a map (a struct's fields and/or an element type; separable
 * or atomic). The shapes follow Go's YAML form, so a schema written as in SMD's tests parses as is.
 */

export type Scalar = 'numeric' | 'string' | 'boolean' | 'untyped';
/** 'associative' (list sets and maps), 'atomic' (replaced whole), 'separable' (granular maps). */
export type ElementRelationship = 'associative' | 'atomic' | 'separable';

export interface StructField {
  name: string;
  type: TypeRef;
  /** A key field's default, used for an item that omits it (list-map keys). */
  default?: unknown;
}

export interface MapType {
  fields?: StructField[];
  elementType?: TypeRef;
  /** '' (or absent) and 'separable' are granular; 'atomic' replaces the whole map. */
  elementRelationship?: ElementRelationship | '';
  unions?: unknown[];
}

export interface ListType {
  elementType?: TypeRef;
  /** Absent is treated as not associative (Go's zero value): give 'atomic' or 'associative'. */
  elementRelationship?: ElementRelationship | '';
  keys?: string[];
}

export interface Atom {
  scalar?: Scalar;
  list?: ListType;
  map?: MapType;
}

/** A reference to a named type, or an inlined atom; elementRelationship overrides the referent's. */
export interface TypeRef extends Atom {
  namedType?: string;
  elementRelationship?: ElementRelationship;
  nullable?: boolean;
}

export interface TypeDef extends Atom {
  name: string;
}

export const UNTYPED_ATOMIC = '__untyped_atomic_';
export const UNTYPED_DEDUCED = '__untyped_deduced_';

/** The two types every converted schema has (kube-openapi schemaconv untypedDef/deducedDef). */
export function commonTypes(): TypeDef[] {
  return [
    {
      name: UNTYPED_ATOMIC,
      scalar: 'untyped',
      list: { elementType: { namedType: UNTYPED_ATOMIC }, elementRelationship: 'atomic' },
      map: { elementType: { namedType: UNTYPED_ATOMIC }, elementRelationship: 'atomic' },
    },
    {
      name: UNTYPED_DEDUCED,
      scalar: 'untyped',
      list: { elementType: { namedType: UNTYPED_ATOMIC }, elementRelationship: 'atomic' },
      map: { elementType: { namedType: UNTYPED_DEDUCED }, elementRelationship: 'separable' },
    },
  ];
}

const fieldIndexes = new WeakMap<MapType, Map<string, StructField>>();

/** Map.FindField. */
export function findField(m: MapType, name: string): StructField | undefined {
  let index = fieldIndexes.get(m);
  if (!index) {
    index = new Map();
    for (const f of m.fields ?? []) index.set(f.name, f);
    fieldIndexes.set(m, index);
  }
  return index.get(name);
}

/** TypeRef == TypeRef{} in Go: refers to nothing. */
export function isEmptyTypeRef(tr: TypeRef | undefined): boolean {
  return !tr || (tr.namedType === undefined && !tr.scalar && !tr.list && !tr.map && !tr.elementRelationship);
}

export function typeRefName(tr: TypeRef): string {
  return tr.namedType ?? 'inlined type';
}

export class Schema {
  readonly types: readonly TypeDef[];
  private readonly byName = new Map<string, TypeDef>();
  private readonly resolved = new WeakMap<TypeRef, Atom | null>();

  constructor(types: readonly TypeDef[]) {
    this.types = types;
    for (const t of types) this.byName.set(t.name, t);
  }

  findNamedType(name: string): TypeDef | undefined {
    return this.byName.get(name);
  }

  /** Schema.Resolve: the atom a reference stands for, with its elementRelationship applied; undefined when none. */
  resolve(tr: TypeRef): Atom | undefined {
    if (!tr.elementRelationship) return this.resolveNoOverrides(tr);
    const cached = this.resolved.get(tr);
    if (cached !== undefined) return cached ?? undefined;
    let result: Atom | undefined = this.resolveNoOverrides(tr);
    if (result) {
      const { scalar, list, map } = result;
      if (map) result = { scalar, list, map: { ...map, elementRelationship: tr.elementRelationship } };
      else if (list) result = { scalar, list: { ...list, elementRelationship: tr.elementRelationship } };
      else result = undefined;
    }
    this.resolved.set(tr, result ?? null);
    return result;
  }

  private resolveNoOverrides(tr: TypeRef): Atom | undefined {
    if (tr.namedType !== undefined) return this.byName.get(tr.namedType);
    return tr;
  }
}

/** A schema and the type of the objects in it (a ParseableType). */
export interface TypeSpec {
  readonly schema: Schema;
  readonly typeRef: TypeRef;
}
