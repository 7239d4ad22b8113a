/**
 * Bad input against the real sample server (a child process on 127.0.0.1, HTTPS, the admin client
 * certificate): oversized and deeply nested bodies, a YAML alias bomb, invalid UTF-8, a huge label
 * selector, header floods and slow-loris clients. Each must be answered with a Status (or by
 * node's HTTP parser where Go's server answers with plain text as well), quickly, without a crash;
 * a normal client keeps being served during the abuse, and nothing stored changes.
 *
 * Go's answers to compare with: limitedReadBody in k8s.io/apiserver pkg/endpoints/handlers/rest.go
 * (413 "Request entity too large: limit is 3145728"), the 10,000-level nesting limit of the
 * encoding/json scanner (sigs.k8s.io/json), go.yaml.in/yaml's "excessive aliasing" and UTF-8 checks,
 * and the http.Server kube-apiserver runs (MaxHeaderBytes 1 MiB, ReadHeaderTimeout 32 s).
 * Every loop here is bounded in count and time and targets 127.0.0.1 only.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { RawClient } from './raw-client';
import { startSampleServer, type SampleServer } from './sample-server';

jest.setTimeout(60_000);

const MiB = 1024 * 1024;
const LIMIT = 3 * MiB;
const V1BETA1 = '/apis/wardle.example.com/v1beta1';
const FLUNDERS = `${V1BETA1}/namespaces/default/flunders`;
const FISCHERS = '/apis/wardle.example.com/v1alpha1/fischers';

/** A JSON object nested `depth` levels: {"a":{"a":…1…}}. */
const nested = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
const flunder = (name: string, extra: Record<string, unknown> = {}, metadata: Record<string, unknown> = {}): string =>
  JSON.stringify({ apiVersion: 'wardle.example.com/v1beta1', kind: 'Flunder', metadata: { name, ...metadata }, spec: {}, ...extra });
/** A Flunder with `value` (JSON text) spliced in at spec.x. */
const flunderWithSpecX = (name: string, value: string): string =>
  `{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"${name}"},"spec":{"x":${value}}}`;

interface WireResponse {
  /** 0 when the server closed the connection without answering. */
  status: number;
  head: string;
  body: string;
  error?: string;
  ms: number;
}

