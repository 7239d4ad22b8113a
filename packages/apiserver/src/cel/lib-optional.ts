/**
 * CEL optionals as functions (optional.of, optional.none, optional.ofNonZeroValue, hasValue, value,
 * orValue, or): enough for oldSelf with optionalOldSelf and for the format library. CEL-ES's parser
 * has no optional syntax (`a.?b`, `a[?k]`, `{?k: v}`), so those forms do not compile.
 */
import { celFunc, celMethod, CelScalar, isCelList, isCelMap, type CelFunc, type CelValue } from '@bufbuild/cel';
import { celEquals } from './lib-common.js';
import { fromCelValue, isOpaque, OpaqueValue } from './values.js';

export class OptionalValue extends OpaqueValue {
  readonly typeName = 'optional_type';
  constructor(readonly value: CelValue | undefined) {
    super();
  }
  equals(other: OpaqueValue): boolean {
    if (!(other instanceof OptionalValue)) return false;
    if (this.value === undefined || other.value === undefined) return this.value === other.value;
    return celEquals(this.value, other.value);
  }
  toJSON(): unknown {
    return this.value === undefined ? null : fromCelValue(this.value);
  }
}

export const OPTIONAL_NONE = new OptionalValue(undefined);

export function optionalOf(value: CelValue | undefined): OptionalValue {
  return value === undefined ? OPTIONAL_NONE : new OptionalValue(value);
}

function isZero(v: CelValue): boolean {
  if (v === null || v === false || v === '' || v === 0 || v === 0n) return true;
  if (v instanceof Uint8Array) return v.length === 0;
  if (isOpaque(v)) return false;
  if (isCelList(v) || isCelMap(v)) return v.size === 0;
  return false;
}

function asOptional(v: CelValue): OptionalValue {
  if (!(v instanceof OptionalValue)) throw new Error('no such overload');
  return v;
}

const { DYN, BOOL } = CelScalar;

export const OPTIONALS: CelFunc[] = [
  celFunc('optional.of', [DYN], DYN, (v) => new OptionalValue(v)),
  celFunc('optional.none', [], DYN, () => OPTIONAL_NONE),
  celFunc('optional.ofNonZeroValue', [DYN], DYN, (v) => (isZero(v) ? OPTIONAL_NONE : new OptionalValue(v))),
  celMethod('hasValue', DYN, [], BOOL, function () {
    return asOptional(this).value !== undefined;
  }),
  celMethod('value', DYN, [], DYN, function () {
    const v = asOptional(this).value;
    if (v === undefined) throw new Error('optional.none() dereference');
    return v;
  }),
  celMethod('orValue', DYN, [DYN], DYN, function (other) {
    return asOptional(this).value ?? other;
  }),
  celMethod('or', DYN, [DYN], DYN, function (other) {
    const self = asOptional(this);
    return self.value !== undefined ? self : asOptional(other);
  }),
];
