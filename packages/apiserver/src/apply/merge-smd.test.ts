/**
 * structured-merge-diff's own merge tests (sigs.k8s.io/structured-merge-diff/v6@v6.4.2, merge/*_test.go),
 * run against apply/'s Updater: the table tests are generated from the Go source into
 * testdata/merge-cases.ts (with their YAML schemas as they are), the fixture (internal/fixture/state.go)
 * and the tests' converters are ported by hand below, as are the non-table tests (obsolete versions,
 * version names that are not type names).
 *
 * Ported: all 132 table cases of the 27 table-driven Go test functions — 125 run once, and the 7 of
 * the two functions Go runs for every v1×v2×v3 of three versions run for all 27 combinations, as in
 * Go (189 runs) — plus TestObsoleteVersions, TestApplyObsoleteVersion and
 * TestVersionDoesntMatchTypename: 317 tests, all passing. Not ported: conflict_test.go (Conflicts'
 * own helpers), real_test.go and the Benchmark* functions (benchmarks; their cases repeat tests
 * already here).
 */
import { SUITES, PARSERS } from './testdata/merge-cases.js';
import {
  _NS,
  _P,
  DummyConverter,
  NewVersionedSet,
  State,
  deducedParser,
  fromYAML,
  marshalYAML,
  runCase,
  sameVersionParser,
  typedParser,
  type Parser,
} from './testdata/merge-fixture.js';
import { managedFieldsDifference, type ManagedFields } from './fieldpath.js';
import { TypedValue } from './typed.js';
import { Updater, type Converter } from './updater.js';
import { isList, isMap, type Value } from './value.js';

const parserCache = new Map<string, Parser>();
function parserNamed(name: string): Parser {
  if (name === 'DeducedParser') return deducedParser;
  let p = parserCache.get(name);
  if (!p) {
    const def = PARSERS[name];
    if (!def) throw new Error(`no parser ${name}`);
    p = def.type ? sameVersionParser(def.yaml, def.type) : typedParser(def.yaml);
    parserCache.set(name, p);
  }
  return p;
}

class MissingVersionError extends Error {
  constructor() {
    super('cannot convert to invalid version');
  }
}

/** repeatingConverter: repeats each single-letter key v times, v the version's number. */
class RepeatingConverter implements Converter {
  constructor(private readonly parser: Parser) {}

  convert(v: TypedValue, version: string): TypedValue {
    if (version.length < 2 || version[0] !== 'v') throw new MissingVersionError();
    const n = Number(version.slice(1));
    if (!Number.isInteger(n)) throw new MissingVersionError();
    const lines = marshalYAML(v.value).split('\n');
    let str2 = lines[0];
    for (const line of lines.slice(1)) {
      const spaces = /^ */.exec(line)![0];
      if (spaces.length === 0) break;
      str2 = `${str2}\n${spaces}${line.slice(spaces.length, spaces.length + 1).repeat(n)}:`;
    }
    return fromYAML(this.parser.type(version), str2);
  }

  isMissingVersionError(err: unknown): boolean {
    return err instanceof MissingVersionError;
  }
}

function renameFields(v: Value, oldSuffix: string, newSuffix: string): Value {
  if (isMap(v)) {
    const out: Record<string, Value> = {};
    for (const [key, value] of Object.entries(v)) {
      const k = key.endsWith(oldSuffix) ? key.slice(0, key.length - oldSuffix.length) + newSuffix : key;
      out[k] = renameFields(value, oldSuffix, newSuffix);
    }
    return out;
  }
  if (isList(v)) return v.map((x) => renameFields(x, oldSuffix, newSuffix));
  return v;
}

/** renamingConverter: renames the fields with a version suffix (name_v1 → name_v2). */
class RenamingConverter implements Converter {
  constructor(private readonly parser: Parser) {}

  convert(v: TypedValue, version: string): TypedValue {
    const inVersion = v.typeRef.namedType ?? '';
    return TypedValue.of(renameFields(v.value, inVersion, version), this.parser.type(version));
  }

  isMissingVersionError(err: unknown): boolean {
    return err instanceof MissingVersionError;
  }
}

/** reliantFieldsConverter: v2 → v1 needs required_field_bar. */
class ReliantFieldsConverter implements Converter {
  constructor(
    private readonly parser: Parser,
    private readonly typeName: (version: string) => string = (v) => v,
    private readonly versionOf: (typeName: string) => string = (t) => t,
  ) {}

  convert(v: TypedValue, version: string): TypedValue {
    const inVersion = this.versionOf(v.typeRef.namedType ?? '');
    if (inVersion === version) return v;
    const inStr = marshalYAML(v.value);
    let outStr: string;
    switch (version) {
      case 'v1':
        if (!inStr.includes('required_field_bar')) throw new Error('missing requried field bar');
        outStr = inStr.replaceAll('required_field_bar', 'field_foo_rely_on_bar');
        break;
      case 'v2':
        outStr = inStr.replaceAll('field_foo_rely_on_bar', 'required_field_bar');
        break;
      default:
        throw new MissingVersionError();
    }
    return fromYAML(this.parser.type(this.typeName(version)), outStr);
  }

  isMissingVersionError(err: unknown): boolean {
    return err instanceof MissingVersionError;
  }
}

function converterFor(name: string | null, parser: Parser): Converter {
  switch (name) {
    case null:
      return new DummyConverter();
    case 'repeatingConverter':
      return new RepeatingConverter(parser);
    case 'renamingConverter':
      return new RenamingConverter(parser);
    case 'reliantFieldsConverter':
      return new ReliantFieldsConverter(parser);
    default:
      throw new Error(`no converter ${name}`);
  }
}

