/**
 * Field paths and sets of them, as structured-merge-diff's fieldpath package has them
 * (element.go, path.go, set.go): a PathElement names a struct/map field, a list-map item by its key
 * fields, a set item by its value, or a list item by its index; a Set is a tree of them, kept
 * sorted in Go's order (fields < keys < values < indexes) so that iteration, serialization and
 * the set operations behave exactly as Go's.
 */
import { compareStrings, compareValues, equalValues, valueToString, type Value } from './value.js';

/** One key field of a list-map item, e.g. {name: 'port', value: 80}. */
export interface KeyField {
  readonly name: string;
  readonly value: Value;
}

export type PathElement =
  | { readonly kind: 'field'; readonly name: string }
  | { readonly kind: 'key'; readonly fields: readonly KeyField[] }
  | { readonly kind: 'value'; readonly value: Value }
  | { readonly kind: 'index'; readonly index: number };

export type Path = readonly PathElement[];

export const fieldElement = (name: string): PathElement => ({ kind: 'field', name });
export const valueElement = (value: Value): PathElement => ({ kind: 'value', value });
export const indexElement = (index: number): PathElement => ({ kind: 'index', index });
/** A key element from its fields, sorted by name (value.FieldList.Sort). */
export function keyElement(fields: readonly KeyField[]): PathElement {
  return { kind: 'key', fields: sortKeyFields(fields) };
}
/** fieldpath.KeyByFields: keyElementByFields('name', 'a', 'port', 80). */
export function keyElementByFields(...nameValues: unknown[]): PathElement {
  if (nameValues.length % 2 !== 0) throw new Error('must have a value for every name');
  const fields: KeyField[] = [];
  for (let i = 0; i < nameValues.length - 1; i += 2) fields.push({ name: String(nameValues[i]), value: nameValues[i + 1] });
  return keyElement(fields);
}

export function sortKeyFields(fields: readonly KeyField[]): KeyField[] {
  // Stable, by name, as value.FieldList.Sort.
  return [...fields].sort((a, b) => compareStrings(a.name, b.name));
}

const RANK = { field: 0, key: 1, value: 2, index: 3 } as const;

export function compareKeyFields(a: readonly KeyField[], b: readonly KeyField[]): number {
  for (let i = 0; ; i++) {
    if (i >= a.length && i >= b.length) return 0;
    if (i >= a.length) return -1;
    if (i >= b.length) return 1;
    const c = compareStrings(a[i].name, b[i].name);
    if (c !== 0) return c;
    const v = compareValues(a[i].value, b[i].value);
    if (v !== 0) return v;
  }
}

/** PathElement.Compare: field names < keys < values < indexes, each ordered within its kind. */
export function compareElements(a: PathElement, b: PathElement): number {
  if (a.kind !== b.kind) return RANK[a.kind] < RANK[b.kind] ? -1 : 1;
  switch (a.kind) {
    case 'field':
      return compareStrings(a.name, (b as typeof a).name);
    case 'key':
      return compareKeyFields(a.fields, (b as typeof a).fields);
    case 'value':
      return compareValues(a.value, (b as typeof a).value);
    case 'index': {
      const bi = (b as typeof a).index;
      return a.index < bi ? -1 : a.index > bi ? 1 : 0;
    }
  }
}

export function equalElements(a: PathElement, b: PathElement): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'field':
      return a.name === (b as typeof a).name;
    case 'key': {
      const bf = (b as typeof a).fields;
      if (a.fields.length !== bf.length) return false;
      return a.fields.every((f, i) => f.name === bf[i].name && equalValues(f.value, bf[i].value));
    }
    case 'value':
      return equalValues(a.value, (b as typeof a).value);
    case 'index':
      return a.index === (b as typeof a).index;
  }
}

/** PathElement.String: `.name`, `[k=v,k2=v2]`, `[=value]`, `[3]`. */
export function elementString(pe: PathElement): string {
  switch (pe.kind) {
    case 'field':
      return `.${pe.name}`;
    case 'key':
      return `[${pe.fields.map((f) => `${f.name}=${valueToString(f.value)}`).join(',')}]`;
    case 'value':
      return `[=${valueToString(pe.value)}]`;
    case 'index':
      return `[${pe.index}]`;
  }
}

