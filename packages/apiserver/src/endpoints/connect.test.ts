import { createServer as createHttpServer, ServerResponse, type IncomingMessage, type Server as HttpServer } from 'node:http';
import { request } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { Writable } from 'node:stream';
import pino from 'pino';
import WebSocket from 'ws';
import { newForbidden, type KubeObject } from '@kapi/apimachinery';
import { SqliteStorage } from '@kapi/storage';
import type { AuditEvent } from '../audit/event.js';
import { PolicyRuleEvaluator } from '../audit/policy.js';
import { requestInfoOf } from '../http/request-info.js';
import { writeStatus } from '../http/responses.js';
import type { ConnectStream, RestStorage } from '../registry/interfaces.js';
import type { RequestContext } from '../registry/rest.js';
import { Store } from '../registry/store.js';
import { Scheme } from '../scheme/scheme.js';
import { widgetKind } from '../scheme/test-kinds.js';
import { createCA, createClientCert, createServingCert } from '../security/certs.js';
import type { AuthorizationAttributes, Authorizer } from '../security/authz.js';
import { GenericAPIServer } from '../server/generic-apiserver.js';
import {
  CHANNEL_PROTOCOLS,
  decodeFrame,
  encodeFrame,
  errorChannelStatus,
  markUpgrade,
  negotiateProtocol,
  requestedProtocols,
  serveConnect,
  type ConnectLimits,
} from './connect.js';
import { apisRoute } from './router.js';

jest.setTimeout(20_000);

const V5 = CHANNEL_PROTOCOLS.find((p) => p.name === 'v5.channel.k8s.io')!;
const V4 = CHANNEL_PROTOCOLS.find((p) => p.name === 'v4.channel.k8s.io')!;
const V4_BASE64 = CHANNEL_PROTOCOLS.find((p) => p.name === 'v4.base64.channel.k8s.io')!;
const V1 = CHANNEL_PROTOCOLS.find((p) => p.name === 'channel.k8s.io')!;

describe('subprotocol negotiation (Go wsstream handshake)', () => {
  it('takes the first protocol the client asks for that the server speaks, in the client order', () => {
    expect(negotiateProtocol(['v9.channel.k8s.io', 'v4.channel.k8s.io', 'v5.channel.k8s.io'])?.name).toBe('v4.channel.k8s.io');
    expect(negotiateProtocol(['v5.channel.k8s.io', 'v4.channel.k8s.io'])?.name).toBe('v5.channel.k8s.io');
    expect(negotiateProtocol(['base64.channel.k8s.io'])?.name).toBe('base64.channel.k8s.io');
  });

  it('finds none for unknown protocols or none at all (no "" protocol)', () => {
    expect(negotiateProtocol(['SPDY/3.1+portforward.k8s.io'])).toBeUndefined();
    expect(negotiateProtocol([])).toBeUndefined();
  });

  it('reads the header as Go does (split on commas, trimmed), over repeated headers', () => {
    expect(requestedProtocols('v5.channel.k8s.io, v4.channel.k8s.io')).toEqual(['v5.channel.k8s.io', 'v4.channel.k8s.io']);
    expect(requestedProtocols(['v5.channel.k8s.io', 'channel.k8s.io'])).toEqual(['v5.channel.k8s.io', 'channel.k8s.io']);
    expect(requestedProtocols('SPDY/3.1+portforward.k8s.io,  v5.channel.k8s.io ,')).toEqual(['SPDY/3.1+portforward.k8s.io', 'v5.channel.k8s.io']);
    expect(requestedProtocols(undefined)).toEqual([]);
    expect(requestedProtocols('a, a')).toEqual(['a']);
  });
});

