import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendParts, writeStatus } from './responses.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

describe('sendParts', () => {
  let server: Server;
  let parts: () => Iterable<string>;
  let written: Promise<void> | undefined;
  /** What sendParts threw, if anything. */
  let thrown: unknown;

  beforeAll(async () => {
    server = createServer((_req, res) => {
      thrown = undefined;
      // As the router answers a handler's error.
      written = sendParts(res, 200, 'application/json', parts()).catch((err: unknown) => {
        thrown = err;
        writeStatus(res, err);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function get(): Promise<Answer> {
    const { port } = server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      })
        .on('error', reject)
        .end();
    });
  }

  it('sends a short body as one string with its Content-Length', async () => {
    parts = () => ['{"items":[', '"ä"', ']}'];
    const answer = await get();
    expect(answer.body).toBe('{"items":["ä"]}');
    expect(answer.headers['content-length']).toBe(String(Buffer.byteLength(answer.body)));
    expect(answer.headers['transfer-encoding']).toBeUndefined();
  });

  it('sends a long body in chunks to a slow reader, every part in order, the generator run as the client reads', async () => {
    const item = JSON.stringify({ name: 'x'.repeat(1000) });
    let produced = 0;
    let producedWhenFirstChunkArrived = -1;
    parts = function* () {
      yield '[';
      for (let i = 0; i < 20_000; i++) {
        produced++;
        yield i === 0 ? item : `,${item}`;
      }
      yield ']';
    };
    const { port } = server.address() as AddressInfo;
    const answer = await new Promise<Answer>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => {
          if (producedWhenFirstChunkArrived < 0) producedWhenFirstChunkArrived = produced;
          chunks.push(chunk);
          res.pause();
          setTimeout(() => res.resume(), 1);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      })
        .on('error', reject)
        .end();
    });
    await written;
    expect(answer.status).toBe(200);
    expect(answer.headers['content-length']).toBeUndefined();
    expect(answer.headers['transfer-encoding']).toBe('chunked');
    const parsed = JSON.parse(answer.body) as unknown[];
    expect(parsed).toHaveLength(20_000);
    expect(parsed[19_999]).toEqual({ name: 'x'.repeat(1000) });
    // ~20 MB of body: the writer waited for the reader instead of producing it all up front.
    expect(producedWhenFirstChunkArrived).toBeLessThan(20_000);
  });

  it('stops producing when the client goes away', async () => {
    let produced = 0;
    const item = 'y'.repeat(10_000);
    parts = function* () {
      for (let i = 0; i < 100_000; i++) {
        produced++;
        yield item;
      }
    };
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => resolve());
      req.end();
    });
    await written;
    expect(produced).toBeLessThan(100_000);
  });

  it('answers with the caller\'s error when a part throws before anything was sent', async () => {
    parts = function* () {
      yield '[';
      throw new Error('conversion failed');
    };
    const answer = await get();
    await written;
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.body)).toMatchObject({ kind: 'Status', code: 500 });
    expect(String(thrown)).toContain('conversion failed');
  });

  it('breaks the transfer, not a complete 200, when a part throws once chunks are out', async () => {
    const item = 'z'.repeat(100_000);
    parts = function* () {
      for (let i = 0; i < 30; i++) yield item;
      throw new Error('conversion failed');
    };
    const outcome = await get().then(
      (answer) => `complete ${answer.status}`,
      (err: unknown) => `broken: ${String(err)}`,
    );
    await written;
    expect(outcome).toMatch(/^broken: .*(aborted|ECONNRESET|socket hang up)/);
    expect(String(thrown)).toContain('conversion failed');
  });
});
