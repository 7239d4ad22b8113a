/**
 * structured-merge-diff's internal/fixture (state.go) in TypeScript, for the merge tests ported
 * from Go: a State of a live object and its managers, the operations (Apply, ForceApply, Update,
 * ExtractApply, ChangeParser) run against an Updater, and a TestCase's checks (the live object as
 * expected, the managers' sets as expected, no empty set). The Go helpers the tables use (_NS, _P,
 * _KBF, _V, NewVersionedSet, …) are defined here so the generated tables read as the Go ones.
 */
import { parse, stringify } from 'yaml';
import { excludeSetFilter, type FieldSetFilter } from '../compare.js';
import { Conflicts, equalConflicts, type Conflict } from '../conflict.js';
import {
  FieldSet,
  keyElementByFields,
  managedFieldsDifference,
  managedFieldsString,
  versionedSet,
  type ManagedFields,
  type Path,
  type PathElement,
  type VersionedSet,
} from '../fieldpath.js';
import { Schema, commonTypes, type TypeDef, type TypeSpec } from '../schema.js';
import { TypedValue } from '../typed.js';
import { Updater, type Converter } from '../updater.js';
import { equalValues, isList, isMap, type Value } from '../value.js';

// ---- the Go helpers of the tables ----

const VALUE = Symbol('value');
export interface ValueMarker {
  [VALUE]: Value;
}

export const _V = (v: Value): ValueMarker => ({ [VALUE]: v });
export const _KBF = (...nameValues: unknown[]): PathElement => keyElementByFields(...nameValues);
export function _P(...parts: Array<string | number | PathElement | ValueMarker>): Path {
  return parts.map((p): PathElement => {
    if (typeof p === 'string') return { kind: 'field', name: p };
    if (typeof p === 'number') return { kind: 'index', index: p };
    if (VALUE in p) return { kind: 'value', value: p[VALUE] };
    return p;
  });
}
export const MakePathOrDie = _P;
export const _NS = (...paths: Path[]): FieldSet => FieldSet.of(...paths);
export const NewSet = _NS;
export const NewVersionedSet = (set: FieldSet, version: string, applied: boolean): VersionedSet => versionedSet(set, version, applied);
export const NewExcludeSetFilter = (set: FieldSet): FieldSetFilter => excludeSetFilter(set);
export const APIVersion = (s: string): string => s;
export const YAMLObject = (s: string): string => s;
export const float64 = (n: number): number => n;
/** fmt.Sprintf with %s and %v only. */
export function Sprintf(format: string, ...args: unknown[]): string {
  let i = 0;
  return format.replace(/%[sv]/g, () => String(args[i++]));
}

// ---- the tables' shapes ----

export interface GoOp {
  op: string;
  Manager?: string;
  APIVersion?: string;
  Object?: string;
  Conflicts?: GoConflict[];
  Parser?: string;
}

export interface GoConflict {
  Manager: string;
  Path: Path;
}

export interface GoCase {
  Ops: GoOp[];
  Object?: string;
  APIVersion?: string;
  Managed?: Record<string, VersionedSet>;
  ReturnInputOnNoop?: boolean;
  IgnoreFilter?: Record<string, FieldSetFilter>;
  IgnoredFields?: Record<string, FieldSet>;
}

export interface GoParser {
  yaml: string;
  /** SameVersionParser's type; null: a typed.Parser, whose type is named as the version. */
  type: string | null;
}

export interface GoSuite {
  file: string;
  name: string;
  parser: string;
  converter: string | null;
  /** The Go test expects every case to fail. */
  expectError: boolean;
  cases: (v1: string, v2: string, v3: string) => Record<string, GoCase>;
}

// ---- parsers ----

/** A fixture.Parser: the type of an object in an API version. */
export interface Parser {
  type(version: string): TypeSpec;
  readonly schema: Schema;
}

export function parseSchemaYAML(text: string): Schema {
  const doc = parse(text, { version: '1.1' }) as { types?: TypeDef[] };
  return new Schema(doc.types ?? []);
}

/** typed.Parser: Type(version) is the named type `version`. */
export function typedParser(text: string): Parser {
  const schema = parseSchemaYAML(text);
  return { schema, type: (version) => ({ schema, typeRef: { namedType: version } }) };
}

/** SameVersionParser{T: parser.Type(name)}. */
export function sameVersionParser(text: string, name: string): Parser {
  const schema = parseSchemaYAML(text);
  const t: TypeSpec = { schema, typeRef: { namedType: name } };
  return { schema, type: () => t };
}

