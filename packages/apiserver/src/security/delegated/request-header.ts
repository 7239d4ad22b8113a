/**
 * Front-proxy (request-header) authentication, as Go's headerrequest package: the TLS client
 * certificate must verify against the request-header CA, for client auth, with a CN among the
 * allowed names (empty: any); only then are the user headers trusted. The headers are removed from
 * the request whether or not they were trusted, so nothing after authentication can read them.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { X509Certificate } from 'node:crypto';
import { X509Authenticator, type Authenticator, type UserInfo } from '../authn.js';
import { parseCertificateBundle, subjectValues, verifySocketPeer } from '../x509-verify.js';
import type { RequestHeaderConfig } from './extension-config.js';

/** The header lists of a RequestHeaderConfig (names compared case-insensitively). */
export type RequestHeaderNames = Pick<RequestHeaderConfig, 'usernameHeaders' | 'uidHeaders' | 'groupHeaders' | 'extraHeaderPrefixes'>;

/** Go's url.PathUnescape of a lowercased extra key; a malformed escape keeps the key as it came. */
export function unescapeExtraKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded);
  } catch {
    return encoded;
  }
}

/** The lowercased names and prefixes of a RequestHeaderNames, made once per configuration. */
interface HeaderMatcher {
  exact: ReadonlySet<string>;
  prefixes: readonly string[];
}

const matchers = new WeakMap<RequestHeaderNames, HeaderMatcher>();

function matcherFor(names: RequestHeaderNames): HeaderMatcher {
  let matcher = matchers.get(names);
  if (!matcher) {
    matcher = {
      exact: new Set([...names.usernameHeaders, ...names.uidHeaders, ...names.groupHeaders].map((h) => h.toLowerCase())),
      prefixes: names.extraHeaderPrefixes.map((p) => p.toLowerCase()),
    };
    matchers.set(names, matcher);
  }
  return matcher;
}

/**
 * The request's header lines that `names` names (exactly or by prefix), by lowercased name in the
 * order they first came, each with every line's value (Node would join repeated unknown headers
 * with ", "): one pass over rawHeaders.
 */
function namedHeaderLines(req: IncomingMessage, names: RequestHeaderNames): Map<string, string[]> {
  const { exact, prefixes } = matcherFor(names);
  const lines = new Map<string, string[]>();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (!exact.has(lower) && !prefixes.some((p) => lower.startsWith(p))) continue;
    const values = lines.get(lower);
    if (values) values.push(raw[i + 1]!);
    else lines.set(lower, [raw[i + 1]!]);
  }
  return lines;
}

/**
 * The user the header lines assert: the first non-empty username header, the first uid header,
 * every group header line, and `<prefix><%-escaped key>` extras (key lowercased, then unescaped).
 * Undefined when no username header is set.
 */
function userFromLines(lines: ReadonlyMap<string, string[]>, names: RequestHeaderNames): UserInfo | undefined {
  const first = (headers: readonly string[]): string => {
    for (const header of headers) {
      const value = lines.get(header.toLowerCase())?.find((v) => v !== '');
      if (value) return value;
    }
    return '';
  };
  const username = first(names.usernameHeaders);
  if (!username) return undefined;
  const uid = first(names.uidHeaders);
  const groups: string[] = [];
  for (const header of names.groupHeaders) for (const v of lines.get(header.toLowerCase()) ?? []) if (v !== '') groups.push(v);
  const extra: Record<string, string[]> = {};
  for (const lowerPrefix of matcherFor(names).prefixes) {
    for (const [header, values] of lines) {
      if (!header.startsWith(lowerPrefix)) continue;
      const key = unescapeExtraKey(header.slice(lowerPrefix.length));
      (extra[key] ??= []).push(...values);
    }
  }
  return { username, ...(uid ? { uid } : {}), groups, ...(Object.keys(extra).length ? { extra } : {}) };
}

/** Removes the headers named by their lowercased names (every spelling, every line) from the request. */
function removeHeaders(req: IncomingMessage, lowered: ReadonlySet<string>): void {
  if (lowered.size === 0) return;
  // Both views are built before rawHeaders shrinks: Node builds them lazily from it, counting the lines it had.
  const { headers, headersDistinct } = req;
  for (const lower of lowered) {
    delete headers[lower];
    delete headersDistinct[lower];
  }
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) if (lowered.has(raw[i]!.toLowerCase())) raw.splice(i, 2);
}

export interface RequestHeaderAuthenticatorOptions {
  /** The current settings (they follow the ConfigMap); undefined: front-proxy authentication is off. */
  config: () => RequestHeaderConfig | undefined;
}

export class RequestHeaderAuthenticator implements Authenticator {
  private roots: { pem: string; certs: X509Certificate[] } | undefined;

  constructor(private readonly opts: RequestHeaderAuthenticatorOptions) {}

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const config = this.opts.config();
    if (!config) return undefined;
    const lines = namedHeaderLines(req, config);
    try {
      if (!this.verifiedProxy(req, config)) return undefined;
      return userFromLines(lines, config);
    } finally {
      removeHeaders(req, new Set(lines.keys()));
    }
  }

  /** Whether the peer's certificate is the front proxy's: verified against the request-header CA, CN allowed. */
  private verifiedProxy(req: IncomingMessage, config: RequestHeaderConfig): boolean {
    const socket = req.socket as Partial<TLSSocket>;
    if (typeof socket.getPeerCertificate !== 'function') return false;
    const { peer, leaf } = verifySocketPeer(socket as TLSSocket, this.rootsFor(config.clientCA));
    if (!leaf) return false;
    if (config.allowedNames.length === 0) return true;
    const [cn] = subjectValues(peer, 'CN');
    return cn !== undefined && config.allowedNames.includes(cn);
  }

  private rootsFor(pem: string): X509Certificate[] {
    if (this.roots?.pem !== pem) this.roots = { pem, certs: parseCertificateBundle(pem) };
    return this.roots.certs;
  }
}

/** X509Authenticator against a CA bundle that may change (the ConfigMap's client-ca-file, or a file). */
export class DynamicX509Authenticator implements Authenticator {
  private current: { pem: string; authenticator: X509Authenticator | undefined } | undefined;

  constructor(private readonly clientCA: () => string | undefined) {}

  authenticate(req: IncomingMessage): UserInfo | undefined {
    const pem = this.clientCA();
    if (!pem) return undefined;
    if (this.current?.pem !== pem) {
      let authenticator: X509Authenticator | undefined;
      try {
        authenticator = new X509Authenticator(pem);
      } catch {
        authenticator = undefined; // no certificate in the bundle: nobody authenticates this way
      }
      this.current = { pem, authenticator };
    }
    return this.current.authenticator?.authenticate(req);
  }
}
