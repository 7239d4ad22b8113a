import { X509Certificate } from 'node:crypto';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createCA, createClientCert, createServingCert, randomSerialNumber } from './certs.js';

describe('certs', () => {
  const ca = createCA('kapi-test-ca');
  const serving = createServingCert(ca, { hosts: ['localhost', '127.0.0.1', '::1', 'api.wardle.svc'], commonName: 'apiserver' });
  const client = createClientCert(ca, { commonName: 'jane', organizations: ['devs', 'system:masters'] });

  it('makes a CA that can sign', () => {
    const cert = new X509Certificate(ca.cert);
    expect(cert.ca).toBe(true);
    expect(cert.subject).toBe('CN=kapi-test-ca');
    expect(cert.checkIssued(cert)).toBe(true);
    expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(9 * 365 * 24 * 3600 * 1000);
    expect(ca.key).toContain('BEGIN RSA PRIVATE KEY');
  });

  it('makes a serving cert with SANs for every host, signed by the CA', () => {
    const cert = new X509Certificate(serving.cert);
    const issuer = new X509Certificate(ca.cert);
    expect(cert.ca).toBe(false);
    expect(cert.verify(issuer.publicKey)).toBe(true);
    expect(cert.checkHost('localhost')).toBe('localhost');
    expect(cert.checkHost('api.wardle.svc')).toBe('api.wardle.svc');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkIP('::1')).toBeDefined();
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(364 * 24 * 3600 * 1000);
  });

  it('makes a client cert whose subject carries user and groups', () => {
    const cert = new X509Certificate(client.cert);
    expect(cert.subject.split('\n')).toEqual(['O=devs', 'O=system:masters', 'CN=jane']);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('gives unique positive serials', () => {
    const serials = new Set([ca, serving, client].map((p) => new X509Certificate(p.cert).serialNumber));
    expect(serials.size).toBe(3);
    for (let i = 0; i < 200; i++) {
      const serial = randomSerialNumber();
      expect(parseInt(serial.slice(0, 2), 16)).toBeGreaterThan(0);
      expect(parseInt(serial.slice(0, 2), 16)).toBeLessThan(0x80);
    }
  });

  it("is accepted by Node's TLS on both sides (mutual TLS)", async () => {
    const server: Server = createServer(
      { cert: serving.cert, key: serving.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        res.end(`${(req.socket as TLSSocket).authorized} ${peer.subject.CN}`);
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const body = await new Promise<string>((resolve, reject) => {
        const req = request(
          { host: '127.0.0.1', port, path: '/', ca: ca.cert, cert: client.cert, key: client.key, servername: 'localhost', agent: false },
          (res) => {
            let data = '';
            res.on('data', (chunk) => (data += chunk));
            res.on('end', () => resolve(data));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(body).toBe('true jane');
    } finally {
      server.close();
    }
  });
});