/** DeducedParser: every object is of the deduced type. */
export const deducedParser: Parser = (() => {
  const schema = new Schema(commonTypes());
  const t: TypeSpec = { schema, typeRef: { namedType: '__untyped_deduced_' } };
  return { schema, type: () => t };
})();

/** FixTabsOrDie: the table's YAML without the indentation of its Go source. */
export function fixTabs(text: string): string {
  let lines = text.split('\n');
  if (lines[0].length === 0 && lines.length > 1) lines = lines.slice(1);
  const prefix = /^\t*/.exec(lines[0])![0];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (i === lines.length - 1 && line.length <= prefix.length && line.trim() === '') {
      lines[i] = '';
      break;
    }
    if (!line.startsWith(prefix)) throw new Error(`line ${i} doesn't start with expected number (${prefix.length}) of tabs: ${line}`);
    lines[i] = line.slice(prefix.length);
  }
  return lines.join('\n');
}

export function parseYAML(text: string): Value {
  // yaml.v2 keeps the last of repeated keys, and ignores what follows a flow collection's end.
  let v: Value;
  try {
    v = parse(text, { version: '1.1', uniqueKeys: false }) as Value;
  } catch (err) {
    const end = flowEnd(text);
    if (end === undefined || end === text.trimEnd().length) throw err;
    v = parse(text.slice(0, end), { version: '1.1', uniqueKeys: false }) as Value;
  }
  return v === undefined ? null : v;
}

/** Where the flow collection a text starts with ends, if it starts with one. */
function flowEnd(text: string): number | undefined {
  const start = text.search(/\S/);
  if (start < 0 || (text[start] !== '{' && text[start] !== '[')) return undefined;
  let depth = 0;
  let quote: string | undefined;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return undefined;
}

/** yaml.v2's Marshal, near enough: keys sorted, sequences not indented under their key. */
export function marshalYAML(v: Value): string {
  return stringify(v, { sortMapEntries: true, indentSeq: false, version: '1.1' });
}

export function fromYAML(type: TypeSpec, text: string, allowDuplicates = false): TypedValue {
  return TypedValue.of(parseYAML(text), type, { allowDuplicates });
}

// ---- the state ----

export class State {
  live: TypedValue | undefined;
  parser: Parser;
  managers: ManagedFields = new Map();
  readonly updater: Updater;

  constructor(updater: Updater, parser: Parser) {
    this.updater = updater;
    this.parser = parser;
  }

  private checkInit(version: string): TypedValue {
    this.live ??= TypedValue.of(null, this.parser.type(version));
    return this.live;
  }

  updateObject(tv: TypedValue, version: string, manager: string): void {
    const live = this.updater.converter.convert(this.checkInit(version), version);
    this.live = live;
    const r = this.updater.update(live, tv, version, this.managers, manager);
    this.live = r.object;
    this.managers = r.managers;
  }

  update(obj: string, version: string, manager: string): void {
    this.updateObject(fromYAML(this.parser.type(version), fixTabs(obj), true), version, manager);
  }

  applyObject(tv: TypedValue, version: string, manager: string, force: boolean): void {
    const live = this.updater.converter.convert(this.checkInit(version), version);
    this.live = live;
    const r = this.updater.apply(live, tv, version, this.managers, manager, force);
    this.managers = r.managers;
    if (r.object) this.live = r.object;
  }

  apply(obj: string, version: string, manager: string, force: boolean): void {
    this.applyObject(fromYAML(this.parser.type(version), fixTabs(obj)), version, manager, force);
  }

  /** CompareLive: '' when the live object is the expected one, else both. */
  compareLive(obj: string, version: string): string {
    this.checkInit(version);
    const tv = fromYAML(this.parser.type(version), fixTabs(obj), true);
    const live = this.updater.converter.convert(this.live!, version);
    if (deepEqualGo(tv.value, live.value)) return '';
    return `expected:\n${JSON.stringify(tv.value)}\ngot:\n${JSON.stringify(live.value)}`;
  }
}

/** cmp.Diff(...) == "": equal values, with ints and floats equal by value. */
function deepEqualGo(a: Value, b: Value): boolean {
  if (isList(a) && isList(b)) return a.length === b.length && a.every((x, i) => deepEqualGo(x, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && deepEqualGo(a[k], b[k]));
  }
  return equalValues(a, b);
}

export class DummyConverter implements Converter {
  convert(v: TypedValue, version: string): TypedValue {
    if (version.length === 0) throw new Error(`cannot convert to invalid version: ""`);
    return v;
  }

