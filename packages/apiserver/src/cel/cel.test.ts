/**
 * Cases from Go's tests: k8s.io/apiextensions-apiserver@v0.37.2 pkg/apiserver/schema/cel/validation_test.go
 * (TestValidationExpressions: every "valid" rule must be true for its object and schema, every
 * "errors" rule must fail with the text given) and k8s.io/apiserver@v0.37.2 pkg/cel/library
 * ip_test.go, cidr_test.go, quantity_test.go, format_test.go (value or runtime error per expression).
 */
import { describe, expect, it } from '@jest/globals';
import { CelError, compileCel, type CelSchema } from './index.js';

const str: CelSchema = { type: 'string' };
const int: CelSchema = { type: 'integer' };
const dbl: CelSchema = { type: 'number' };
const list = (items: CelSchema): CelSchema => ({ type: 'array', items });
const obj = (properties: Record<string, CelSchema>): CelSchema => ({ type: 'object', properties });

function evalSelf(rule: string, self: unknown, schema?: CelSchema): unknown {
  const program = compileCel(rule, { variables: ['self'], ...(schema ? { schemas: { self: schema } } : {}) });
  return program.evaluate({ self });
}

function errorOf(fn: () => unknown): CelError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CelError) return err;
    throw err;
  }
  throw new Error('no error');
}

describe('JSON values', () => {
  it('ints are CEL int, other numbers double; maps select fields and test presence', () => {
    const p = compileCel('object.spec.replicas > 1 && size(object.spec.items) == 2 && has(object.spec.replicas) && !has(object.spec.x)', {
      variables: ['object'],
    });
    expect(p.evaluate({ object: { spec: { replicas: 2, items: [1, 2] } } })).toBe(true);
    expect(compileCel('x + 1', { variables: ['x'] }).evaluate({ x: 1 })).toBe(2);
    expect(compileCel('x + 1.0', { variables: ['x'] }).evaluate({ x: 1.5 })).toBe(2.5);
    expect(compileCel('object.metadata.name', { variables: ['object'] }).evaluate({ object: { metadata: { name: 'a' } } })).toBe('a');
  });

  it('gives back plain JSON: ints as numbers when safe, else strings; durations as Go prints them', () => {
    const p = compileCel('[1, 9223372036854775807, 1.5, "a", true, null, {"k": [1]}, duration("1m30s"), timestamp("2020-01-01T00:00:00Z")]', {
      variables: [],
    });
    expect(p.evaluate({})).toEqual([1, '9223372036854775807', 1.5, 'a', true, null, { k: [1] }, '1m30s', '2020-01-01T00:00:00Z']);
  });

  it('a missing field is "no such key" as in Go', () => {
    const err = errorOf(() => compileCel('object.spec.y == 1', { variables: ['object'] }).evaluate({ object: { spec: {} } }));
    expect(err.kind).toBe('evaluation');
    expect(err.message).toBe('no such key: y');
  });

  it('a schema types values as kube-apiserver does: number is double, escaped names, null as absent, root metadata', () => {
    const schema: CelSchema = obj({ 'x-y': int, namespace: str, ratio: dbl, opt: { ...str, nullable: true }, spec: obj({ a: int }) });
    const p = compileCel('self.x__dash__y == 1 && self.__namespace__ == "n" && type(self.ratio) == double && !has(self.opt) && self.metadata.name == "x"', {
      variables: ['self'],
      schemas: { self: schema },
      resourceRoots: ['self'],
    });
    expect(p.evaluate({ self: { 'x-y': 1, namespace: 'n', ratio: 2, opt: null, metadata: { name: 'x', labels: { a: 'b' } } } })).toBe(true);
  });
});

