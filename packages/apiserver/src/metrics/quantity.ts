/**
 * A metric's value as a resource.Quantity goes on the wire: its canonical string
 * (k8s.io/apimachinery/pkg/api/resource Quantity.String / CanonicalizeBytes). The value is
 * parsed as Go parses a quantity (exact, rounded away from zero to 1n) and written in the format
 * its text implies: a binary suffix (Ki, Mi, …) is BinarySI, an exponent (e3) DecimalExponent,
 * anything else — numbers and bigints too — DecimalSI.
 */
import { parseQuantity } from '../cel/lib-quantity.js';

/** What a provider may give as a value: a number or bigint (DecimalSI), or a quantity's text ("1500m", "2Ki", "1e3"). */
export type QuantityInput = number | bigint | string;

type Format = 'DecimalSI' | 'BinarySI' | 'DecimalExponent';

const DECIMAL_SUFFIXES: Readonly<Record<number, string>> = { [-9]: 'n', [-6]: 'u', [-3]: 'm', 0: '', 3: 'k', 6: 'M', 9: 'G', 12: 'T', 15: 'P', 18: 'E' };
const BINARY_SUFFIXES = ['', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei'];
const NANO = 1_000_000_000n;

/** The canonical text of `value` (throws, with Go's parse error, on text that is not a quantity). */
export function formatQuantity(value: QuantityInput): string {
  let text: string;
  if (typeof value === 'bigint') text = String(value);
  else if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${value} is not a quantity`);
    text = String(value);
  } else text = value.trim();
  const q = parseQuantity(text);
  if (q.num === 0n) return '0';
  const suffix = /[0-9.]([a-zA-Z].*)?$/.exec(text)?.[1] ?? '';
  const format: Format = typeof value === 'string' && /^[KMGTPE]i$/.test(suffix) ? 'BinarySI' : typeof value === 'string' && /^[eE]/.test(suffix) ? 'DecimalExponent' : 'DecimalSI';
  return canonical(q.num, q.den, format);
}

/** CanonicalizeBytes of num/den (den divides 10^9, as parsing leaves it). */
function canonical(num: bigint, den: bigint, format: Format): string {
  if (format === 'BinarySI') {
    // Small or fractional binary quantities are shown as DecimalSI, as Go does.
    const abs = num < 0n ? -num : num;
    if (den === 1n && abs >= 1024n * den) {
      let amount = num;
      let exponent = 0;
      while (amount % 1024n === 0n && exponent < BINARY_SUFFIXES.length - 1) {
        amount /= 1024n;
        exponent++;
      }
      return `${amount}${BINARY_SUFFIXES[exponent]}`;
    }
    format = 'DecimalSI';
  }
  // mantissa × 10^exponent, the factors of 10 moved into the exponent, which is then a multiple of 3.
  let amount = (num * NANO) / den;
  let exponent = -9;
  while (amount % 10n === 0n) {
    amount /= 10n;
    exponent++;
  }
  while (exponent % 3 !== 0) {
    amount *= 10n;
    exponent--;
  }
  if (format === 'DecimalSI' && exponent in DECIMAL_SUFFIXES) return `${amount}${DECIMAL_SUFFIXES[exponent]}`;
  return exponent === 0 ? `${amount}` : `${amount}e${exponent}`;
}