describe('framing', () => {
  it('prefixes binary messages with the channel byte', () => {
    expect(encodeFrame(V5, 1, Buffer.from('hi'))).toEqual(Buffer.from([1, 0x68, 0x69]));
    expect(decodeFrame(V5, Buffer.from([0, 0x66, 0x6f, 0x6f]))).toEqual({ type: 'data', channel: 0, data: Buffer.from('foo') });
    expect(decodeFrame(V4, Buffer.from([4, 0x7b, 0x7d]))).toEqual({ type: 'data', channel: 4, data: Buffer.from('{}') });
  });

  it('sends the base64 variants as a digit and base64 text, and reads them strictly (Go StdEncoding)', () => {
    expect(encodeFrame(V4_BASE64, 1, Buffer.from('foo\n'))).toBe('1Zm9vCg==');
    expect(decodeFrame(V4_BASE64, Buffer.from('0Zm9vCg=='))).toEqual({ type: 'data', channel: 0, data: Buffer.from('foo\n') });
    expect(decodeFrame(V4_BASE64, Buffer.from('0Zm9vCg\r\n=='))).toEqual({ type: 'data', channel: 0, data: Buffer.from('foo\n') });
    expect(decodeFrame(V4_BASE64, Buffer.from('0Zm9vCg'))).toMatchObject({ type: 'ignore' });
    expect(decodeFrame(V4_BASE64, Buffer.from('0%%%%'))).toMatchObject({ type: 'ignore' });
  });

  it('reads v5 close messages [255, channel]; a malformed one is a protocol error', () => {
    expect(decodeFrame(V5, Buffer.from([255, 0]))).toEqual({ type: 'close', channel: 0 });
    expect(decodeFrame(V5, Buffer.from([255]))).toMatchObject({ type: 'error' });
    expect(decodeFrame(V5, Buffer.from([255, 0, 1]))).toMatchObject({ type: 'error' });
    // Before v5, 255 is just a channel number.
    expect(decodeFrame(V4, Buffer.from([255, 0]))).toEqual({ type: 'data', channel: 255, data: Buffer.from([0]) });
  });

  it('drops empty messages', () => {
    expect(decodeFrame(V5, Buffer.alloc(0))).toEqual({ type: 'ignore' });
  });

  it('writes the error channel Status as Go marshals metav1.Status (causes type as "reason")', () => {
    expect(JSON.stringify(errorChannelStatus({ status: 'Success' }))).toBe('{"metadata":{},"status":"Success"}');
    expect(
      errorChannelStatus({
        status: 'Failure',
        message: 'command terminated with non-zero exit code: 3',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      }),
    ).toEqual({
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });
});

// ---- a server with a connect subresource --------------------------------------------------------

const kind = widgetKind({
  subresources: {
    status: true,
    connect: { exec: { methods: ['GET', 'POST'], responseKind: 'Status' }, attach: { methods: ['POST'] } },
  },
});

interface Session {
  ctx: RequestContext;
  stream: ConnectStream;
  closes: number[];
}
let sessions: Session[] = [];

/** exec echoes stdin upper-cased on stdout; ?mode= picks other behaviours for the tests. */
class EchoStore extends Store implements RestStorage {
  async connect(ctx: RequestContext, name: string, subresource: string, stream: ConnectStream): Promise<void> {
    const session: Session = { ctx, stream, closes: [] };
    sessions.push(session);
    const mode = stream.query.get('mode') ?? 'echo';
    if (mode === 'forbid') throw newForbidden({ group: kind.group, resource: `${kind.plural}/${subresource}` }, name, 'not today');
    await this.get(ctx, name, {});
    if (mode === 'warn') ctx.warnings.push('exec is deprecated here');
    if (mode === 'throw-after') {
      stream.write(1, 'partial');
      throw new Error('boom');
    }
    if (mode === 'exit') {
      stream.close({ status: 'Failure', reason: 'NonZeroExitCode', message: 'command terminated with non-zero exit code: 3', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
      return;
    }
    if (mode === 'flood') {
      const chunk = Buffer.alloc(16 * 1024, 0x61);
      let writes = 0;
      while (stream.write(1, chunk)) writes++;
      stream.onDrain(() => {
        stream.write(2, `drained after ${writes + 1}`);
        stream.close({ status: 'Success' });
      });
      return;
    }
    if (mode === 'hold') {
      stream.onClose((ch) => session.closes.push(ch));
      return;
    }
    stream.onClose((channel) => {
      session.closes.push(channel);
      if (channel === 0) stream.close({ status: 'Success' });
    });
    // Opened (onClose): what the client sends now waits for the data listener.
    if (mode === 'late') await new Promise((r) => setTimeout(r, 150));
    stream.onData((channel, data) => {
      if (channel === 0) stream.write(1, data.toString('utf8').toUpperCase());
    });
  }
}

const ca = createCA('connect-test-ca');
const serving = createServingCert(ca, { hosts: ['localhost', '127.0.0.1'] });
const user = createClientCert(ca, { commonName: 'alice', organizations: ['developers'] });

let backend: SqliteStorage;
let server: GenericAPIServer;
let base: string;
let decisions: AuthorizationAttributes[] = [];
let logLines: Array<Record<string, unknown>> = [];
let auditEvents: AuditEvent[] = [];

const PATH = '/apis/test.example.com/v1beta1/namespaces/default/widgets';

beforeEach(async () => {
  sessions = [];
  decisions = [];
  logLines = [];
  auditEvents = [];
  backend = SqliteStorage.open({ path: ':memory:', compactionIntervalMs: 0 });
  const scheme = new Scheme().addKind(kind);
  const store = new EchoStore({ kind, storage: backend });
  await store.create({ warnings: [], namespace: 'default' }, { apiVersion: 'test.example.com/v1beta1', kind: 'Widget', metadata: { name: 'w1', namespace: 'default' }, spec: { referenceType: 'Flunder' } } as KubeObject, {});
  const authorizer: Authorizer = {
    authorize(attrs) {
      decisions.push(attrs);
      if (attrs.resource === 'widgets' && attrs.subresource === 'exec' && attrs.name === 'denied') return { decision: 'Deny', reason: 'no exec for you' };
      return { decision: 'Allow' };
    },
  };
  const logStream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  server = new GenericAPIServer({
    port: 0,
    tls: { cert: serving.cert, key: serving.key, clientCA: ca.cert },
    authorizer,
    logger: pino({ level: 'info' }, logStream),
    collectDefaultMetrics: false,
    shutdownTimeoutMs: 5_000,
    audit: {
      evaluator: new PolicyRuleEvaluator({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata' }] }),
      backend: { write: (event: AuditEvent) => auditEvents.push(event) },
    },
    routes: [apisRoute({ scheme, storages: new Map([[`${kind.group}/${kind.plural}`, store]]) })],
  });
  await server.start();
  base = `wss://127.0.0.1:${server.address.port}`;
});

afterEach(async () => {
  await server.shutdown();
  backend.close();
});

interface Opened {
  ws: WebSocket;
  protocol: string;
  headers: Record<string, string | string[] | undefined>;
  messages: Array<{ data: Buffer; binary: boolean }>;
  closed: Promise<{ code: number; reason: string }>;
}

interface Refused {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** Dials `url`; resolves with the open WebSocket, or with the non-101 answer. Bounded. */
function dial(url: string, protocols: string[], options: WebSocket.ClientOptions = {}): Promise<Opened | Refused> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { ca: ca.cert, cert: user.cert, key: user.key, handshakeTimeout: 5_000, ...options });
    const messages: Opened['messages'] = [];
    let headers: Opened['headers'] = {};
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (data: Buffer, binary) => messages.push({ data: Buffer.from(data), binary }));
    ws.once('upgrade', (res) => (headers = res.headers));
    ws.once('open', () => resolve({ ws, protocol: ws.protocol, headers, messages, closed }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    ws.once('error', (err) => reject(err));
  });
}

async function open(url: string, protocols = ['v5.channel.k8s.io'], options: WebSocket.ClientOptions = {}): Promise<Opened> {
  const got = await dial(url, protocols, options);
  if (!('ws' in got)) throw new Error(`expected an upgrade, got ${got.status}: ${got.body}`);
  return got;
}

async function refused(url: string, protocols = ['v5.channel.k8s.io'], options: WebSocket.ClientOptions = {}): Promise<Refused> {
  const got = await dial(url, protocols, options);
  if ('ws' in got) {
    got.ws.terminate();
    throw new Error('expected a refusal, got an upgrade');
  }
  return got;
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `promise`, or 'timeout' after `ms` (the timer cleared either way). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

const statusOf = (body: string): { kind?: string; code?: number; reason?: string; message?: string } => JSON.parse(body) as ReturnType<typeof statusOf>;

describe('connect over the server', () => {
  it('echoes stdin on stdout over v5, and ends with a Success Status on the error channel after stdin is closed', async () => {
    const s = await open(`${base}${PATH}/w1/exec?command=cat&stdin=true&stdout=true`);
    expect(s.protocol).toBe('v5.channel.k8s.io');
    const auditID = s.headers['audit-id'];
    expect(auditID).toMatch(/^[0-9a-f-]{36}$/);
    s.ws.send(Buffer.from([0, ...Buffer.from('hello\n')]));
    await until('stdout', () => s.messages.length >= 1);
    expect(s.messages[0]).toEqual({ data: Buffer.from([1, ...Buffer.from('HELLO\n')]), binary: true });
    s.ws.send(Buffer.from([255, 0]));
    const closed = await s.closed;
    expect(closed.code).toBe(1000);
    const last = s.messages[s.messages.length - 1]!;
    expect(last.data[0]).toBe(3);
    expect(JSON.parse(last.data.subarray(1).toString('utf8'))).toEqual({ metadata: {}, status: 'Success' });

    const session = sessions[0]!;
    expect(session.stream.query.get('command')).toBe('cat');
    expect(session.ctx.namespace).toBe('default');
    expect(session.ctx.user?.username).toBe('alice');
    expect(session.closes).toEqual([0, -1]);
    expect(session.ctx.signal?.aborted).toBe(true);
    // Authorized as Go's RequestInfo has it: a GET on the subresource is verb "get".
    expect(decisions).toContainEqual(expect.objectContaining({ verb: 'get', resource: 'widgets', subresource: 'exec', name: 'w1', namespace: 'default' }));
    await until('the request log line', () => logLines.some((l) => l.msg === 'HTTP' && l.code === 101));
    expect(logLines.find((l) => l.msg === 'HTTP' && l.code === 101)).not.toHaveProperty('aborted');
    // Audited when the session is over, with the 101 (Go audits a hijacked response as 101).
    const events = auditEvents.filter((e) => e.auditID === auditID);
    expect(events.map((e) => [e.stage, e.verb, e.objectRef?.subresource, e.responseStatus?.code])).toEqual([
      ['RequestReceived', 'get', 'exec', undefined],
      ['ResponseComplete', 'get', 'exec', 101],
    ]);
  });

  it('speaks v4.base64.channel.k8s.io as text frames', async () => {
    const s = await open(`${base}${PATH}/w1/exec`, ['v4.base64.channel.k8s.io']);
    expect(s.protocol).toBe('v4.base64.channel.k8s.io');
    s.ws.send(`0${Buffer.from('abc').toString('base64')}`);
    await until('stdout', () => s.messages.length >= 1);
    expect(s.messages[0]!.binary).toBe(false);
    expect(s.messages[0]!.data.toString()).toBe(`1${Buffer.from('ABC').toString('base64')}`);
    s.ws.close();
    await s.closed;
    await until('the storage hears the close', () => sessions[0]!.closes.includes(-1));
  });

  it('negotiates in the client order (v4 first wins over v5)', async () => {
    const s = await open(`${base}${PATH}/w1/exec`, ['v4.channel.k8s.io', 'v5.channel.k8s.io']);
    expect(s.protocol).toBe('v4.channel.k8s.io');
    // v4 has no close message: [255, 0] is data on channel 255, which the echo ignores.
    s.ws.send(Buffer.from([255, 0]));
    s.ws.send(Buffer.from([0, 0x78]));
    await until('stdout', () => s.messages.length >= 1);
    expect(s.messages[0]!.data).toEqual(Buffer.from([1, 0x58]));
    s.ws.close();
    await s.closed;
  });

  it('refuses with a 400 Status when no subprotocol fits', async () => {
    const r = await rawUpgrade('v9.channel.k8s.io, SPDY/3.1+portforward.k8s.io');
    expect(r.status).toBe(400);
    expect(statusOf(r.body)).toMatchObject({ kind: 'Status', code: 400, reason: 'BadRequest' });
    expect(statusOf(r.body).message).toBe(
      'requested protocol(s) are not supported: [v9.channel.k8s.io SPDY/3.1+portforward.k8s.io]; supports [v5.channel.k8s.io v4.channel.k8s.io v4.base64.channel.k8s.io channel.k8s.io base64.channel.k8s.io]',
    );
    expect(r.headers.connection).toBe('close');
    const none = await rawUpgrade(undefined);
    expect(none.status).toBe(400);
    expect(statusOf(none.body).message).toContain('requested protocol(s) are not supported: []');
    expect(sessions).toHaveLength(0);
  });

  it('accepts a header with names that are not RFC tokens, as Go clients send it', async () => {
    const r = await rawUpgrade('SPDY/3.1+portforward.k8s.io, v5.channel.k8s.io');
    expect(r.status).toBe(101);
    expect(r.headers['sec-websocket-protocol']).toBe('v5.channel.k8s.io');
  });

  it('answers a refusal of authorization as a 403 Status over the raw socket', async () => {
    const r = await refused(`${base}${PATH}/denied/exec`);
    expect(r.status).toBe(403);
    expect(statusOf(r.body)).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
    expect(statusOf(r.body).message).toContain('no exec for you');
    expect(sessions).toHaveLength(0);
  });

  it('refuses without credentials (401) before anything else', async () => {
    const r = await refused(`${base}${PATH}/w1/exec`, ['v5.channel.k8s.io'], { cert: undefined, key: undefined });
    expect(r.status).toBe(401);
  });

  it('answers what the storage throws before using the stream as an HTTP Status (404 for a missing object)', async () => {
    const missing = await refused(`${base}${PATH}/nope/exec`);
    expect(missing.status).toBe(404);
    expect(statusOf(missing.body)).toMatchObject({ reason: 'NotFound', message: 'widgets.test.example.com "nope" not found' });
    const forbidden = await refused(`${base}${PATH}/w1/exec?mode=forbid`);
    expect(forbidden.status).toBe(403);
    expect(statusOf(forbidden.body).message).toContain('not today');
  });

  it('puts what the storage throws after the upgrade on the error channel as a Failure', async () => {
    const s = await open(`${base}${PATH}/w1/exec?mode=throw-after`);
    const closed = await s.closed;
    expect(closed.code).toBe(1000);
    expect(s.messages[0]!.data).toEqual(Buffer.from([1, ...Buffer.from('partial')]));
    const status = JSON.parse(s.messages[1]!.data.subarray(1).toString('utf8')) as Record<string, unknown>;
    expect(s.messages[1]!.data[0]).toBe(3);
    expect(status).toEqual({ metadata: {}, status: 'Failure', message: 'Internal error occurred: boom', reason: 'InternalError', details: { causes: [{ message: 'boom' }] }, code: 500 });
  });

  it('reports an exit code as exec does (NonZeroExitCode, ExitCode cause)', async () => {
    const s = await open(`${base}${PATH}/w1/exec?mode=exit`);
    await s.closed;
    expect(JSON.parse(s.messages[0]!.data.subarray(1).toString('utf8'))).toMatchObject({ reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
  });

  it('sends the warnings the storage added before the upgrade with the 101', async () => {
    const s = await open(`${base}${PATH}/w1/exec?mode=warn`);
    expect(s.headers.warning).toBe('299 - "exec is deprecated here"');
    s.ws.close();
    await s.closed;
  });

  it('keeps what the client sends before the storage listens', async () => {
    const s = await open(`${base}${PATH}/w1/exec?mode=late`);
    s.ws.send(Buffer.from([0, 0x61]));
    s.ws.send(Buffer.from([0, 0x62]));
    s.ws.send(Buffer.from([255, 0]));
    await s.closed;
    expect(s.messages.map((m) => m.data.toString('latin1', 0, 2))).toEqual(['\x01A', '\x01B', expect.stringMatching(/^\x03/)]);
  });

  it('is 400 "Upgrade request required" without an upgrade, 405 for a method the subresource does not take', async () => {
    const plain = await httpsCall('GET', `${PATH}/w1/exec`);
    expect(plain.status).toBe(400);
    expect(statusOf(plain.body)).toMatchObject({ reason: 'BadRequest', message: 'Upgrade request required' });
    const attach = await refused(`${base}${PATH}/w1/attach`);
    expect(attach.status).toBe(405);
    const put = await httpsCall('PUT', `${PATH}/w1/exec`);
    expect(put.status).toBe(405);
  });

  it('refuses SPDY and other upgrades with a Status, and an upgrade of a path that is not a connect subresource', async () => {
    const spdy = await httpsCall('POST', `${PATH}/w1/exec`, { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': 'v4.channel.k8s.io' });
    expect(spdy.status).toBe(400);
    expect(statusOf(spdy.body).message).toContain('only WebSocket upgrades');
    expect(spdy.headers.connection).toBe('close');
    const object = await refused(`${base}${PATH}/w1`);
    expect(object.status).toBe(400);
    expect(statusOf(object.body).message).toBe('an upgrade request is served only by a connect subresource; "widgets" is not one');
    const status = await refused(`${base}${PATH}/w1/status`);
    expect(status.status).toBe(400);
    const unknown = await refused(`${base}${PATH}/w1/nothing`);
    expect(unknown.status).toBe(404);
    // Outside the API: served as an ordinary request on a connection that is then closed.
    const healthz = await refused(`${base}/healthz`);
    expect([healthz.status, healthz.body]).toEqual([200, 'ok']);
  });

  it('ends open sessions at shutdown (1001) and finishes promptly', async () => {
    const s = await open(`${base}${PATH}/w1/exec?mode=hold`);
    const started = Date.now();
    await server.shutdown();
    expect(Date.now() - started).toBeLessThan(4_000);
    const closed = await s.closed;
    expect(closed.code).toBe(1001);
    expect(sessions[0]!.closes).toEqual([-1]);
  });

  it('holds no in-flight seat for a session', async () => {
    const s = await open(`${base}${PATH}/w1/exec?mode=hold`);
    expect(server.limiter.inFlight).toEqual({ readOnly: 0, mutating: 0 });
    s.ws.close();
    await s.closed;
  });
});

/** A WebSocket handshake by hand (any Sec-WebSocket-Protocol text): the 101 or the refusal. */
function rawUpgrade(protocols: string | undefined): Promise<Refused> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port: server.address.port,
      path: `${PATH}/w1/exec`,
      ca: ca.cert,
      cert: user.cert,
      key: user.key,
      agent: false,
      timeout: 5_000,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...(protocols !== undefined ? { 'Sec-WebSocket-Protocol': protocols } : {}),
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

function httpsCall(method: string, path: string, headers: Record<string, string> = {}): Promise<Refused> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: server.address.port, path, method, ca: ca.cert, cert: user.cert, key: user.key, agent: false, headers, timeout: 5_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

// ---- limits, on a bare HTTP server: keepalive and backpressure ----------------------------------

describe('session limits', () => {
  let http: HttpServer;
  let url: string;
  let limits: Partial<ConnectLimits>;

  beforeEach(async () => {
    const scheme = new Scheme().addKind(kind);
    const store = new EchoStore({ kind, storage: backend });
    http = createHttpServer();
    http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const res = new ServerResponse(req);
      res.assignSocket(socket as never);
      markUpgrade(req, socket, head);
      const info = requestInfoOf(req);
      const served = scheme.lookup(info.apiGroup, info.apiVersion, info.resource)!;
      serveConnect(req, res, { info, served, storage: store, limits }).catch((err: unknown) => writeStatus(res, err));
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}${PATH}`;
  });

  afterEach(async () => {
    http.closeAllConnections();
    await new Promise((r) => http.close(r));
  });

  it('pings the client and disconnects one that does not answer', async () => {
    limits = { pingIntervalMs: 100 };
    const answering = await open(`${url}/w1/exec?mode=hold`);
    let pings = 0;
    answering.ws.on('ping', () => pings++);
    const silent = await open(`${url}/w1/exec?mode=hold`, ['v5.channel.k8s.io'], { autoPong: false });
    const closed = await within(silent.closed, 3_000);
    expect(closed).not.toBe('timeout');
    expect((closed as { code: number }).code).toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(answering.ws.readyState).toBe(WebSocket.OPEN);
    answering.ws.close();
    await answering.closed;
  });

  it('ends a session idle for longer than the idle timeout', async () => {
    limits = { pingIntervalMs: 0, idleTimeoutMs: 150 };
    const s = await open(`${url}/w1/exec?mode=hold`);
    const started = Date.now();
    await s.closed;
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('write() returns false past the high-water mark and onDrain fires once the client reads', async () => {
    limits = { pingIntervalMs: 0, highWaterMarkBytes: 256 * 1024, maxBufferedBytes: 64 << 20 };
    const s = await open(`${url}/w1/exec?mode=flood`);
    await s.closed;
    const stderr = s.messages.find((m) => m.data[0] === 2)!;
    const writes = Number(/drained after (\d+)/.exec(stderr.data.subarray(1).toString())![1]);
    expect(writes).toBeGreaterThanOrEqual(1);
    expect(s.messages.filter((m) => m.data[0] === 1)).toHaveLength(writes);
    expect(s.messages[s.messages.length - 1]!.data[0]).toBe(3);
  });

  it('disconnects a client that lets more than maxBufferedBytes pile up', async () => {
    limits = { pingIntervalMs: 0, highWaterMarkBytes: 1 << 30, maxBufferedBytes: 1 << 20 };
    const s = await open(`${url}/w1/exec?mode=flood`);
    // The storage writes in one synchronous loop: the client cannot read meanwhile.
    await until('the session is ended', () => sessions[0]?.ctx.signal?.aborted === true);
    const closed = await within(s.closed, 5_000);
    expect(closed).not.toBe('timeout');
    expect(s.messages.some((m) => m.data[0] === 3)).toBe(false);
  });

  it('closes the connection on a malformed v5 close message (1002)', async () => {
    limits = { pingIntervalMs: 0 };
    const s = await open(`${url}/w1/exec`);
    s.ws.send(Buffer.from([255, 0, 0]));
    expect((await s.closed).code).toBe(1002);
  });

  it('uses the pre-v4 error channel: a failure is its message as text', async () => {
    limits = { pingIntervalMs: 0 };
    const failed = await open(`${url}/w1/exec?mode=exit`, [V1.name]);
    await failed.closed;
    expect(failed.messages.map((m) => m.data.toString())).toEqual(['\x03command terminated with non-zero exit code: 3']);
  });
});
