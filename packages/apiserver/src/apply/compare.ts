/**
 * typed/compare.go: the fields added, modified and removed from lhs to rhs, walked by the type
 * (an atomic list or map, a scalar, a node of another kind is one leaf; associative list items are
 * matched by key or value, whatever their order).
 */
import { FieldSet, elementString, type PathElement } from './fieldpath.js';
import { PEMap } from './merge.js';
import { type ListType, type MapType, type Schema, type TypeRef, typeRefName } from './schema.js';
import {
  atomsEqual,
  deduceAtom,
  errorf,
  fieldType,
  handleAtom,
  listItemToPathElement,
  listValue,
  mapValue,
  withPrefix,
  type AtomHandler,
  type ValidationError,
} from './typed-helpers.js';
import { validateScalar } from './validate.js';
import { equalValues, mapKeys, type Value } from './value.js';

/** typed.Comparison. */
export class Comparison {
  removed: FieldSet;
  modified: FieldSet;
  added: FieldSet;

  constructor(removed = new FieldSet(), modified = new FieldSet(), added = new FieldSet()) {
    this.removed = removed;
    this.modified = modified;
    this.added = added;
  }

  isSame(): boolean {
    return this.removed.empty() && this.modified.empty() && this.added.empty();
  }

  /** ExcludeFields: each set without the given paths and what is below them. */
  excludeFields(fields: FieldSet | undefined): Comparison {
    if (!fields || fields.empty()) return this;
    this.removed = this.removed.recursiveDifference(fields);
    this.modified = this.modified.recursiveDifference(fields);
    this.added = this.added.recursiveDifference(fields);
    return this;
  }

  filterFields(filter: FieldSetFilter | undefined): Comparison {
    if (!filter) return this;
    this.removed = filter(this.removed);
    this.modified = filter(this.modified);
    this.added = filter(this.added);
    return this;
  }

  toString(): string {
    let s = '';
    if (!this.modified.empty()) s += `- Modified Fields:\n${this.modified.toString()}\n`;
    if (!this.added.empty()) s += `- Added Fields:\n${this.added.toString()}\n`;
    if (!this.removed.empty()) s += `- Removed Fields:\n${this.removed.toString()}\n`;
    return s;
  }
}

/** fieldpath.Filter. */
export type FieldSetFilter = (set: FieldSet) => FieldSet;

/** fieldpath.NewExcludeSetFilter: drops the given paths and everything below them. */
export function excludeSetFilter(exclude: FieldSet): FieldSetFilter {
  return (set) => set.recursiveDifference(exclude);
}

interface Walk {
  lhs: Value;
  rhs: Value;
  typeRef: TypeRef;
  inLeaf: boolean;
}

interface Ctx {
  schema: Schema;
  path: PathElement[];
  c: Comparison;
}

function compareNode(ctx: Ctx, w: Walk): ValidationError[] {
  if (w.lhs === undefined && w.rhs === undefined) return errorf('at least one of lhs and rhs must be provided');
  const a = ctx.schema.resolve(w.typeRef);
  if (!a) return errorf(`schema error: no type found matching: ${typeRefName(w.typeRef)}`);
  const alhs = deduceAtom(a, w.lhs);
  const arhs = deduceAtom(a, w.rhs);
  const errs: ValidationError[] = [];
  if (w.rhs === undefined) {
    errs.push(...handleAtom(alhs, w.typeRef, handler(ctx, w)));
  } else if (w.lhs === undefined || atomsEqual(alhs, arhs)) {
    errs.push(...handleAtom(arhs, w.typeRef, handler(ctx, w)));
  } else {
    const w2: Walk = { ...w };
    errs.push(...handleAtom(alhs, w.typeRef, handler(ctx, w2)));
    errs.push(...handleAtom(arhs, w.typeRef, handler(ctx, w)));
  }
  if (!w.inLeaf) {
    if (w.lhs === undefined) ctx.c.added.insert(ctx.path);
    else if (w.rhs === undefined) ctx.c.removed.insert(ctx.path);
  }
  return errs;
}

function doLeaf(ctx: Ctx, w: Walk): void {
  if (w.inLeaf) return;
  w.inLeaf = true;
  if (w.lhs === undefined) ctx.c.added.insert(ctx.path);
  else if (w.rhs === undefined) ctx.c.removed.insert(ctx.path);
  else if (!equalValues(w.rhs, w.lhs)) ctx.c.modified.insert(ctx.path);
}

function handler(ctx: Ctx, w: Walk): AtomHandler {
  return {
    doScalar: (t) => {
      const lerrs = validateScalar(t, w.lhs, 'lhs: ');
      const rerrs = validateScalar(t, w.rhs, 'rhs: ');
      if (lerrs.length > 0 && rerrs.length > 0) return [...lerrs, ...rerrs];
      doLeaf(ctx, w);
      return [];
    },
    doList: (t) => doList(ctx, w, t),
    doMap: (t) => doMap(ctx, w, t),
  };
}

