import type { IncomingMessage } from 'node:http';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createCA, createClientCert, createServingCert } from '../certs.js';
import type { UserInfo } from '../authn.js';
import type { RequestHeaderConfig } from './extension-config.js';
import { DynamicX509Authenticator, RequestHeaderAuthenticator, unescapeExtraKey } from './request-header.js';

const proxyCA = createCA('front-proxy-ca');
const clientCA = createCA('client-ca');
const otherCA = createCA('other-ca');
const serving = createServingCert(clientCA, { hosts: ['127.0.0.1'] });
const proxy = createClientCert(proxyCA, { commonName: 'front-proxy-client' });
const proxyOtherName = createClientCert(proxyCA, { commonName: 'someone-else' });
const impostor = createClientCert(otherCA, { commonName: 'front-proxy-client' });
const jane = createClientCert(clientCA, { commonName: 'jane', organizations: ['devs'] });

const config: RequestHeaderConfig = {
  clientCA: proxyCA.cert,
  allowedNames: ['front-proxy-client'],
  usernameHeaders: ['X-Remote-User'],
  uidHeaders: ['X-Remote-Uid'],
  groupHeaders: ['X-Remote-Group'],
  extraHeaderPrefixes: ['X-Remote-Extra-'],
};

interface Seen {
  user: UserInfo | null;
  /** The X-Remote-* headers left on the request after authentication. */
  left: string[];
}

describe('RequestHeaderAuthenticator (front proxy) over real TLS', () => {
  let server: Server;
  let port: number;
  let current: RequestHeaderConfig | undefined = config;
  const authenticator = new RequestHeaderAuthenticator({ config: () => current });

  beforeAll(async () => {
    server = createServer({ cert: serving.cert, key: serving.key, requestCert: true, rejectUnauthorized: false }, (req: IncomingMessage, res) => {
      const user = authenticator.authenticate(req) ?? null;
      const left = [
        ...Object.keys(req.headers),
        ...Object.keys(req.headersDistinct),
        ...req.rawHeaders.filter((_, i) => i % 2 === 0),
      ].filter((h) => h.toLowerCase().startsWith('x-remote-'));
      res.end(JSON.stringify({ user, left } satisfies Seen));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => server.close());
  afterEach(() => (current = config));

  /** Sends raw header lines (repeats kept) with an optional client certificate. */
  function send(headers: Array<[string, string]>, cert?: { cert: string; key: string }): Promise<Seen> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false, ...(cert ?? {}) }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(JSON.parse(body) as Seen));
      });
      for (const [name, values] of groupBy(headers)) req.setHeader(name, values.length === 1 ? values[0]! : values);
      req.on('error', reject);
      req.end();
    });
  }

  function groupBy(headers: Array<[string, string]>): Map<string, string[]> {
    const map = new Map<string, string[]>();
    for (const [name, value] of headers) map.set(name, [...(map.get(name) ?? []), value]);
    return map;
  }

  it('trusts the headers behind a verified front-proxy certificate, and removes them', async () => {
    const seen = await send(
      [
        ['X-Remote-User', 'alice'],
        ['X-Remote-Uid', 'u-1'],
        ['X-Remote-Group', 'a, b'],
        ['X-Remote-Group', 'c'],
        ['X-Remote-Extra-Scopes', 'read'],
        ['X-Remote-Extra-Scopes', 'write'],
        ['X-Remote-Extra-Example.com%2fKey%20Name', 'v'],
        ['X-Remote-Extra-Bad%zz', 'kept'],
      ],
      proxy,
    );
    expect(seen.user).toEqual({
      username: 'alice',
      uid: 'u-1',
      // One group a header line: a comma inside a value is not a separator.
      groups: ['a, b', 'c'],
      extra: { scopes: ['read', 'write'], 'example.com/key name': ['v'], 'bad%zz': ['kept'] },
    });
    expect(seen.left).toEqual([]);
  });

  it('gives no user without a username header (groups alone are nothing)', async () => {
    const seen = await send([['X-Remote-Group', 'system:masters']], proxy);
    expect(seen).toEqual({ user: null, left: [] });
  });

  it('ignores the headers without a client certificate, and still removes them', async () => {
    expect(await send([['X-Remote-User', 'alice'], ['X-Remote-Group', 'system:masters']])).toEqual({ user: null, left: [] });
  });

  it('ignores a certificate from another CA, even with the allowed CN', async () => {
    expect((await send([['X-Remote-User', 'alice']], impostor)).user).toBeNull();
    expect((await send([['X-Remote-User', 'alice']], jane)).user).toBeNull();
  });

  it('ignores a CN that is not allowed; an empty allowed list allows any', async () => {
    expect((await send([['X-Remote-User', 'alice']], proxyOtherName)).user).toBeNull();
    current = { ...config, allowedNames: [] };
    expect((await send([['X-Remote-User', 'alice']], proxyOtherName)).user).toMatchObject({ username: 'alice' });
  });

  it('follows the configuration: other header names, a new CA, or none at all', async () => {
    current = { ...config, usernameHeaders: ['X-Proxy-User', 'X-Remote-User'] };
    expect((await send([['X-Proxy-User', 'bob'], ['X-Remote-User', 'alice']], proxy)).user).toMatchObject({ username: 'bob' });
    current = { ...config, clientCA: otherCA.cert };
    expect((await send([['X-Remote-User', 'alice']], impostor)).user).toMatchObject({ username: 'alice' });
    expect((await send([['X-Remote-User', 'alice']], proxy)).user).toBeNull();
    current = undefined;
    expect((await send([['X-Remote-User', 'alice']], proxy)).user).toBeNull();
  });

  it('DynamicX509Authenticator uses the current client CA', async () => {
    let ca: string | undefined = clientCA.cert;
    const x509 = new DynamicX509Authenticator(() => ca);
    const other = createServer({ cert: serving.cert, key: serving.key, requestCert: true, rejectUnauthorized: false }, (req, res) => {
      res.end(JSON.stringify(x509.authenticate(req) ?? null));
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const ask = (cert: { cert: string; key: string }): Promise<unknown> =>
      new Promise((resolve, reject) => {
        const { port: p } = other.address() as AddressInfo;
        request({ host: '127.0.0.1', port: p, path: '/', rejectUnauthorized: false, agent: false, ...cert }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => resolve(JSON.parse(body)));
        })
          .on('error', reject)
          .end();
      });
    try {
      expect(await ask(jane)).toEqual({ username: 'jane', groups: ['devs'] });
      ca = otherCA.cert;
      expect(await ask(jane)).toBeNull();
      ca = undefined;
      expect(await ask(jane)).toBeNull();
    } finally {
      other.close();
    }
  });
});

describe('unescapeExtraKey', () => {
  it('unescapes %-encoded bytes as Go url.PathUnescape does and keeps malformed keys', () => {
    expect(unescapeExtraKey('example.com%2fscopes')).toBe('example.com/scopes');
    expect(unescapeExtraKey('a+b')).toBe('a+b');
    expect(unescapeExtraKey('%e2%9c%93')).toBe('✓');
    expect(unescapeExtraKey('bad%zz')).toBe('bad%zz');
    expect(unescapeExtraKey('half%2')).toBe('half%2');
  });
});