/** Path.String, e.g. `.spec.ports[port=80,protocol="TCP"].name`. */
export function pathString(p: Path): string {
  return p.map(elementString).join('');
}

export function comparePaths(a: Path, b: Path): number {
  for (let i = 0; ; i++) {
    if (i >= a.length && i >= b.length) return 0;
    if (i >= a.length) return -1;
    if (i >= b.length) return 1;
    const c = compareElements(a[i], b[i]);
    if (c !== 0) return c;
  }
}

export function equalPaths(a: Path, b: Path): boolean {
  return a.length === b.length && a.every((pe, i) => equalElements(pe, b[i]));
}

/**
 * fieldpath.MakePath: strings are field names, numbers indexes, PathElements themselves;
 * makePath('spec', 'ports', keyElementByFields('port', 80), 'name').
 */
export function makePath(...parts: Array<string | number | PathElement>): PathElement[] {
  return parts.map((p) => {
    if (typeof p === 'string') return fieldElement(p);
    if (typeof p === 'number') return indexElement(p);
    if (p.kind === 'key' && p.fields.length === 0) {
      throw new Error('associative list key type path elements must have at least one key (got zero)');
    }
    return p;
  });
}

/** Binary search over a sorted array: [index, found]. */
function search<T>(items: readonly T[], pe: PathElement, get: (item: T) => PathElement): [number, boolean] {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = compareElements(get(items[mid]), pe);
    if (c === 0) return [mid, true];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return [lo, false];
}

const self = (pe: PathElement): PathElement => pe;

/** A sorted set of path elements (fieldpath.PathElementSet). */
export class PathElementSet {
  /** Sorted, distinct. */
  members: PathElement[];

  constructor(members: PathElement[] = []) {
    this.members = members;
  }

  insert(pe: PathElement): void {
    const [loc, found] = search(this.members, pe, self);
    if (!found) this.members.splice(loc, 0, pe);
  }

  has(pe: PathElement): boolean {
    return search(this.members, pe, self)[1];
  }

  get size(): number {
    return this.members.length;
  }

  copy(): PathElementSet {
    return new PathElementSet([...this.members]);
  }

  union(s2: PathElementSet): PathElementSet {
    const a = this.members;
    const b = s2.members;
    const out: PathElement[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const c = compareElements(a[i], b[j]);
      if (c < 0) out.push(a[i++]);
      else {
        out.push(b[j]);
        if (c === 0) i++;
        j++;
      }
    }
    while (i < a.length) out.push(a[i++]);
    while (j < b.length) out.push(b[j++]);
    return new PathElementSet(out);
  }

  intersection(s2: PathElementSet): PathElementSet {
    const a = this.members;
    const b = s2.members;
    const out: PathElement[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const c = compareElements(a[i], b[j]);
      if (c < 0) i++;
      else {
        if (c === 0) out.push(a[i++]);
        j++;
      }
    }
    return new PathElementSet(out);
  }

  difference(s2: PathElementSet): PathElementSet {
    const a = this.members;
    const b = s2.members;
    const out: PathElement[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const c = compareElements(a[i], b[j]);
      if (c < 0) out.push(a[i++]);
      else {
        if (c === 0) i++;
        j++;
      }
    }
    while (i < a.length) out.push(a[i++]);
    return new PathElementSet(out);
  }

  equals(s2: PathElementSet): boolean {
    return this.members.length === s2.members.length && this.members.every((pe, i) => equalElements(pe, s2.members[i]));
  }
}

interface SetNode {
  pe: PathElement;
  set: FieldSet;
}
const nodePE = (n: SetNode): PathElement => n.pe;

/** The children of a set: a sorted map from path element to the set below it (fieldpath.SetNodeMap). */
export class SetNodeMap {
  members: SetNode[];

  constructor(members: SetNode[] = []) {
    this.members = members;
  }

  copy(): SetNodeMap {
    return new SetNodeMap(this.members.map((n) => ({ pe: n.pe, set: n.set.copy() })));
  }

  /** The set under pe, created when missing. */
  descend(pe: PathElement): FieldSet {
    const [loc, found] = search(this.members, pe, nodePE);
    if (found) return this.members[loc].set;
    const set = new FieldSet();
    this.members.splice(loc, 0, { pe, set });
    return set;
  }

