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

/** Every value of a header, one entry per header line (Node would join repeated unknown headers with ", "). */
function headerLines(req: IncomingMessage, name: string): string[] {
  return req.headersDistinct[name.toLowerCase()] ?? [];
}

/**
 * The user the headers assert: the first non-empty username header, the first uid header, every
 * group header line, and `<prefix><%-escaped key>` extras (key lowercased, then unescaped).
 * Undefined when no username header is set.
 */
export function userFromHeaders(req: IncomingMessage, names: RequestHeaderNames): UserInfo | undefined {
  const first = (headers: readonly string[]): string => {
    for (const header of headers) {
      const value = headerLines(req, header).find((v) => v !== '');
      if (value) return value;
    }
    return '';
  };
  const username = first(names.usernameHeaders);
  if (!username) return undefined;
  const uid = first(names.uidHeaders);
  const groups = names.groupHeaders.flatMap((header) => headerLines(req, header).filter((v) => v !== ''));
  const extra: Record<string, string[]> = {};
  for (const prefix of names.extraHeaderPrefixes) {
    const lowerPrefix = prefix.toLowerCase();
    for (const [header, values] of Object.entries(req.headersDistinct)) {
      if (!header.startsWith(lowerPrefix) || !values) continue;
      const key = unescapeExtraKey(header.slice(lowerPrefix.length).toLowerCase());
      (extra[key] ??= []).push(...values);
    }
  }
  return { username, ...(uid ? { uid } : {}), groups, ...(Object.keys(extra).length ? { extra } : {}) };
}

/** Removes the user, uid, group and extra headers (every spelling) from the request. */
export function clearAuthenticationHeaders(req: IncomingMessage, names: RequestHeaderNames): void {
  const exact = new Set([...names.usernameHeaders, ...names.uidHeaders, ...names.groupHeaders].map((h) => h.toLowerCase()));
  const prefixes = names.extraHeaderPrefixes.map((p) => p.toLowerCase());
  const drop = (header: string): boolean => {
    const lower = header.toLowerCase();
    return exact.has(lower) || prefixes.some((p) => lower.startsWith(p));
  };
  const distinct = req.headersDistinct;
  for (const header of Object.keys(req.headers)) if (drop(header)) delete req.headers[header];
  for (const header of Object.keys(distinct)) if (drop(header)) delete distinct[header];
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) if (drop(raw[i]!)) raw.splice(i, 2);
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
    try {
      if (!this.verifiedProxy(req, config)) return undefined;
      return userFromHeaders(req, config);
    } finally {
      clearAuthenticationHeaders(req, config);
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
