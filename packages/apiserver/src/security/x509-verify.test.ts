import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createCA, createClientCert, createServingCert } from './certs.js';
import { parseCertificateBundle, verifySocketPeer } from './x509-verify.js';

const clientCA = createCA('client-ca');
const otherCA = createCA('other-ca');
const serving = createServingCert(clientCA, { hosts: ['127.0.0.1'] });
const jane = createClientCert(clientCA, { commonName: 'jane' });

describe('verifySocketPeer', () => {
  let server: Server;
  /** Stands in for the TLS socket after the test connection closed: the peer captured while it was open. */
  let socket: Pick<TLSSocket, 'getPeerCertificate'>;
  let peerReads = 0;

  beforeAll(async () => {
    const seen = new Promise<ReturnType<TLSSocket['getPeerCertificate']>>((resolve) => {
      server = createServer({ cert: serving.cert, key: serving.key, requestCert: true, rejectUnauthorized: false }, (req, res) => {
        resolve((req.socket as TLSSocket).getPeerCertificate(true));
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', ca: clientCA.cert, cert: jane.cert, key: jane.key, agent: false }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    const peer = await seen;
    socket = {
      getPeerCertificate: (() => {
        peerReads++;
        return peer;
      }) as TLSSocket['getPeerCertificate'],
    };
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('reads and verifies the peer once per socket and roots', () => {
    const roots = parseCertificateBundle(clientCA.cert);
    const first = verifySocketPeer(socket, roots);
    expect(first.leaf?.subject).toContain('CN=jane');
    const again = verifySocketPeer(socket, roots);
    expect(again.leaf).toBe(first.leaf);
    expect(peerReads).toBe(1);
  });

  it('verifies again for another roots array (a changed CA bundle)', () => {
    expect(verifySocketPeer(socket, parseCertificateBundle(otherCA.cert)).leaf).toBeUndefined();
    expect(verifySocketPeer(socket, parseCertificateBundle(clientCA.cert)).leaf).toBeDefined();
    expect(peerReads).toBe(1);
  });

  it('does not reuse a verdict once a certificate involved has expired', () => {
    const roots = parseCertificateBundle(clientCA.cert);
    expect(verifySocketPeer(socket, roots).leaf).toBeDefined();
    const afterExpiry = Date.parse(roots[0]!.validTo) + 1000;
    expect(verifySocketPeer(socket, roots, afterExpiry).leaf).toBeUndefined();
  });
});
