/**
 * fieldpath tests ported from structured-merge-diff v6.4.2 (fieldpath/serialize_test.go,
 * serialize-pe_test.go, set_test.go, path_test.go): FieldsV1 golden data (3), non-normalized input
 * (2), JSON that must fail (49) or succeed (19), unknown prefixes dropped, path elements round-tripped
 * (27) or refused (24) or accepted (16), random round trips, set union/intersection/difference/leaves,
 * iteration and path strings. All pass.
 */
import {
  FieldSet,
  elementString,
  fieldElement,
  indexElement,
  keyElement,
  keyElementByFields,
  makePath,
  pathString,
  valueElement,
  type Path,
  type PathElement,
} from './fieldpath.js';
import { deserializePathElement, serializePathElement, setFromJSON, setToFieldsV1, setToJSON, UnknownPathElementTypeError } from './fieldsv1.js';

const GOLDEN: string[] = ["{\"f:aaa\":{},\"f:aab\":{},\"f:aac\":{},\"f:aad\":{},\"f:aae\":{},\"f:aaf\":{},\"k:{\\\"name\\\":\\\"first\\\"}\":{},\"k:{\\\"name\\\":\\\"second\\\"}\":{},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{},\"v:1\":{},\"v:2\":{},\"v:3\":{},\"v:\\\"aa\\\"\":{},\"v:\\\"ab\\\"\":{},\"v:true\":{},\"i:1\":{},\"i:2\":{},\"i:3\":{},\"i:4\":{}}", "{\"f:aaa\":{\"k:{\\\"name\\\":\\\"second\\\"}\":{\"v:3\":{\"f:aab\":{}}},\"v:3\":{},\"v:true\":{}},\"f:aab\":{\"f:aaa\":{},\"f:aaf\":{\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{}}},\"k:{\\\"name\\\":\\\"first\\\"}\":{}},\"f:aac\":{\"f:aaa\":{\"v:1\":{}},\"f:aac\":{},\"v:3\":{\"k:{\\\"name\\\":\\\"second\\\"}\":{}}},\"f:aad\":{\"f:aac\":{\"v:1\":{}},\"f:aaf\":{\"k:{\\\"name\\\":\\\"first\\\"}\":{\"k:{\\\"name\\\":\\\"first\\\"}\":{}}},\"i:1\":{\"i:1\":{},\"i:3\":{\"v:true\":{}}}},\"f:aae\":{\"f:aae\":{},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{}},\"i:4\":{\"f:aaf\":{}}},\"f:aaf\":{\"i:1\":{\"f:aac\":{}},\"i:2\":{},\"i:3\":{}},\"k:{\\\"name\\\":\\\"first\\\"}\":{\"f:aad\":{\"f:aaf\":{}}},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{\"f:aaa\":{\"f:aad\":{}}},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{\"f:aac\":{},\"k:{\\\"name\\\":\\\"first\\\"}\":{\"i:3\":{}},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{\"i:4\":{}}},\"v:1\":{\"f:aac\":{\"i:4\":{}},\"f:aaf\":{},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{}},\"v:2\":{\"f:aad\":{\"f:aaf\":{}},\"i:1\":{}},\"v:3\":{\"f:aaa\":{},\"k:{\\\"name\\\":\\\"first\\\"}\":{},\"i:2\":{}},\"v:\\\"aa\\\"\":{\"f:aab\":{\"f:aaf\":{}},\"f:aae\":{},\"k:{\\\"name\\\":\\\"first\\\"}\":{\"f:aad\":{}},\"i:2\":{}},\"v:\\\"ab\\\"\":{\"f:aaf\":{\"i:4\":{}},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{},\"v:1\":{\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{}},\"i:1\":{\"f:aae\":{\"i:4\":{}}}},\"v:true\":{\"k:{\\\"name\\\":\\\"second\\\"}\":{\"f:aaa\":{}},\"i:2\":{\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{}}},\"i:1\":{\"i:3\":{\"f:aaf\":{}}},\"i:2\":{\"f:aae\":{},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{\"v:1\":{}}},\"i:3\":{\"f:aab\":{\"v:true\":{\"v:\\\"aa\\\"\":{}}},\"f:aaf\":{},\"i:1\":{}},\"i:4\":{\"v:\\\"aa\\\"\":{\"f:aab\":{\"k:{\\\"name\\\":\\\"second\\\"}\":{}}}}}", "{\"f:spec\":{\".\":{},\"f:apps\":{\".\":{},\"k:{\\\"name\\\":\\\" app-💻\\\"}\":{\".\":{},\"f:container\":{\".\":{},\"f:image\":{},\"f:name\":{},\"f:ports\":{\".\":{},\"k:{\\\"name\\\":\\\"port 🔑\\\"}\":{\".\":{},\"f:containerPort\":{},\"f:name\":{}}}},\"f:name\":{}},\"k:{\\\"name\\\":\\\" app-🚀\\\"}\":{\".\":{},\"f:container\":{\".\":{},\"f:image\":{},\"f:name\":{},\"f:ports\":{\".\":{},\"k:{\\\"name\\\":\\\"port-✅ \\\"}\":{\".\":{},\"f:containerPort\":{},\"f:name\":{}}}},\"f:name\":{}}}}}"];