const VERSIONS = ['v1', 'v2', 'v3'];

describe('structured-merge-diff merge tests', () => {
  for (const suite of SUITES) {
    const parametrized = suite.name.startsWith('test');
    describe(`${suite.file} ${suite.name}`, () => {
      const combos = parametrized ? VERSIONS.flatMap((v1) => VERSIONS.flatMap((v2) => VERSIONS.map((v3) => [v1, v2, v3]))) : [['', '', '']];
      for (const [v1, v2, v3] of combos) {
        const cases = suite.cases(v1, v2, v3);
        for (const [name, tc] of Object.entries(cases)) {
          const title = parametrized ? `${v1}-${v2}-${v3}/${name}` : name;
          it(title, () => {
            const parser = parserNamed(suite.parser);
            const converter = converterFor(suite.converter, parser);
            if (suite.expectError) expect(() => runCase(tc, parser, converter, parserNamed)).toThrow();
            else runCase(tc, parser, converter, parserNamed);
          });
        }
      }
    });
  }
});

class SpecificVersionConverter implements Converter {
  constructor(public acceptedVersions: string[]) {}

  convert(object: TypedValue, version: string): TypedValue {
    if (this.acceptedVersions.includes(version)) return object;
    throw new Error(`Unknown version: ${version}`);
  }

  isMissingVersionError(err: unknown): boolean {
    return err !== undefined && err !== null;
  }
}

describe('obsolete_versions_test.go', () => {
  it('TestObsoleteVersions: managers of a version that no longer exists are dropped', () => {
    const converter = new SpecificVersionConverter(['v1', 'v2']);
    const state = new State(new Updater({ converter }), deducedParser);
    state.update('{"v1": 0}', 'v1', 'v1');
    state.update('{"v1": 0, "v2": 0}', 'v2', 'v2');
    converter.acceptedVersions = ['v2', 'v3'];
    state.update('{"v1": 0, "v2": 0, "v3": 0}', 'v3', 'v3');
    const managers: ManagedFields = new Map([
      ['v2', NewVersionedSet(_NS(_P('v2')), 'v2', false)],
      ['v3', NewVersionedSet(_NS(_P('v3')), 'v3', false)],
    ]);
    expect(managedFieldsDifference(state.managers, managers).size).toBe(0);
  });

  it('TestApplyObsoleteVersion: an apply whose last version is gone prunes nothing', () => {
    const converter = new SpecificVersionConverter(['v1']);
    const parser = sameVersionParser(
      `types:
- name: sets
  map:
    fields:
    - name: list
      type:
        list:
          elementType:
            scalar: string
          elementRelationship: associative`,
      'sets',
    );
    const state = new State(new Updater({ converter }), parser);
    state.apply('{"list": ["a", "b", "c", "d"]}', 'v1', 'apply', false);
    converter.acceptedVersions = ['v2'];
    state.apply('{"list": ["a"]}', 'v2', 'apply', false);
    expect(state.compareLive('{"list": ["a", "b", "c", "d"]}', 'v2')).toBe('');
  });
});

describe('multiple_appliers_test.go TestVersionDoesntMatchTypename', () => {
  it('applies across versions whose type names are not the versions', () => {
    const parser = typedParser(PARSERS.versionDoesntMatchTypeName.yaml);
    const converter = new ReliantFieldsConverter(
      parser,
      (v) => (v === 'v1' ? 'TypeV1' : 'TypeV2'),
      (t) => {
        if (t === 'TypeV1') return 'v1';
        if (t === 'TypeV2') return 'v2';
        throw new Error(`Invalid typename: ${JSON.stringify(t)}, should be one of ["TypeV1", "TypeV2"]`);
      },
    );
    const updater = new Updater({ converter });
    for (let i = 0; i < 10; i++) {
      let live = fromYAML(parser.type('TypeV2'), '{}');
      let managers: ManagedFields = new Map();
      let config = fromYAML(parser.type('TypeV2'), '{"required_field_bar": "a"}');
      let r = updater.apply(live, config, 'v2', managers, 'v2_applier', false);
      live = r.object!;
      managers = r.managers;
      live = converter.convert(live, 'v1');
      config = fromYAML(parser.type('TypeV1'), '{"common_field": "b"}');
      r = updater.apply(live, config, 'v1', managers, 'v1_applier', false);
      live = r.object!;
      managers = r.managers;
      live = converter.convert(live, 'v2');
      config = fromYAML(parser.type('TypeV2'), '{"required_field_bar": "b"}');
      r = updater.apply(live, config, 'v2', managers, 'v2_applier', false);
      live = r.object!;
      managers = r.managers;
      const expected = fromYAML(parser.type('TypeV2'), '{"required_field_bar": "b", "common_field": "b"}');
      expect(live.compare(expected).isSame()).toBe(true);
      const expectedManagers: ManagedFields = new Map([
        ['v2_applier', NewVersionedSet(_NS(_P('required_field_bar')), 'v2', true)],
        ['v1_applier', NewVersionedSet(_NS(_P('common_field')), 'v1', true)],
      ]);
      expect(managedFieldsDifference(managers, expectedManagers).size).toBe(0);
      for (const [k, v] of expectedManagers) expect(managers.get(k)?.applied).toBe(v.applied);
    }
  });
});