describe('compile errors as cel-go words them', () => {
  it.each([
    ['foo == 1', ["undeclared reference to 'foo' (in container '')", ' | foo == 1', ' | ^']],
    ['self.nope(1)', ["undeclared reference to 'nope' (in container '')"]],
  ])('%s', (rule, parts) => {
    const err = errorOf(() => compileCel(rule, { variables: ['self'] }));
    expect(err.kind).toBe('compile');
    expect(err.message.startsWith('compilation failed: ERROR: <input>:1:')).toBe(true);
    for (const part of parts) expect(err.message).toContain(part);
  });

  it('a field the schema does not declare', () => {
    const err = errorOf(() => compileCel('self.spec.nope == 1', { variables: ['self'], schemas: { self: obj({ spec: obj({ a: int }) }) } }));
    expect(err.message).toBe("compilation failed: ERROR: <input>:1:10: undefined field 'nope'\n | self.spec.nope == 1\n | .........^");
  });

  // validation_test.go: operators over types they do not take, fields objects do not have
  it.each([
    ["self.a == 'abc'", obj({ a: int }), "found no matching overload for '_==_' applied to '(int, string)'"],
    ['self.a > self.b', obj({ a: int, b: str }), "found no matching overload for '_>_' applied to '(int, string)'"],
    ['self.a + self.b > 1', obj({ a: int, b: dbl }), "found no matching overload for '_+_' applied to '(int, double)'"],
    ['has(self.a.z)', obj({ a: obj({ b: int }) }), "undefined field 'z'"],
    ['self.a.b == 1', obj({ a: str }), "type 'string' does not support field selection"],
    ['self.__illegal__ == 301', obj({ a: int }), "undefined field '__illegal__'"],
  ])('%s: %s', (rule, schema, message) => {
    const err = errorOf(() => compileCel(rule, { variables: ['self'], schemas: { self: schema } }));
    expect(err.kind).toBe('compile');
    expect(err.message).toContain(message);
  });

  it('has(self.metadata.namespace) at a resource root is an undefined field, as Go keeps only name and generateName', () => {
    const err = errorOf(() => compileCel('has(self.metadata.namespace)', { variables: ['self'], schemas: { self: obj({}) }, resourceRoots: ['self'] }));
    expect(err.message).toContain("undefined field 'namespace'");
    expect(compileCel("self.kind == 'Pod' && self.metadata.generateName == 'x'", { variables: ['self'], schemas: { self: obj({}) }, resourceRoots: ['self'] }).outputType).toBe('bool');
  });

  it('tells the output type when it is certain', () => {
    const compiled = (e: string): string | undefined => compileCel(e, { variables: ['self'], schemas: { self: obj({ a: int, s: str, l: list(int) }) } }).outputType;
    expect(compiled('self.a > 1')).toBe('bool');
    expect(compiled('self.l.all(x, x > 0)')).toBe('bool');
    expect(compiled("'n: ' + self.s")).toBe('string');
    expect(compiled('self.a + 1')).toBe('int');
    expect(compiled('self.l.map(x, x * 2)')).toBe('list');
    expect(compileCel('x', { variables: ['x'] }).outputType).toBeUndefined();
  });

  it('a constant regular expression that does not parse (Go: program instantiation failed)', () => {
    const schema = obj({ str });
    for (const rule of ["self.str.find(')') == ''", "self.str.findAll(')') == []", "self.str.findAll(')', 1) == []"]) {
      expect(errorOf(() => compileCel(rule, { variables: ['self'], schemas: { self: schema } })).message).toBe(
        'program instantiation failed: error parsing regexp: unexpected ): `)`',
      );
    }
    expect(errorOf(() => compileCel("self.str.matches('x++')", { variables: ['self'], schemas: { self: schema } })).message).toContain(
      'invalid matches argument',
    );
  });
});