const NON_NORMALIZED: Array<[string, string]> = [["{\n  \"f:aad\": {},\n  \"f:aaa\": {},\n  \"f:aab\": {},\n  \"f:aac\": {},\n  \"f:aae\": {},\n  \"f:aaf\": {},\n\n\n  \"k:{\\\"name\\\":\\\"first\\\"}\": {},\n  \"k:{\\\"name\\\":\\\"second\\\"}\": {},\n  \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\": {},\n  \"k:{ \\\"protocol\\\":\\\"udp\\\",\\\"port\\\":443}\": {},\n  \"v:1\": {},\n\n  \"v:2\": {},\n  \"v: 3\": {},\n  \"v:\\\"aa\\\"\": {},\n\n  \"v:\\\"ab\\\"\": {},\n  \"v:true\": {},\n  \"i:1\": {},\n  \t\"i:2\": {},\n  \"i:3\": {}  ,\n  \"i:4\":    {}\n}", "{\"f:aaa\":{},\"f:aab\":{},\"f:aac\":{},\"f:aad\":{},\"f:aae\":{},\"f:aaf\":{},\"k:{\\\"name\\\":\\\"first\\\"}\":{},\"k:{\\\"name\\\":\\\"second\\\"}\":{},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{},\"v:1\":{},\"v:2\":{},\"v:3\":{},\"v:\\\"aa\\\"\":{},\"v:\\\"ab\\\"\":{},\"v:true\":{},\"i:1\":{},\"i:2\":{},\"i:3\":{},\"i:4\":{}}"], ["{\n  \"f:aaa\": {\n    \"k:{\\\"name\\\":\\\"second\\\"}\": {\n      \"v:3\": {\n        \"f:aab\": {}\n      }\n    },\n    \"v:3\": {},\n    \"v:true\": {}\n  },\n  \"f:aab\": {\n    \"f:aaa\": {},\n    \"f:aaf\": {\n      \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\": {\n        \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\": {}\n      }\n    },\n    \"k:{\\\"name\\\":\\\"first\\\"}\": {}\n  },\n  \"f:aac\": {\n    \"f:aaa\": {\n      \"v:1\": {}\n    },\n    \"f:aac\": {},\n    \"v:3\": {\n      \"k:{\\\"name\\\":\\\"second\\\"}\": {}\n    }\n  },\n  \"f:aad\": {\n    \"f:aac\": {\n      \"v:1\": {}\n    },\n    \"f:aaf\": {\n      \"k:{\\\"name\\\":\\\"first\\\"}\": {\n        \"k:{\\\"name\\\":\\\"first\\\"}\": {}\n      }\n    },\n    \"i:1\": {\n      \"i:1\": {},\n      \"i:3\": {\n        \"v:true\": {}\n      }\n    }\n  },\n  \"f:aae\": {\n    \"f:aae\": {},\n    \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\": {\n      \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\": {}\n    },\n    \"i:4\": {\n      \"f:aaf\": {}\n    }\n  },\n  \"f:aaf\": {\n    \"i:1\": {\n      \"f:aac\": {}\n    },\n\t\"i:3\": {},\n    \"i:2\": {}\n  },\n  \"k:{\\\"name\\\":\\\"first\\\"}\": {\n    \"f:aad\": {\n      \"f:aaf\": {}\n    }\n  },\n  \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\": {\n    \"f:aaa\": {\n      \"f:aad\": {}\n    }\n  },\n  \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\": {\n    \"f:aac\": {},\n    \"k:{\\\"name\\\":\\\"first\\\"}\": {\n      \"i:3\": {}\n    },\n    \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\": {\n      \"i:4\": {}\n    }\n  },\n   \"v:2\": {\n    \"f:aad\": {\n      \"f:aaf\": {}\n    },\n    \"i:1\": {}\n  },\n  \"v:1\": {\n    \"f:aac\": {\n      \"i:4\": {}\n    },\n    \"f:aaf\": {},\n    \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\": {}\n  },\n  \"v:3\": {\n    \"f:aaa\": {},\n    \"k:{\\\"name\\\":\\\"first\\\"}\": {},\n    \"i:2\": {}\n  },\n  \"v:\\\"aa\\\"\": {\n    \"f:aab\": {\n      \"f:aaf\": {}\n    },\n    \"f:aae\": {},\n    \"k:{\\\"name\\\":\\\"first\\\"}\": {\n      \"f:aad\": {}\n    },\n    \"i:2\": {}\n  },\n  \"v:\\\"ab\\\"\": {\n    \"f:aaf\": {\n      \"i:4\": {}\n    },\n    \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\": {},\n    \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\": {},\n    \"v:1\": {\n      \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\": {}\n    },\n    \"i:1\": {\n      \"f:aae\": {\n        \"i:4\": {}\n      }\n    }\n  },\n  \n  \"v:true\": {\n    \"k:{\\\"name\\\":\\\"second\\\"}\": {\n      \"f:aaa\": {}\n    },\n    \"i:2\": {\n      \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\": {}\n    }\n  },\n\n  \n  \"i:1\": {\n    \"i:3\": {\n      \"f:aaf\": {}\n    }\n  },\n\n  \"i:3\": {\n    \"f:aab\": {\n      \"v:true\": {\n        \"v:\\\"aa\\\"\": {}\n      }\n    },\n    \"f:aaf\": {},\n    \"i:1\": {}\n  },\n\n  \"i:2\": {\n    \"f:aae\": {},\n    \"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\": {\n      \"v:1\": {}\n    }\n  },\n\n  \"i:4\": {\n    \"v:\\\"aa\\\"\": {\n      \"f:aab\": {\n        \"k:{\\\"name\\\":\\\"second\\\"}\": {}\n      }\n    }\n  }\n}", "{\"f:aaa\":{\"k:{\\\"name\\\":\\\"second\\\"}\":{\"v:3\":{\"f:aab\":{}}},\"v:3\":{},\"v:true\":{}},\"f:aab\":{\"f:aaa\":{},\"f:aaf\":{\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{}}},\"k:{\\\"name\\\":\\\"first\\\"}\":{}},\"f:aac\":{\"f:aaa\":{\"v:1\":{}},\"f:aac\":{},\"v:3\":{\"k:{\\\"name\\\":\\\"second\\\"}\":{}}},\"f:aad\":{\"f:aac\":{\"v:1\":{}},\"f:aaf\":{\"k:{\\\"name\\\":\\\"first\\\"}\":{\"k:{\\\"name\\\":\\\"first\\\"}\":{}}},\"i:1\":{\"i:1\":{},\"i:3\":{\"v:true\":{}}}},\"f:aae\":{\"f:aae\":{},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{}},\"i:4\":{\"f:aaf\":{}}},\"f:aaf\":{\"i:1\":{\"f:aac\":{}},\"i:2\":{},\"i:3\":{}},\"k:{\\\"name\\\":\\\"first\\\"}\":{\"f:aad\":{\"f:aaf\":{}}},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{\"f:aaa\":{\"f:aad\":{}}},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{\"f:aac\":{},\"k:{\\\"name\\\":\\\"first\\\"}\":{\"i:3\":{}},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{\"i:4\":{}}},\"v:1\":{\"f:aac\":{\"i:4\":{}},\"f:aaf\":{},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{}},\"v:2\":{\"f:aad\":{\"f:aaf\":{}},\"i:1\":{}},\"v:3\":{\"f:aaa\":{},\"k:{\\\"name\\\":\\\"first\\\"}\":{},\"i:2\":{}},\"v:\\\"aa\\\"\":{\"f:aab\":{\"f:aaf\":{}},\"f:aae\":{},\"k:{\\\"name\\\":\\\"first\\\"}\":{\"f:aad\":{}},\"i:2\":{}},\"v:\\\"ab\\\"\":{\"f:aaf\":{\"i:4\":{}},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{},\"v:1\":{\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"udp\\\"}\":{}},\"i:1\":{\"f:aae\":{\"i:4\":{}}}},\"v:true\":{\"k:{\\\"name\\\":\\\"second\\\"}\":{\"f:aaa\":{}},\"i:2\":{\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{}}},\"i:1\":{\"i:3\":{\"f:aaf\":{}}},\"i:2\":{\"f:aae\":{},\"k:{\\\"port\\\":443,\\\"protocol\\\":\\\"tcp\\\"}\":{\"v:1\":{}}},\"i:3\":{\"f:aab\":{\"v:true\":{\"v:\\\"aa\\\"\":{}}},\"f:aaf\":{},\"i:1\":{}},\"i:4\":{\"v:\\\"aa\\\"\":{\"f:aab\":{\"k:{\\\"name\\\":\\\"second\\\"}\":{}}}}}"]];

