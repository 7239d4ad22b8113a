/**
 * typed/merge.go: lhs merged with rhs (the applied configuration), rhs winning: maps and structs
 * merged field by field, associative lists item by item (by key or value, in an order that keeps
 * both sides' relative order), atomic lists and maps, scalars and anything of a different kind
 * replaced whole.
 */
import { elementString, equalElements, type PathElement } from './fieldpath.js';
import { serializePathElement } from './fieldsv1.js';
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
import { mapKeys, type Value } from './value.js';

/** A value keyed by path element, as fieldpath.PathElementValueMap. */
class PEMap<T> {
  private readonly entries: Array<{ pe: PathElement; v: T }> = [];
  private readonly byString = new Map<string, Array<{ pe: PathElement; v: T }>>();

  get(pe: PathElement): { v: T } | undefined {
    return this.byString.get(serializePathElement(pe))?.find((e) => equalElements(e.pe, pe));
  }

  insert(pe: PathElement, v: T): void {
    const existing = this.get(pe) as { pe: PathElement; v: T } | undefined;
    if (existing) {
      existing.v = v;
      return;
    }
    const e = { pe, v };
    this.entries.push(e);
    const k = serializePathElement(pe);
    const bucket = this.byString.get(k);
    if (bucket) bucket.push(e);
    else this.byString.set(k, [e]);
  }
}

export { PEMap };

interface MergeContext {
  schema: Schema;
  path: PathElement[];
}

/** Merge result of one node: `out` undefined when the node is dropped (Go's nil out). */
interface Walk {
  lhs: Value;
  rhs: Value;
  typeRef: TypeRef;
  inLeaf: boolean;
  out: Value;
}

function mergeNode(ctx: MergeContext, w: Walk): ValidationError[] {
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
    // Different kinds on each side: the lhs's is visited on a copy, then the rhs's wins.
    const w2: Walk = { ...w };
    errs.push(...handleAtom(alhs, w.typeRef, handler(ctx, w2)));
    errs.push(...handleAtom(arhs, w.typeRef, handler(ctx, w)));
  }
  return errs;
}

function doLeaf(w: Walk): void {
  if (w.inLeaf) return;
  w.inLeaf = true;
  // ruleKeepRHS
  if (w.rhs !== undefined) w.out = w.rhs;
  else if (w.lhs !== undefined) w.out = w.lhs;
}

