/**
 * structured-merge-diff's typed tests (v6.4.2 typed/*_test.go), their case tables generated into
 * testdata/typed-cases.ts with their YAML schemas: ToFieldSet (toset_test.go), Merge
 * (merge_test.go), Compare both ways (symdiff_test.go), RemoveItems/ExtractItems, reversible
 * extraction and extraction with keys (remove_test.go), validation (validate_test.go) and
 * ReconcileFieldSetWithSchema (reconcile_schema_test.go). Every row of those tables is run: 29
 * ToFieldSet, 64 Merge, 84 Compare, 59 RemoveItems/ExtractItems + 17 reversible extractions + 5
 * extractions with keys, 81 validations, 7 reconciliations — 346, all passing. Not ported:
 * deduced_test.go, comparison_test.go, helpers_test.go (small inline tests; the deduced type is
 * covered by the merge tests' deduced cases).
 */
import { FieldSet } from './fieldpath.js';
import { reconcileFieldSetWithSchema } from './reconcile.js';
import { parseSchemaYAML, parseYAML } from './testdata/merge-fixture.js';
import {
  extractWithKeysCases,
  fieldsetCases,
  mergeCases,
  reconcileCases,
  removeCases,
  reversibleExtractCases,
  symdiffCases,
  validationCases,
} from './testdata/typed-cases.js';
import type { YAMLText } from './testdata/typed-fixture.js';
import { TypedValue } from './typed.js';
import type { TypeSpec } from './schema.js';
import { equalValues, valueToString, type Value } from './value.js';

interface Case {
  name: string;
  rootTypeName: string;
  schema: string | YAMLText;
}

/** A YAML text of a table: a Go string, or a typed.YAMLObject(...) conversion of one. */
type Text = string | YAMLText;
const text = (t: Text): string => (typeof t === 'string' ? t : t.yaml);
const typeOf = (c: { schema: Text; rootTypeName: string }): TypeSpec => ({ schema: parseSchemaYAML(text(c.schema)), typeRef: { namedType: c.rootTypeName } });
const from = (t: TypeSpec, yaml: Text, allowDuplicates = false): TypedValue => TypedValue.of(parseYAML(text(yaml)), t, { allowDuplicates });
const expectSameValue = (got: Value, want: Value): void => {
  if (!equalValues(got, want)) throw new Error(`expected\n${valueToString(want)}\nbut got\n${valueToString(got)}`);
};
const expectSameSet = (got: FieldSet, want: FieldSet, what: string): void => {
  if (!got.equals(want)) throw new Error(`${what}: wanted\n${want.toString()}\ngot\n${got.toString()}`);
};

/** A table's rows as tuples of `fields`, whether the Go literal was positional (an array) or keyed. */
const rows = <T>(cases: Array<Case & Record<string, unknown>>, key: string, fields: string[]): Array<[string, Case, T]> =>
  cases.flatMap((c) =>
    ((c[key] as unknown[]) ?? []).map((row, i): [string, Case, T] => [
      `${c.name}-${i}`,
      c,
      (Array.isArray(row) ? row : fields.map((f) => (row as Record<string, unknown>)[f])) as T,
    ]),
  );

describe('ToFieldSet (toset_test.go)', () => {
  it.each(rows<[string, FieldSet]>(fieldsetCases, 'pairs', ['object', 'set']))('%s', (_n, c, [object, set]) => {
    expectSameSet(from(typeOf(c), object, true).toFieldSet(), set, 'toFieldSet');
  });
});

describe('Merge (merge_test.go)', () => {
  it.each(rows<[string, string, string]>(mergeCases, 'triplets', ['lhs', 'rhs', 'out']))('%s', (_n, c, [lhs, rhs, out]) => {
    const t = typeOf(c);
    const got = from(t, lhs, true).merge(from(t, rhs));
    expectSameValue(got.value, from(t, out, true).value);
  });
});