const FROM_JSON_ERRORS: Array<[string, string]> = [["rootArray", "[]"], ["rootNumber", "42"], ["rootString", "\"hi\""], ["empty", ""], ["whitespaceOnly", "   "], ["numberAsKey", "{1:{}}"], ["trailingCommaAfterEntry", "{\"f:a\":{},}"], ["closedBeforeColon", "{\"f:a\" }:{}}"], ["closedBeforeValue", "{\"f:a\":}"], ["valueIsNumber", "{\"f:a\":1}"], ["valueIsArray", "{\"f:a\":[]}"], ["valueOpenedAsArrayClosedAsObject", "{\"f:a\":[}"], ["valueOpenedAsObjectClosedAsArray", "{\"f:a\":{]}"], ["doubleCommaBetweenEntries", "{\"f:a\":{},,\"f:b\":{}}"], ["missingCommaBetweenEntries", "{\"f:a\":{} \"f:b\":{}}"], ["doubleColonAfterKey", "{\"f:a\"::{}}"], ["colonWithoutKey", "{:1}"], ["keyWithoutColon", "{\"f:a\"}"], ["leadingCommaInsideValue", "{\"f:a\":{,}}"], ["bareCloseBrace", "}"], ["keyEmptyString", "{\"\":{}}"], ["keyMissingColon", "{\"x\":{}}"], ["keyOnlyColon", "{\":\":{}}"], ["unclosedAfterOpen", "{"], ["unclosedAfterValue", "{\"f:a\":{}"], ["unclosedAfterTrailingComma", "{\"f:a\":{},"], ["truncatedOpenQuoteOnly", "{\""], ["truncatedKeyTypeOnly", "{\"f"], ["truncatedKeySeparator", "{\"f:"], ["truncatedKeyNoCloseQuote", "{\"f:a"], ["truncatedAfterKey", "{\"f:a\""], ["truncatedAfterColon", "{\"f:a\":"], ["truncatedAfterNestedOpen", "{\"f:a\":{"], ["truncatedAfterNestedKey", "{\"f:a\":{\"f:b\""], ["truncatedAfterNestedColon", "{\"f:a\":{\"f:b\":"], ["truncatedAfterNestedValue", "{\"f:a\":{\"f:b\":{}"], ["truncatedAfterNestedComma", "{\"f:a\":{\"f:b\":{},"], ["truncatedKeyWithEscape", "{\"f:a\\"], ["truncatedKeyInsideUnicodeEscape", "{\"f:\\u00"], ["truncatedAtSecondKey", "{\"f:a\":{}, \"f"], ["truncatedAtSecondKeyClose", "{\"f:a\":{}, \"f:b"], ["trailingCloseBrace", "{\"f:a\":{}}}"], ["trailingObject", "{\"f:a\":{}}{}"], ["trailingString", "{\"f:a\":{}}\"string\""], ["trailingNumber", "{\"f:a\":{}}42"], ["trailingWhitespaceThenCloseBrace", "{\"f:a\":{}}  }"], ["trailingWhitespaceThenObject", "{\"f:a\":{}}  {}"], ["trailingWhitespaceThenString", "{\"f:a\":{}}  \"x\""], ["trailingWhitespaceThenNumber", "{\"f:a\":{}}\n42"]];