// TestValidationExpressions, "string functions", "lists", "sets", "regex", "URL parsing" cases.
const VALID: Array<{ name: string; self: unknown; schema: CelSchema; rules: string[] }> = [
  {
    name: 'strings',
    self: { val1: 'Rook takes 👑', val2: 'Rook takes 👑' },
    schema: obj({ val1: str, val2: str }),
    rules: [
      "self.val1.startsWith('Rook')",
      "!self.val1.startsWith('knight')",
      "self.val1.contains('takes')",
      "self.val1.endsWith('👑')",
      "self.val1.matches('^[^0-9]*$')",
      "!self.val1.matches('^[0-9]*$')",
      'type(self.val1) == string',
      'size(self.val1) == 12',
      "self.val1.charAt(3) == 'k'",
      "self.val1.indexOf('o') == 1",
      "self.val1.indexOf('o', 2) == 2",
      "self.val1.replace(' ', 'x') == 'Rookxtakesx👑'",
      "self.val1.replace(' ', 'x', 1) == 'Rookxtakes 👑'",
      "self.val1.split(' ') == ['Rook', 'takes', '👑']",
      "self.val1.split(' ', 2) == ['Rook', 'takes 👑']",
      "self.val1.substring(5) == 'takes 👑'",
      "self.val1.substring(0, 4) == 'Rook'",
      "self.val1.substring(4, 10).trim() == 'takes'",
      "self.val1.upperAscii() == 'ROOK TAKES 👑'",
      "self.val1.lowerAscii() == 'rook takes 👑'",
      "'%o %o %o'.format([7, 8, 9]) == '7 10 11'",
      "'%b %b %b'.format([7, 8, 9]) == '111 1000 1001'",
    ],
  },
  {
    name: 'join',
    self: { val1: ['a', 'b', 'c'] },
    schema: obj({ val1: list(str) }),
    rules: ["self.val1.join('-') == 'a-b-c'", "['a', 'b', 'c'].join('-') == 'a-b-c'", "self.val1.join() == 'abc'", "['a', 'b', 'c'].join() == 'abc'"],
  },
  {
    name: 'sets',
    self: {},
    schema: obj({}),
    rules: [
      "sets.contains(['a', 'b'], [])",
      "sets.contains(['a', 'b'], ['b'])",
      "!sets.contains(['a', 'b'], ['c'])",
      'sets.equivalent([], [])',
      "sets.equivalent(['c', 'b', 'a'], ['b', 'c', 'a'])",
      "!sets.equivalent(['a', 'b'], ['b', 'c'])",
      "sets.intersects(['a', 'b'], ['b', 'c'])",
      '!sets.intersects([], [])',
      "!sets.intersects(['a', 'b'], [])",
      "!sets.intersects(['a', 'b'], ['c', 'd'])",
      'sets.contains([1, 2], [2])',
      'sets.contains([true, false], [false])',
      'sets.contains([1.25, 1.5], [1.5])',
      "sets.contains([{'a': 1}, {'b': 2}], [{'b': 2}])",
      'sets.contains([[1, 2], [3, 4]], [[3, 4]])',
      "sets.contains([timestamp('2000-01-01T00:00:00.000+01:00'), timestamp('2012-01-01T00:00:00.000+01:00')], [timestamp('2012-01-01T00:00:00.000+01:00')])",
      "sets.contains([duration('1h'), duration('2h')], [duration('2h')])",
      "sets.equivalent([{'a': 1}, {'b': 2}], [{'a': 1}, {'b': 2}])",
      'sets.intersects([[1, 2], [3, 4]], [[3, 4]])',
      "sets.intersects([duration('1h'), duration('2h')], [duration('2h')])",
    ],
  },
  {
    name: 'lists',
    self: {
      ints: [1, 2, 2, 3],
      unsortedInts: [2, 1],
      emptyInts: [],
      doubles: [1.5, 2.0, 2.0, 2.5],
      intBackedDoubles: [1, 2, 2, 3],
      emptyDoubles: [],
      durations: ['1s', '1m', '1m', '1h'],
      unsortedDurations: ['1m', '1s'],
      strings: ['a', 'b', 'b', 'c'],
      unsortedStrings: ['b', 'a'],
      emptyStrings: [],
      dates: ['2000-01-01T00:00:00.000Z', '2000-02-01T00:00:00.000Z', '2000-02-01T00:00:00.000Z', '2010-01-01T00:00:00.000Z'],
      objs: [
        { f1: 'a', f2: 'a' },
        { f1: 'a', f2: 'b' },
        { f1: 'a', f2: 'b' },
        { f1: 'a', f2: 'c' },
      ],
    },
    schema: obj({
      ints: list(int),
      unsortedInts: list(int),
      emptyInts: list(int),
      doubles: list(dbl),
      intBackedDoubles: list(dbl),
      emptyDoubles: list(dbl),
      durations: list({ type: 'string', format: 'duration' }),
      unsortedDurations: list({ type: 'string', format: 'duration' }),
      strings: list(str),
      unsortedStrings: list(str),
      emptyStrings: list(str),
      dates: list({ type: 'string', format: 'date-time' }),
      objs: list(obj({ f1: str, f2: str })),
    }),
    rules: [
      'self.ints.sum() == 8',
      'self.ints.min() == 1',
      'self.ints.max() == 3',
      'self.emptyInts.sum() == 0',
      'self.ints.isSorted()',
      'self.emptyInts.isSorted()',
      'self.unsortedInts.isSorted() == false',
      'self.ints.indexOf(2) == 1',
      'self.ints.lastIndexOf(2) == 2',
      'self.ints.indexOf(10) == -1',
      'self.ints.lastIndexOf(10) == -1',
      'self.doubles.sum() == 8.0',
      'self.doubles.min() == 1.5',
      'self.doubles.isSorted()',
      'self.doubles.indexOf(2.0) == 1',
      'self.doubles.lastIndexOf(2.0) == 2',
      'self.intBackedDoubles.sum() == 8.0',
      'self.intBackedDoubles.indexOf(2.0) == 1',
      "self.durations.sum() == duration('1h2m1s')",
      'self.durations.isSorted()',
      'self.unsortedDurations.isSorted() == false',
      "self.durations.indexOf(duration('1m')) == 1",
      "self.durations.lastIndexOf(duration('1m')) == 2",
      "self.durations.indexOf(duration('2m')) == -1",
      "self.strings.min() == 'a'",
      "self.strings.max() == 'c'",
      'self.strings.isSorted()',
      'self.emptyStrings.isSorted()',
      'self.unsortedStrings.isSorted() == false',
      "self.strings.indexOf('b') == 1",
      "self.strings.lastIndexOf('b') == 2",
      'self.dates.isSorted()',
      "self.dates.indexOf(timestamp('2000-02-01T00:00:00.000Z')) == 1",
      "self.dates.lastIndexOf(timestamp('2000-02-01T00:00:00.000Z')) == 2",
      "self.dates.lastIndexOf(timestamp('2005-02-01T00:00:00.000Z')) == -1",
      '[[1], [2]].indexOf([1]) == 0',
      "[{'a': 1}, {'b': 2}].lastIndexOf({'b': 2}) == 1",
      'self.objs.indexOf(self.objs[1]) == 1',
      'self.objs.lastIndexOf(self.objs[1]) == 2',
      '([0] + self.emptyInts).min() == 0',
      'dyn([]).sum() == 0',
      'dyn([1, 2]).sum() == 3',
      'dyn([1.0, 2.0]).sum() == 3.0',
      '[].sum() == 0',
    ],
  },
  {
    name: 'regex',
    self: { str: 'this is a 123 string 456' },
    schema: obj({ str }),
    rules: [
      "self.str.find('[0-9]+') == '123'",
      "self.str.find('[0-9]+') != '456'",
      "self.str.find('xyz') == ''",
      "self.str.findAll('[0-9]+') == ['123', '456']",
      "self.str.findAll('[0-9]+', 0) == []",
      "self.str.findAll('[0-9]+', 1) == ['123']",
      "self.str.findAll('[0-9]+', 2) == ['123', '456']",
      "self.str.findAll('[0-9]+', 3) == ['123', '456']",
      "self.str.findAll('[0-9]+', -1) == ['123', '456']",
      "self.str.findAll('xyz') == []",
      "self.str.findAll('xyz', 1) == []",
    ],
  },
  {
    name: 'URL parsing',
    self: { url: 'https://user:pass@kubernetes.io:80/docs/home?k1=a&k2=b&k2=c#anchor' },
    schema: obj({ url: str }),
    rules: [
      "url('/path').getScheme() == ''",
      "url('https://example.com/').getScheme() == 'https'",
      "url('https://example.com:80/').getHost() == 'example.com:80'",
      "url('https://example.com/').getHost() == 'example.com'",
      "url('https://[::1]:80/').getHost() == '[::1]:80'",
      "url('https://[::1]/').getHost() == '[::1]'",
      "url('/path').getHost() == ''",
      "url('https://example.com:80/').getHostname() == 'example.com'",
      "url('https://127.0.0.1/').getHostname() == '127.0.0.1'",
      "url('https://[::1]/').getHostname() == '::1'",
      "url('/path').getHostname() == ''",
      "url('https://example.com:80/').getPort() == '80'",
      "url('https://example.com/').getPort() == ''",
      "url('/path').getPort() == ''",
      "url('https://example.com/path').getEscapedPath() == '/path'",
      "url('https://example.com/with space/').getEscapedPath() == '/with%20space/'",
      "url('https://example.com').getEscapedPath() == ''",
      "url('https://example.com/path?k1=a&k2=b&k2=c').getQuery() == { 'k1': ['a'], 'k2': ['b', 'c']}",
      "url('https://example.com/path?key with spaces=value with spaces').getQuery() == { 'key with spaces': ['value with spaces']}",
      "url('https://example.com/path?').getQuery() == {}",
      "url('https://example.com/path').getQuery() == {}",
      "url(self.url).getScheme() == 'https'",
      "url(self.url).getHost() == 'kubernetes.io:80'",
      "url(self.url).getHostname() == 'kubernetes.io'",
      "url(self.url).getPort() == '80'",
      "url(self.url).getEscapedPath() == '/docs/home'",
      "url(self.url).getQuery() == {'k1': ['a'], 'k2': ['b', 'c']}",
      "isURL('https://user:pass@example.com:80/path?query=val#fragment')",
      "isURL('/path') == true",
      "isURL('https://a:b:c/') == false",
      "isURL('../relative-path') == false",
    ],
  },
];