  get(pe: PathElement): FieldSet | undefined {
    const [loc, found] = search(this.members, pe, nodePE);
    return found ? this.members[loc].set : undefined;
  }

  get size(): number {
    let n = 0;
    for (const m of this.members) n += m.set.size;
    return n;
  }

  empty(): boolean {
    return this.members.every((n) => n.set.empty());
  }

  equals(s2: SetNodeMap): boolean {
    if (this.members.length !== s2.members.length) return false;
    return this.members.every((n, i) => equalElements(n.pe, s2.members[i].pe) && n.set.equals(s2.members[i].set));
  }

  union(s2: SetNodeMap): SetNodeMap {
    const a = this.members;
    const b = s2.members;
    const out: SetNode[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const c = compareElements(a[i].pe, b[j].pe);
      if (c < 0) out.push(a[i++]);
      else {
        if (c === 0) {
          out.push({ pe: a[i].pe, set: a[i].set.union(b[j].set) });
          i++;
        } else {
          out.push(b[j]);
        }
        j++;
      }
    }
    while (i < a.length) out.push(a[i++]);
    while (j < b.length) out.push(b[j++]);
    return new SetNodeMap(out);
  }

  intersection(s2: SetNodeMap): SetNodeMap {
    const a = this.members;
    const b = s2.members;
    const out: SetNode[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const c = compareElements(a[i].pe, b[j].pe);
      if (c < 0) i++;
      else {
        if (c === 0) {
          const res = a[i].set.intersection(b[j].set);
          if (!res.empty()) out.push({ pe: a[i].pe, set: res });
          i++;
        }
        j++;
      }
    }
    return new SetNodeMap(out);
  }

  difference(s2: FieldSet): SetNodeMap {
    const a = this.members;
    const b = s2.children.members;
    const out: SetNode[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const c = compareElements(a[i].pe, b[j].pe);
      if (c < 0) out.push(a[i++]);
      else {
        if (c === 0) {
          const diff = a[i].set.difference(b[j].set);
          if (!diff.empty()) out.push({ pe: a[i].pe, set: diff });
          i++;
        }
        j++;
      }
    }
    while (i < a.length) out.push(a[i++]);
    return new SetNodeMap(out);
  }

  recursiveDifference(s2: FieldSet): SetNodeMap {
    const a = this.members;
    const b = s2.children.members;
    const out: SetNode[] = [];
    let i = 0;
    let j = 0;
    while (i < a.length && j < b.length) {
      const c = compareElements(a[i].pe, b[j].pe);
      if (c < 0) {
        if (!s2.members.has(a[i].pe)) out.push(a[i]);
        i++;
      } else {
        if (c === 0) {
          if (!s2.members.has(a[i].pe)) {
            const diff = a[i].set.recursiveDifference(b[j].set);
            if (!diff.empty()) out.push({ pe: a[i].pe, set: diff });
          }
          i++;
        }
        j++;
      }
    }
    for (; i < a.length; i++) if (!s2.members.has(a[i].pe)) out.push(a[i]);
    return new SetNodeMap(out);
  }

  leaves(): SetNodeMap {
    return new SetNodeMap(this.members.map((n) => ({ pe: n.pe, set: n.set.leaves() })));
  }
}

/**
 * A set of field paths (fieldpath.Set): `members` are the paths ending here, `children` the sets
 * under each element. A path that is both a member and has children is a field that is owned
 * itself and has owned fields below it (`.` in FieldsV1).
 */
export class FieldSet {
  members: PathElementSet;
  children: SetNodeMap;

  constructor(members: PathElementSet = new PathElementSet(), children: SetNodeMap = new SetNodeMap()) {
    this.members = members;
    this.children = children;
  }

  static of(...paths: Path[]): FieldSet {
    const s = new FieldSet();
    for (const p of paths) s.insert(p);
    return s;
  }

  copy(): FieldSet {
    return new FieldSet(this.members.copy(), this.children.copy());
  }

  insert(p: Path): void {
    if (p.length === 0) return;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let s: FieldSet = this;
    for (let i = 0; i < p.length - 1; i++) s = s.children.descend(p[i]);
    s.members.insert(p[p.length - 1]);
  }