const FROM_JSON_OK: Array<[string, string]> = [["trailingSpace", "{\"f:a\":{}} "], ["trailingTab", "{\"f:a\":{}}\t"], ["trailingNewline", "{\"f:a\":{}}\n"], ["trailingCarriageReturn", "{\"f:a\":{}}\r"], ["trailingMultipleSpaces", "{\"f:a\":{}}     "], ["trailingMixedWhitespace", "{\"f:a\":{}} \t\n\r "], ["leadingSpace", " {\"f:a\":{}}"], ["leadingTab", "\t{\"f:a\":{}}"], ["leadingNewline", "\n{\"f:a\":{}}"], ["leadingCarriageReturn", "\r{\"f:a\":{}}"], ["leadingMultipleSpaces", "     {\"f:a\":{}}"], ["leadingMixedWhitespace", " \t\n\r {\"f:a\":{}}"], ["surroundingMixedWhitespace", " \t\n\r {\"f:a\":{}} \t\n\r "], ["whitespaceAroundEmptySet", "  {}  "], ["whitespaceBetweenTokens", "{ \"f:a\" : {} }"], ["whitespaceBeforeKey", "{\n\t\"f:a\":{}}"], ["whitespaceAfterColon", "{\"f:a\":     {}}"], ["bareNull", "null"], ["nullWithSurroundingWhitespace", " null "]];