describe.each(VALID)('validation_test.go: $name', ({ self, schema, rules }) => {
  it.each(rules)('%s', (rule) => {
    expect(evalSelf(rule, self, schema)).toBe(true);
  });
});

describe('validation_test.go: list errors', () => {
  const schema = obj({ emptyInts: list(int), emptyDoubles: list(dbl), emptyStrings: list(str) });
  const self = { emptyInts: [], emptyDoubles: [], emptyStrings: [] };
  it.each([
    ['self.emptyInts.min() == 1', 'min called on empty list'],
    ['self.emptyInts.max() == 3', 'max called on empty list'],
    ['self.emptyDoubles.min() == 1.0', 'min called on empty list'],
    ["self.emptyStrings.max() == 'c'", 'max called on empty list'],
  ])('%s', (rule, message) => {
    expect(errorOf(() => evalSelf(rule, self, schema)).message).toBe(message);
  });
});

// k8s.io/apiserver/pkg/cel/library/{ip,cidr,quantity}_test.go
const LIBRARY: Array<[string, unknown]> = [
  ['ip("192.168.0.1") == ip("192.168.0.1")', true],
  ['isIP("192.168.0.1")', true],
  ['isIP("192.168.0.1.0")', false],
  ['ip.isCanonical("127.0.0.1")', true],
  ['ip("192.168.0.1").family()', 4],
  ['ip("0.0.0.0").isUnspecified()', true],
  ['ip("127.0.0.1").isUnspecified()', false],
  ['ip("127.0.0.1").isLoopback()', true],
  ['ip("1.2.3.4").isLoopback()', false],
  ['ip("224.0.0.1").isLinkLocalMulticast()', true],
  ['ip("224.0.1.1").isLinkLocalMulticast()', false],
  ['ip("169.254.169.254").isLinkLocalUnicast()', true],
  ['ip("192.168.0.1").isLinkLocalUnicast()', false],
  ['ip("192.168.0.1").isGlobalUnicast()', true],
  ['ip("255.255.255.255").isGlobalUnicast()', false],
  ['isIP("2001:db8::68")', true],
  ['isIP("2001:db8:::68")', false],
  ['ip.isCanonical("2001:db8::68")', true],
  ['ip.isCanonical("2001:DB8::68")', false],
  ['ip("2001:db8::68").family()', 6],
  ['ip("::").isUnspecified()', true],
  ['ip("::1").isUnspecified()', false],
  ['ip("::1").isLoopback()', true],
  ['ip("2001:db8::abcd").isLoopback()', false],
  ['ip("ff02::1").isLinkLocalMulticast()', true],
  ['ip("fd00::1").isLinkLocalMulticast()', false],
  ['ip("fe80::1").isLinkLocalUnicast()', true],
  ['ip("fd80::1").isLinkLocalUnicast()', false],
  ['ip("2001:db8::abcd").isGlobalUnicast()', true],
  ['ip("ff00::1").isGlobalUnicast()', false],
  ['string(ip("192.168.0.1"))', '192.168.0.1'],
  ['cidr("192.168.0.0/24").containsIP(ip("192.168.0.1"))', true],
  ['cidr("192.168.0.0/24").containsIP(ip("192.168.1.1"))', false],
  ['cidr("192.168.0.0/24").containsIP("192.168.0.1")', true],
  ['cidr("192.168.0.0/24").containsIP("192.168.1.1")', false],
  ['cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/25"))', true],
  ['cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.1/32"))', true],
  ['cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/23"))', false],
  ['cidr("192.168.0.0/24").containsCIDR(cidr("192.169.0.1/32"))', false],
  ['cidr("192.168.0.0/24").containsCIDR("192.168.0.0/25")', true],
  ['cidr("192.168.0.0/24").containsCIDR("192.168.0.0/23")', false],
  ['cidr("192.168.0.0/24").ip() == ip("192.168.0.0")', true],
  ['cidr("192.168.0.1/24").masked() == cidr("192.168.0.0/24")', true],
  ['cidr("192.168.0.0/24").prefixLength()', 24],
  ['cidr("2001:db8::/32").containsIP(ip("2001:db8::1"))', true],
  ['cidr("2001:db8::/32").containsIP(ip("2001:dc8::1"))', false],
  ['cidr("2001:db8::/32").containsCIDR(cidr("2001:db8::/33"))', true],
  ['cidr("2001:db8::/32").containsCIDR("2001:db8::/31")', false],
  ['cidr("2001:db8:1::/32").masked() == cidr("2001:db8::/32")', true],
  ['cidr("2001:db8::/32").prefixLength()', 32],
  ['string(cidr("192.168.0.0/24"))', '192.168.0.0/24'],
  ['isQuantity("20")', true],
  ['isQuantity("20M")', true],
  ['isQuantity("20Mi")', true],
  ['isQuantity("20Mo")', false],
  ['isQuantity("10Mm")', false],
  ['quantity("200M") == quantity("200M")', true],
  ['quantity("200M") == quantity("0.2G") && quantity("0.2G") == quantity("200M")', true],
  ['quantity("2M") == quantity("0.002G") && quantity("2000k") == quantity("2M") && quantity("0.002G") == quantity("2000k")', true],
  ['quantity("200M") == quantity("0.3G")', false],
  ['quantity("50M").isLessThan(quantity("50Mi"))', true],
  ['quantity("50M").isLessThan(quantity("100M"))', true],
  ['quantity("100M").isLessThan(quantity("50M"))', false],
  ['quantity("50Mi").isGreaterThan(quantity("50M"))', true],
  ['quantity("150Mi").isGreaterThan(quantity("100Mi"))', true],
  ['quantity("50M").isGreaterThan(quantity("100M"))', false],
  ['quantity("200M").compareTo(quantity("0.2G"))', 0],
  ['quantity("50M").compareTo(quantity("50Mi"))', -1],
  ['quantity("50Mi").compareTo(quantity("50M"))', 1],
  ['quantity("50k").add(quantity("20")) == quantity("50.02k")', true],
  ['quantity("50k").add(20).isLessThan(quantity("50020"))', false],
  ['quantity("50k").sub(quantity("20")) == quantity("49.98k")', true],
  ['quantity("50k").sub(20) == quantity("49980")', true],
  ['quantity("50k").add(20).sub(quantity("100k")).asInteger()', -49980],
  ['quantity("50k").add(20).sub(quantity("100k")).sub(-50000).asInteger()', 20],
  ['quantity("50k").asInteger()', 50000],
  ['quantity("9999999999999999999999999999999999999G").isInteger()', false],
  ['quantity("50").isInteger()', true],
  ['quantity("50.703k").asApproximateFloat()', 50703],
  ['[quantity("9999999999999999999999999999999999999")].all(x, x.add(quantity("1")).compareTo(x.add(quantity("2"))) == -1)', true],
  // format_test.go
  ['format.dns1123Label().validate("my-label-name")', null],
  ['format.named("dns1123Label").value().validate("my-label-name").hasValue()', false],
  ['format.named("unknown").hasValue()', false],
  ['format.dns1123Subdomain().validate("apiextensions.k8s.io")', null],
  ['format.qualifiedName().validate("apiextensions.k8s.io/v1beta1")', null],
  ['format.dns1123LabelPrefix().validate("my-label-prefix-")', null],
  ['format.dns1123SubdomainPrefix().validate("mysubdomain.prefix.-")', null],
  ['format.dns1035LabelPrefix().validate("my-label-prefix-")', null],
  ['format.uri().validate("http://example.com")', null],
  ['format.uuid().validate("123e4567-e89b-12d3-a456-426614174000")', null],
  ['format.byte().validate("aGVsbG8=")', null],
  ['format.date().validate("2021-01-01")', null],
  ['format.datetime().validate("2021-01-01T00:00:00Z")', null],
  [
    'format.dns1123Label().validate("contains a space")',
    [
      "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
    ],
  ],
  ['format.dns1123Label().validate("a.b")', ['must not contain dots']],
  ['format.uuid().validate("not-a-uuid")', ['does not match the UUID format']],
  ['format.byte().validate("a-b")', ['invalid base64']],
  ['format.date().validate("2021-13-01")', ['invalid date']],
  ['format.datetime().validate("2021-01-01")', ['invalid datetime']],
];

