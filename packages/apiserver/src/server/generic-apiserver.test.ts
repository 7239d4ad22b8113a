import { Agent, request, type RequestOptions } from 'node:https';
import { connect as tlsConnect } from 'node:tls';
import { createServer as createHttpServer, get as httpGet, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import { SqliteStorage } from '@kapi/storage';
import { apiRoutes } from './api-routes.js';
import type { RestStorage } from '../registry/interfaces.js';
import { Store } from '../registry/store.js';
import { Scheme } from '../scheme/scheme.js';
import { widgetKind } from '../scheme/test-kinds.js';
import { createCA, createClientCert, createServingCert, type CertKeyPair } from '../security/certs.js';
import { requestUser } from '../security/authn.js';
import type { Authorizer } from '../security/authz.js';
import { GenericAPIServer, createServer, type GenericAPIServerOptions } from './generic-apiserver.js';
import { requestSignal } from '../http/request-signal.js';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The response ended with its terminating chunk (not a reset connection). */
  complete: boolean;
}

const ca = createCA('server-test-ca');
const serving = createServingCert(ca, { hosts: ['localhost', '127.0.0.1'] });
const admin = createClientCert(ca, { commonName: 'admin', organizations: ['system:masters'] });
const alice = createClientCert(ca, { commonName: 'alice', organizations: ['developers'] });
const otherCA = createCA('some-other-ca');
const mallory = createClientCert(otherCA, { commonName: 'admin', organizations: ['system:masters'] });

function call(server: GenericAPIServer | number, path: string, client?: CertKeyPair, options: RequestOptions = {}): Promise<Reply> {
  const port = typeof server === 'number' ? server : server.address.port;
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, ca: ca.cert, agent: false, ...(client ? { cert: client.cert, key: client.key } : {}), ...options },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, complete: res.complete }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Opens a streaming request and resolves once its headers arrived; `done` settles at its end. */
function openStream(server: GenericAPIServer, path: string, client: CertKeyPair): Promise<{ chunks: string[]; done: Promise<Reply> }> {
  const { port } = server.address;
  return new Promise((resolveOpen, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca: ca.cert, cert: client.cert, key: client.key, agent: false }, (res) => {
      const chunks: string[] = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => chunks.push(chunk));
      const done = new Promise<Reply>((resolve, rejectDone) => {
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.join(''), complete: res.complete }));
        res.on('error', rejectDone);
        res.on('aborted', () => rejectDone(new Error('response aborted')));
      });
      resolveOpen({ chunks, done });
    });
    req.on('error', reject);
    req.end();
  });
}

function captureLogs(): { lines: Array<Record<string, unknown>>; logger: pino.Logger } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString().split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, stream) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `condition` holds, failing after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** A test API: a blocking GET, a throwing handler, a watch that never ends by itself. */
function testApp(gate: { release: () => void; wait: Promise<void> }): express.Express {
  const router = express();
  router.get('/apis/test.example.com/v1/namespaces/:ns/blocks', async (_req, res) => {
    await gate.wait;
    res.json({ kind: 'BlockList', items: [] });
  });
  router.post('/apis/test.example.com/v1/namespaces/:ns/blocks', async (_req, res) => {
    await gate.wait;
    res.status(201).json({ kind: 'Block' });
  });
  router.get('/apis/test.example.com/v1/whoami', (req, res) => {
    res.json(requestUser(req));
  });
  router.get('/apis/test.example.com/v1/boom', () => {
    throw new Error('kaboom');
  });
  router.get('/apis/test.example.com/v1/asyncboom', async () => {
    await sleep(1);
    throw new TypeError('async kaboom');
  });
  router.get('/apis/test.example.com/v1/widgets', (req, res) => {
    if (req.query.watch !== 'true') return void res.json({ kind: 'WidgetList', items: [] });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.write(`${JSON.stringify({ type: 'ADDED', object: { kind: 'Widget', metadata: { name: 'a' } } })}\n`);
    // Deliberately ignores requestSignal: the server must end the stream itself.
  });
  router.get('/apis/test.example.com/v1/gadgets', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    res.write(`${JSON.stringify({ type: 'ADDED', object: { kind: 'Gadget', metadata: { name: 'g' } } })}\n`);
    requestSignal(req)?.addEventListener('abort', () => res.end());
  });
  return router;
}