const PE_ERRORS: string[] = ["", "no-colon", "i:index is not a number", "i:1.23", "i:", "v:invalid json", "v:", "k:invalid json", "k:{\"name\":invalid}", "v:{\"some\":\" \\x41\"}", "v", "k", "f", "i", "v:{\"a\":\"b\"", "k:{\"a\":\"b\"", "i: 0", "i:0 ", "v:{\"some\":\"json\"} {\"other\":\"json\"}", "k:{\"name\":\"my-container\"} {\"other\":\"my-container\"}", "v:{\"some\":\"json\"} {\"other\":\"json\"", "k:{\"name\":\"my-container\"} {\"other\":\"my-container\"", "v:{\"some\":\"json\"} garbage", "k:{\"name\":\"my-container\"} garbage"];
const K = (...nv: unknown[]): PathElement => keyElementByFields(...nv);
const P = (...parts: Array<string | number | PathElement>): Path => makePath(...parts);

describe('FieldsV1 (serialize_test.go)', () => {
  it.each(GOLDEN.map((g, i) => [i, g]))('golden data %s round-trips byte for byte', (_i, golden) => {
    expect(setToJSON(setFromJSON(golden as string))).toBe(golden);
  });

  it.each(NON_NORMALIZED)('non-normalized input reads as the normalized set (%#)', (nonNormalized, normalized) => {
    const a = setFromJSON(nonNormalized);
    const b = setFromJSON(normalized);
    expect(a.equals(b)).toBe(true);
    expect(setToJSON(a)).toBe(normalized);
  });

  it.each(FROM_JSON_ERRORS)('%s is refused', (_name, input) => {
    expect(() => setFromJSON(input)).toThrow();
  });

  it.each(FROM_JSON_OK)('%s is accepted', (_name, input) => {
    expect(() => setFromJSON(input)).not.toThrow();
  });

  it('drops path elements of unknown types (TestDropUnknown)', () => {
    expect(setToJSON(setFromJSON('{"f:aaa":{},"r:aab":{}}'))).toBe('{"f:aaa":{}}');
  });

  it('round-trips random sets (TestSerializeV1)', () => {
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const randomElement = (): PathElement => {
      switch (rand(4)) {
        case 0:
          return fieldElement(['aaa', 'aab', 'aac', 'aad', 'aae', 'aaf'][rand(6)]);
        case 1:
          return [K('name', 'first'), K('name', 'second'), K('port', 443, 'protocol', 'tcp'), K('port', 443, 'protocol', 'udp')][rand(4)];
        case 2:
          return valueElement([1, 2, 3, 'aa', 'ab', true][rand(6)]);
        default:
          return indexElement(rand(4) + 1);
      }
    };
    for (let i = 0; i < 200; i++) {
      const x = new FieldSet();
      for (let j = 0; j < 50; j++) x.insert(Array.from({ length: 2 + rand(4) }, randomElement));
      const json = setToJSON(x);
      const x2 = setFromJSON(json);
      expect(x2.equals(x)).toBe(true);
      expect(setToJSON(x2)).toBe(json);
      expect(setFromJSON(JSON.stringify(setToFieldsV1(x))).equals(x)).toBe(true);
    }
  });

  it('writes a managedFields-like set as Go does', () => {
    const s = FieldSet.of(
      P('metadata', 'labels', 'app'),
      P('metadata', 'labels'),
      P('spec', 'ports', K('port', 80, 'protocol', 'TCP')),
      P('spec', 'ports', K('port', 80, 'protocol', 'TCP'), 'port'),
      P('spec', 'finalizers', valueElement('a<b')),
    );
    expect(setToJSON(s)).toBe(
      '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:finalizers":{"v:\\"a\\\\u003cb\\"":{}},"f:ports":{"k:{\\"port\\":80,\\"protocol\\":\\"TCP\\"}":{".":{},"f:port":{}}}}}',
    );
  });
});

