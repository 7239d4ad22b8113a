/**
 * Field sets fitted to a schema: typed/reconcile_schema.go (a set recorded when a list or map was
 * granular, now atomic, owns the atomic node instead of its items) and fieldpath's
 * EnsureNamedFieldsAreMembers (struct fields that only have children are made members too).
 */
import { FieldSet, PathElementSet, SetNodeMap, type PathElement } from './fieldpath.js';
import { UNTYPED_DEDUCED, findField, isEmptyTypeRef, type ListType, type MapType, type Schema, type TypeRef } from './schema.js';
import { errorf, handleAtom, ValidationErrors, type ValidationError } from './typed-helpers.js';

/** Set.EnsureNamedFieldsAreMembers. */
export function ensureNamedFieldsAreMembers(s: FieldSet, schema: Schema, tr: TypeRef): FieldSet {
  const atom = schema.resolve(tr);
  const members = new PathElementSet([...s.members.members]);
  for (const node of s.children.members) {
    if (node.pe.kind === 'field' && atom?.map && findField(atom.map, node.pe.name)) members.insert(node.pe);
  }
  const children = s.children.members.map((member) => {
    let childTr: TypeRef = {};
    if (member.pe.kind === 'field' && atom?.map) {
      childTr = findField(atom.map, member.pe.name)?.type ?? atom.map.elementType ?? {};
    } else if (member.pe.kind === 'key' && atom?.list) {
      childTr = atom.list.elementType ?? {};
    }
    return { pe: member.pe, set: ensureNamedFieldsAreMembers(member.set, schema, childTr) };
  });
  return new FieldSet(members, new SetNodeMap(children));
}

function isUntypedDeducedRef(t: TypeRef | undefined): boolean {
  if (!t) return false;
  if (t.namedType !== undefined) return t.namedType === UNTYPED_DEDUCED;
  return t.scalar === 'untyped';
}

function isUntypedDeducedMap(m: MapType): boolean {
  return isUntypedDeducedRef(m.elementType) && m.fields === undefined;
}

/** ReconcileFieldSetWithSchema: the set fitted to the schema, or undefined when it already fits. */
export function reconcileFieldSetWithSchema(fieldSet: FieldSet, schema: Schema, typeRef: TypeRef): FieldSet | undefined {
  let toRemove: FieldSet | undefined;
  let toAdd: FieldSet | undefined;
  const path: PathElement[] = [];

  const reconcile = (tr: TypeRef, set: FieldSet | undefined, isAtomic: boolean): ValidationError[] => {
    const a = schema.resolve(tr);
    if (!a) return errorf(`could not resolve ${JSON.stringify(tr)}`);
    const mark = (): void => {
      toRemove = (toRemove ?? new FieldSet()).union(FieldSet.of([...path]));
      toAdd = (toAdd ?? new FieldSet()).union(FieldSet.of([...path]));
    };
    const visit = (element: FieldSet, typeOf: (pe: PathElement) => TypeRef | undefined): ValidationError[] => {
      const errs: ValidationError[] = [];
      const handle = (pe: PathElement, isMember: boolean): void => {
        const childTr = typeOf(pe);
        if (!childTr) return;
        const child = element.children.get(pe);
        path.push(pe);
        errs.push(...reconcile(childTr, child, isMember && !child));
        path.pop();
      };
      for (const n of element.children.members) if (!element.members.has(n.pe)) handle(n.pe, false);
      for (const pe of element.members.members) handle(pe, true);
      return errs;
    };
    return handleAtom(a, tr, {
      doScalar: () => [],
      doList: (t: ListType) => {
        if (!isAtomic && t.elementRelationship === 'atomic') {
          mark();
          return [];
        }
        return set ? visit(set, () => t.elementType ?? {}) : [];
      },
      doMap: (t: MapType) => {
        if (isUntypedDeducedMap(t)) return [];
        if (!isAtomic && t.elementRelationship === 'atomic') {
          if (set && set.size > 0) mark();
          return [];
        }
        return set
          ? visit(set, (pe) => {
              let childTr = t.elementType;
              if (pe.kind === 'field') childTr = findField(t, pe.name)?.type ?? childTr;
              return isEmptyTypeRef(childTr) ? undefined : childTr;
            })
          : [];
      },
    });
  };

  const errs = reconcile(typeRef, fieldSet, false);
  if (errs.length > 0) throw new Error(`errors reconciling field set with schema: ${new ValidationErrors(errs).message}`);
  if (toAdd || toRemove) {
    let out = fieldSet;
    if (toRemove) out = out.recursiveDifference(toRemove);
    if (toAdd) out = out.union(toAdd);
    return out;
  }
  return undefined;
}
