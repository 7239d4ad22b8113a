/**
 * X.509 certificates for a server that has no host cluster to get them from: a CA, serving
 * certificates and client certificates. RSA keys come from node:crypto (forge's pure-JS key
 * generation takes seconds per key); node-forge builds and signs the certificates.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

/** A PEM-encoded certificate and its PEM-encoded private key. */
export interface CertKeyPair {
  /** PEM, "-----BEGIN CERTIFICATE-----". */
  cert: string;
  /** PEM, "-----BEGIN RSA PRIVATE KEY-----". */
  key: string;
}

/** A certificate authority that can sign: its certificate and key, both PEM. */
export type CertificateAuthority = CertKeyPair;

export interface ServingCertOptions {
  /** DNS names and IP addresses (v4 or v6) the server is reached by; each becomes a SAN. */
  hosts: string[];
  /** Subject CN; defaults to the first host. */
  commonName?: string;
  validityDays?: number;
}

export interface ClientCertOptions {
  /** Subject CN: the user name an x509 authenticator reads. */
  commonName: string;
  /** Subject O entries: the user's groups. */
  organizations?: string[];
  validityDays?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_VALIDITY_DAYS = 3650;
const LEAF_VALIDITY_DAYS = 365;
/** Backdated like client-go's cert helpers, so a peer with a slightly late clock accepts it. */
const BACKDATE_MS = 60 * 60 * 1000;

function newRsaKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; pem: string } {
  const { privateKey: pem } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const privateKey = forge.pki.privateKeyFromPem(pem);
  const publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  return { privateKey, publicKey, pem };
}

/** A random 127-bit serial: positive (high bit clear) and minimal DER (first byte non-zero). */
export function randomSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function setValidity(cert: forge.pki.Certificate, days: number): void {
  const now = Date.now();
  cert.validity.notBefore = new Date(now - BACKDATE_MS);
  cert.validity.notAfter = new Date(now + days * DAY_MS);
}

function subject(commonName: string, organizations: string[] = []): forge.pki.CertificateField[] {
  return [
    ...organizations.map((o) => ({ name: 'organizationName', value: o })),
    { name: 'commonName', value: commonName },
  ];
}

function loadCA(ca: CertificateAuthority): { cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
  return { cert: forge.pki.certificateFromPem(ca.cert), key: forge.pki.privateKeyFromPem(ca.key) };
}

interface LeafSpec {
  subject: forge.pki.CertificateField[];
  validityDays: number;
  extKeyUsage: { serverAuth?: boolean; clientAuth?: boolean };
  altNames?: Array<{ type: number; value?: string; ip?: string }>;
}

function signLeaf(ca: CertificateAuthority, spec: LeafSpec): CertKeyPair {
  const issuer = loadCA(ca);
  const keys = newRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerialNumber();
  setValidity(cert, spec.validityDays);
  cert.setSubject(spec.subject);
  cert.setIssuer(issuer.cert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', ...spec.extKeyUsage },
    { name: 'authorityKeyIdentifier', keyIdentifier: issuer.cert.generateSubjectKeyIdentifier().getBytes() },
  ];
  if (spec.altNames) extensions.push({ name: 'subjectAltName', altNames: spec.altNames });
  cert.setExtensions(extensions);
  cert.sign(issuer.key, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}

/** A self-signed CA (basicConstraints cA, keyCertSign), valid ten years. */
export function createCA(commonName: string, validityDays = CA_VALIDITY_DAYS): CertificateAuthority {
  const keys = newRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = randomSerialNumber();
  setValidity(cert, validityDays);
  const name = subject(commonName);
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { cert: forge.pki.certificateToPem(cert), key: keys.pem };
}

/** A serving certificate (serverAuth) whose SANs are the given DNS names and IP addresses. */
export function createServingCert(ca: CertificateAuthority, options: ServingCertOptions): CertKeyPair {
  if (options.hosts.length === 0) throw new Error('createServingCert: at least one host is required');
  const altNames = options.hosts.map((host) => (isIP(host) ? { type: 7, ip: host } : { type: 2, value: host }));
  return signLeaf(ca, {
    subject: subject(options.commonName ?? options.hosts[0]!),
    validityDays: options.validityDays ?? LEAF_VALIDITY_DAYS,
    extKeyUsage: { serverAuth: true },
    altNames,
  });
}

/** A client certificate (clientAuth): CN is the user, each O a group. */
export function createClientCert(ca: CertificateAuthority, options: ClientCertOptions): CertKeyPair {
  return signLeaf(ca, {
    subject: subject(options.commonName, options.organizations),
    validityDays: options.validityDays ?? LEAF_VALIDITY_DAYS,
    extKeyUsage: { clientAuth: true },
  });
}
