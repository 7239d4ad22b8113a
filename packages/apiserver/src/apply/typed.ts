/**
 * typed.TypedValue: a value with its schema and type, and the operations server-side apply is made
 * of: Validate, ToFieldSet, Merge, Compare, RemoveItems, ExtractItems.
 */
import { compareTyped, type Comparison } from './compare.js';
import { FieldSet, type Path } from './fieldpath.js';
import { mergeValues } from './merge.js';
import { removeItemsWithSchema } from './remove.js';
import { Schema, type TypeRef, type TypeSpec } from './schema.js';
import { toFieldSet } from './tofieldset.js';
import { ValidationErrors } from './typed-helpers.js';
import { validateValue } from './validate.js';
import type { Value } from './value.js';

export interface ValidationOptions {
  /** Accept repeated keys in associative lists (Update does; Apply does not). */
  allowDuplicates?: boolean;
}

export class TypedValue {
  readonly value: Value;
  readonly schema: Schema;
  readonly typeRef: TypeRef;

  private constructor(value: Value, schema: Schema, typeRef: TypeRef) {
    this.value = value;
    this.schema = schema;
    this.typeRef = typeRef;
  }

  /** AsTyped: throws ValidationErrors when the value does not fit the type. */
  static of(value: Value, type: TypeSpec, opts: ValidationOptions = {}): TypedValue {
    const tv = new TypedValue(value, type.schema, type.typeRef);
    tv.validate(opts);
    return tv;
  }

  /** AsTypedUnvalidated. */
  static unvalidated(value: Value, type: TypeSpec): TypedValue {
    return new TypedValue(value, type.schema, type.typeRef);
  }

  get type(): TypeSpec {
    return { schema: this.schema, typeRef: this.typeRef };
  }

  validate(opts: ValidationOptions = {}): void {
    const errs = validateValue(this.schema, this.typeRef, this.value, opts.allowDuplicates ?? false);
    if (errs.length > 0) throw new ValidationErrors(errs);
  }

  toFieldSet(): FieldSet {
    const { set, errors } = toFieldSet(this.schema, this.typeRef, this.value);
    if (errors.length > 0) throw new ValidationErrors(errors);
    return set;
  }

  /** Merge: this value with `pso` applied over it. */
  merge(pso: TypedValue): TypedValue {
    this.checkSameType(pso);
    const { value, errors } = mergeValues(this.schema, this.typeRef, this.value, pso.value);
    if (errors.length > 0) throw new ValidationErrors(errors);
    return new TypedValue(value === undefined ? null : value, this.schema, this.typeRef);
  }

  compare(rhs: TypedValue): Comparison {
    this.checkSameType(rhs);
    const { comparison, errors } = compareTyped(this.schema, this.typeRef, this.value, rhs.value);
    if (errors.length > 0) throw new ValidationErrors(errors);
    return comparison;
  }

  removeItems(items: FieldSet): TypedValue {
    return new TypedValue(removeItemsWithSchema(this.value, items, this.schema, this.typeRef, false) ?? null, this.schema, this.typeRef);
  }

  /** ExtractItems; appendKeyFields adds the key fields of every list-map item a path goes through. */
  extractItems(items: FieldSet, opts: { appendKeyFields?: boolean } = {}): TypedValue {
    if (opts.appendKeyFields) {
      let tvPathSet: FieldSet | undefined;
      try {
        tvPathSet = this.toFieldSet();
      } catch {
        tvPathSet = undefined;
      }
      if (tvPathSet) {
        const keyFieldPathSet = new FieldSet();
        for (const path of items) {
          if (!tvPathSet.has(path)) continue;
          path.forEach((pe, i) => {
            if (pe.kind !== 'key') return;
            for (const f of pe.fields) keyFieldPathSet.insert([...path.slice(0, i + 1), { kind: 'field', name: f.name }] as Path);
          });
        }
        items = items.union(keyFieldPathSet);
      }
    }
    return new TypedValue(removeItemsWithSchema(this.value, items, this.schema, this.typeRef, true) ?? null, this.schema, this.typeRef);
  }

  /** Empty: the same type with no value. */
  empty(): TypedValue {
    return new TypedValue(null, this.schema, this.typeRef);
  }

  withValue(value: Value): TypedValue {
    return new TypedValue(value, this.schema, this.typeRef);
  }

  private checkSameType(other: TypedValue): void {
    if (other.schema !== this.schema) throw new ValidationErrors([{ path: '', message: 'expected objects with types from the same schema' }]);
  }
}
