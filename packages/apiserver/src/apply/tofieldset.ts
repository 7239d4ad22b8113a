/**
 * typed/tofieldset.go: the set of fields a value sets. A scalar, an atomic list or map, an empty or
 * null map and a map entry not declared as a struct field are leaves; a list item is owned itself
 * and its fields below it; an item whose key appears more than once is owned as a whole.
 */
import { FieldSet, PathElementSet, type PathElement } from './fieldpath.js';
import { findField, type ListType, type MapType, type Schema, type TypeRef } from './schema.js';
import { listItemToPathElementOrZero, listValue, mapValue, resolveSchema, type ValidationError } from './typed-helpers.js';
import { isMap, isNull, mapKeys, type Value } from './value.js';

export function toFieldSet(schema: Schema, typeRef: TypeRef, value: Value): { set: FieldSet; errors: ValidationError[] } {
  const set = new FieldSet();
  const path: PathElement[] = [];

  const walk = (tr: TypeRef, v: Value): ValidationError[] =>
    resolveSchema(schema, tr, v, {
      doScalar: () => {
        set.insert(path);
        return [];
      },
      doList: (t: ListType) => {
        let list: Value[] | null = null;
        try {
          list = listValue(v);
        } catch {
          list = null;
        }
        if (t.elementRelationship === 'atomic') {
          set.insert(path);
          return [];
        }
        if (!list) return [];
        const errs: ValidationError[] = [];
        const pes = list.map((child) => listItemToPathElementOrZero(schema, t, child));
        const seen = new PathElementSet();
        const duplicates = new PathElementSet();
        for (const pe of pes) {
          if (!pe) continue;
          if (seen.has(pe)) {
            if (!duplicates.has(pe)) {
              set.insert([...path, pe]);
              duplicates.insert(pe);
            }
          } else {
            seen.insert(pe);
          }
        }
        for (let i = 0; i < list.length; i++) {
          const pe = pes[i];
          if (!pe || duplicates.has(pe)) continue;
          path.push(pe);
          errs.push(...walk(t.elementType ?? {}, list[i]));
          set.insert(path);
          path.pop();
        }
        return errs;
      },
      doMap: (t: MapType) => {
        let m: Record<string, Value> | null = null;
        try {
          m = mapValue(v);
        } catch {
          m = null;
        }
        if (t.elementRelationship === 'atomic') {
          set.insert(path);
          return [];
        }
        if (!m) return [];
        const errs: ValidationError[] = [];
        for (const key of mapKeys(m)) {
          const val = m[key];
          const sf = findField(t, key);
          path.push({ kind: 'field', name: key });
          errs.push(...walk(sf ? sf.type : (t.elementType ?? {}), val));
          if (isNull(val) || (isMap(val) && mapKeys(val).length === 0)) set.insert(path);
          else if (!sf) set.insert(path);
          path.pop();
        }
        return errs;
      },
    });

  const errors = walk(typeRef, value);
  return { set, errors };
}
