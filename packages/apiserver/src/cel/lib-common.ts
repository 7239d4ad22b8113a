/** What the libraries share: comparison and equality of CEL values, and a few type helpers. */
import { celEnv, isCelError, isCelList, isCelMap, isCelUint, type CelList, type CelValue } from '@bufbuild/cel';
import { isReflectMessage } from '@bufbuild/protobuf/reflect';
import { isOpaque } from './values.js';

const stdEquals = [...(celEnv().funcs.find('_==_') ?? [])][0]!;

/** CEL equality (numbers across types, lists and maps by value), with kapi's opaque values by equals(). */
export function celEquals(a: CelValue, b: CelValue): boolean {
  if (isOpaque(a) || isOpaque(b)) return isOpaque(a) && isOpaque(b) && a.typeName === b.typeName && a.equals(b);
  if (isCelList(a) && isCelList(b)) {
    if (a.size !== b.size) return false;
    for (let i = 0; i < a.size; i++) if (!celEquals(a.get(i)!, b.get(i)!)) return false;
    return true;
  }
  return stdEquals.call(0, undefined, [a, b]) === true;
}

const stdAdd = celEnv().funcs.find('_+_')!;

/** CEL's + (int and uint overflow checked, doubles, durations, strings, lists). */
export function celAdd(a: CelValue, b: CelValue): CelValue {
  const sum = stdAdd.call(0, undefined, [a, b]);
  if (sum === undefined) throw new Error('no such overload');
  if (isCelError(sum)) throw new Error(sum.message);
  return sum;
}

function numeric(v: CelValue): number | bigint | undefined {
  if (typeof v === 'bigint' || typeof v === 'number') return v;
  if (isCelUint(v)) return v.value;
  return undefined;
}

function timeParts(v: CelValue): [bigint, number] | undefined {
  if (isReflectMessage(v) && (v.desc.typeName === 'google.protobuf.Timestamp' || v.desc.typeName === 'google.protobuf.Duration')) {
    const m = v.message as unknown as { seconds: bigint; nanos: number };
    return [m.seconds, m.nanos];
  }
  return undefined;
}

/** <0, 0, >0 as CEL orders two values of comparable types; throws "no such overload" otherwise. */
export function celCompare(a: CelValue, b: CelValue): number {
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) {
    if (typeof na === 'number' || typeof nb === 'number') {
      const x = Number(na);
      const y = Number(nb);
      return x < y ? -1 : x > y ? 1 : 0;
    }
    return na < nb ? -1 : na > nb ? 1 : 0;
  }
  if (typeof a === 'string' && typeof b === 'string') return compareUtf8(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  }
  const ta = timeParts(a);
  const tb = timeParts(b);
  if (ta && tb && (a as { desc: { typeName: string } }).desc.typeName === (b as { desc: { typeName: string } }).desc.typeName) {
    if (ta[0] !== tb[0]) return ta[0] < tb[0] ? -1 : 1;
    return ta[1] - tb[1];
  }
  throw new Error('no such overload');
}

/** Go compares strings byte-wise (UTF-8), which orders by code point. */
function compareUtf8(a: string, b: string): number {
  if (a === b) return 0;
  const x = [...a];
  const y = [...b];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const cx = x[i]!.codePointAt(0)!;
    const cy = y[i]!.codePointAt(0)!;
    if (cx !== cy) return cx - cy;
  }
  return x.length - y.length;
}

export function asList(v: CelValue): CelList {
  if (!isCelList(v)) throw new Error('no such overload');
  return v;
}

export function isMap(v: CelValue): boolean {
  return isCelMap(v) && !isOpaque(v);
}