describe('k8s.io/apiserver/pkg/cel/library tests', () => {
  it.each(LIBRARY)('%s', (expr, expected) => {
    expect(compileCel(expr, { variables: [] }).evaluate({})).toEqual(expected);
  });

  it.each([
    ['ip("192.168.0.1.0")', 'IP Address "192.168.0.1.0" parse error during conversion from string: ParseAddr("192.168.0.1.0"): IPv4 address too long'],
    [
      'ip("2001:db8:::68")',
      'IP Address "2001:db8:::68" parse error during conversion from string: ParseAddr("2001:db8:::68"): each colon-separated field must have at least one digit (at ":68")',
    ],
    [
      'cidr("192.168.0.0/")',
      'network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix("192.168.0.0/"): bad bits after slash: ""',
    ],
    ['quantity("10Mo")', "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"],
    ['quantity("10Mm")', "unable to parse quantity's suffix"],
    ['quantity("9999999999999999999999999999999999999G").asInteger()', 'cannot convert value to integer'],
  ])('%s fails', (expr, message) => {
    const err = errorOf(() => compileCel(expr, { variables: [] }).evaluate({}));
    expect(err.kind).toBe('evaluation');
    expect(err.message).toBe(message);
  });
});

describe('cel.bind (cel-go ext.Bindings)', () => {
  it.each([
    ['cel.bind(a, 1, a + 1)', 2],
    ["cel.bind(a, 'x', cel.bind(b, a + 'y', b + a))", 'xyx'],
    ['cel.bind(ns, self.spec.names, ns.all(n, n.size() < 5) && size(ns) == 2)', true],
  ])('%s', (expr, expected) => {
    expect(compileCel(expr, { variables: ['self'] }).evaluate({ self: { spec: { names: ['a', 'bc'] } } })).toEqual(expected);
  });

  it('the bound variable has the type of its value', () => {
    const err = errorOf(() => compileCel("cel.bind(a, self.n, a == 'x')", { variables: ['self'], schemas: { self: obj({ n: int }) } }));
    expect(err.message).toContain("found no matching overload for '_==_' applied to '(int, string)'");
  });
});

