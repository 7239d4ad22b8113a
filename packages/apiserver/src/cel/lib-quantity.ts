/**
 * Kubernetes' quantity library (k8s.io/apiserver/pkg/cel/library/quantity.go): quantity,
 * isQuantity, isInteger, asInteger, asApproximateFloat, sign, add, sub, isGreaterThan, isLessThan,
 * compareTo. A quantity is kept as an exact fraction (resource.Quantity parsing: decimal SI and
 * binary suffixes, exponents; values finer than 1n rounded up to it, as Go does).
 */
import { celFunc, celMethod, CelScalar, mapType, type CelFunc, type CelValue } from '@bufbuild/cel';
import { charge, stringCost } from './cost.js';
import { OpaqueValue } from './values.js';

const FORMAT_WRONG = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const SUFFIX_WRONG = "unable to parse quantity's suffix";
const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

const BINARY: Record<string, bigint> = { Ki: 1n << 10n, Mi: 1n << 20n, Gi: 1n << 30n, Ti: 1n << 40n, Pi: 1n << 50n, Ei: 1n << 60n };
const DECIMAL: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  while (b) [a, b] = [b, a % b];
  return a;
}

export class QuantityValue extends OpaqueValue {
  readonly typeName = 'kubernetes.Quantity';
  readonly num: bigint;
  readonly den: bigint;
  constructor(num: bigint, den: bigint, readonly text?: string) {
    super();
    const g = gcd(num, den) || 1n;
    this.num = num / g;
    this.den = den / g;
  }
  compare(other: QuantityValue): number {
    const l = this.num * other.den;
    const r = other.num * this.den;
    return l < r ? -1 : l > r ? 1 : 0;
  }
  equals(other: OpaqueValue): boolean {
    return other instanceof QuantityValue && this.compare(other) === 0;
  }
  toJSON(): unknown {
    return this.text ?? (this.den === 1n ? String(this.num) : String(Number(this.num) / Number(this.den)));
  }
}

/** resource.ParseQuantity; throws with its error text. */
export function parseQuantity(s: string): QuantityValue {
  const m = /^([+-]?)([0-9]*\.?[0-9]*)(.*)$/.exec(s);
  if (!m || s === '' || !/[0-9]/.test(m[2]!)) throw new Error(FORMAT_WRONG);
  const sign = m[1] === '-' ? -1n : 1n;
  const digits = m[2]!;
  const suffix = m[3]!;
  const dot = digits.indexOf('.');
  const intPart = dot < 0 ? digits : digits.slice(0, dot);
  const fracPart = dot < 0 ? '' : digits.slice(dot + 1);
  let num = BigInt((intPart + fracPart).replace(/^0+(?=\d)/, '') || '0') * sign;
  let den = 10n ** BigInt(fracPart.length);
  if (!/^([eEinumkKMGTP]*[-+]?[0-9]*)$/.test(suffix)) throw new Error(FORMAT_WRONG);
  if (suffix in BINARY) num *= BINARY[suffix]!;
  else if (suffix in DECIMAL) {
    const exp = DECIMAL[suffix]!;
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  } else {
    const e = /^[eE]([-+]?[0-9]+)$/.exec(suffix);
    if (!e) throw new Error(SUFFIX_WRONG);
    const exp = Number(e[1]);
    if (exp >= 0) num *= 10n ** BigInt(exp);
    else den *= 10n ** BigInt(-exp);
  }
  // Go keeps at most nano precision, rounding away from zero.
  const NANO = 1_000_000_000n;
  if (NANO % den !== 0n && den > 1n) {
    const scaled = num * NANO;
    let q = scaled / den;
    if (scaled % den !== 0n) q += num < 0n ? -1n : 1n;
    return new QuantityValue(q, NANO, s);
  }
  return new QuantityValue(num, den, s);
}

function asQuantity(v: CelValue): QuantityValue {
  if (!(v instanceof QuantityValue)) throw new Error('no such overload');
  return v;
}

function operand(v: CelValue): QuantityValue {
  if (typeof v === 'bigint') return new QuantityValue(v, 1n);
  return asQuantity(v);
}

function isInt64(q: QuantityValue): boolean {
  return q.den === 1n && q.num <= INT64_MAX && q.num >= INT64_MIN;
}

const { STRING, DYN, BOOL, INT, DOUBLE } = CelScalar;
const OPAQUE = mapType(DYN, DYN);

export const QUANTITY: CelFunc[] = [
  celFunc('quantity', [STRING], DYN, (s) => {
    charge(stringCost(s));
    return parseQuantity(s);
  }),
  celFunc('isQuantity', [STRING], BOOL, (s) => {
    charge(stringCost(s));
    try {
      parseQuantity(s);
      return true;
    } catch {
      return false;
    }
  }),
  celMethod('isInteger', OPAQUE, [], BOOL, function () {
    return isInt64(asQuantity(this));
  }),
  celMethod('asInteger', OPAQUE, [], INT, function () {
    const q = asQuantity(this);
    if (!isInt64(q)) throw new Error('cannot convert value to integer');
    return q.num;
  }),
  celMethod('asApproximateFloat', OPAQUE, [], DOUBLE, function () {
    const q = asQuantity(this);
    return Number(q.num) / Number(q.den);
  }),
  celMethod('sign', OPAQUE, [], INT, function () {
    const q = asQuantity(this);
    return q.num > 0n ? 1n : q.num < 0n ? -1n : 0n;
  }),
  celMethod('add', OPAQUE, [DYN], DYN, function (other) {
    const a = asQuantity(this);
    const b = operand(other);
    return new QuantityValue(a.num * b.den + b.num * a.den, a.den * b.den);
  }),
  celMethod('sub', OPAQUE, [DYN], DYN, function (other) {
    const a = asQuantity(this);
    const b = operand(other);
    return new QuantityValue(a.num * b.den - b.num * a.den, a.den * b.den);
  }),
  celMethod('isGreaterThan', OPAQUE, [DYN], BOOL, function (other) {
    return asQuantity(this).compare(asQuantity(other)) > 0;
  }),
  celMethod('isLessThan', OPAQUE, [DYN], BOOL, function (other) {
    return asQuantity(this).compare(asQuantity(other)) < 0;
  }),
  celMethod('compareTo', OPAQUE, [DYN], INT, function (other) {
    return BigInt(asQuantity(this).compare(asQuantity(other)));
  }),
];