function newGate(): { release: () => void; wait: Promise<void> } {
  let release = (): void => undefined;
  const wait = new Promise<void>((resolve) => (release = resolve));
  return { release, wait };
}

async function startServer(overrides: Partial<GenericAPIServerOptions> = {}) {
  const logs = captureLogs();
  const gate = newGate();
  const server = createServer({
    port: 0,
    tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
    logger: logs.logger,
    nonResourceHandler: testApp(gate),
    collectDefaultMetrics: true,
    ...overrides,
  });
  await server.start();
  return { server, logs, gate };
}

describe('GenericAPIServer', () => {
  describe('authentication', () => {
    let ctx: Awaited<ReturnType<typeof startServer>>;
    beforeAll(async () => (ctx = await startServer()));
    afterAll(() => ctx.server.shutdown());

    it('answers 401 Unauthorized without a client certificate', async () => {
      const reply = await call(ctx.server, '/apis/test.example.com/v1/whoami');
      expect(reply.status).toBe(401);
      expect(JSON.parse(reply.body)).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });
    });

    it('authenticates the admin certificate: CN user, O groups + system:authenticated', async () => {
      const reply = await call(ctx.server, '/apis/test.example.com/v1/whoami', admin);
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toEqual({ username: 'admin', groups: ['system:masters', 'system:authenticated'] });
      expect(reply.headers['cache-control']).toBe('no-cache, private');
    });

    it('refuses a certificate from another CA', async () => {
      const reply = await call(ctx.server, '/apis/test.example.com/v1/whoami', mallory);
      expect(reply.status).toBe(401);
    });

    it('refuses a server certificate used as a client certificate', async () => {
      const reply = await call(ctx.server, '/apis/test.example.com/v1/whoami', serving);
      expect(reply.status).toBe(401);
    });

    it('keeps /healthz, /livez and /readyz open', async () => {
      for (const path of ['/healthz', '/livez', '/readyz']) {
        const reply = await call(ctx.server, path);
        expect([path, reply.status, reply.body]).toEqual([path, 200, 'ok']);
      }
      expect((await call(ctx.server, '/version')).status).toBe(401);
    });

    it('answers unknown paths with a NotFound Status', async () => {
      const reply = await call(ctx.server, '/nope', admin);
      expect(reply.status).toBe(404);
      expect(JSON.parse(reply.body)).toMatchObject({ kind: 'Status', reason: 'NotFound', code: 404 });
    });

    it('turns thrown errors into 500 Status and keeps serving', async () => {
      for (const path of ['/apis/test.example.com/v1/boom', '/apis/test.example.com/v1/asyncboom']) {
        const reply = await call(ctx.server, path, admin);
        expect(reply.status).toBe(500);
        expect(JSON.parse(reply.body)).toMatchObject({ kind: 'Status', reason: 'InternalError', code: 500 });
      }
      expect((await call(ctx.server, '/healthz')).status).toBe(200);
      // Each 5xx is logged with its cause, on the request's own line.
      const failed = ctx.logs.lines.filter((l) => l.msg === 'HTTP' && l.code === 500);
      expect(failed.map((l) => [l.uri, (l.err as { message?: string } | undefined)?.message])).toEqual([
        ['/apis/test.example.com/v1/boom', 'kaboom'],
        ['/apis/test.example.com/v1/asyncboom', 'async kaboom'],
      ]);
    });

    it('serves /version in the version.Info shape', async () => {
      const reply = await call(ctx.server, '/version', admin);
      expect(reply.status).toBe(200);
      const info = JSON.parse(reply.body) as Record<string, string>;
      expect(Object.keys(info)).toEqual(
        expect.arrayContaining(['major', 'minor', 'gitVersion', 'gitCommit', 'gitTreeState', 'buildDate', 'goVersion', 'compiler', 'platform']),
      );
      expect(info.nodeVersion).toBe(process.version);
    });

    it('logs one JSON line per request', async () => {
      const before = ctx.logs.lines.length;
      await call(ctx.server, '/apis/test.example.com/v1/widgets?limit=1', admin);
      await sleep(20);
      const lines = ctx.logs.lines.slice(before).filter((l) => l.msg === 'HTTP');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ verb: 'LIST', uri: '/apis/test.example.com/v1/widgets?limit=1', user: 'admin', code: 200 });
      expect(typeof lines[0]!.latencyMs).toBe('number');
    });

    it('exposes apiserver_request_total and the duration histogram at /metrics', async () => {
      await call(ctx.server, '/apis/test.example.com/v1/widgets', admin);
      const reply = await call(ctx.server, '/metrics', admin);
      expect(reply.status).toBe(200);
      expect(reply.headers['content-type']).toContain('text/plain');
      expect(reply.body).toContain(
        'apiserver_request_total{verb="LIST",dry_run="",group="test.example.com",version="v1",resource="widgets",subresource="",scope="cluster",component="apiserver",code="200"}',
      );
      expect(reply.body).toContain('apiserver_request_total{verb="GET",dry_run="",group="",version="",resource="",subresource="/healthz",scope="",component="apiserver",code="200"}');
      expect(reply.body).toMatch(/apiserver_request_duration_seconds_bucket\{le="0.005",verb="LIST".*resource="widgets"/);
      expect(reply.body).toContain('process_cpu_user_seconds_total');
    });
  });

  it('authorizes with the given Authorizer and answers 403 like Go', async () => {
    const authorizer: Authorizer = {
      authorize: (a) => (a.user.groups.includes('system:masters') ? { decision: 'Allow' } : { decision: 'NoOpinion', reason: 'no RBAC policy matched' }),
    };
    const { server } = await startServer({ authorizer });
    try {
      expect((await call(server, '/apis/test.example.com/v1/widgets', admin)).status).toBe(200);
      const reply = await call(server, '/apis/test.example.com/v1/namespaces/default/blocks', alice);
      expect(reply.status).toBe(403);
      expect(JSON.parse(reply.body)).toMatchObject({
        reason: 'Forbidden',
        code: 403,
        message:
          'blocks.test.example.com is forbidden: User "alice" cannot list resource "blocks" in API group "test.example.com" in the namespace "default": no RBAC policy matched',
        details: { group: 'test.example.com', kind: 'blocks' },
      });
    } finally {
      await server.shutdown();
    }
  });

  it('answers 429 with Retry-After when read-only requests in flight exceed the limit', async () => {
    const { server, gate } = await startServer({ maxRequestsInFlight: 1, maxMutatingRequestsInFlight: 1 });
    try {
      const blocked = call(server, '/apis/test.example.com/v1/namespaces/default/blocks', alice);
      const blockedWrite = call(server, '/apis/test.example.com/v1/namespaces/default/blocks', alice, { method: 'POST' });
      // Both have arrived once they hold their seats (TLS handshakes take a while on a loaded machine).
      await until(() => server.limiter.inFlight.readOnly === 1 && server.limiter.inFlight.mutating === 1);
      expect(server.limiter.inFlight).toEqual({ readOnly: 1, mutating: 1 });

      const rejected = await call(server, '/apis/test.example.com/v1/namespaces/default/blocks', alice);
      expect(rejected.status).toBe(429);
      expect(rejected.headers['retry-after']).toBe('1');
      expect(JSON.parse(rejected.body)).toMatchObject({ kind: 'Status', reason: 'TooManyRequests', code: 429, details: { retryAfterSeconds: 1 } });
      expect((await call(server, '/apis/test.example.com/v1/namespaces/default/blocks', alice, { method: 'POST' })).status).toBe(429);

      // Watches are long-running: not counted, not refused. system:masters always gets an answer.
      const watch = await openStream(server, '/apis/test.example.com/v1/gadgets?watch=true', alice);
      await until(() => watch.chunks.join('').includes('"type":"ADDED"'));
      expect(server.limiter.inFlight).toEqual({ readOnly: 1, mutating: 1 });
      const masterGate = call(server, '/apis/test.example.com/v1/namespaces/default/blocks', admin);

      gate.release();
      expect((await blocked).status).toBe(200);
      expect((await blockedWrite).status).toBe(201);
      expect((await masterGate).status).toBe(200);
      expect(server.limiter.inFlight).toEqual({ readOnly: 0, mutating: 0 });
      const metrics = await call(server, '/metrics', admin);
      expect(metrics.body).toMatch(/apiserver_request_total\{verb="LIST"[^}]*resource="blocks"[^}]*code="429"\} 1/);
    } finally {
      gate.release();
      await server.shutdown();
    }
  });

  it('fails /readyz when a check fails, naming it', async () => {
    let storageUp = true;
    const { server } = await startServer({
      readyzChecks: [{ name: 'storage', check: () => { if (!storageUp) throw new Error('database is locked'); } }],
    });
    try {
      const ok = await call(server, '/readyz?verbose');
      expect(ok.status).toBe(200);
      expect(ok.body).toBe('[+]ping ok\n[+]shutdown ok\n[+]storage ok\nreadyz check passed\n');

      storageUp = false;
      const failing = await call(server, '/readyz');
      expect(failing.status).toBe(500);
      expect(failing.body).toBe('[+]ping ok\n[+]shutdown ok\n[-]storage failed: reason withheld\nreadyz check failed\n');
      expect((await call(server, '/readyz?exclude=storage')).status).toBe(200);
      expect((await call(server, '/livez')).status).toBe(200);
    } finally {
      await server.shutdown();
    }
  });

  it('shuts down gracefully: in-flight requests finish, watches end cleanly, then hooks run', async () => {
    const events: string[] = [];
    const { server, gate, logs } = await startServer({
      shutdownTimeoutMs: 5_000,
      shutdownHooks: [() => void events.push('storage closed')],
    });
    const { port } = server.address;
    const inFlight = call(server, '/apis/test.example.com/v1/namespaces/default/blocks', admin).then((r) => {
      events.push('request done');
      return r;
    });
    const stubborn = await openStream(server, '/apis/test.example.com/v1/widgets?watch=true', admin);
    const cooperative = await openStream(server, '/apis/test.example.com/v1/gadgets?watch=true', admin);
    await sleep(50);

    const shutdown = server.shutdown();
    expect(server.isShuttingDown).toBe(true);
    expect(server.shutdown()).toBe(shutdown);
    await sleep(100);
    expect(events).toEqual([]);
    // The listener is closed; ask the same app over a side door: readyz now fails on "shutdown".
    const sideDoor = createHttpServer(server.handler);
    await new Promise<void>((resolve) => sideDoor.listen(0, '127.0.0.1', resolve));
    const readyz = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port: (sideDoor.address() as AddressInfo).port, path: '/readyz', agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
    sideDoor.close();
    expect(readyz.status).toBe(500);
    expect(readyz.body).toContain('[-]shutdown failed: reason withheld\nreadyz check failed');
    gate.release();

    const [request, stubbornEnd, cooperativeEnd] = await Promise.all([inFlight, stubborn.done, cooperative.done]);
    await shutdown;
    expect(request.status).toBe(200);
    expect(stubbornEnd).toMatchObject({ status: 200, complete: true });
    expect(stubbornEnd.body).toContain('"type":"ADDED"');
    expect(cooperativeEnd).toMatchObject({ status: 200, complete: true });
    expect(events).toEqual(['request done', 'storage closed']);
    await expect(call(port, '/healthz').catch((err: NodeJS.ErrnoException) => err.code)).resolves.toBe('ECONNREFUSED');
    expect(logs.lines.some((l) => l.msg === 'shutdown complete')).toBe(true);
    expect(logs.lines.some((l) => typeof l.msg === 'string' && /^serving securely on 127\.0\.0\.1:\d+$/.test(l.msg))).toBe(true);
  });

  it('closes connections that never carried a request at once, not at the shutdown deadline', async () => {
    const { server } = await startServer({ shutdownTimeoutMs: 20_000 });
    const { port } = server.address;
    const idle = tlsConnect({ host: '127.0.0.1', port, ca: ca.cert, cert: admin.cert, key: admin.key, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => idle.once('secureConnect', () => resolve()).once('error', reject));
    idle.resume();
    // As a Go client's spare connection: open well before the shutdown (the server has finished its side of the handshake).
    await sleep(200);
    const closed = new Promise<void>((resolve) => idle.once('close', () => resolve()));
    const done = server.shutdown().then(() => 'shut down');
    // Closed by the server, before its 20 s deadline could have passed (the test's own timeout is 10 s).
    await closed;
    expect(await done).toBe('shut down');
  }, 10_000);

  it('serves on with /readyz failing for the shutdown delay, then closes the listener', async () => {
    const { server } = await startServer({ shutdownDelayMs: 600 });
    const { port } = server.address;
    const shutdown = server.shutdown();
    await sleep(100);
    // Still listening: a load balancer sees not-ready while the requests it still sends are served.
    const readyz = await call(port, '/readyz');
    expect(readyz.status).toBe(500);
    expect(readyz.body).toContain('[-]shutdown failed');
    expect((await call(port, '/livez')).status).toBe(200);
    expect((await call(server, '/apis/test.example.com/v1/widgets', admin)).status).toBe(200);
    await shutdown;
    await expect(call(port, '/healthz').catch((err: NodeJS.ErrnoException) => err.code)).resolves.toBe('ECONNREFUSED');
  });

  it('keeps an idle kept-alive connection open past node\'s 5 s default, as Go\'s 90 s idle timeout does', async () => {
    const { server } = await startServer();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (): Promise<{ status: number; reused: boolean }> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.address.port, path: '/healthz', ca: ca.cert, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      expect(await get()).toEqual({ status: 200, reused: false });
      await sleep(6_000);
      expect(await get()).toEqual({ status: 200, reused: true });
    } finally {
      agent.destroy();
      await server.shutdown();
    }
  }, 15_000);

  it('bounds shutdown by its timeout', async () => {
    const { server, gate } = await startServer({ shutdownTimeoutMs: 300 });
    const stuck = call(server, '/apis/test.example.com/v1/namespaces/default/blocks', admin).catch((err: Error) => err);
    await sleep(50);
    const started = Date.now();
    await server.shutdown();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await stuck).toMatchObject({ message: expect.any(String) });
    expect((await stuck as Error).stack).toBeDefined();
    gate.release();
  });
});