function deref<T>(fn: (v: Value) => T | null, v: Value): T | null {
  if (v === undefined) return null;
  try {
    return fn(v);
  } catch {
    return null;
  }
}

function doList(ctx: Ctx, w: Walk, t: ListType): ValidationError[] {
  const lhs = deref(listValue, w.lhs);
  const rhs = deref(listValue, w.rhs);
  const emptyPromoteToLeaf = (!lhs || lhs.length === 0) && (!rhs || rhs.length === 0);
  if (t.elementRelationship === 'atomic' || emptyPromoteToLeaf) {
    doLeaf(ctx, w);
    return [];
  }
  if (!lhs && !rhs) return [];
  return visitListItems(ctx, t, lhs, rhs);
}

function visitListItems(ctx: Ctx, t: ListType, lhs: Value[] | null, rhs: Value[] | null): ValidationError[] {
  const errs: ValidationError[] = [];
  const allPEs: PathElement[] = [];
  const lValues = new PEMap<Value[]>();
  (lhs ?? []).forEach((child, i) => {
    let pe: PathElement;
    try {
      pe = listItemToPathElement(ctx.schema, t, child);
    } catch (err) {
      errs.push(...errorf(`element ${i}: ${(err as Error).message}`));
      return;
    }
    const found = lValues.get(pe);
    if (found) found.v.push(child);
    else {
      lValues.insert(pe, [child]);
      allPEs.push(pe);
    }
  });
  const rValues = new PEMap<Value[]>();
  (rhs ?? []).forEach((child, i) => {
    let pe: PathElement;
    try {
      pe = listItemToPathElement(ctx.schema, t, child);
    } catch (err) {
      errs.push(...errorf(`element ${i}: ${(err as Error).message}`));
      return;
    }
    const found = rValues.get(pe);
    if (found) found.v.push(child);
    else {
      rValues.insert(pe, [child]);
      if (!lValues.get(pe)) allPEs.push(pe);
    }
  });

  for (const pe of allPEs) {
    const lList = lValues.get(pe)?.v ?? [];
    const rList = rValues.get(pe)?.v ?? [];
    if (lList.length === 0 && rList.length === 0) return errs;
    if (lList.length <= 1 && rList.length <= 1) {
      errs.push(...compareListItem(ctx, t, pe, lList[0], rList[0]));
    } else if (lList.length >= 2 && rList.length >= 2) {
      const same = lList.length === rList.length && lList.every((v, i) => equalValues(v, rList[i]));
      if (!same) ctx.c.modified.insert([...ctx.path, pe]);
    } else if (lList.length >= 2) {
      // Duplicates on the left only: the item is removed, and the right's one added.
      if (rList.length !== 0) errs.push(...compareListItem(ctx, t, pe, undefined, rList[0]));
      ctx.c.removed.insert([...ctx.path, pe]);
    } else {
      if (lList.length !== 0) errs.push(...compareListItem(ctx, t, pe, lList[0], undefined));
      ctx.c.added.insert([...ctx.path, pe]);
    }
  }
  return errs;
}

function compareListItem(ctx: Ctx, t: ListType, pe: PathElement, l: Value, r: Value): ValidationError[] {
  ctx.path.push(pe);
  const errs = withPrefix(compareNode(ctx, { lhs: l, rhs: r, typeRef: t.elementType ?? {}, inLeaf: false }), () => elementString(pe));
  ctx.path.pop();
  return errs;
}

function doMap(ctx: Ctx, w: Walk, t: MapType): ValidationError[] {
  const lhs = deref(mapValue, w.lhs);
  const rhs = deref(mapValue, w.rhs);
  const emptyPromoteToLeaf = (!lhs || mapKeys(lhs).length === 0) && (!rhs || mapKeys(rhs).length === 0);
  if (t.elementRelationship === 'atomic' || emptyPromoteToLeaf) {
    doLeaf(ctx, w);
    return [];
  }
  if (!lhs && !rhs) return [];
  const errs: ValidationError[] = [];
  const keys = lhs ? mapKeys(lhs) : [];
  if (rhs) for (const k of mapKeys(rhs)) if (!lhs || lhs[k] === undefined) keys.push(k);
  for (const key of keys) {
    const pe: PathElement = { kind: 'field', name: key };
    ctx.path.push(pe);
    errs.push(...withPrefix(compareNode(ctx, { lhs: lhs?.[key], rhs: rhs?.[key], typeRef: fieldType(t, key), inLeaf: false }), () => elementString(pe)));
    ctx.path.pop();
  }
  return errs;
}

/** TypedValue.Compare: what changed from lhs to rhs. */
export function compareTyped(schema: Schema, typeRef: TypeRef, lhs: Value, rhs: Value): { comparison: Comparison; errors: ValidationError[] } {
  const ctx: Ctx = { schema, path: [], c: new Comparison() };
  const errors = compareNode(ctx, { lhs, rhs, typeRef, inLeaf: false });
  return { comparison: ctx.c, errors };
}