describe('Compare (symdiff_test.go)', () => {
  it.each(rows<[string, string, FieldSet, FieldSet, FieldSet]>(symdiffCases, 'quints', ['lhs', 'rhs', 'removed', 'modified', 'added']))('%s', (_n, c, [lhs, rhs, removed, modified, added]) => {
    const t = typeOf(c);
    const l = from(t, lhs, true);
    const r = from(t, rhs, true);
    const got = l.compare(r);
    expectSameSet(got.added, added, 'added');
    expectSameSet(got.modified, modified, 'modified');
    expectSameSet(got.removed, removed, 'removed');
    const rev = r.compare(l);
    expectSameSet(rev.modified, got.modified, 'reverse modified');
    expectSameSet(rev.removed, got.added, 'reverse removed');
    expectSameSet(rev.added, got.removed, 'reverse added');
  });
});

describe('RemoveItems and ExtractItems (remove_test.go)', () => {
  it.each(rows<[Text, FieldSet, Text, Text]>(removeCases, 'quadruplets', ['object', 'set', 'removeOutput', 'extractOutput']))('%s', (_n, c, [object, set, removeOutput, extractOutput]) => {
    const t = typeOf(c);
    const tv = from(t, object);
    if (text(removeOutput) !== 'unparseable') expectSameValue(tv.removeItems(set).value, from(t, removeOutput).value);
    if (text(extractOutput) !== 'unparseable') expectSameValue(tv.extractItems(set).value, from(t, extractOutput).value);
  });

  it.each(rows<[string, string]>(reversibleExtractCases, 'pairs', ['object', 'pso']))('reversible extract %s', (_n, c, [object, pso]) => {
    const t = typeOf(c);
    const p = from(t, pso);
    const merged = from(t, object).merge(p);
    expectSameValue(merged.extractItems(p.toFieldSet().leaves()).value, p.value);
  });

  it.each(rows<[string, FieldSet, YAMLText | Value]>(extractWithKeysCases, 'triplets', ['object', 'set', 'wantOutput']))('extract with keys %s', (_n, c, [object, set, want]) => {
    const t = typeOf(c);
    const got = from(t, object).extractItems(set, { appendKeyFields: true });
    const isYAML = typeof want === 'object' && want !== null && 'yaml' in want && Object.keys(want).length === 1;
    // Go's nil in a generated literal is undefined; in a value it is null.
    const nilToNull = (v: Value): Value =>
      v === undefined ? null : Array.isArray(v) ? v.map(nilToNull) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, nilToNull(x)])) : v;
    expectSameValue(got.value, isYAML ? from(t, (want as YAMLText).yaml).value : nilToNull(want as Value));
  });
});

describe('validation (validate_test.go)', () => {
  const vcases = validationCases as Array<Case & { validObjects?: string[]; invalidObjects?: string[]; duplicatesObjects?: string[] }>;
  const each = (key: 'validObjects' | 'invalidObjects' | 'duplicatesObjects'): Array<[string, Case, string]> =>
    vcases.flatMap((c) => (c[key] ?? []).map((o, i): [string, Case, string] => [`${c.name}-${key}-${i}`, c, o]));

  it.each(each('validObjects'))('%s', (_n, c, o) => {
    expect(() => from(typeOf(c), o)).not.toThrow();
  });
  it.each(each('invalidObjects'))('%s', (_n, c, o) => {
    expect(() => from(typeOf(c), o)).toThrow();
    try {
      from(typeOf(c), o);
    } catch (err) {
      expect((err as Error).message).not.toContain('invalid atom');
    }
  });
  it.each(each('duplicatesObjects'))('%s', (_n, c, o) => {
    expect(() => from(typeOf(c), o)).toThrow();
    expect(() => from(typeOf(c), o, true)).not.toThrow();
  });
});

describe('ReconcileFieldSetWithSchema (reconcile_schema_test.go)', () => {
  const rcases = reconcileCases as Array<{ name: string; rootTypeName: string; newSchema: Text; liveObject: Text; oldFields: FieldSet; fixedFields?: FieldSet }>;
  it.each(rcases.map((c): [string, (typeof rcases)[number]] => [c.name, c]))('%s', (_n, c) => {
    const t: TypeSpec = { schema: parseSchemaYAML(text(c.newSchema)), typeRef: { namedType: c.rootTypeName } };
    const live = from(t, c.liveObject);
    const fixed = reconcileFieldSetWithSchema(c.oldFields, live.schema, live.typeRef);
    if (!c.fixedFields) expect(fixed).toBeUndefined();
    else {
      expect(fixed).toBeDefined();
      expectSameSet(fixed!, c.fixedFields, 'fixed');
    }
  });
});
