/**
 * Verifies a TLS peer's certificate chain against a chosen set of roots. The TLS layer is asked
 * only to request a certificate (rejectUnauthorized: false); each authenticator verifies with its
 * own CA, as Go's x509 and request-header authenticators each keep their own pool. Relying on
 * `socket.authorized` would mix every CA given to the TLS server into one answer.
 */
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, PeerCertificate, TLSSocket } from 'node:tls';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';
const ANY_EXT_KEY_USAGE_OID = '2.5.29.37.0';
const MAX_CHAIN_DEPTH = 10;

/** Every certificate in a PEM bundle. */
export function parseCertificateBundle(pem: string | string[]): X509Certificate[] {
  const text = Array.isArray(pem) ? pem.join('\n') : pem;
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

function isCurrentlyValid(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

function allowsClientAuth(cert: X509Certificate): boolean {
  // No extendedKeyUsage extension means any usage (RFC 5280 4.2.1.12), as Go's verifier treats it.
  const usages = cert.keyUsage;
  return !usages || usages.length === 0 || usages.includes(CLIENT_AUTH_OID) || usages.includes(ANY_EXT_KEY_USAGE_OID);
}

function issuedBy(child: X509Certificate, parent: X509Certificate): boolean {
  return child.checkIssued(parent) && child.verify(parent.publicKey);
}

/** The leaf and the intermediates the peer sent, in the order it sent them. */
function presentedChain(peer: DetailedPeerCertificate): X509Certificate[] {
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | undefined = peer;
  while (current?.raw && !seen.has(current.fingerprint256) && chain.length < MAX_CHAIN_DEPTH) {
    seen.add(current.fingerprint256);
    chain.push(new X509Certificate(current.raw));
    current = current.issuerCertificate;
  }
  return chain;
}

/**
 * The verified leaf certificate, or undefined when the peer sent none or its chain does not lead
 * to one of `roots` (wrong CA, expired, not for client auth, bad signature).
 */
export function verifyClientCertificate(
  peer: PeerCertificate | DetailedPeerCertificate | undefined,
  roots: readonly X509Certificate[],
  now = Date.now(),
): X509Certificate | undefined {
  if (!peer || !peer.raw || peer.raw.length === 0) return undefined;
  const chain = presentedChain(peer as DetailedPeerCertificate);
  const leaf = chain[0];
  if (!leaf || !isCurrentlyValid(leaf, now) || !allowsClientAuth(leaf)) return undefined;
  const intermediates = chain.slice(1).filter((c) => c.ca && isCurrentlyValid(c, now));
  let current = leaf;
  for (let depth = 0; depth < MAX_CHAIN_DEPTH; depth++) {
    if (roots.some((root) => isCurrentlyValid(root, now) && issuedBy(current, root))) return leaf;
    const next = intermediates.find((candidate) => candidate !== current && issuedBy(current, candidate));
    if (!next) return undefined;
    current = next;
  }
  return undefined;
}

/** A verdict for one set of roots, reusable while no certificate involved changes validity. */
interface CachedVerdict {
  leaf: X509Certificate | undefined;
  /** Reusable for `computedAt <= now < until`. */
  computedAt: number;
  until: number;
}

interface SocketVerification {
  peer: DetailedPeerCertificate;
  /** Keyed by the roots array: a new CA bundle (a new array) verifies again. */
  verdicts: WeakMap<readonly X509Certificate[], CachedVerdict>;
}

const socketVerifications = new WeakMap<object, SocketVerification>();

/** When the first certificate of `certs` changes from valid to invalid or back, after `now`. */
function nextValidityChange(certs: readonly X509Certificate[], now: number): number {
  let next = Number.POSITIVE_INFINITY;
  for (const cert of certs) {
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    if (from > now) next = Math.min(next, from);
    else if (to >= now) next = Math.min(next, to + 1);
  }
  return next;
}

/**
 * The peer certificate of a TLS socket and whether it verifies against `roots`, computed once per
 * socket and roots (the TLS handshake fixes the peer's chain for the connection's life; kapi's
 * server refuses renegotiation) and reused by every request on a keep-alive connection until a
 * certificate of the chain or of `roots` expires or becomes valid. Roots are compared by identity:
 * callers keep one array per CA bundle and build a new one when the bundle changes.
 */
export function verifySocketPeer(
  socket: Pick<TLSSocket, 'getPeerCertificate'>,
  roots: readonly X509Certificate[],
  now = Date.now(),
): { peer: DetailedPeerCertificate; leaf: X509Certificate | undefined } {
  let entry = socketVerifications.get(socket);
  if (!entry) {
    entry = { peer: socket.getPeerCertificate(true), verdicts: new WeakMap() };
    socketVerifications.set(socket, entry);
  }
  const cached = entry.verdicts.get(roots);
  if (cached && cached.computedAt <= now && now < cached.until) return { peer: entry.peer, leaf: cached.leaf };
  const peer = entry.peer;
  const leaf = verifyClientCertificate(peer, roots, now);
  const involved = peer && peer.raw && peer.raw.length > 0 ? presentedChain(peer) : [];
  entry.verdicts.set(roots, { leaf, computedAt: now, until: nextValidityChange([...involved, ...roots], now) });
  return { peer, leaf };
}

/** Subject attribute values from Node's parsed peer certificate (multi-valued ones are arrays). */
export function subjectValues(peer: PeerCertificate, attribute: 'CN' | 'O'): string[] {
  const value = (peer.subject as unknown as Record<string, string | string[] | undefined> | undefined)?.[attribute];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
