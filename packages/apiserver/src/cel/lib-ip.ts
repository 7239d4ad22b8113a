/**
 * Kubernetes' IP and CIDR libraries (k8s.io/apiserver/pkg/cel/library/ip.go, cidr.go), with Go's
 * net/netip parsing: no zones, no IPv4-mapped IPv6, no leading zeros in IPv4 octets; canonical
 * forms as netip prints them (RFC 5952).
 */
import { celFunc, celMethod, CelScalar, mapType, type CelFunc, type CelValue } from '@bufbuild/cel';
import { charge, stringCost } from './cost.js';
import { OpaqueValue } from './values.js';
import { formatIPv6Groups } from '../http/ip.js';

export class IpValue extends OpaqueValue {
  readonly typeName = 'net.IP';
  constructor(
    readonly family: 4 | 6,
    readonly value: bigint,
  ) {
    super();
  }
  get bits(): number {
    return this.family === 4 ? 32 : 128;
  }
  equals(other: OpaqueValue): boolean {
    return other instanceof IpValue && other.family === this.family && other.value === this.value;
  }
  override toString(): string {
    return formatIp(this);
  }
  toJSON(): unknown {
    return this.toString();
  }
  private byte(i: number): number {
    return Number((this.value >> BigInt(this.bits - 8 * (i + 1))) & 0xffn);
  }
  isUnspecified(): boolean {
    return this.value === 0n;
  }
  isLoopback(): boolean {
    return this.family === 4 ? this.byte(0) === 127 : this.value === 1n;
  }
  isMulticast(): boolean {
    return this.family === 4 ? (this.byte(0) & 0xf0) === 0xe0 : this.byte(0) === 0xff;
  }
  isLinkLocalMulticast(): boolean {
    return this.family === 4 ? this.byte(0) === 224 && this.byte(1) === 0 && this.byte(2) === 0 : this.byte(0) === 0xff && (this.byte(1) & 0x0f) === 0x02;
  }
  isLinkLocalUnicast(): boolean {
    return this.family === 4 ? this.byte(0) === 169 && this.byte(1) === 254 : this.byte(0) === 0xfe && (this.byte(1) & 0xc0) === 0x80;
  }
  isGlobalUnicast(): boolean {
    if (this.family === 4 && (this.value === 0n || this.value === 0xffffffffn)) return false;
    return !this.isUnspecified() && !this.isLoopback() && !this.isMulticast() && !this.isLinkLocalUnicast();
  }
}

export class CidrValue extends OpaqueValue {
  readonly typeName = 'net.CIDR';
  constructor(
    readonly ip: IpValue,
    readonly prefix: number,
  ) {
    super();
  }
  equals(other: OpaqueValue): boolean {
    return other instanceof CidrValue && other.ip.equals(this.ip) && other.prefix === this.prefix;
  }
  masked(): CidrValue {
    const hostBits = BigInt(this.ip.bits - this.prefix);
    return new CidrValue(new IpValue(this.ip.family, (this.ip.value >> hostBits) << hostBits), this.prefix);
  }
  contains(ip: IpValue): boolean {
    if (ip.family !== this.ip.family) return false;
    const hostBits = BigInt(this.ip.bits - this.prefix);
    return ip.value >> hostBits === this.ip.value >> hostBits;
  }
  override toString(): string {
    return `${this.ip.toString()}/${this.prefix}`;
  }
  toJSON(): unknown {
    return this.toString();
  }
}

function parseIPv4(s: string): bigint | string {
  const fields = s.split('.');
  if (fields.length > 4) return 'IPv4 address too long';
  if (fields.length < 4) return 'IPv4 address too short';
  let value = 0n;
  for (const f of fields) {
    if (f === '') return 'IPv4 field must have at least one digit';
    if (!/^[0-9]+$/.test(f)) return 'unexpected character';
    if (f.length > 1 && f[0] === '0') return 'IPv4 field has octet with leading zero';
    const n = Number(f);
    if (n > 255) return 'IPv4 field has value >255';
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

function parseIPv6(s: string): bigint | string {
  const double = s.indexOf('::');
  if (double >= 0 && s.indexOf('::', double + 2) >= 0) return 'multiple :: in address';
  const parseGroups = (part: string): bigint[] | string => {
    if (part === '') return [];
    const out: bigint[] = [];
    const groups = part.split(':');
    let at = 0;
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      const from = part.slice(Math.max(0, at - 1));
      at += g.length + 1;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseIPv4(g);
        if (typeof v4 === 'string') return v4;
        out.push(v4 >> 16n, v4 & 0xffffn);
        continue;
      }
      if (g === '') return `each colon-separated field must have at least one digit (at ${JSON.stringify(from)})`;
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return /^[0-9a-fA-F]+$/.test(g) ? `IPv6 field has value >=2^16 (at ${JSON.stringify(from)})` : `unexpected character (at ${JSON.stringify(from)})`;
      out.push(BigInt(parseInt(g, 16)));
    }
    return out;
  };
  let groups: bigint[];
  if (double >= 0) {
    const head = parseGroups(s.slice(0, double));
    const tail = parseGroups(s.slice(double + 2));
    if (typeof head === 'string') return head;
    if (typeof tail === 'string') return tail;
    if (head.length + tail.length > 7) return 'address string too long';
    groups = [...head, ...Array<bigint>(8 - head.length - tail.length).fill(0n), ...tail];
  } else {
    const all = parseGroups(s);
    if (typeof all === 'string') return all;
    if (all.length !== 8) return 'address string too short';
    groups = all;
  }
  return groups.reduce((acc, g) => (acc << 16n) | g, 0n);
}

