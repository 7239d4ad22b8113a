/**
 * Values as structured-merge-diff's value package sees them (sigs.k8s.io/structured-merge-diff/v6/value):
 * plain JSON, with `undefined` standing for Go's nil Value (absent) and `null` for an explicit null.
 * A number is an int when it is integral and a float otherwise (Go decodes JSON the same way;
 * only `1.0` in a body differs, and Go compares ints and floats by value anyway).
 */

export type Value = unknown;

export const isNull = (v: Value): v is null => v === null;
export const isString = (v: Value): v is string => typeof v === 'string';
export const isBool = (v: Value): v is boolean => typeof v === 'boolean';
export const isNumber = (v: Value): v is number => typeof v === 'number';
export const isInt = (v: Value): v is number => typeof v === 'number' && Number.isInteger(v);
export const isFloat = (v: Value): v is number => typeof v === 'number' && !Number.isInteger(v);
export const isList = (v: Value): v is Value[] => Array.isArray(v);
export function isMap(v: Value): v is Record<string, Value> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
export const isScalar = (v: Value): boolean => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

/** Go's strings.Compare: byte order of the UTF-8 encodings (code point order, not UTF-16's). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb) continue;
    // Surrogates (0xD800-0xDFFF) stand for code points above 0xFFFF, which sort after 0xE000-0xFFFF.
    if (ca >= 0xd800 && cb >= 0xd800) {
      const pa = a.codePointAt(i) ?? ca;
      const pb = b.codePointAt(i) ?? cb;
      return pa < pb ? -1 : pa > pb ? 1 : 0;
    }
    return ca < cb ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

const cmpNum = (a: number, b: number): number => (a < b ? -1 : a > b ? 1 : 0);

/** value.Compare: floats < ints (by value across the two) < strings < bools < lists < maps < null. */
export function compareValues(lhs: Value, rhs: Value): number {
  if (isFloat(lhs)) {
    if (!isFloat(rhs)) return isInt(rhs) ? cmpNum(lhs, rhs) : -1;
    return cmpNum(lhs, rhs);
  } else if (isFloat(rhs)) {
    return isInt(lhs) ? cmpNum(lhs, rhs) : 1;
  }
  if (isInt(lhs)) return isInt(rhs) ? cmpNum(lhs, rhs) : -1;
  if (isInt(rhs)) return 1;
  if (isString(lhs)) return isString(rhs) ? compareStrings(lhs, rhs) : -1;
  if (isString(rhs)) return 1;
  if (isBool(lhs)) return isBool(rhs) ? (lhs === rhs ? 0 : lhs ? 1 : -1) : -1;
  if (isBool(rhs)) return 1;
  if (isList(lhs)) {
    if (!isList(rhs)) return -1;
    for (let i = 0; ; i++) {
      if (i >= lhs.length && i >= rhs.length) return 0;
      if (i >= lhs.length) return -1;
      if (i >= rhs.length) return 1;
      const c = compareValues(lhs[i], rhs[i]);
      if (c !== 0) return c;
    }
  } else if (isList(rhs)) {
    return 1;
  }
  if (isMap(lhs)) {
    if (!isMap(rhs)) return -1;
    return compareMaps(lhs, rhs);
  } else if (isMap(rhs)) {
    return 1;
  }
  if (lhs === null) return rhs === null ? 0 : -1;
  if (rhs === null) return 1;
  return 0;
}

/** value.MapCompare, zipping the keys in lexical order as Go does. */
function compareMaps(lhs: Record<string, Value>, rhs: Record<string, Value>): number {
  const lkeys = Object.keys(lhs);
  const rkeys = Object.keys(rhs);
  if (lkeys.length === 0 && rkeys.length === 0) return 0;
  const keys = [...new Set([...lkeys, ...rkeys])].sort(compareStrings);
  let c = 0;
  let i = 0;
  for (const key of keys) {
    const l = Object.hasOwn(lhs, key) ? lhs[key] : undefined;
    const r = Object.hasOwn(rhs, key) ? rhs[key] : undefined;
    if (i === lkeys.length) c = -1;
    else if (i === rkeys.length) c = 1;
    else if (l === undefined) c = 1;
    else if (r === undefined) c = -1;
    else c = compareValues(l, r);
    i++;
    if (c !== 0) break;
  }
  return c;
}

