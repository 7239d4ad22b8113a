/** typed/validate.go: a value checked against its type (scalars' kinds, list keys and duplicates, declared fields). */
import { elementString, indexElement, PathElementSet, type PathElement } from './fieldpath.js';
import { isEmptyTypeRef, findField, type ListType, type MapType, type Scalar, type Schema, type TypeRef } from './schema.js';
import {
  errorf,
  listItemToPathElement,
  listValue,
  mapValue,
  resolveSchema,
  withPrefix,
  type ValidationError,
} from './typed-helpers.js';
import { isBool, isFloat, isInt, isString, isNull, mapKeys, type Value } from './value.js';

function goType(v: Value): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (isInt(v)) return 'int64';
  if (isFloat(v)) return 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  return 'map[string]interface {}';
}

/** Go's %#v of an unstructured value (what fmt prints of an interface{} from JSON). */
function goSyntax(v: Value): string {
  if (v === null || v === undefined) return '<nil>';
  if (isString(v)) return JSON.stringify(v);
  if (Array.isArray(v)) return `[]interface {}{${v.map(goSyntax).join(', ')}}`;
  if (typeof v === 'object') {
    const m = v as Record<string, Value>;
    return `map[string]interface {}{${Object.keys(m).sort().map((k) => `${JSON.stringify(k)}:${goSyntax(m[k])}`).join(', ')}}`;
  }
  return String(v);
}

/** A value as Go prints the value.Value of a custom resource in these errors (%v of *valueUnstructured). */
function describeValue(v: Value): string {
  return `&value.valueUnstructured{Value:${goSyntax(v)}}`;
}

export function validateScalar(t: Scalar, v: Value, prefix: string): ValidationError[] {
  if (v === undefined || isNull(v)) return [];
  switch (t) {
    case 'numeric':
      if (typeof v !== 'number') return errorf(`${prefix}expected numeric (int or float), got ${goType(v)}`);
      break;
    case 'string':
      if (!isString(v)) return errorf(`${prefix}expected string, got ${describeValue(v)}`);
      break;
    case 'boolean':
      if (!isBool(v)) return errorf(`${prefix}expected boolean, got ${describeValue(v)}`);
      break;
    case 'untyped':
      if (typeof v !== 'number' && !isString(v) && !isBool(v)) return errorf(`${prefix}expected any scalar, got ${describeValue(v)}`);
      break;
    default:
      return errorf(`${prefix}unexpected scalar type in schema: ${String(t)}`);
  }
  return [];
}

/** TypedValue.Validate; allowDuplicates accepts repeated keys in associative lists (as Update does). */
export function validateValue(schema: Schema, typeRef: TypeRef, value: Value, allowDuplicates = false): ValidationError[] {
  const walk = (tr: TypeRef, v: Value): ValidationError[] =>
    resolveSchema(schema, tr, v, {
      doScalar: (t: Scalar) => validateScalar(t, v, ''),
      doList: (t: ListType) => {
        let list: Value[] | null;
        try {
          list = listValue(v);
        } catch (err) {
          return errorf((err as Error).message);
        }
        if (!list) return [];
        const errs: ValidationError[] = [];
        const observed = new PathElementSet();
        for (let i = 0; i < list.length; i++) {
          const child = list[i];
          let pe: PathElement;
          if (t.elementRelationship !== 'associative') {
            pe = indexElement(i);
          } else {
            try {
              pe = listItemToPathElement(schema, t, child);
            } catch (err) {
              errs.push(...errorf(`element ${i}: ${(err as Error).message}`));
              return errs;
            }
            if (observed.has(pe) && !allowDuplicates) errs.push(...errorf(`duplicate entries for key ${elementString(pe)}`));
            observed.insert(pe);
          }
          errs.push(...withPrefix(walk(t.elementType ?? {}, child), () => elementString(pe)));
        }
        return errs;
      },
      doMap: (t: MapType) => {
        let m: Record<string, Value> | null;
        try {
          m = mapValue(v);
        } catch (err) {
          return errorf((err as Error).message);
        }
        if (!m) return [];
        const errs: ValidationError[] = [];
        for (const key of mapKeys(m)) {
          const sf = findField(t, key);
          let tr: TypeRef;
          if (sf) tr = sf.type;
          else if (isEmptyTypeRef(t.elementType)) {
            errs.push(...withPrefix(errorf('field not declared in schema'), `.${key}`));
            break;
          } else tr = t.elementType ?? {};
          errs.push(...withPrefix(walk(tr, m[key]), `.${key}`));
        }
        return errs;
      },
    });
  return walk(typeRef, value);
}