describe('GenericAPIServer extended by its author', () => {
  it('runs added filters after authorization, in order, and a filter may answer or fail', async () => {
    const { server } = await startServer();
    const seen: string[] = [];
    server.addFilter((req, _res, next) => {
      seen.push(`first ${requestUser(req)?.username ?? '-'}`);
      next();
    });
    server.addFilter((req, res, next) => {
      seen.push('second');
      if (req.url === '/teapot') {
        res.statusCode = 418;
        res.end('short and stout');
        return;
      }
      if (req.url === '/refused') return next(new Error('refused by a filter'));
      next();
    });
    try {
      expect(await call(server, '/teapot', admin)).toMatchObject({ status: 418, body: 'short and stout' });
      const refused = await call(server, '/refused', admin);
      expect(refused.status).toBe(500);
      expect(JSON.parse(refused.body)).toMatchObject({ kind: 'Status', reason: 'InternalError', message: 'Internal error occurred: refused by a filter' });
      expect((await call(server, '/apis/test.example.com/v1/whoami', admin)).status).toBe(200);
      // Not authenticated: no filter of the author's runs.
      expect((await call(server, '/teapot')).status).toBe(401);
      expect(seen).toEqual(['first admin', 'second', 'first admin', 'second', 'first admin', 'second']);
    } finally {
      await server.shutdown();
    }
  });

  it('reports a post-start hook on /readyz until it has finished, and a failed one as failed', async () => {
    const gate = newGate();
    const { server } = await startServer();
    try {
      server.addPostStartHook('warm-cache', () => gate.wait);
      server.addPostStartHook('broken', () => {
        throw new Error('no cache');
      });
      await sleep(20);
      const before = await call(server, '/readyz?verbose');
      expect(before.status).toBe(500);
      expect(before.body).toContain('[-]poststarthook/warm-cache failed: reason withheld');
      expect(before.body).toContain('[-]poststarthook/broken failed: reason withheld');
      gate.release();
      await sleep(20);
      const after = await call(server, '/readyz?verbose&exclude=poststarthook/broken');
      expect(after.status).toBe(200);
      expect(after.body).toContain('[+]poststarthook/warm-cache ok');
      expect((await call(server, '/healthz/poststarthook/broken', admin)).status).toBe(500);
      expect((await call(server, '/healthz/poststarthook/warm-cache', admin)).body).toBe('ok');
    } finally {
      await server.shutdown();
    }
  });
});