function handler(ctx: MergeContext, w: Walk): AtomHandler {
  return {
    doScalar: (t) => {
      const lerrs = validateScalar(t, w.lhs, 'lhs: ');
      const rerrs = validateScalar(t, w.rhs, 'rhs: ');
      if (lerrs.length > 0 && rerrs.length > 0) return [...lerrs, ...rerrs];
      doLeaf(w);
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

function doList(ctx: MergeContext, w: Walk, t: ListType): ValidationError[] {
  const lhs = deref(listValue, w.lhs);
  const rhs = deref(listValue, w.rhs);
  const emptyPromoteToLeaf = (!lhs || lhs.length === 0) && (!rhs || rhs.length === 0);
  if (t.elementRelationship === 'atomic' || emptyPromoteToLeaf) {
    doLeaf(w);
    return [];
  }
  if (!lhs && !rhs) return [];
  return visitListItems(ctx, w, t, lhs, rhs);
}

function indexListPathElements(
  ctx: MergeContext,
  t: ListType,
  list: Value[] | null,
  allowDuplicates: boolean,
): { pes: PathElement[]; observed: PEMap<Value>; errs: ValidationError[] } {
  const errs: ValidationError[] = [];
  const observed = new PEMap<Value>();
  const pes: PathElement[] = [];
  for (let i = 0; i < (list?.length ?? 0); i++) {
    const child = list![i];
    let pe: PathElement;
    try {
      pe = listItemToPathElement(ctx.schema, t, child);
    } catch (err) {
      errs.push(...errorf(`element ${i}: ${(err as Error).message}`));
      continue;
    }
    const found = observed.get(pe);
    if (found && !allowDuplicates) {
      errs.push(...errorf(`duplicate entries for key ${elementString(pe)}`));
      continue;
    } else if (!found) {
      observed.insert(pe, child);
    } else {
      // A duplicated item: merged as if it were null (its items are dropped and the rhs's kept).
      observed.insert(pe, null);
    }
    pes.push(pe);
  }
  return { pes, observed, errs };
}

function visitListItems(ctx: MergeContext, w: Walk, t: ListType, lhs: Value[] | null, rhs: Value[] | null): ValidationError[] {
  const out: Value[] = [];
  const r = indexListPathElements(ctx, t, rhs, false);
  const l = indexListPathElements(ctx, t, lhs, true);
  const errs = [...r.errs, ...l.errs];
  if (errs.length !== 0) return errs;
  const rhsPEs = r.pes;
  const lhsPEs = l.pes;
  const observedRHS = r.observed;
  const observedLHS = l.observed;

  // The items both sides have, in the rhs's order.
  const sharedOrder: PathElement[] = rhsPEs.filter((pe) => observedLHS.get(pe) !== undefined);
  let nextShared: PathElement | undefined = sharedOrder.shift();

  const mergedRHS = new PEMap<true>();
  const mergeItem = (pe: PathElement, lChild: Value, rChild: Value): void => {
    const w2: Walk = { lhs: lChild, rhs: rChild, typeRef: t.elementType ?? {}, inLeaf: false, out: undefined };
    ctx.path.push(pe);
    // Go collects these errors into a shadowed variable: an item's errors are dropped.
    withPrefix(mergeNode(ctx, w2), () => elementString(pe));
    ctx.path.pop();
    if (w2.out !== undefined) out.push(w2.out);
  };
  const lLen = lhsPEs.length;
  const rLen = rhsPEs.length;
  for (let lI = 0, rI = 0; lI < lLen || rI < rLen; ) {
    if (lI < lLen && rI < rLen) {
      const pe = lhsPEs[lI];
      if (equalElements(pe, rhsPEs[rI])) {
        // Same item at the same place on both sides: merged.
        mergedRHS.insert(pe, true);
        mergeItem(pe, observedLHS.get(pe)?.v, observedRHS.get(pe)?.v);
        lI++;
        rI++;
        nextShared = sharedOrder.shift();
        continue;
      }
      // An lhs item the rhs has later, before the next item both have: it waits for its rhs place.
      if (observedRHS.get(pe) !== undefined && nextShared !== undefined && !equalElements(nextShared, lhsPEs[lI])) {
        lI++;
        continue;
      }
    }
    if (lI < lLen) {
      const pe = lhsPEs[lI];
      if (observedRHS.get(pe) === undefined) {
        // Only in the lhs: kept where it is.
        mergeItem(pe, lhs![lI], undefined);
        lI++;
        continue;
      } else if (mergedRHS.get(pe) !== undefined) {
        lI++;
      }
    }
    if (rI < rLen) {
      const pe = rhsPEs[rI];
      mergedRHS.insert(pe, true);
      mergeItem(pe, observedLHS.get(pe)?.v, observedRHS.get(pe)?.v);
      rI++;
      if (nextShared !== undefined && equalElements(nextShared, pe)) nextShared = sharedOrder.shift();
    }
  }
  if (out.length > 0) w.out = out;
  return errs;
}

function doMap(ctx: MergeContext, w: Walk, t: MapType): ValidationError[] {
  const lhs = deref(mapValue, w.lhs);
  const rhs = deref(mapValue, w.rhs);
  const emptyPromoteToLeaf = (!lhs || mapKeys(lhs).length === 0) && (!rhs || mapKeys(rhs).length === 0);
  if (t.elementRelationship === 'atomic' || emptyPromoteToLeaf) {
    doLeaf(w);
    return [];
  }
  if (!lhs && !rhs) return [];
  const out: Record<string, Value> = {};
  const errs: ValidationError[] = [];
  // MapZip, unordered: the lhs's keys then the rhs's new ones.
  const keys = lhs ? mapKeys(lhs) : [];
  if (rhs) for (const k of mapKeys(rhs)) if (!lhs || lhs[k] === undefined) keys.push(k);
  for (const key of keys) {
    const pe: PathElement = { kind: 'field', name: key };
    const w2: Walk = { lhs: lhs?.[key], rhs: rhs?.[key], typeRef: fieldType(t, key), inLeaf: false, out: undefined };
    ctx.path.push(pe);
    errs.push(...withPrefix(mergeNode(ctx, w2), () => elementString(pe)));
    ctx.path.pop();
    if (w2.out !== undefined) out[key] = w2.out;
  }
  if (Object.keys(out).length > 0) w.out = out;
  return errs;
}

/** merge(lhs, rhs, ruleKeepRHS): the merged value (undefined when nothing is left), or errors. */
export function mergeValues(schema: Schema, typeRef: TypeRef, lhs: Value, rhs: Value): { value: Value; errors: ValidationError[] } {
  const w: Walk = { lhs, rhs, typeRef, inLeaf: false, out: undefined };
  const errors = mergeNode({ schema, path: [] }, w);
  return { value: w.out, errors };
}