describe('bad input against the sample server (sqlite, HTTPS, admin client certificate)', () => {
  let server: SampleServer;
  let raw: RawClient;
  let tls: { ca: string; cert: string; key: string };
  let baseline: string;

  /** Names and resourceVersions of everything stored that this suite can see. */
  const snapshot = async (): Promise<string> => {
    const parts: string[] = [];
    for (const path of [`${V1BETA1}/flunders`, FISCHERS]) {
      const res = await raw.send('GET', path);
      expect(res.status).toBe(200);
      const items = res.json<{ items: Array<{ metadata: { namespace?: string; name: string; resourceVersion: string } }> }>().items;
      parts.push(...items.map((i) => `${path} ${i.metadata.namespace ?? ''}/${i.metadata.name}@${i.metadata.resourceVersion}`));
    }
    return parts.sort().join('\n');
  };

  const expectStatus = (res: { status: number; body: string }, code: number, reason?: string): Record<string, unknown> => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(res.body) as Record<string, unknown>;
    } catch {
      throw new Error(`${res.status} with a body that is not a Status: ${JSON.stringify(res.body.slice(0, 300))}`);
    }
    expect({ status: res.status, kind: body.kind, apiVersion: body.apiVersion, code: body.code, ...(reason ? { reason: body.reason } : {}) }).toEqual({
      status: code,
      kind: 'Status',
      apiVersion: 'v1',
      code,
      ...(reason ? { reason } : {}),
    });
    return body;
  };

  /** No 5xx; an error is a Status. */
  const expectNoServerError = (res: { status: number; body: string }): void => {
    if (res.status >= 500) throw new Error(`answered ${res.status}: ${res.body.slice(0, 300)}`);
    if (res.status >= 400) expectStatus(res, res.status);
  };

  const timed = async <T>(f: () => Promise<T>): Promise<{ value: T; ms: number }> => {
    const started = Date.now();
    const value = await f();
    return { value, ms: Date.now() - started };
  };

  /** One request written byte for byte on its own TLS connection (Connection: close), read until the server closes it. */
  const exchange = (payload: Buffer | string, timeoutMs = 15_000): Promise<WireResponse> =>
    new Promise((resolve) => {
      const started = Date.now();
      const chunks: Buffer[] = [];
      let error: string | undefined;
      const socket = tlsConnect({ host: '127.0.0.1', port: server.port, ...tls }, () => socket.write(payload));
      const done = (): void => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        const split = text.indexOf('\r\n\r\n');
        const head = split < 0 ? text : text.slice(0, split);
        const status = /^HTTP\/1\.1 (\d{3})/.exec(head);
        resolve({ status: status ? Number(status[1]) : 0, head, body: split < 0 ? '' : text.slice(split + 4), ...(error ? { error } : {}), ms: Date.now() - started });
      };
      const timer = setTimeout(() => {
        error = `no close in ${timeoutMs} ms`;
        socket.destroy();
      }, timeoutMs);
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('error', (err) => (error = err.message));
      socket.on('close', done);
    });

  beforeAll(async () => {
    server = await startSampleServer({ storageBackend: 'sqlite' });
    raw = new RawClient(server.url, server.dir);
    tls = {
      ca: readFileSync(join(server.dir, 'ca.crt'), 'utf8'),
      cert: readFileSync(join(server.dir, 'admin.crt'), 'utf8'),
      key: readFileSync(join(server.dir, 'admin.key'), 'utf8'),
    };
    expect((await raw.send('POST', FLUNDERS, flunder('keeper', { spec: { referenceType: 'Flunder', flunderReference: 'kept' } }))).status).toBe(201);
    expect((await raw.send('POST', FISCHERS, JSON.stringify({ apiVersion: 'wardle.example.com/v1alpha1', kind: 'Fischer', metadata: { name: 'keeper' } }))).status).toBe(201);
    baseline = await snapshot();
  });

  afterEach(async () => {
    // Whatever was sent, the server is up and nothing stored changed.
    expect(server.logs()).not.toContain('FATAL ERROR');
    expect((await raw.send('GET', '/readyz')).status).toBe(200);
    expect(await snapshot()).toBe(baseline);
  });

  afterAll(async () => {
    await server?.stop();
  });

  describe('a 10 MiB body', () => {
    const huge = Buffer.alloc(10 * MiB, 'x');
    const tooLarge = `Request entity too large: limit is ${LIMIT}`;

    it('is answered with 413 RequestEntityTooLarge when its Content-Length says so', async () => {
      const { value: res, ms } = await timed(() => raw.send('POST', FLUNDERS, huge, { 'content-length': String(huge.length) }));
      expect(expectStatus(res, 413, 'RequestEntityTooLarge').message).toBe(tooLarge);
      expect(ms).toBeLessThan(10_000);
    });

    it('is answered with 413 when it is streamed without a length (chunked), for create, update and patch', async () => {
      for (const [method, path, type] of [
        ['POST', FLUNDERS, 'application/json'],
        ['PUT', `${FLUNDERS}/keeper`, 'application/yaml'],
        ['PATCH', `${FLUNDERS}/keeper`, 'application/merge-patch+json'],
      ] as const) {
        const res = await raw.send(method, path, huge, { 'content-type': type });
        expect(expectStatus(res, 413, 'RequestEntityTooLarge').message).toBe(tooLarge);
      }
    });

    it('sent by six clients at once does not keep a normal client from being served', async () => {
      const uploads = Array.from({ length: 6 }, () => raw.send('POST', FLUNDERS, huge));
      const normal: number[] = [];
      const deadline = Date.now() + 20_000;
      let settled = false;
      const all = Promise.all(uploads).finally(() => (settled = true));
      while (!settled && Date.now() < deadline && normal.length < 100) {
        const { value, ms } = await timed(() => raw.send('GET', `${V1BETA1}/flunders`));
        expect(value.status).toBe(200);
        normal.push(ms);
      }
      for (const res of await all) expectStatus(res, 413, 'RequestEntityTooLarge');
      expect(normal.length).toBeGreaterThan(0);
      expect(Math.max(...normal)).toBeLessThan(5_000);
    });
  });

  describe('deeply nested JSON', () => {
    it('is answered with 400 when it nests past 10,000 levels, as Go does ("exceeded max depth")', async () => {
      const deep = nested(20_000);
      const cases: Array<[string, string, string | Buffer, Record<string, string>]> = [
        ['POST', `${FLUNDERS}?dryRun=All`, flunderWithSpecX('deep', deep), {}],
        ['POST', `${FLUNDERS}?dryRun=All&fieldValidation=Ignore`, flunderWithSpecX('deep', deep), {}],
        ['PUT', `${FLUNDERS}/keeper?dryRun=All`, flunderWithSpecX('keeper', deep), {}],
        ['PATCH', `${FLUNDERS}/keeper?dryRun=All`, `{"spec":{"x":${deep}}}`, { 'content-type': 'application/merge-patch+json' }],
        ['PATCH', `${FLUNDERS}/keeper?dryRun=All`, `[{"op":"add","path":"/spec/x","value":${deep}}]`, { 'content-type': 'application/json-patch+json' }],
      ];
      const deleteOptions = `{"kind":"DeleteOptions","apiVersion":"v1","dryRun":["All"],"preconditions":${deep}}`;
      // node's client sends a DELETE body without a length unless told: the length keeps it one request.
      cases.push(['DELETE', `${FLUNDERS}/keeper?dryRun=All`, deleteOptions, { 'content-length': String(Buffer.byteLength(deleteOptions)) }]);
      for (const [method, path, body, headers] of cases) {
        const { value: res, ms } = await timed(() => raw.send(method, path, body, headers));
        const status = expectStatus(res, 400, 'BadRequest');
        expect({ method, path, message: status.message }).toEqual({ method, path, message: expect.stringContaining('exceeded max depth') });
        expect(ms).toBeLessThan(5_000);
      }
    });

    it('is answered with 400 at 10,000 levels when the body is not an object', async () => {
      const res = await raw.send('POST', FLUNDERS, '['.repeat(10_000) + ']'.repeat(10_000));
      expectStatus(res, 400, 'BadRequest');
    });

    // Go's scanner accepts up to 10,000 levels; what it accepts must not make kapi fail with a 5xx
    // (recursive walks of the object overflow node's stack: RangeError → 500, or a 422 citing it).
    // On node 20's default stack JSON.stringify manages about 4,170 levels, deepCopy 4,040.
    it.each([
      ['metadata.managedFields[0].fieldsV1 nested 5,000 levels (create)', 'POST', `${FLUNDERS}?dryRun=All`, JSON.stringify({ apiVersion: 'wardle.example.com/v1beta1', kind: 'Flunder', metadata: { name: 'deep-mf', managedFields: [{ manager: 'm', operation: 'Update', apiVersion: 'wardle.example.com/v1beta1', fieldsType: 'FieldsV1', fieldsV1: {} }] }, spec: {} }).replace('"fieldsV1":{}', `"fieldsV1":${nested(5_000)}`), 'application/json'],
      ['spec.x nested 9,990 levels in a merge patch', 'PATCH', `${FLUNDERS}/keeper?dryRun=All`, `{"spec":{"x":${nested(9_990)}}}`, 'application/merge-patch+json'],
      ['spec.x nested 9,990 levels in a JSON patch', 'PATCH', `${FLUNDERS}/keeper?dryRun=All`, `[{"op":"add","path":"/spec/x","value":${nested(9_990)}}]`, 'application/json-patch+json'],
    ])('answers %s without a 5xx or a stack-overflow error', async (_what, method, path, body, type) => {
      const res = await raw.send(method, path, body, { 'content-type': type });
      expectNoServerError(res);
      // Nor a 4xx that is a stack overflow in disguise.
      expect(res.body).not.toMatch(/call stack/i);
    });

    it('in YAML is answered with 400, flow-nested past 10,000 levels or built deep by a chain of aliases', async () => {
      const flow = `apiVersion: wardle.example.com/v1beta1\nkind: Flunder\nmetadata:\n  name: deep\nspec:\n  x: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
      expectStatus(await raw.send('POST', `${FLUNDERS}?dryRun=All`, flow, { 'content-type': 'application/yaml' }), 400, 'BadRequest');
      // Each anchor is 500 levels deep around the previous one: 22 aliases would make 11,000 levels
      // (the yaml library's alias count limit refuses the chain first).
      let aliased = 'apiVersion: wardle.example.com/v1beta1\nkind: Flunder\nmetadata:\n  name: deep\nspec:\n  a0: &a0 1\n';
      for (let i = 1; i <= 22; i++) aliased += `  a${i}: &a${i} ${'['.repeat(500)}*a${i - 1}${']'.repeat(500)}\n`;
      expectStatus(await raw.send('POST', `${FLUNDERS}?dryRun=All`, aliased, { 'content-type': 'application/yaml' }), 400, 'BadRequest');
    });
  });

  describe('a YAML alias bomb', () => {
    it('("billion laughs", 9 levels of 9) is answered with 400 quickly', async () => {
      let bomb = 'apiVersion: wardle.example.com/v1beta1\nkind: Flunder\nmetadata:\n  name: lol\nspec:\n  x0: &x0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
      for (let i = 1; i <= 9; i++) bomb += `  x${i}: &x${i} [${Array(9).fill(`*x${i - 1}`).join(',')}]\n`;
      for (const path of [FLUNDERS, `${FLUNDERS}/keeper`]) {
        const { value: res, ms } = await timed(() => raw.send(path === FLUNDERS ? 'POST' : 'PUT', path, bomb, { 'content-type': 'application/yaml' }));
        expect(expectStatus(res, 400, 'BadRequest').message).toMatch(/alias/i);
        expect(ms).toBeLessThan(2_000);
      }
    });

    it('(k8s.io/apimachinery\'s "arrays of string aliases" case, Go: "excessive aliasing") is answered with 400', async () => {
      const item = '"webwebwebwebwebweb"';
      let doc = `apiVersion: wardle.example.com/v1beta1\nkind: Flunder\nmetadata:\n  name: web\nspec:\n  a: &a [${Array(9).fill(item).join(',')}]\n`;
      for (const [name, prev] of [['b', 'a'], ['c', 'b'], ['d', 'c'], ['e', 'd'], ['f', 'e'], ['g', 'f'], ['h', 'g'], ['i', 'h']]) {
        doc += `  ${name}: &${name} [${Array(18).fill(`*${prev}`).join(',')}]\n`;
      }
      const { value: res, ms } = await timed(() => raw.send('POST', FLUNDERS, doc, { 'content-type': 'application/yaml' }));
      expect(expectStatus(res, 400, 'BadRequest').message).toMatch(/alias/i);
      expect(ms).toBeLessThan(2_000);
    });
  });

  describe('invalid UTF-8', () => {
    const bytes = (...parts: Array<string | number[]>): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

    it('between JSON tokens is answered with 400', async () => {
      const body = bytes('{"apiVersion":"wardle.example.com/v1beta1",', [0xff, 0xfe], '"kind":"Flunder","metadata":{"name":"utf"}}');
      expectStatus(await raw.send('POST', FLUNDERS, body), 400, 'BadRequest');
    });

    it('in a JSON string reads as U+FFFD, as Go\'s encoding/json reads it (an invalid name is then 422)', async () => {
      // Go's decoder replaces each invalid byte in a string with U+FFFD instead of failing the body.
      const annotated = bytes('{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"utf","annotations":{"a":"', [0xc3, 0x28], '"}},"spec":{}}');
      const res = await raw.send('POST', `${FLUNDERS}?dryRun=All`, annotated);
      expect(res.status).toBe(201);
      expect(res.json<{ metadata: { annotations: Record<string, string> } }>().metadata.annotations.a).toBe('\ufffd(');
      const named = bytes('{"apiVersion":"wardle.example.com/v1beta1","kind":"Flunder","metadata":{"name":"u', [0xff], '"},"spec":{}}');
      expectStatus(await raw.send('POST', `${FLUNDERS}?dryRun=All`, named), 422, 'Invalid');
    });

    it('in a YAML body is answered with 400, as Go\'s YAML reader refuses it', async () => {
      const body = bytes('apiVersion: wardle.example.com/v1beta1\nkind: Flunder\nmetadata:\n  name: utf\n  annotations:\n    a: "', [0xff], '"\nspec: {}\n');
      expectStatus(await raw.send('POST', `${FLUNDERS}?dryRun=All`, body, { 'content-type': 'application/yaml' }), 400, 'BadRequest');
    });
  });

  describe('a huge label selector', () => {
    it('of 1 MiB gets node\'s 431 (Go: 431 from MaxHeaderBytes, 1 MiB) quickly, and the connection is closed', async () => {
      const selector = encodeURIComponent(Array.from({ length: 80_000 }, (_, i) => `k${i % 1000}=v`).join(',')).slice(0, MiB);
      const res = await exchange(`GET ${FLUNDERS}?labelSelector=${selector} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      // node's own answer, not a Status: "HTTP/1.1 431 Request Header Fields Too Large", no body.
      expect(res.status).toBe(431);
      expect(res.ms).toBeLessThan(5_000);
    });

    it('under node\'s 16 KiB header limit is parsed: 200 when valid, 400 Status when a value is too long', async () => {
      const many = Array.from({ length: 1_500 }, (_, i) => `k${i}=v`).join(',');
      expect(many.length).toBeGreaterThan(10_000);
      const { value: ok, ms } = await timed(() => raw.send('GET', `${FLUNDERS}?labelSelector=${many}`));
      expect(ok.status).toBe(200);
      expect(ms).toBeLessThan(2_000);
      const tooLong = `a=${'x'.repeat(12_000)}`;
      const bad = await raw.send('GET', `${FLUNDERS}?labelSelector=${tooLong}`);
      expect(expectStatus(bad, 400, 'BadRequest').message).toContain('must be no more than 63 characters');
    });
  });

  describe('a header flood', () => {
    const request = (headers: string): string => `GET ${FLUNDERS} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers}Connection: close\r\n\r\n`;

    it('of one 64 KiB header gets node\'s 431 (Go would read up to 1 MiB)', async () => {
      const res = await exchange(request(`X-Huge: ${'h'.repeat(64 * 1024)}\r\n`));
      expect(res.status).toBe(431);
      expect(res.ms).toBeLessThan(5_000);
    });

    it('of 5,000 headers (about 60 KiB) gets node\'s 431', async () => {
      const res = await exchange(request(Array.from({ length: 5_000 }, (_, i) => `X-H${i}: v\r\n`).join('')));
      expect(res.status).toBe(431);
      expect(res.ms).toBeLessThan(5_000);
    });

    it('of 1,900 small headers within 16 KiB is served', async () => {
      const res = await exchange(request(Array.from({ length: 1_900 }, (_, i) => `h${i % 100}: v\r\n`).join('')));
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body)).toMatchObject({ kind: 'FlunderList' });
    });

    it('with a NUL byte in a header value gets node\'s 400 (a parse error, as Go\'s server answers too)', async () => {
      const res = await exchange(request('X-Nul: a\u0000b\r\n'));
      expect(res.status).toBe(400);
    });
  });

  describe('what schemathesis found (test/fuzz)', () => {
    /** Whether a watch is still streaming `afterMs` after its headers (it is destroyed then). */
    const watchOpenAfter = (path: string, afterMs: number): Promise<{ status: number; open: boolean }> =>
      new Promise((resolve, reject) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: server.port, ...tls }, () =>
          socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n\r\n`),
        );
        let text = '';
        let ended = false;
        socket.on('data', (c: Buffer) => {
          text += c.toString('utf8');
          // A chunked stream ends with a zero-length chunk; the server may keep the connection.
          if (/\r\n0\r\n\r\n$/.test(text)) ended = true;
        });
        socket.on('close', () => (ended = true));
        socket.on('error', reject);
        setTimeout(() => {
          socket.destroy();
          resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), open: !ended });
        }, afterMs);
      });

    it('GET …/flunders?watch=true&timeoutSeconds=0 stays open: 0 means the default timeout, as in Go (minRequestTimeout × [1, 2))', async () => {
      expect(await watchOpenAfter(`${V1BETA1}/flunders?watch=true`, 2_000)).toEqual({ status: 200, open: true });
      expect(await watchOpenAfter(`${V1BETA1}/flunders?watch=true&timeoutSeconds=0`, 2_000)).toEqual({ status: 200, open: true });
    });

    it('TRACE on a resource path is a 405 Status with an Allow header (RFC 9110; go-restful sets it)', async () => {
      for (const path of [`${V1BETA1}/`, FLUNDERS, `${FLUNDERS}/keeper`]) {
        const res = await raw.send('TRACE', path);
        expectStatus(res, 405, 'MethodNotAllowed');
        expect({ path, allow: res.headers.allow }).toEqual({ path, allow: expect.stringContaining('GET') });
      }
    });
  });

  describe('slow-loris clients', () => {
    /** Go's http.Server in kube-apiserver: ReadHeaderTimeout 32 s, which also bounds the TLS handshake. */
    const GO_READ_HEADER_TIMEOUT_MS = 32_000;
    const WINDOW_MS = GO_READ_HEADER_TIMEOUT_MS + 13_000;
    const SLOW_TLS = 40;
    const IDLE_TCP = 20;

    it('are answered or dropped within Go\'s header timeout (+13 s), while a normal client is served', async () => {
      interface Abuser {
        kind: 'headers a byte at a time' | 'no TLS handshake';
        socket: Socket | TLSSocket;
        opened: number;
        closedAfterMs?: number;
        answer: string;
      }
      const abusers: Abuser[] = [];
      const timers: NodeJS.Timeout[] = [];
      const track = (a: Abuser): void => {
        abusers.push(a);
        a.socket.on('data', (c: Buffer) => (a.answer += c.toString('utf8')));
        a.socket.on('error', () => undefined);
        a.socket.on('close', () => (a.closedAfterMs ??= Date.now() - a.opened));
      };
      try {
        for (let i = 0; i < SLOW_TLS; i++) {
          // No client certificate: what an anonymous attacker can do.
          const socket = tlsConnect({ host: '127.0.0.1', port: server.port, ca: tls.ca });
          const a: Abuser = { kind: 'headers a byte at a time', socket, opened: Date.now(), answer: '' };
          track(a);
          socket.once('secureConnect', () => {
            socket.write(`GET ${FLUNDERS} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: `);
            const drip = setInterval(() => (socket.writable ? socket.write('a') : clearInterval(drip)), 500);
            timers.push(drip);
          });
        }
        for (let i = 0; i < IDLE_TCP; i++) {
          track({ kind: 'no TLS handshake', socket: tcpConnect({ host: '127.0.0.1', port: server.port }), opened: Date.now(), answer: '' });
        }

        // The normal client, every 250 ms for the whole window (bounded by count too).
        const normal: Array<{ status: number; ms: number }> = [];
        const until = Date.now() + WINDOW_MS;
        while (Date.now() < until && normal.length < 400 && abusers.some((a) => a.closedAfterMs === undefined)) {
          const { value, ms } = await timed(() => raw.send('GET', `${V1BETA1}/flunders`));
          normal.push({ status: value.status, ms });
          await new Promise((r) => setTimeout(r, 250));
        }
        expect(normal.filter((n) => n.status !== 200)).toEqual([]);
        expect(normal.length).toBeGreaterThan(10);
        expect(Math.max(...normal.map((n) => n.ms))).toBeLessThan(2_000);

        const open = abusers.filter((a) => a.closedAfterMs === undefined);
        const answers = [...new Set(abusers.map((a) => a.answer.split('\r\n')[0]).filter(Boolean))];
        const report = `${open.length} of ${abusers.length} abusive connections still open after ${WINDOW_MS / 1000} s ` +
          `(${open.filter((a) => a.kind === 'headers a byte at a time').length} sending headers a byte at a time, ` +
          `${open.filter((a) => a.kind === 'no TLS handshake').length} without a TLS handshake); answers seen: ${JSON.stringify(answers)}`;
        expect(open.length === 0 ? '' : report).toBe('');
        // What the server did answer is a timeout (node: 408), never a success.
        for (const a of answers) expect(a).toMatch(/^HTTP\/1\.1 (408|400|429|431)/);
      } finally {
        for (const t of timers) clearInterval(t);
        for (const a of abusers) a.socket.destroy();
      }
    }, 90_000);
  });
});