/** netip.ParseAddr with the library's extra refusals; throws with the library's message. */
export function parseIp(raw: string): IpValue {
  let s = raw;
  let zone = false;
  const pct = s.indexOf('%');
  if (pct >= 0 && s.includes(':')) {
    zone = true;
    s = s.slice(0, pct);
  }
  const parsed = s.includes(':') ? parseIPv6(s) : s.includes('.') ? parseIPv4(s) : 'unable to parse IP';
  if (typeof parsed === 'string') {
    throw new Error(`IP Address ${JSON.stringify(raw)} parse error during conversion from string: ParseAddr(${JSON.stringify(raw)}): ${parsed}`);
  }
  if (zone) throw new Error(`IP address ${JSON.stringify(raw)} with zone value is not allowed`);
  const ip = new IpValue(s.includes(':') ? 6 : 4, parsed);
  if (ip.family === 6 && parsed >> 32n === 0xffffn) throw new Error(`IPv4-mapped IPv6 address ${JSON.stringify(raw)} is not allowed`);
  return ip;
}

function formatIp(ip: IpValue): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 0xffn)).join('.');
  return formatIPv6Groups([112n, 96n, 80n, 64n, 48n, 32n, 16n, 0n].map((shift) => Number((ip.value >> shift) & 0xffffn)));
}

/** netip.ParsePrefix with the library's extra refusals. */
export function parseCidr(raw: string): CidrValue {
  const fail = (why: string): never => {
    // The library wraps parseCIDR's error in the same words again, as Go does.
    throw new Error(`network address parse error during conversion from string: network address parse error during conversion from string: netip.ParsePrefix(${JSON.stringify(raw)}): ${why}`);
  };
  const slash = raw.lastIndexOf('/');
  if (slash < 0) fail('no \'/\'');
  const addr = raw.slice(0, slash);
  const bitsText = raw.slice(slash + 1);
  if (addr.includes('%')) fail('IPv6 zones cannot be present in a prefix');
  let ip: IpValue | undefined;
  try {
    ip = parseIp(addr);
  } catch (err) {
    const message = (err as Error).message;
    if (message.startsWith('IPv4-mapped')) throw new Error(`IPv4-mapped IPv6 address ${JSON.stringify(raw)} is not allowed`);
    fail(message.replace(/^.*ParseAddr/, 'ParseAddr'));
  }
  if (!/^(0|[1-9][0-9]*)$/.test(bitsText)) fail(`bad bits after slash: ${JSON.stringify(bitsText)}`);
  const bits = Number(bitsText);
  if (bits > ip!.bits) fail(`prefix length out of range`);
  return new CidrValue(ip!, bits);
}

function asIp(v: CelValue): IpValue {
  if (!(v instanceof IpValue)) throw new Error('no such overload');
  return v;
}

function asCidr(v: CelValue): CidrValue {
  if (!(v instanceof CidrValue)) throw new Error('no such overload');
  return v;
}

const { STRING, DYN, BOOL, INT } = CelScalar;
const OPAQUE = mapType(DYN, DYN);

function ipMethod(name: keyof IpValue & `is${string}`): CelFunc {
  return celMethod(name, OPAQUE, [], BOOL, function () {
    return (asIp(this)[name] as () => boolean)();
  });
}

export const IPS: CelFunc[] = [
  celFunc('ip', [STRING], DYN, (s) => {
    charge(stringCost(s));
    return parseIp(s);
  }),
  celFunc('isIP', [STRING], BOOL, (s) => {
    charge(stringCost(s));
    try {
      parseIp(s);
      return true;
    } catch {
      return false;
    }
  }),
  celFunc('ip.isCanonical', [STRING], BOOL, (s) => {
    charge(stringCost(s));
    return parseIp(s).toString() === s;
  }),
  celFunc('string', [OPAQUE], STRING, (v) => {
    if (v instanceof IpValue || v instanceof CidrValue) return v.toString();
    throw new Error('no such overload');
  }),
  celMethod('family', OPAQUE, [], INT, function () {
    return BigInt(asIp(this).family);
  }),
  ipMethod('isUnspecified'),
  ipMethod('isLoopback'),
  ipMethod('isLinkLocalMulticast'),
  ipMethod('isLinkLocalUnicast'),
  ipMethod('isGlobalUnicast'),
  celFunc('cidr', [STRING], DYN, (s) => {
    charge(stringCost(s));
    return parseCidr(s);
  }),
  celFunc('isCIDR', [STRING], BOOL, (s) => {
    charge(stringCost(s));
    try {
      parseCidr(s);
      return true;
    } catch {
      return false;
    }
  }),
  celMethod('containsIP', OPAQUE, [DYN], BOOL, function (other) {
    return asCidr(this).contains(typeof other === 'string' ? parseIp(other) : asIp(other));
  }),
  celMethod('containsCIDR', OPAQUE, [DYN], BOOL, function (other) {
    const self = asCidr(this);
    const sub = typeof other === 'string' ? parseCidr(other) : asCidr(other);
    return self.contains(sub.ip) && self.prefix <= sub.prefix;
  }),
  celMethod('ip', OPAQUE, [], DYN, function () {
    return asCidr(this).ip;
  }),
  celMethod('masked', OPAQUE, [], DYN, function () {
    return asCidr(this).masked();
  }),
  celMethod('prefixLength', OPAQUE, [], INT, function () {
    return BigInt(asCidr(this).prefix);
  }),
];