/** value.Equals: numbers by value, lists item by item, maps key by key. */
export function equalValues(lhs: Value, rhs: Value): boolean {
  if (lhs === rhs) return true;
  if (isList(lhs)) {
    if (!isList(rhs) || lhs.length !== rhs.length) return false;
    for (let i = 0; i < lhs.length; i++) if (!equalValues(lhs[i], rhs[i])) return false;
    return true;
  }
  if (isMap(lhs)) {
    if (!isMap(rhs)) return false;
    const keys = Object.keys(lhs);
    if (keys.length !== Object.keys(rhs).length) return false;
    for (const k of keys) {
      if (!Object.hasOwn(rhs, k) || !equalValues(lhs[k], rhs[k])) return false;
    }
    return true;
  }
  return false;
}

/** Go's fmt %v of a float64: the shortest digits, in %e form when the exponent is < -4 or >= 6. */
export function formatGoFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (!Number.isFinite(f)) return f > 0 ? '+Inf' : '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant, ex] = f.toExponential().split('e');
  const exp = Number(ex);
  if (exp < -4 || exp >= 6) {
    const abs = Math.abs(exp);
    return `${mant}e${exp < 0 ? '-' : '+'}${abs < 10 ? '0' : ''}${abs}`;
  }
  return f.toFixed(Math.max(0, (mant.split('.')[1]?.length ?? 0) - exp));
}

/** Go's strconv.Quote (%q) of a string. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
    }
    if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else if ((c >= 0x80 && c < 0xa0) || c === 0xad) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return out + '"';
}

/** value.ToString, as path elements print their keys and values. */
export function valueToString(v: Value): string {
  if (v === null || v === undefined) return 'null';
  if (isFloat(v)) return formatGoFloat(v);
  if (isInt(v)) return String(v);
  if (isString(v)) return goQuote(v);
  if (isBool(v)) return String(v);
  if (isList(v)) return `[${v.map(valueToString).join(',')}]`;
  if (isMap(v)) {
    return Object.keys(v)
      .map((k) => `${k}=${valueToString(v[k])}`)
      .join('');
  }
  return '{{undefined}}';
}

const HEX = '0123456789abcdef';

/** A string as json-iterator's standard-compatible stream writes it (HTML characters escaped). */
export function jsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = '\\\\';
    else if (c < 0x20) {
      esc = c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t' : `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    } else if (c === 0x3c || c === 0x3e || c === 0x26) esc = `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`;
    else if (c === 0x2028 || c === 0x2029) esc = `\\u${c.toString(16)}`;
    else if (c >= 0xd800 && c <= 0xdfff) {
      const paired = c < 0xdc00 && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
      if (paired) {
        i++;
        continue;
      }
      esc = '\ufffd';
    }
    if (esc !== undefined) {
      out += s.slice(start, i) + esc;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

/** A value as Go's json-iterator (ConfigCompatibleWithStandardLibrary) writes it: map keys sorted. */
export function toGoJSON(v: Value): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return jsonString(v);
  if (typeof v === 'number') return JSON.stringify(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (Array.isArray(v)) return `[${v.map(toGoJSON).join(',')}]`;
  if (isMap(v)) {
    const keys = Object.keys(v).sort(compareStrings);
    return `{${keys.map((k) => `${jsonString(k)}:${toGoJSON(v[k])}`).join(',')}}`;
  }
  return 'null';
}

/** A map's keys, leaving out members set to undefined (absent in JSON). */
export function mapKeys(m: Record<string, Value>): string[] {
  const keys = Object.keys(m);
  for (const k of keys) if (m[k] === undefined) return keys.filter((key) => m[key] !== undefined);
  return keys;
}
