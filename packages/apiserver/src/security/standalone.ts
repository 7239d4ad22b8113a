/**
 * Secure by default without a host cluster: on first start make a CA, a serving certificate and an
 * admin client certificate in a directory, and a kubeconfig that kubectl can use as is. Later
 * starts reuse them; the serving certificate is re-issued when a host is missing or it nears expiry.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { createCA, createClientCert, createServingCert, type CertificateAuthority, type CertKeyPair } from './certs.js';
import { GROUP_MASTERS } from './authn.js';

export const DEFAULT_STANDALONE_DIR = './.kapi';
export const ADMIN_USER = 'admin';

export interface StandaloneSecurityOptions {
  /** Where the files live; default ./.kapi. */
  dir?: string;
  /** The address the server listens on; default 127.0.0.1. Also the kubeconfig's server host. */
  bindAddress?: string;
  port: number;
  /** More DNS names or IPs for the serving certificate (e.g. api.wardle.svc). */
  extraHosts?: string[];
  /** Name of the cluster, user and context in the kubeconfig; default "kapi". */
  name?: string;
}

export interface StandaloneSecurityPaths {
  caCert: string;
  caKey: string;
  servingCert: string;
  servingKey: string;
  adminCert: string;
  adminKey: string;
  kubeconfig: string;
}

export interface StandaloneSecurity {
  ca: CertificateAuthority;
  serving: CertKeyPair;
  admin: CertKeyPair;
  /** PEM bundle client certificates are verified against (the CA above). */
  clientCA: string;
  paths: StandaloneSecurityPaths;
  /** The https:// URL written into the kubeconfig. */
  serverURL: string;
}

/** Re-issue leaf certificates with less than this left. */
const RENEW_BEFORE_MS = 30 * 24 * 60 * 60 * 1000;
const PRIVATE_MODE = 0o600;
const PUBLIC_MODE = 0o644;

export function standalonePaths(dir: string): StandaloneSecurityPaths {
  return {
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    servingCert: join(dir, 'apiserver.crt'),
    servingKey: join(dir, 'apiserver.key'),
    adminCert: join(dir, 'admin.crt'),
    adminKey: join(dir, 'admin.key'),
    kubeconfig: join(dir, 'admin.kubeconfig'),
  };
}

function isUnspecified(address: string): boolean {
  return address === '0.0.0.0' || address === '::' || address === '';
}

/** The host a client dials for this bind address (wildcards mean loopback). */
export function dialHost(bindAddress: string): string {
  if (bindAddress === '::') return '::1';
  if (isUnspecified(bindAddress)) return '127.0.0.1';
  return bindAddress;
}

export function serverURL(bindAddress: string, port: number): string {
  const host = dialHost(bindAddress);
  return `https://${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
}

function servingHosts(bindAddress: string, extraHosts: readonly string[]): string[] {
  const hosts = ['localhost', '127.0.0.1', '::1', ...extraHosts];
  if (!isUnspecified(bindAddress)) hosts.push(bindAddress);
  return [...new Set(hosts)];
}

function writeSecret(path: string, content: string): void {
  writeFileSync(path, content, { mode: PRIVATE_MODE });
  chmodSync(path, PRIVATE_MODE);
}

function writePublic(path: string, content: string): void {
  writeFileSync(path, content, { mode: PUBLIC_MODE });
}

function readPair(certPath: string, keyPath: string): CertKeyPair | undefined {
  if (!existsSync(certPath) || !existsSync(keyPath)) return undefined;
  return { cert: readFileSync(certPath, 'utf8'), key: readFileSync(keyPath, 'utf8') };
}

/** Still good: parses, signed by the CA, far from expiry, and (for serving certs) covers every host. */
function isReusable(pair: CertKeyPair, ca: CertificateAuthority, hosts: readonly string[] = []): boolean {
  try {
    const cert = new X509Certificate(pair.cert);
    const issuer = new X509Certificate(ca.cert);
    if (!cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return false;
    if (Date.parse(cert.validTo) - Date.now() < RENEW_BEFORE_MS) return false;
    if (!cert.checkPrivateKey(createPrivateKey(pair.key))) return false;
    return hosts.every((host) => (isIP(host) ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined));
  } catch {
    return false;
  }
}

function loadOrCreateCA(paths: StandaloneSecurityPaths, name: string): { ca: CertificateAuthority; created: boolean } {
  const existing = readPair(paths.caCert, paths.caKey);
  if (existing) return { ca: existing, created: false };
  const ca = createCA(`${name}-ca`);
  writePublic(paths.caCert, ca.cert);
  writeSecret(paths.caKey, ca.key);
  return { ca, created: true };
}

function loadOrIssue(
  certPath: string,
  keyPath: string,
  ca: CertificateAuthority,
  forceNew: boolean,
  hosts: readonly string[] | undefined,
  issue: () => CertKeyPair,
): CertKeyPair {
  const existing = forceNew ? undefined : readPair(certPath, keyPath);
  if (existing && isReusable(existing, ca, hosts)) return existing;
  const pair = issue();
  writePublic(certPath, pair.cert);
  writeSecret(keyPath, pair.key);
  return pair;
}

function base64(pem: string): string {
  return Buffer.from(pem, 'utf8').toString('base64');
}

/** A kubeconfig (v1 Config) for the admin user, with everything inline. */
export function adminKubeconfig(name: string, url: string, ca: string, admin: CertKeyPair): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server: url, 'certificate-authority-data': base64(ca) } }],
    users: [{ name: `${name}-admin`, user: { 'client-certificate-data': base64(admin.cert), 'client-key-data': base64(admin.key) } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin` } }],
    'current-context': name,
    preferences: {},
  });
}

/** Creates or reuses the standalone CA, serving and admin certificates, and writes admin.kubeconfig. */
export function ensureStandaloneSecurity(options: StandaloneSecurityOptions): StandaloneSecurity {
  const dir = resolve(options.dir ?? DEFAULT_STANDALONE_DIR);
  const bindAddress = options.bindAddress ?? '127.0.0.1';
  const name = options.name ?? 'kapi';
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const paths = standalonePaths(dir);

  const { ca, created } = loadOrCreateCA(paths, name);
  const hosts = servingHosts(bindAddress, options.extraHosts ?? []);
  const serving = loadOrIssue(paths.servingCert, paths.servingKey, ca, created, hosts, () =>
    createServingCert(ca, { hosts, commonName: `${name}-apiserver` }),
  );
  const admin = loadOrIssue(paths.adminCert, paths.adminKey, ca, created, undefined, () =>
    createClientCert(ca, { commonName: ADMIN_USER, organizations: [GROUP_MASTERS] }),
  );
  const url = serverURL(bindAddress, options.port);
  writeSecret(paths.kubeconfig, adminKubeconfig(name, url, ca.cert, admin));
  return { ca, serving, admin, clientCA: ca.cert, paths, serverURL: url };
}
