/**
 * cel-go's ext strings functions whose CEL-ES versions differ from Go's: Go counts runes (code
 * points) where JavaScript counts UTF-16 units, and follows strings.SplitN / strings.Replace for a
 * count (negative: all). Same names and signatures as CEL-ES's, so these replace them.
 */
import { celList, celMethod, CelScalar, listType, type CelFunc } from '@bufbuild/cel';
import { charge, stringCost } from './cost.js';

const { STRING, INT } = CelScalar;

const outOfRange = (i: bigint | number): Error => new Error(`index out of range: ${i}`);

function indexOfOffset(str: string, sub: string, offset: number): number {
  if (offset < 0) throw outOfRange(offset);
  const runes = [...str];
  if (sub === '') return Math.min(offset, runes.length);
  const subRunes = [...sub];
  if (offset >= runes.length) return -1;
  for (let i = offset; i < runes.length - (subRunes.length - 1); i++) {
    let found = true;
    for (let j = 0; j < subRunes.length; j++) {
      if (runes[i + j] !== subRunes[j]) {
        found = false;
        break;
      }
    }
    if (found) return i;
  }
  return -1;
}

function lastIndexOfOffset(str: string, sub: string, offset: number): number {
  if (offset < 0) throw outOfRange(offset);
  const runes = [...str];
  if (sub === '') return Math.min(offset, runes.length);
  const subRunes = [...sub];
  if (offset >= runes.length) return -1;
  let off = Math.min(offset, runes.length - subRunes.length);
  for (; off >= 0; off--) {
    let found = true;
    for (let j = 0; j < subRunes.length; j++) {
      if (runes[off + j] !== subRunes[j]) {
        found = false;
        break;
      }
    }
    if (found) return off;
  }
  return -1;
}

/** Go's strings.SplitN. */
function splitN(str: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  if (sep === '') {
    const runes = [...str];
    if (n < 0 || n >= runes.length) return runes;
    return [...runes.slice(0, n - 1), runes.slice(n - 1).join('')];
  }
  const parts = str.split(sep);
  if (n < 0 || parts.length <= n) return parts;
  return [...parts.slice(0, n - 1), parts.slice(n - 1).join(sep)];
}

/** Go's strings.Replace. */
function replaceN(str: string, old: string, repl: string, n: number): string {
  if (n === 0 || old === repl) return str;
  if (old === '') {
    const runes = [...str];
    let out = '';
    let done = 0;
    for (let i = 0; i <= runes.length; i++) {
      if (n < 0 || done < n) {
        out += repl;
        done++;
      }
      if (i < runes.length) out += runes[i];
    }
    return out;
  }
  let out = '';
  let rest = str;
  let done = 0;
  for (let i = rest.indexOf(old); i >= 0 && (n < 0 || done < n); i = rest.indexOf(old)) {
    out += rest.slice(0, i) + repl;
    rest = rest.slice(i + old.length);
    done++;
  }
  return out + rest;
}

function substring(str: string, start: bigint, end?: bigint): string {
  const runes = [...str];
  const e = end ?? BigInt(runes.length);
  if (end !== undefined && start > end) throw new Error(`invalid substring range. start: ${start}, end: ${end}`);
  if (start < 0n || start > BigInt(runes.length)) throw outOfRange(start);
  if (e < 0n || e > BigInt(runes.length)) throw outOfRange(e);
  return runes.slice(Number(start), Number(e)).join('');
}

export const STRINGS: CelFunc[] = [
  celMethod('charAt', STRING, [INT], STRING, function (index) {
    const runes = [...this];
    if (index < 0n || index > BigInt(runes.length)) throw outOfRange(index);
    return runes[Number(index)] ?? '';
  }),
  celMethod('indexOf', STRING, [STRING], INT, function (sub) {
    charge(stringCost(this, sub));
    return BigInt(indexOfOffset(this, sub, 0));
  }),
  celMethod('indexOf', STRING, [STRING, INT], INT, function (sub, offset) {
    charge(stringCost(this, sub));
    return BigInt(indexOfOffset(this, sub, Number(offset)));
  }),
  celMethod('lastIndexOf', STRING, [STRING], INT, function (sub) {
    charge(stringCost(this, sub));
    const runes = [...this];
    if (sub === '') return BigInt(runes.length);
    if (this.length < sub.length) return -1n;
    return BigInt(lastIndexOfOffset(this, sub, runes.length - 1));
  }),
  celMethod('lastIndexOf', STRING, [STRING, INT], INT, function (sub, offset) {
    charge(stringCost(this, sub));
    return BigInt(lastIndexOfOffset(this, sub, Number(offset)));
  }),
  celMethod('replace', STRING, [STRING, STRING], STRING, function (old, repl) {
    charge(stringCost(this, old, repl));
    return replaceN(this, old, repl, -1);
  }),
  celMethod('replace', STRING, [STRING, STRING, INT], STRING, function (old, repl, n) {
    charge(stringCost(this, old, repl));
    return replaceN(this, old, repl, Number(n));
  }),
  celMethod('split', STRING, [STRING], listType(STRING), function (sep) {
    charge(stringCost(this, sep));
    return celList(splitN(this, sep, -1));
  }),
  celMethod('split', STRING, [STRING, INT], listType(STRING), function (sep, n) {
    charge(stringCost(this, sep));
    return celList(splitN(this, sep, Number(n)));
  }),
  celMethod('substring', STRING, [INT], STRING, function (start) {
    charge(stringCost(this));
    return substring(this, start);
  }),
  celMethod('substring', STRING, [INT, INT], STRING, function (start, end) {
    charge(stringCost(this));
    return substring(this, start, end);
  }),
];
