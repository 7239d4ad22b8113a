/**
 * --workers 2: the sample server as a node:cluster primary and two worker processes on one port and
 * one store (sqlite: one database file; etcd3: one etcd; crd: one host cluster), judged as a user
 * sees it. Each Connection below is one keep-alive TLS connection; node:cluster hands new
 * connections to the workers in turn, so consecutive connections land on different workers.
 * Which worker answered is read from the workers' request log (every pino line carries its pid).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { startEtcd, type EtcdServer } from '@kapi/storage/etcd-server';
import { startAggregated, type Aggregated } from '../aggregation/aggregated';
import { Kubectl } from './kubectl';
import { startSampleServer, type SampleServer } from './sample-server';

jest.setTimeout(120_000);

const FLUNDERS = '/apis/wardle.example.com/v1alpha1/namespaces/default/flunders';

interface Reply {
  status: number;
  body: string;
}

interface WatchEvent {
  type: string;
  object: { metadata: { name: string; resourceVersion: string } };
}

/** One TLS connection with the admin certificate (an agent of one socket, kept alive). */
class Connection {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });

  constructor(
    private readonly url: string,
    private readonly tls: { ca: string; cert: string; key: string },
  ) {}

  send(method: string, path: string, body?: object): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.url), { method, agent: this.agent, ...this.tls, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  /** Opens a watch on this connection's socket; events arrive in `events`. */
  watch(path: string): Promise<{ events: WatchEvent[]; stop(): void }> {
    const events: WatchEvent[] = [];
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, this.url), { agent: this.agent, ...this.tls }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`watch ${path}: HTTP ${res.statusCode}`));
        let partial = '';
        res.setEncoding('utf8').on('data', (chunk: string) => {
          const lines = (partial + chunk).split('\n');
          partial = lines.pop() ?? '';
          for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as WatchEvent);
        });
        res.on('error', () => undefined);
        resolve({ events, stop: () => req.destroy() });
      });
      req.on('error', (err) => (events.length === 0 ? reject(err) : undefined));
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

interface LogLine {
  pid: number;
  msg: string;
  uri?: string;
  code?: number;
  pids?: number[];
  workerPid?: number;
  clean?: boolean;
  [field: string]: unknown;
}

function logLines(server: SampleServer): LogLine[] {
  const lines: LogLine[] = [];
  for (const text of server.logs().split('\n')) {
    if (!text.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(text) as LogLine);
    } catch {
      // a line still being written
    }
  }
  return lines;
}

