/**
 * typed/remove.go: a value without the fields of a set (RemoveItems), or with only them
 * (ExtractItems), walked by the type. Removing a map entry or list item that is in the set removes
 * all of it; a set that only reaches below it removes just those fields.
 */
import { FieldSet, type PathElement } from './fieldpath.js';
import { type ListType, type MapType, type Schema, type TypeRef } from './schema.js';
import { fieldType, listItemToPathElementOrZero, resolveSchema } from './typed-helpers.js';
import { isList, isMap, mapKeys, type Value } from './value.js';

/** removeItemsWithSchema: undefined when nothing is left (Go's nil). */
export function removeItemsWithSchema(value: Value, toRemove: FieldSet, schema: Schema, typeRef: TypeRef, shouldExtract: boolean): Value {
  let out: Value = undefined;
  resolveSchema(schema, typeRef, value, {
    doScalar: () => {
      out = value;
      return [];
    },
    doList: (t: ListType) => {
      if (!isList(value)) return [];
      if (value.length === 0 || t.elementRelationship === 'atomic') {
        if (shouldExtract) out = value;
        return [];
      }
      const newItems: Value[] = [];
      for (const item0 of value) {
        let item = item0;
        const pe = listItemToPathElementOrZero(schema, t, item);
        if (!pe) {
          if (!shouldExtract) newItems.push(item);
          continue;
        }
        const isExact = toRemove.has([pe]);
        const sub = toRemove.withPrefix(pe);
        const isPrefix = !sub.empty();
        if (shouldExtract) {
          if (isPrefix) item = removeItemsWithSchema(item, sub, schema, t.elementType ?? {}, shouldExtract);
          if (isExact || isPrefix) newItems.push(item ?? null);
        } else {
          if (isExact) continue;
          if (isPrefix) item = removeItemsWithSchema(item, sub, schema, t.elementType ?? {}, shouldExtract);
          newItems.push(item ?? null);
        }
      }
      if (newItems.length > 0) out = newItems;
      return [];
    },
    doMap: (t: MapType) => {
      if (!isMap(value)) return [];
      const keys = mapKeys(value);
      if (keys.length === 0 || t.elementRelationship === 'atomic') {
        if (shouldExtract) out = value;
        return [];
      }
      const newMap: Record<string, Value> = {};
      for (const k of keys) {
        let val = value[k];
        const pe: PathElement = { kind: 'field', name: k };
        const ft = fieldType(t, k);
        if (toRemove.has([pe])) {
          if (shouldExtract) newMap[k] = removeItemsWithSchema(val, toRemove, schema, ft, shouldExtract) ?? null;
          continue;
        }
        const subset = toRemove.withPrefix(pe);
        if (!subset.empty()) {
          val = removeItemsWithSchema(val, subset, schema, ft, shouldExtract);
        } else if (shouldExtract) {
          continue;
        }
        newMap[k] = val ?? null;
      }
      if (Object.keys(newMap).length > 0) out = newMap;
      return [];
    },
  });
  return out;
}