describe('path elements (serialize-pe_test.go)', () => {
  const roundTrips: Array<[string, PathElement]> = [
    ['i:0', indexElement(0)],
    ['i:1234', indexElement(1234)],
    ['f:', fieldElement('')],
    ['f:spec', fieldElement('spec')],
    ['f:more-complicated-string', fieldElement('more-complicated-string')],
    ['f: string-with-spaces   ', fieldElement(' string-with-spaces   ')],
    ['f:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', fieldElement('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')],
    ['k:{"name":"my-container"}', keyElement([{ name: 'name', value: 'my-container' }])],
    ['k:{"name":"   name with spaces   "}', keyElement([{ name: 'name', value: '   name with spaces   ' }])],
    ['k:{"port":"8080","protocol":"TCP"}', keyElement([{ name: 'port', value: '8080' }, { name: 'protocol', value: 'TCP' }])],
    ['k:{"optionalField":null}', keyElement([{ name: 'optionalField', value: null }])],
    ['k:{"jsonField":{"A":1,"B":null,"C":"D","E":{"F":"G"}}}', keyElement([{ name: 'jsonField', value: { A: 1, B: null, C: 'D', E: { F: 'G' } } }])],
    ['k:{"listField":["1","2","3"]}', keyElement([{ name: 'listField', value: ['1', '2', '3'] }])],
    ['v:null', valueElement(null)],
    ['v:"some-string"', valueElement('some-string')],
    ['v:1234', valueElement(1234)],
    ['v:{"some":"json"}', valueElement({ some: 'json' })],
    ['v:{"some":" some  with spaces  "}', valueElement({ some: ' some  with spaces  ' })],
    ['k:{"name":"app-🚀"}', keyElement([{ name: 'name', value: 'app-🚀' }])],
    ['k:{"name":"app-💻"}', keyElement([{ name: 'name', value: 'app-💻' }])],
    ['k:{"name":"app with-unicøde"}', keyElement([{ name: 'name', value: 'app with-unicøde' }])],
    ['k:{"name":"你好世界"}', keyElement([{ name: 'name', value: '你好世界' }])],
    ['k:{"name":"Привет, мир"}', keyElement([{ name: 'name', value: 'Привет, мир' }])],
    ['k:{"name":"नमस्ते दुनिया"}', keyElement([{ name: 'name', value: 'नमस्ते दुनिया' }])],
    ['k:{"name":"👋"}', keyElement([{ name: 'name', value: '👋' }])],
    ['f:spec-🚀', fieldElement('spec-🚀')],
    ['f:spec-\\n', fieldElement('spec-\\n')],
  ];
  it.each(roundTrips)('%s round-trips', (text, pe) => {
    expect(deserializePathElement(text)).toEqual(pe);
    expect(serializePathElement(pe)).toBe(text);
  });

  it('refuses unknown qualifiers as such (TestPathElementIgnoreUnknown)', () => {
    expect(() => deserializePathElement('r:Hello')).toThrow(UnknownPathElementTypeError);
  });

  it.each(PE_ERRORS)('%j is refused', (text) => {
    expect(() => deserializePathElement(text)).toThrow();
  });

  const successes: Array<[string, PathElement]> = [
    ['v: {"some":"json"}', valueElement({ some: 'json' })],
    ['k: {"name":"my-container"}', keyElement([{ name: 'name', value: 'my-container' }])],
    ['v:{"some":"json"} ', valueElement({ some: 'json' })],
    ['k:{"name":"my-container"} ', keyElement([{ name: 'name', value: 'my-container' }])],
    ['k:{"name\\u002dcontainer":"my-container"}', keyElement([{ name: 'name-container', value: 'my-container' }])],
    ['k:{"name\\nwith\\nnewlines":"my-container"}', keyElement([{ name: 'name\nwith\nnewlines', value: 'my-container' }])],
    ['k:{"name\\"quoted\\"":"my-container"}', keyElement([{ name: 'name"quoted"', value: 'my-container' }])],
    ['k:{"name-\\ud83d\\ude80":"my-container"}', keyElement([{ name: 'name-🚀', value: 'my-container' }])],
    ['k:{"\\u4f60\\u597d":"\\u4e16\\u754c"}', keyElement([{ name: '你好', value: '世界' }])],
    ['v:"value\\u002dcontainer"', valueElement('value-container')],
    ['v:"value\\nwith\\nnewlines"', valueElement('value\nwith\nnewlines')],
    ['v:"value\\"quoted\\""', valueElement('value"quoted"')],
    ['v:"value-\\ud83d\\ude80"', valueElement('value-🚀')],
    ['v:"\\u4f60\\u597d"', valueElement('你好')],
    ['k:{"name-🚀":"my-container"}', keyElement([{ name: 'name-🚀', value: 'my-container' }])],
    ['v:"value-🚀"', valueElement('value-🚀')],
  ];
  it.each(successes)('%s is read', (text, pe) => {
    expect(deserializePathElement(text)).toEqual(pe);
  });
});