async function waitForLog(server: SampleServer, what: string, match: (line: LogLine) => boolean, timeoutMs = 20_000): Promise<LogLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = logLines(server).find(match);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no log line ${what} in ${timeoutMs} ms; the log:\n${server.logs().split('\n').slice(-40).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Polls until `check` returns true. */
async function eventually(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const flunder = (name: string): object => ({
  apiVersion: 'wardle.example.com/v1alpha1',
  kind: 'Flunder',
  metadata: { name, namespace: 'default' },
  spec: { reference: name },
});

const names = (reply: Reply): string[] => (JSON.parse(reply.body) as { items: Array<{ metadata: { name: string } }> }).items.map((i) => i.metadata.name);

describe.each(['sqlite', 'etcd3'] as const)('--workers 2 on %s', (backend) => {
  let etcd: EtcdServer | undefined;
  let server: SampleServer;
  let tls: { ca: string; cert: string; key: string };
  let primaryPid: number;
  let workerPids: number[];
  const open: Connection[] = [];

  /** `n` new connections (each lands on the next worker in turn). */
  const connect = (n: number): Connection[] => {
    const made = Array.from({ length: n }, () => new Connection(server.url, tls));
    open.push(...made);
    return made;
  };

  beforeAll(async () => {
    if (backend === 'etcd3') etcd = await startEtcd();
    server = await startSampleServer({ storageBackend: backend, ...(etcd ? { etcdServers: etcd.endpoint } : {}), extraArgs: ['--workers=2'] });
    const ready = await waitForLog(server, 'saying both workers serve', (l) => l.msg.startsWith('2 workers serving securely on'));
    primaryPid = ready.pid;
    workerPids = ready.pids ?? [];
    const read = (file: string): string => readFileSync(join(server.dir, file), 'utf8');
    tls = { ca: read('ca.crt'), cert: read('admin.crt'), key: read('admin.key') };
  });

  afterAll(async () => {
    for (const connection of open) connection.close();
    await server?.stop();
    await etcd?.stop();
  });

  it('runs a primary and two worker processes, and the workers answer the connections in turn', async () => {
    expect(workerPids).toHaveLength(2);
    expect(new Set([primaryPid, ...workerPids]).size).toBe(3);
    expect(workerPids.every(alive)).toBe(true);
    const probe = `${FLUNDERS}?labelSelector=probe%3Dpids`;
    const connections = connect(12);
    // Enough requests that each worker's buffered request log is written out.
    for (let round = 0; round < 8; round++) {
      const replies = await Promise.all(connections.map((c) => c.send('GET', probe)));
      expect(replies.map((r) => r.status)).toEqual(connections.map(() => 200));
    }
    const answeredBy = (): Set<number> => new Set(logLines(server).filter((l) => l.msg === 'HTTP' && l.uri === probe).map((l) => l.pid));
    await eventually('request log lines from both workers', () => answeredBy().size === 2, 10_000);
    expect([...answeredBy()].sort()).toEqual([...workerPids].sort());
  });

  it('reads a create made through one connection at once through every other (no resourceVersion)', async () => {
    const connections = connect(6);
    for (const [i, writer] of connections.entries()) {
      const name = `seen-${i}`;
      expect((await writer.send('POST', FLUNDERS, flunder(name))).status).toBe(201);
      for (const reader of connections.filter((c) => c !== writer)) {
        const got = await reader.send('GET', `${FLUNDERS}/${name}`);
        expect(got.status).toBe(200);
        expect(names(await reader.send('GET', FLUNDERS))).toContain(name);
      }
    }
  });

  it('delivers a write made through any connection to watches on every connection within seconds', async () => {
    const list = await connect(1)[0]!.send('GET', FLUNDERS);
    const rv = (JSON.parse(list.body) as { metadata: { resourceVersion: string } }).metadata.resourceVersion;
    const watches = await Promise.all(connect(6).map((c) => c.watch(`${FLUNDERS}?watch=true&resourceVersion=${rv}`)));
    const writers = connect(4);
    try {
      for (const [i, writer] of writers.entries()) {
        const name = `watched-${i}`;
        expect((await writer.send('POST', FLUNDERS, flunder(name))).status).toBe(201);
        await eventually(`ADDED ${name} at all 6 watches`, () => watches.every((w) => w.events.some((e) => e.type === 'ADDED' && e.object.metadata.name === name)));
      }
      expect((await writers[1]!.send('DELETE', `${FLUNDERS}/watched-0`)).status).toBe(200);
      await eventually('DELETED watched-0 at all 6 watches', () => watches.every((w) => w.events.some((e) => e.type === 'DELETED' && e.object.metadata.name === 'watched-0')));
      for (const w of watches) {
        expect(w.events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual([
          'ADDED watched-0',
          'ADDED watched-1',
          'ADDED watched-2',
          'ADDED watched-3',
          'DELETED watched-0',
        ]);
      }
    } finally {
      for (const w of watches) w.stop();
    }
  });

  it('restarts a worker killed with SIGKILL, and keeps answering meanwhile', async () => {
    const [killed, survivor] = workerPids as [number, number];
    process.kill(killed, 'SIGKILL');
    await waitForLog(server, 'about the killed worker', (l) => l.pid === primaryPid && l.msg.includes(`(pid ${killed}) exited unexpectedly (signal SIGKILL)`));
    const during = await Promise.all(connect(6).map((c) => c.send('GET', FLUNDERS)));
    expect(during.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);

    const again = await waitForLog(server, 'about the restarted worker', (l) => l.pid === primaryPid && l.msg.includes('is serving again'));
    const restarted = again.workerPid!;
    expect(restarted).not.toBe(killed);
    expect(alive(restarted)).toBe(true);
    expect(alive(survivor)).toBe(true);
    expect(alive(killed)).toBe(false);
    workerPids = [restarted, survivor];

    // The new worker serves reads and writes of the same store as the other one.
    const connections = connect(4);
    expect((await connections[0]!.send('POST', FLUNDERS, flunder('after-restart'))).status).toBe(201);
    for (const c of connections) expect(names(await c.send('GET', FLUNDERS))).toContain('after-restart');
    const probe = `${FLUNDERS}?labelSelector=probe%3Drestarted`;
    for (let round = 0; round < 10; round++) await Promise.all(connections.map((c) => c.send('GET', probe)));
    await eventually('request log lines from the restarted worker', () => logLines(server).some((l) => l.pid === restarted && l.uri === probe), 10_000);
  });

  it('stops every worker gracefully on SIGTERM to the primary, leaving no process behind', async () => {
    for (const connection of open.splice(0)) connection.close();
    const started = Date.now();
    await server.stop();
    // The harness would SIGKILL after 15 s: a clean stop is much quicker.
    expect(Date.now() - started).toBeLessThan(10_000);
    const lines = logLines(server);
    for (const pid of workerPids) {
      expect(lines.some((l) => l.pid === pid && l.msg === 'shutdown complete')).toBe(true);
      expect(alive(pid)).toBe(false);
    }
    expect(lines.some((l) => l.pid === primaryPid && l.msg === 'all workers stopped' && l.clean === true)).toBe(true);
    expect(alive(primaryPid)).toBe(false);
  });
});

describe('--workers 2 on crd, aggregated by a real kube-apiserver', () => {
  let env: Aggregated;

  beforeAll(async () => {
    env = await startAggregated({ storageBackend: 'crd', serverArgs: ['--workers=2'] });
  }, 15 * 60_000);

  afterAll(async () => {
    await env?.stop();
  });

  it('starts both workers, which made the same CRDs at the same time, and serves kubectl through the aggregator', async () => {
    const ready = await waitForLog(env.server, 'saying both workers serve', (l) => l.msg.startsWith('2 workers serving securely on'));
    expect(ready.pids).toHaveLength(2);
    const kubectl = new Kubectl(env.cluster.kubeconfig);
    const crds = kubectl.ok(['get', 'crd', '-o', 'name']);
    expect(crds).toMatch(/flunders/);
    expect(crds).toMatch(/fischers/);
    for (let i = 0; i < 4; i++) {
      kubectl.ok(['create', '-f', '-'], { input: JSON.stringify(flunder(`crd-${i}`)) });
      // kube-apiserver's connections to the server are spread over both workers.
      for (let j = 0; j <= i; j++) expect(kubectl.ok(['get', 'flunder', `crd-${j}`, '-o', 'name'])).toBe(`flunder.wardle.example.com/crd-${j}\n`);
    }
    expect(kubectl.ok(['get', 'flunders', '-o', 'name']).trim().split('\n')).toHaveLength(4);
    expect(logLines(env.server).filter((l) => l.msg.includes('exited'))).toEqual([]);
  });
});
