import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ensureStandaloneSecurity, serverURL } from './standalone.js';

interface Kubeconfig {
  clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data': string } }>;
  users: Array<{ name: string; user: { 'client-certificate-data': string; 'client-key-data': string } }>;
  contexts: Array<{ name: string; context: { cluster: string; user: string } }>;
  'current-context': string;
}

describe('ensureStandaloneSecurity', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kapi-standalone-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates CA, serving and admin certs and a kubeconfig on first start', () => {
    const sec = ensureStandaloneSecurity({ dir, port: 9443, extraHosts: ['api.wardle.svc'] });
    const serving = new X509Certificate(sec.serving.cert);
    expect(serving.checkHost('localhost')).toBe('localhost');
    expect(serving.checkHost('api.wardle.svc')).toBe('api.wardle.svc');
    expect(serving.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(serving.checkIP('::1')).toBeDefined();
    expect(new X509Certificate(sec.admin.cert).subject.split('\n')).toEqual(['O=system:masters', 'CN=admin']);

    for (const key of [sec.paths.caKey, sec.paths.servingKey, sec.paths.adminKey, sec.paths.kubeconfig]) {
      expect(statSync(key).mode & 0o777).toBe(0o600);
    }

    const kubeconfig = parse(readFileSync(sec.paths.kubeconfig, 'utf8')) as Kubeconfig;
    expect(kubeconfig['current-context']).toBe('kapi');
    expect(kubeconfig.clusters[0]!.cluster.server).toBe('https://127.0.0.1:9443');
    expect(Buffer.from(kubeconfig.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString()).toBe(sec.ca.cert);
    expect(Buffer.from(kubeconfig.users[0]!.user['client-certificate-data'], 'base64').toString()).toBe(sec.admin.cert);
    expect(Buffer.from(kubeconfig.users[0]!.user['client-key-data'], 'base64').toString()).toBe(sec.admin.key);
    expect(kubeconfig.contexts[0]!.context).toEqual({ cluster: 'kapi', user: 'kapi-admin' });
  });

  it('reuses what is there, re-issuing the serving cert only for a new host', () => {
    const first = ensureStandaloneSecurity({ dir, port: 9443 });
    const second = ensureStandaloneSecurity({ dir, port: 9555 });
    expect(second.ca).toEqual(first.ca);
    expect(second.serving).toEqual(first.serving);
    expect(second.admin).toEqual(first.admin);
    expect(second.serverURL).toBe('https://127.0.0.1:9555');

    const third = ensureStandaloneSecurity({ dir, port: 9443, extraHosts: ['flunders.example.com'] });
    expect(third.ca).toEqual(first.ca);
    expect(third.serving.cert).not.toBe(first.serving.cert);
    expect(new X509Certificate(third.serving.cert).checkHost('flunders.example.com')).toBe('flunders.example.com');
    expect(third.admin).toEqual(first.admin);
  });

  it('writes a dialable URL for wildcard and IPv6 bind addresses', () => {
    expect(serverURL('0.0.0.0', 8443)).toBe('https://127.0.0.1:8443');
    expect(serverURL('::', 8443)).toBe('https://[::1]:8443');
    expect(serverURL('fd00::5', 8443)).toBe('https://[fd00::5]:8443');
  });
});
