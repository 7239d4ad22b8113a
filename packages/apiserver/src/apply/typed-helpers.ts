/**
 * What the typed walkers share (structured-merge-diff typed/helpers.go): validation errors, picking
 * the atom a value takes in a deduced type, and the path element of a list item.
 */
import { keyElement, type KeyField, type PathElement } from './fieldpath.js';
import { findField, typeRefName, type Atom, type ListType, type MapType, type Scalar, type Schema, type TypeRef } from './schema.js';
import { isList, isMap, isNull, type Value } from './value.js';

export interface ValidationError {
  path: string;
  message: string;
}

const errorText = (e: ValidationError): string => (e.path ? `${e.path}: ${e.message}` : e.message);

/** typed.ValidationErrors: one error's text, or "errors:" and one indented line each. */
export class ValidationErrors extends Error {
  readonly errors: ValidationError[];

  constructor(errors: ValidationError[]) {
    super(errors.length === 1 ? errorText(errors[0]) : ['errors:', ...errors.map((e) => `  ${errorText(e)}`)].join('\n'));
    this.name = 'ValidationErrors';
    this.errors = errors;
  }
}

export function errorf(message: string): ValidationError[] {
  return [{ path: '', message }];
}

/** ValidationErrors.WithLazyPrefix. */
export function withPrefix(errs: ValidationError[], prefix: string | (() => string)): ValidationError[] {
  if (errs.length === 0) return errs;
  const p = typeof prefix === 'function' ? prefix() : prefix;
  for (const e of errs) e.path = p + e.path;
  return errs;
}

export interface AtomHandler {
  doScalar(t: Scalar): ValidationError[];
  doList(t: ListType): ValidationError[];
  doMap(t: MapType): ValidationError[];
}

/** deduceAtom: of an atom that is several kinds at once (untyped), the one the value is. */
export function deduceAtom(atom: Atom, v: Value): Atom {
  if (v === undefined) return atom;
  if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') {
    if (atom.scalar) return { scalar: atom.scalar };
  } else if (isList(v)) {
    if (atom.list) return { list: atom.list };
  } else if (isMap(v)) {
    if (atom.map) return { map: atom.map };
  }
  return atom;
}

export function atomsEqual(a: Atom, b: Atom): boolean {
  return a.scalar === b.scalar && a.list === b.list && a.map === b.map;
}

export function handleAtom(a: Atom, tr: TypeRef, ah: AtomHandler): ValidationError[] {
  if (a.map) return ah.doMap(a.map);
  if (a.scalar) return ah.doScalar(a.scalar);
  if (a.list) return ah.doList(a.list);
  const name = tr.namedType !== undefined ? `named type: ${tr.namedType}` : 'inlined';
  return errorf(`schema error: invalid atom: ${name}`);
}

export function resolveSchema(s: Schema, tr: TypeRef, v: Value, ah: AtomHandler): ValidationError[] {
  const a = s.resolve(tr);
  if (!a) return errorf(`schema error: no type found matching: ${typeRefName(tr)}`);
  return handleAtom(deduceAtom(a, v), tr, ah);
}

/** Go's %v of a value, for error texts. */
export function describe(v: Value): string {
  if (v === null || v === undefined) return '<nil>';
  if (isList(v)) return `[${v.map(describe).join(' ')}]`;
  if (isMap(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${describe(v[k])}`).join(' ')}]`;
  return String(v);
}

export function listValue(v: Value): Value[] | null {
  if (isNull(v)) return null;
  if (!isList(v)) throw new Error(`expected list, got ${describe(v)}`);
  return v;
}

export function mapValue(v: Value): Record<string, Value> | null {
  if (v === undefined) throw new Error('expected map, got nil');
  if (isNull(v)) return null;
  if (!isMap(v)) throw new Error(`expected map, got ${describe(v)}`);
  return v;
}

function keyedItemToPathElement(s: Schema, list: ListType, child: Value): PathElement {
  if (isNull(child)) throw new Error('associative list with keys may not have a null element');
  if (!isMap(child)) throw new Error('associative list with keys may not have non-map elements');
  const keys = list.keys ?? [];
  const fields: KeyField[] = [];
  for (const name of keys) {
    if (Object.hasOwn(child, name) && child[name] !== undefined) {
      fields.push({ name, value: child[name] });
      continue;
    }
    const atom = list.elementType ? s.resolve(list.elementType) : undefined;
    if (!atom) throw new Error(`couldn't find default value for ${name}: invalid elementType for list`);
    if (!atom.map) throw new Error(`couldn't find default value for ${name}: associative list may not have non-map types`);
    const def = findField(atom.map, name)?.default;
    if (def !== undefined && def !== null) fields.push({ name, value: def });
  }
  if (keys.length > 0 && fields.length === 0) {
    throw new Error(
      `associative list with keys has an element that omits all key fields [${keys.map((k) => JSON.stringify(k)).join(' ')}] (and doesn't have default values for any key fields)`,
    );
  }
  return keyElement(fields);
}

function setItemToPathElement(child: Value): PathElement {
  if (isMap(child)) throw new Error("associative list without keys has an element that's a map type");
  if (isList(child)) throw new Error('not supported: associative list with lists as elements');
  if (isNull(child)) throw new Error("associative list without keys has an element that's an explicit null");
  return { kind: 'value', value: child };
}

/** listItemToPathElement: an associative list's item as a key (list-map) or a value (set); throws otherwise. */
export function listItemToPathElement(s: Schema, list: ListType, child: Value): PathElement {
  if (list.elementRelationship !== 'associative') throw new Error('invalid indexing of non-associative list');
  if ((list.keys ?? []).length > 0) return keyedItemToPathElement(s, list, child);
  return setItemToPathElement(child);
}

/** listItemToPathElement for walkers that ignore the error (Go drops it and uses the zero element). */
export function listItemToPathElementOrZero(s: Schema, list: ListType, child: Value): PathElement | undefined {
  try {
    return listItemToPathElement(s, list, child);
  } catch {
    return undefined;
  }
}

/** The type of a map's entry: its struct field's, else the element type. */
export function fieldType(m: MapType, key: string): TypeRef {
  return findField(m, key)?.type ?? m.elementType ?? {};
}