describe('sets (set_test.go)', () => {
  it('a single-path set prints as its path (TestSetString)', () => {
    const p = P('foo', K('name', 'first'));
    expect(FieldSet.of(p).toString()).toBe(pathString(p));
  });

  it('iterates every path, sizes counting them (TestSetIterSize)', () => {
    const s1 = FieldSet.of(
      P('foo', 0, 'bar', 'baz'),
      P('foo', 0, 'bar', 'zot'),
      P('foo', 0, 'bar'),
      P('foo', 0),
      P('foo', 1, 'bar', 'baz'),
      P('foo', 1, 'bar'),
      P('qux', K('name', 'first')),
      P('qux', K('name', 'first'), 'bar'),
      P('qux', K('name', 'second'), 'bar'),
    );
    const s2 = new FieldSet();
    let added = 0;
    for (const p of s1) {
      expect(s2.size).toBe(added);
      expect(s2.empty()).toBe(added === 0);
      s2.insert(p);
      added++;
    }
    expect(s1.equals(s2)).toBe(true);
    expect(s1.size).toBe(9);
  });

  it('unions (TestSetUnion)', () => {
    const s1 = FieldSet.of(P('foo', 0), P('foo'), P('bar', 'baz'), P('qux', K('name', 'first')), P('parent', 'child', 'grandchild'));
    const s2 = FieldSet.of(P('foo', 1), P('bar', 'baz'), P('bar'), P('qux', K('name', 'second')), P('parent', 'child'));
    const u = FieldSet.of(
      P('foo', 0),
      P('foo', 1),
      P('foo'),
      P('bar', 'baz'),
      P('bar'),
      P('qux', K('name', 'first')),
      P('qux', K('name', 'second')),
      P('parent', 'child'),
      P('parent', 'child', 'grandchild'),
    );
    expect(s1.union(s2).equals(u)).toBe(true);
  });

  it('intersects and differences (TestSetIntersectionDifference)', () => {
    const nameFirst = K('name', 'first');
    const s1 = FieldSet.of(P('a0'), P('a1'), P('foo', 0), P('foo', 1), P('b0', nameFirst), P('b1', nameFirst), P('bar', 'c0'), P('cp', nameFirst, 'child'));
    const s2 = FieldSet.of(P('a1'), P('a2'), P('foo', 1), P('foo', 2), P('b1', nameFirst), P('b2', nameFirst), P('bar', 'c2'), P('cp', nameFirst));
    expect(s1.intersection(s2).equals(FieldSet.of(P('a1'), P('foo', 1), P('b1', nameFirst)))).toBe(true);
    expect(s1.difference(s2).equals(FieldSet.of(P('a0'), P('foo', 0), P('b0', nameFirst), P('bar', 'c0'), P('cp', nameFirst, 'child')))).toBe(true);
    expect(s2.difference(s1).equals(FieldSet.of(P('a2'), P('foo', 2), P('b2', nameFirst), P('bar', 'c2'), P('cp', nameFirst)))).toBe(true);
  });

  it('recursiveDifference drops what is below a removed member', () => {
    const s1 = FieldSet.of(P('a'), P('a', 'b'), P('a', 'b', 'c'), P('d', 'e'));
    expect(s1.difference(FieldSet.of(P('a'))).equals(FieldSet.of(P('a', 'b'), P('a', 'b', 'c'), P('d', 'e')))).toBe(true);
    expect(s1.recursiveDifference(FieldSet.of(P('a'))).equals(FieldSet.of(P('d', 'e')))).toBe(true);
  });

  it.each([
    ['empty set', [], []],
    ['all leaves', [P('path1'), P('path2'), P('path3')], [P('path1'), P('path2'), P('path3')]],
    ['only one leaf', [P('root'), P('root', 'l1'), P('root', 'l1', 'l2'), P('root', 'l1', 'l2', 'l3')], [P('root', 'l1', 'l2', 'l3')]],
    [
      'multiple values, check for overwrite',
      [P('root', K('name', 'a')), P('root', K('name', 'a'), 'name'), P('root', K('name', 'a'), 'value', 'b'), P('root', K('name', 'a'), 'value', 'c')],
      [P('root', K('name', 'a'), 'name'), P('root', K('name', 'a'), 'value', 'b'), P('root', K('name', 'a'), 'value', 'c')],
    ],
    [
      'multiple values and nested',
      [
        P('root', K('name', 'a')),
        P('root', K('name', 'a'), 'name'),
        P('root', K('name', 'a'), 'value', 'b'),
        P('root', K('name', 'a'), 'value', 'b', 'd'),
        P('root', K('name', 'a'), 'value', 'c'),
      ],
      [P('root', K('name', 'a'), 'name'), P('root', K('name', 'a'), 'value', 'b', 'd'), P('root', K('name', 'a'), 'value', 'c')],
    ],
  ] as Array<[string, Path[], Path[]]>)('leaves: %s (TestSetLeaves)', (_name, input, expected) => {
    expect(FieldSet.of(...input).leaves().equals(FieldSet.of(...expected))).toBe(true);
  });

  it('iterates in Go order: members (fields < keys < values < indexes), then children', () => {
    const s = FieldSet.of(P(3), P(valueElement('x')), P(K('k', 1)), P('b'), P('a', 'z'), P('a'));
    expect(s.paths().map(pathString)).toEqual(['.a', '.b', '[k=1]', '[="x"]', '[3]', '.a.z']);
  });
});

describe('paths (path_test.go)', () => {
  it.each([
    ['basic1', P('foo', 1), '.foo[1]'],
    ['basic2', P('foo', 'bar', 1, 'baz'), '.foo.bar[1].baz'],
    ['associative-list-ref', P('foo', K('a', 'b', 'c', 1, 'd', 1.5, 'e', true)), '.foo[a="b",c=1,d=1.5,e=true]'],
    ['sets', P('foo', valueElement('b'), valueElement(5), valueElement(false), valueElement(3.14159)), '.foo[="b"][=5][=false][=3.14159]'],
    ['simple field', P('spec'), '.spec'],
    ['app container image', P('spec', 'apps', K('name', 'app-🚀'), 'container', 'image'), '.spec.apps[name="app-🚀"].container.image'],
    ['small float', P(valueElement(0.00001)), '[=1e-05]'],
    ['big float', P(valueElement(1234567.5)), '[=1.2345675e+06]'],
  ] as Array<[string, Path, string]>)('%s', (_name, p, expected) => {
    expect(pathString(p)).toBe(expected);
    expect(p.map(elementString).join('')).toBe(expected);
  });
});