describe('cost', () => {
  it('stops a runaway expression (nested all() over big lists) at the limit', () => {
    const p = compileCel('self.all(x, self.all(y, self.all(z, x + y + z >= 0)))', { variables: ['self'] });
    const big = Array.from({ length: 200 }, (_, i) => i);
    const started = Date.now();
    const err = errorOf(() => p.evaluate({ self: big }));
    expect(err.kind).toBe('cost');
    expect(err.message).toBe('operation cancelled: actual cost limit exceeded');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a cost swallowed by || still fails the evaluation', () => {
    const p = compileCel('true || self.all(x, self.all(y, self.all(z, true)))', { variables: ['self'], costLimit: 100 });
    // `true ||` short-circuits: nothing runs.
    expect(p.evaluate({ self: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] })).toBe(true);
    const q = compileCel('self.all(x, self.all(y, self.all(z, true))) || true', { variables: ['self'], costLimit: 100 });
    expect(errorOf(() => q.evaluate({ self: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10] })).kind).toBe('cost');
  });

  it('tells the cost used, growing with the data', () => {
    const p = compileCel('self.all(x, x > 0)', { variables: ['self'] });
    const small = p.evaluateWithCost({ self: [1, 2] }).cost;
    const large = p.evaluateWithCost({ self: Array.from({ length: 100 }, () => 1) }).cost;
    expect(large).toBeGreaterThan(small * 10);
  });
});
