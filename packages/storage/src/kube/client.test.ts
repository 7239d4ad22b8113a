import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '../etcd-server/index.js';
import { loadClientNode, type KubeConfig } from './client-node.js';
import { KubeApiError, KubeRestClient } from './client.js';

/** A KubeConfig for a plain-HTTP server on loopback (no credentials). */
async function kubeConfigFor(port: number): Promise<KubeConfig> {
  const k8s = await loadClientNode();
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'test' }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });
  return kc;
}

function listen(handler: http.RequestListener, port = 0): Promise<http.Server> {
  const server = http.createServer(handler);
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

const closeServer = (server: http.Server): Promise<void> => {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
};

describe('KubeRestClient', () => {
  let server: http.Server;
  let client: KubeRestClient;

  afterEach(async () => {
    client?.close();
    if (server?.listening) await closeServer(server);
  });

  it('sends JSON with the query and parses the answer', async () => {
    const seen: string[] = [];
    server = await listen((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push(`${req.method} ${req.url} ${req.headers['content-type'] ?? ''} ${body}`);
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ kind: 'Thing', ok: true }));
      });
    });
    client = new KubeRestClient(await kubeConfigFor((server.address() as AddressInfo).port));
    await expect(client.get('/api/v1/things', { labelSelector: 'a=b', limit: 5, continue: '', resourceVersion: undefined })).resolves.toEqual({ kind: 'Thing', ok: true });
    await expect(client.post('/api/v1/things', { spec: 1 })).resolves.toMatchObject({ ok: true });
    expect(seen).toEqual(['GET /api/v1/things?labelSelector=a%3Db&limit=5  ', 'POST /api/v1/things application/json {"spec":1}']);
  });

  it('repeats a parameter given as a list, and leaves out the empty ones', async () => {
    const seen: string[] = [];
    server = await listen((req, res) => {
      seen.push(req.url ?? '');
      res.end('{}');
    });
    client = new KubeRestClient(await kubeConfigFor((server.address() as AddressInfo).port));
    await client.get('/x', { command: ['sh', '-c', 'exit 3'], stdin: true, container: '' });
    expect(seen).toEqual(['/x?command=sh&command=-c&command=exit+3&stdin=true']);
  });

  it("gives a WebSocket upgrade the server's ws(s) URL under its base path, with the kubeconfig's credentials", async () => {
    const k8s = await loadClientNode();
    const kc = new k8s.KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:6443/base/', caData: Buffer.from('not a real CA').toString('base64') }],
      users: [{ name: 'u', token: 'secret-token' }],
      contexts: [{ name: 'c', cluster: 'c', user: 'u' }],
      currentContext: 'c',
    });
    client = new KubeRestClient(kc);
    const { url, options } = await client.upgradeRequest('/apis/g/v1/namespaces/n/things/a/exec', { command: ['cat'], stdout: true });
    expect(url).toBe('wss://127.0.0.1:6443/base/apis/g/v1/namespaces/n/things/a/exec?command=cat&stdout=true');
    expect(options.headers).toMatchObject({ Authorization: 'Bearer secret-token' });
    expect(String(options.ca)).toBe('not a real CA');
  });

  it('turns a non-2xx answer into a KubeApiError with its Status', async () => {
    server = await listen((_req, res) => {
      res.statusCode = 409;
      res.end(JSON.stringify({ kind: 'Status', code: 409, reason: 'AlreadyExists', message: 'things "a" already exists' }));
    });
    client = new KubeRestClient(await kubeConfigFor((server.address() as AddressInfo).port));
    const err = await client.post('/api/v1/things', {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'POST /api/v1/things: 409 things "a" already exists' });
    expect((err as KubeApiError).status?.message).toBe('things "a" already exists');
  });

  it('sends a request again when nothing was listening yet, unless told not to', async () => {
    const port = await freePort();
    client = new KubeRestClient(await kubeConfigFor(port), { unsentRetries: 0 });
    await expect(client.getText('/readyz')).rejects.toThrow(/ECONNREFUSED/);
    client.close();

    client = new KubeRestClient(await kubeConfigFor(port));
    const answer = client.getText('/readyz');
    await new Promise((r) => setTimeout(r, 30));
    server = await listen((_req, res) => res.end('ok'), port);
    await expect(answer).resolves.toBe('ok');
  });

  it('does not send a write again when a kept-alive connection is reset after the server read it', async () => {
    let posts = 0;
    let gets = 0;
    server = await listen((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.method === 'GET' && ++gets === 1) return res.end('{}');
        if (req.method === 'POST') posts++;
        // The first request only kept the socket alive; this one is read, then the server dies on it.
        req.socket.destroy();
      });
    });
    client = new KubeRestClient(await kubeConfigFor((server.address() as AddressInfo).port));
    await client.get('/api/v1/warm');
    await expect(client.post('/api/v1/things', { spec: 1 })).rejects.toThrow(/socket hang up|ECONNRESET/);
    // Applied once perhaps, but never twice: the caller learns the outcome is unknown.
    expect(posts).toBe(1);
  });

  it('streams watch events, and ends a watch the server closes once', async () => {
    let url: string | undefined;
    server = await listen((req, res) => {
      url = req.url;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(`${JSON.stringify({ type: 'ADDED', object: { metadata: { name: 'a' } } })}\n`);
      res.end(`${JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '9' } } })}\n`);
    });
    client = new KubeRestClient(await kubeConfigFor((server.address() as AddressInfo).port));
    const events: string[] = [];
    const ended = new Promise<Error | undefined>((resolve) => {
      void client.watch('/api/v1/things', { resourceVersion: 7 }, { event: (type) => events.push(type), end: resolve });
    });
    await expect(ended).resolves.toBeUndefined();
    expect(events).toEqual(['ADDED', 'BOOKMARK']);
    expect(url).toBe('/api/v1/things?resourceVersion=7&watch=true');
  });

  it('rejects a watch the server refuses, without ending it', async () => {
    server = await listen((_req, res) => {
      res.statusCode = 403;
      res.end(JSON.stringify({ kind: 'Status', code: 403, reason: 'Forbidden', message: 'no' }));
    });
    client = new KubeRestClient(await kubeConfigFor((server.address() as AddressInfo).port));
    const end = jest.fn();
    await expect(client.watch('/api/v1/things', {}, { event: () => undefined, end })).rejects.toMatchObject({ code: 403, reason: 'Forbidden' });
    await closeServer(server);
    const port = await freePort();
    client.close();
    client = new KubeRestClient(await kubeConfigFor(port));
    await expect(client.watch('/api/v1/things', {}, { event: () => undefined, end })).rejects.toThrow(/ECONNREFUSED/);
    expect(end).not.toHaveBeenCalled();
  });
});