describe('GenericAPIServer with the API routes', () => {
  let ctx: Awaited<ReturnType<typeof startServer>>;
  let storage: SqliteStorage;
  const BASE = '/apis/test.example.com/v1alpha1/namespaces/default/widgets';
  const body = JSON.stringify({ apiVersion: 'test.example.com/v1alpha1', kind: 'Widget', metadata: { name: 'w1' }, spec: { referenceType: 'Flunder', ref: 'r' } });

  beforeAll(async () => {
    storage = SqliteStorage.open({ path: ':memory:', compactionIntervalMs: 0 });
    const scheme = new Scheme().addKind(widgetKind());
    const kind = scheme.kinds[0]!;
    const storages = new Map<string, RestStorage>([[`${kind.group}/${kind.plural}`, new Store({ kind, storage })]]);
    ctx = await startServer({ routes: apiRoutes({ scheme, storages }) });
  });
  afterAll(async () => {
    await ctx.server.shutdown();
    storage.close();
  });

  function send(method: string, path: string, client: CertKeyPair | undefined, payload?: string): Promise<Reply> {
    const { port } = ctx.server.address;
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port, path, method, ca: ca.cert, agent: false, headers: { 'content-type': 'application/json' }, ...(client ? { cert: client.cert, key: client.key } : {}) },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, complete: res.complete }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  it('creates and gets with the headers kube-apiserver sends (no ETag, no X-Powered-By)', async () => {
    const created = await send('POST', BASE, admin, body);
    expect(created.status).toBe(201);
    const got = await send('GET', `${BASE}/w1`, admin);
    expect(got.status).toBe(200);
    expect(JSON.parse(got.body)).toMatchObject({ apiVersion: 'test.example.com/v1alpha1', kind: 'Widget', metadata: { name: 'w1' } });
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['content-length']).toBe(String(Buffer.byteLength(got.body)));
    expect(got.headers['cache-control']).toBe('no-cache, private');
    expect(got.headers['etag']).toBeUndefined();
    expect(got.headers['x-powered-by']).toBeUndefined();
    expect(ctx.server.limiter.inFlight).toEqual({ readOnly: 0, mutating: 0 });
  });

  it('answers 401 before any route, with the Status every layer writes', async () => {
    const reply = await send('GET', `${BASE}/w1`, undefined);
    expect(reply.status).toBe(401);
    expect(reply.headers['content-type']).toBe('application/json');
    expect(JSON.parse(reply.body)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
  });

  it('answers unknown resources with 404 and leaves other paths to express', async () => {
    expect((await send('GET', '/apis/test.example.com/v1alpha1/namespaces/default/nothings', admin)).status).toBe(404);
    const discovery = await send('GET', '/apis/test.example.com/v1alpha1', admin);
    expect(JSON.parse(discovery.body)).toMatchObject({ kind: 'APIResourceList', groupVersion: 'test.example.com/v1alpha1' });
    expect((await send('GET', '/openapi/v2', admin)).status).toBe(200);
    expect((await send('GET', '/version', admin)).status).toBe(200);
  });

  it('logs and counts each request once', async () => {
    const before = ctx.logs.lines.length;
    await send('GET', `${BASE}/w1?resourceVersion=0`, admin);
    await send('GET', '/version', admin);
    await sleep(20);
    const lines = ctx.logs.lines.slice(before).filter((l) => l.msg === 'HTTP');
    expect(lines.map((l) => [l.verb, l.uri, l.user, l.code])).toEqual([
      ['GET', `${BASE}/w1?resourceVersion=0`, 'admin', 200],
      ['GET', '/version', 'admin', 200],
    ]);
    const metrics = await send('GET', '/metrics', admin);
    expect(metrics.body).toMatch(/apiserver_request_total\{verb="POST",dry_run="",group="test.example.com",version="v1alpha1",resource="widgets",subresource="",scope="resource",component="apiserver",code="201"\} 1\n/);
    expect(metrics.body).toMatch(/apiserver_request_total\{verb="GET",dry_run="",group="",version="",resource="",subresource="\/version",scope="",component="apiserver",code="200"\} \d+\n/);
  });
});