  isMissingVersionError(): boolean {
    return false;
  }
}

function conflictsText(cs: readonly Conflict[]): string {
  return new Conflicts(cs).message;
}

function addedConflicts(one: readonly Conflict[], other: readonly Conflict[]): Conflict[] {
  return other.filter((c) => !one.some((o) => equalConflicts(o, c)));
}

/** Runs one operation of a table (Operation.run). */
function runOp(state: State, op: GoOp, parsers: (name: string) => Parser): void {
  const version = op.APIVersion ?? '';
  const manager = op.Manager ?? '';
  switch (op.op) {
    case 'Apply': {
      const tv = fromYAML(state.parser.type(version), fixTabs(op.Object ?? ''));
      let err: unknown;
      try {
        state.applyObject(tv, version, manager, false);
      } catch (e) {
        if (!(e instanceof Conflicts) || op.Conflicts === undefined) throw e;
        err = e;
      }
      if (op.Conflicts !== undefined) {
        const want: Conflict[] = op.Conflicts.map((c) => ({ manager: c.Manager, path: c.Path }));
        const got = err instanceof Conflicts ? err.conflicts : [];
        const added = addedConflicts(want, got);
        const removed = addedConflicts(got, want);
        if (added.length !== 0 || removed.length !== 0) {
          throw new Error(
            `Expected conflicts:\n${conflictsText(want)}\ngot\n${conflictsText(got)}\nadded:\n${conflictsText(added)}\nremoved:\n${conflictsText(removed)}`,
          );
        }
      }
      return;
    }
    case 'ForceApply':
      state.apply(op.Object ?? '', version, manager, true);
      return;
    case 'Update':
      state.update(op.Object ?? '', version, manager);
      return;
    case 'ExtractApply': {
      const tv = fromYAML(state.parser.type(version), fixTabs(op.Object ?? ''));
      if (!state.live) {
        state.applyObject(tv, version, manager, true);
        return;
      }
      const current = state.updater.converter.convert(state.live, version);
      let set = new FieldSet();
      const mgr = state.managers.get(manager);
      if (mgr) {
        if (mgr.apiVersion !== version) {
          throw new Error(`existing managed fieldpath set APIVersion (${mgr.apiVersion}) differs from desired (${version}), unable to extract`);
        }
        set = mgr.set.leaves();
      }
      const extracted = current.extractItems(set);
      state.applyObject(extracted.merge(tv), version, manager, true);
      return;
    }
    case 'ChangeParser': {
      const parser = parsers(op.Parser ?? '');
      state.parser = parser;
      const live = state.live!;
      state.live = TypedValue.of(live.value, { schema: parser.schema, typeRef: live.typeRef });
      return;
    }
    default:
      throw new Error(`unknown operation ${op.op}`);
  }
}

/** TestCase.TestWithConverter: throws when the case does not hold. */
export function runCase(tc: GoCase, parser: Parser, converter: Converter, parsers: (name: string) => Parser): void {
  const toMap = <T>(r: Record<string, T> | undefined): Map<string, T> | undefined => (r ? new Map(Object.entries(r)) : undefined);
  const updater = new Updater({
    converter,
    ignoreFilter: toMap(tc.IgnoreFilter),
    ignoredFields: toMap(tc.IgnoredFields),
    returnInputOnNoop: tc.ReturnInputOnNoop,
  });
  const state = new State(updater, parser);
  tc.Ops.forEach((op, i) => {
    try {
      runOp(state, op, parsers);
    } catch (err) {
      throw new Error(`failed operation ${i}: ${(err as Error).message}`, { cause: err });
    }
  });
  if (tc.Object !== undefined && tc.Object !== '') {
    const comparison = state.compareLive(tc.Object, tc.APIVersion ?? '');
    if (comparison !== '') throw new Error(`expected live and config to be the same:\n${comparison}\n`);
  }
  if (tc.Managed !== undefined) {
    const expected: ManagedFields = new Map(Object.entries(tc.Managed));
    const diff = managedFieldsDifference(state.managers, expected);
    if (diff.size !== 0) {
      throw new Error(`expected Managers to be:\n${managedFieldsString(expected)}\ngot:\n${managedFieldsString(state.managers)}\ndiff:\n${managedFieldsString(diff)}`);
    }
  }
  for (const [manager, set] of state.managers) {
    if (set.set.empty()) throw new Error(`expected Managers to have no empty sets, but found one managed by ${manager}`);
  }
}
