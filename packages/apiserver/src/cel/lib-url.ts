/**
 * Kubernetes' URL library (k8s.io/apiserver/pkg/cel/library/urls.go): url, isURL, getScheme,
 * getHost, getHostname, getPort, getEscapedPath, getQuery; parsed as Go's url.ParseRequestURI
 * accepts them (an absolute URI or an absolute path) and then url.Parse splits them.
 */
import { celFunc, celList, celMap, celMethod, CelScalar, mapType, type CelFunc, type CelValue } from '@bufbuild/cel';
import { charge, stringCost } from './cost.js';
import { OpaqueValue } from './values.js';

export class UrlValue extends OpaqueValue {
  readonly typeName = 'kubernetes.URL';
  constructor(
    readonly raw: string,
    readonly scheme: string,
    readonly host: string,
    readonly path: string,
    readonly rawPath: string,
    readonly rawQuery: string,
  ) {
    super();
  }
  equals(other: OpaqueValue): boolean {
    return other instanceof UrlValue && other.raw === this.raw;
  }
  toJSON(): unknown {
    return this.raw;
  }
}

function unescape(s: string, plusIsSpace: boolean): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '%') {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new Error(`invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c === '+' && plusIsSpace) bytes.push(32);
    else bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

const PATH_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;

function escapePath(path: string): string {
  let out = '';
  for (const ch of path) {
    if (PATH_SAFE.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** url.ParseRequestURI then url.Parse, as the Go library does; throws with Go's message. */
export function parseUrl(s: string): UrlValue {
  const fail = (why: string): never => {
    throw new Error(`parse ${JSON.stringify(s)}: ${why}`);
  };
  let rest = s;
  let scheme = '';
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(rest);
  if (!rest.startsWith('/')) {
    if (!schemeMatch) fail(/^[^:/?#]*:/.test(rest) ? 'missing protocol scheme' : 'invalid URI for request');
    scheme = schemeMatch![1]!.toLowerCase();
    rest = rest.slice(schemeMatch![0].length);
    if (!rest.startsWith('/')) fail('invalid URI for request');
  }
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  let rawQuery = '';
  const q = rest.indexOf('?');
  if (q >= 0) {
    rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  let host = '';
  if (rest.startsWith('//') && (scheme !== '' || !rest.startsWith('///'))) {
    const authorityEnd = rest.indexOf('/', 2);
    const authority = authorityEnd < 0 ? rest.slice(2) : rest.slice(2, authorityEnd);
    rest = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
    const at = authority.lastIndexOf('@');
    host = at >= 0 ? authority.slice(at + 1) : authority;
    let port = '';
    if (host.startsWith('[')) {
      const close = host.indexOf(']');
      if (close < 0) fail("missing ']' in host");
      port = host.slice(close + 1);
      if (port !== '' && !/^:\d*$/.test(port)) fail(`invalid port ${JSON.stringify(port)} after host`);
    } else {
      const colon = host.indexOf(':');
      if (colon >= 0) {
        port = host.slice(colon);
        if (!/^:\d*$/.test(port)) fail(`invalid port ${JSON.stringify(port)} after host`);
      }
    }
    host = unescape(host, false);
  }
  let path: string;
  try {
    path = unescape(rest, false);
  } catch (err) {
    return fail((err as Error).message);
  }
  return new UrlValue(s, scheme, host, path, rest, rawQuery);
}

function asUrl(v: CelValue): UrlValue {
  if (!(v instanceof UrlValue)) throw new Error('no such overload');
  return v;
}

function splitHostPort(host: string): [string, string] {
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    return [host.slice(1, close), host.slice(close + 2)];
  }
  const colon = host.indexOf(':');
  return colon < 0 ? [host, ''] : [host.slice(0, colon), host.slice(colon + 1)];
}

function query(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of raw.split('&')) {
    if (part === '' || part.includes(';')) continue;
    const eq = part.indexOf('=');
    try {
      const key = unescape(eq < 0 ? part : part.slice(0, eq), true);
      const value = unescape(eq < 0 ? '' : part.slice(eq + 1), true);
      out.set(key, [...(out.get(key) ?? []), value]);
    } catch {
      continue;
    }
  }
  return out;
}

const { STRING, DYN, BOOL } = CelScalar;
const OPAQUE = mapType(DYN, DYN);

export const URLS: CelFunc[] = [
  celFunc('url', [STRING], DYN, (s) => {
    charge(stringCost(s));
    try {
      return parseUrl(s);
    } catch (err) {
      throw new Error(`URL parse error during conversion from string: ${(err as Error).message}`);
    }
  }),
  celFunc('isURL', [STRING], BOOL, (s) => {
    charge(stringCost(s));
    try {
      parseUrl(s);
      return true;
    } catch {
      return false;
    }
  }),
  celMethod('getScheme', OPAQUE, [], STRING, function () {
    return asUrl(this).scheme;
  }),
  celMethod('getHost', OPAQUE, [], STRING, function () {
    return asUrl(this).host;
  }),
  celMethod('getHostname', OPAQUE, [], STRING, function () {
    return splitHostPort(asUrl(this).host)[0];
  }),
  celMethod('getPort', OPAQUE, [], STRING, function () {
    return splitHostPort(asUrl(this).host)[1];
  }),
  celMethod('getEscapedPath', OPAQUE, [], STRING, function () {
    const u = asUrl(this);
    let valid = true;
    try {
      valid = [...u.rawPath.replace(/%[0-9a-fA-F]{2}/g, '')].every((ch) => PATH_SAFE.test(ch)) && unescape(u.rawPath, false) === u.path;
    } catch {
      valid = false;
    }
    return valid ? u.rawPath : escapePath(u.path);
  }),
  celMethod('getQuery', OPAQUE, [], mapType(STRING, DYN), function () {
    const entries = new Map<string, CelValue>();
    for (const [k, v] of query(asUrl(this).rawQuery)) entries.set(k, celList(v));
    return celMap(entries);
  }),
];