  has(p: Path): boolean {
    if (p.length === 0) return false;
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    let s: FieldSet | undefined = this;
    for (let i = 0; i < p.length - 1; i++) {
      s = s.children.get(p[i]);
      if (!s) return false;
    }
    return s.members.has(p[p.length - 1]);
  }

  union(s2: FieldSet): FieldSet {
    return new FieldSet(this.members.union(s2.members), this.children.union(s2.children));
  }

  intersection(s2: FieldSet): FieldSet {
    return new FieldSet(this.members.intersection(s2.members), this.children.intersection(s2.children));
  }

  /** The paths of this set not in s2 (a path's children stay unless s2 has them too). */
  difference(s2: FieldSet): FieldSet {
    return new FieldSet(this.members.difference(s2.members), this.children.difference(s2));
  }

  /** As difference, and every path below a member of s2 is removed too. */
  recursiveDifference(s2: FieldSet): FieldSet {
    return new FieldSet(this.members.difference(s2.members), this.children.recursiveDifference(s2));
  }

  /** The number of paths. */
  get size(): number {
    return this.members.size + this.children.size;
  }

  empty(): boolean {
    return this.members.size === 0 && this.children.empty();
  }

  equals(s2: FieldSet): boolean {
    return this.members.equals(s2.members) && this.children.equals(s2.children);
  }

  /** Each path, in Go's order: a set's members, then each child's paths. */
  *[Symbol.iterator](): IterableIterator<Path> {
    yield* this.iteratePrefix([]);
  }

  private *iteratePrefix(prefix: PathElement[]): IterableIterator<Path> {
    for (const pe of this.members.members) yield [...prefix, pe];
    for (const n of this.children.members) yield* n.set.iteratePrefix([...prefix, n.pe]);
  }

  paths(): Path[] {
    return [...this];
  }

  /** Set.String: one path per line. */
  toString(): string {
    return this.paths().map(pathString).join('\n');
  }

  /** The set under pe (empty when none). */
  withPrefix(pe: PathElement): FieldSet {
    return this.children.get(pe) ?? new FieldSet();
  }

  /** The members that have no children (the paths that are leaves of this set). */
  leaves(): FieldSet {
    const leaves: PathElement[] = [];
    const m = this.members.members;
    const ch = this.children.members;
    let ic = 0;
    outer: for (let im = 0; im < m.length; im++) {
      while (ic < ch.length) {
        const d = compareElements(m[im], ch[ic].pe);
        if (d === 0) {
          ic++;
          continue outer;
        } else if (d < 0) {
          break;
        } else {
          ic++;
        }
      }
      leaves.push(m[im]);
    }
    return new FieldSet(new PathElementSet(leaves), this.children.leaves());
  }
}

/** fieldpath.VersionedSet: what a manager owns, at the API version it used, and whether by apply. */
export interface VersionedSet {
  readonly set: FieldSet;
  readonly apiVersion: string;
  readonly applied: boolean;
}

export function versionedSet(set: FieldSet, apiVersion: string, applied: boolean): VersionedSet {
  return { set, apiVersion, applied };
}

/** fieldpath.ManagedFields: manager identifier → what it owns. */
export type ManagedFields = Map<string, VersionedSet>;

/** ManagedFields.Difference: the managers whose sets (or versions) differ. */
export function managedFieldsDifference(lhs: ManagedFields, rhs: ManagedFields): ManagedFields {
  const diff: ManagedFields = new Map();
  for (const [manager, left] of lhs) {
    const right = rhs.get(manager);
    if (!right) {
      if (!left.set.empty()) diff.set(manager, left);
      continue;
    }
    if (left.apiVersion !== right.apiVersion) {
      diff.set(manager, right);
      continue;
    }
    const newSet = left.set.difference(right.set).union(right.set.difference(left.set));
    if (!newSet.empty()) diff.set(manager, versionedSet(newSet, right.apiVersion, false));
  }
  for (const [manager, set] of rhs) {
    if (lhs.has(manager)) continue;
    if (!set.set.empty()) diff.set(manager, set);
  }
  return diff;
}

/** ManagedFields.String. */
export function managedFieldsString(m: ManagedFields): string {
  let s = '';
  for (const [k, v] of m) {
    s += `${k}:\n- Applied: ${v.applied}\n- APIVersion: ${v.apiVersion}\n- Set: ${v.set.toString()}\n`;
  }
  return s;
}
