/**
 * A connect subresource end to end: a WebSocket client (ws, v5.channel.k8s.io, as client-go's
 * WebSocket executor dials) → a REAL kube-apiserver (test/harness: RBAC, the aggregator's
 * upgrade-aware proxy, front proxy) → a small kapi server (connect-server.ts: flunders with an
 * `exec` that echoes stdin upper-cased) → its Status on the error channel.
 *
 * RBAC is Go's: kube-apiserver and then the aggregated server's SubjectAccessReview authorize a
 * WebSocket GET of flunders/<name>/exec as verb "get" on "flunders/exec" (RequestInfo from the
 * method; a POST — SPDY — would be "create"). A user allowed on flunders is refused exec (403), so
 * is one allowed only `create` on flunders/exec (kube-apiserver adds its extra "create" check,
 * AuthorizePodWebsocketUpgradeCreatePermission, for pods only); `get` on flunders/exec lets one in.
 *
 * kapi's generated client (test/clients/shell, on @kapi/client's StreamSession) opens the same
 * sessions. client-go's own WebSocket executor (what kubectl exec runs; kubectl exec itself knows
 * only pods) is exercised too, by exec-client/ (Go, built once from the module cache kube-apiserver's build
 * filled, kept in ~/.cache/kapi/bin by content hash).
 *
 * kube-apiserver comes from hack/build-kube.sh (cached in ~/.cache/kapi/bin); a first
 * run on a fresh machine builds it, which beforeAll's 15 minutes allow.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ApiClient, NotFoundError } from '@kapi/client';
import { ShellV1Client } from '../clients/shell/v1/index.js';
import { startCluster, writeTokenKubeconfig, type Cluster } from '../harness/index.js';
import { buildGoProgram } from './go-program.js';
import { SHELL_GROUP, startConnectServer, type ConnectServer } from './connect-server.js';

jest.setTimeout(120_000);

const FIRST_RUN_TIMEOUT_MS = 15 * 60 * 1000;
const NS = 'default';
const V5 = 'v5.channel.k8s.io';

let cluster: Cluster;
let shell: ConnectServer;

interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * kubectl, asynchronously: the aggregated server runs in this process, so a spawnSync (the
 * e2e Kubectl helper) would stall it while kube-apiserver waits on it (503).
 */
function kubectlRun(args: readonly string[], opts: { input?: string; kubeconfig?: string } = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', opts.kubeconfig ?? cluster.kubeconfig, ...args], { timeout: 60_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
    child.stdin?.end(opts.input ?? '');
  });
}

async function kubectl(args: readonly string[], opts: { input?: string; kubeconfig?: string } = {}): Promise<string> {
  const r = await kubectlRun(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r.stdout;
}

beforeAll(async () => {
  cluster = await startCluster();
  shell = await startConnectServer(cluster);
  // Available is the availability controller's view; kube-apiserver's proxy follows it shortly (503 until then).
  const input = JSON.stringify({ apiVersion: `${SHELL_GROUP}/v1`, kind: 'Flunder', metadata: { name: 'f1', namespace: NS }, spec: { greeting: 'hi' } });
  await until('kube-apiserver proxies to the aggregated server', async () => (await kubectlRun(['apply', '-f', '-'], { input })).code === 0, 60_000, 500);
}, FIRST_RUN_TIMEOUT_MS);

afterAll(async () => {
  await shell?.stop();
  await cluster?.stop();
});

const execPath = (name: string, query = 'command=cat&stdin=true&stdout=true&stderr=true'): string =>
  `/apis/${SHELL_GROUP}/v1/namespaces/${NS}/flunders/${name}/exec?${query}`;

interface Opened {
  ws: WebSocket;
  protocol: string;
  messages: Buffer[];
  closed: Promise<{ code: number; reason: string }>;
}

interface Refused {
  status: number;
  body: string;
}

interface Credentials {
  /** CA to verify the server with. */
  ca: string;
  cert?: string;
  key?: string;
  headers?: Record<string, string>;
}

/** kube-apiserver, as the cluster admin (its client certificate, system:masters). */
const asAdmin = (): Credentials => ({ ca: cluster.caPem, cert: cluster.admin.certPem, key: cluster.admin.keyPem });
const asToken = (token: string): Credentials => ({ ca: cluster.caPem, headers: { Authorization: `Bearer ${token}` } });

/** Dials a WebSocket; resolves with it once open, or with the non-101 answer. Bounded (5 s handshake). */
function dial(base: string, path: string, creds: Credentials, protocols: string[] = [V5]): Promise<Opened | Refused> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace(/^https:/, 'wss:')}${path}`, protocols, {
      ca: creds.ca,
      ...(creds.cert ? { cert: creds.cert, key: creds.key } : {}),
      ...(creds.headers ? { headers: creds.headers } : {}),
      handshakeTimeout: 5_000,
    });
    const messages: Buffer[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (data: Buffer) => messages.push(Buffer.from(data)));
    ws.once('open', () => resolve({ ws, protocol: ws.protocol, messages, closed }));
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.once('error', reject);
  });
}

async function open(base: string, path: string, creds: Credentials, protocols?: string[]): Promise<Opened> {
  const got = await dial(base, path, creds, protocols);
  if (!('ws' in got)) throw new Error(`expected an upgrade, got ${got.status}: ${got.body}\nserver log (tail):\n${shell.logs().split('\n').slice(-20).join('\n')}`);
  return got;
}

async function refused(base: string, path: string, creds: Credentials, protocols?: string[]): Promise<Refused> {
  const got = await dial(base, path, creds, protocols);
  if ('ws' in got) {
    got.ws.terminate();
    throw new Error('expected a refusal, got an upgrade');
  }
  return got;
}

/** `promise`, or a rejection after `ms`. */
async function within<T>(what: string, promise: Promise<T>, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_r, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

const channelOf = (m: Buffer): number => m[0]!;
const textOf = (m: Buffer): string => m.subarray(1).toString('utf8');
const stdout = (s: Opened): string =>
  s.messages
    .filter((m) => channelOf(m) === 1)
    .map(textOf)
    .join('');
const statusOn3 = (s: Opened): Record<string, unknown> | undefined => {
  const m = s.messages.find((x) => channelOf(x) === 3);
  return m ? (JSON.parse(textOf(m)) as Record<string, unknown>) : undefined;
};

describe('a connect subresource behind kube-apiserver', () => {
  it('is a stored kind kubectl reads through the aggregator', async () => {
    expect(await kubectl(['get', 'flunders', '-n', NS, '-o', 'name'])).toBe(`flunder.${SHELL_GROUP}/f1\n`);
  });

  it('exec through kube-apiserver (admin, v5): stdin comes back upper-cased on stdout, then a Success Status on channel 3', async () => {
    const before = shell.store.sessions.length;
    const s = await open(cluster.server, execPath('f1'), asAdmin());
    expect(s.protocol).toBe(V5);
    // The server's "streams are up" message: empty, on stdout.
    await until('the first message', () => s.messages.length >= 1);
    expect(s.messages[0]).toEqual(Buffer.from([1]));

    s.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('hello kapi\n')]));
    await until('stdout', () => stdout(s) === 'HELLO KAPI\n');
    s.ws.send(Buffer.from('\x00second line'));
    await until('more stdout', () => stdout(s) === 'HELLO KAPI\nSECOND LINE');
    // v5: close stdin; the command ends and reports on the error channel.
    s.ws.send(Buffer.from([255, 0]));
    const closed = await within('the close', s.closed);
    expect(closed.code).toBe(1000);
    expect(statusOn3(s)).toEqual({ metadata: {}, status: 'Success' });

    const session = shell.store.sessions[before]!;
    // The user kube-apiserver authenticated, as its front proxy asserts it to the aggregated server.
    expect(session).toMatchObject({ namespace: NS, name: 'f1', user: 'admin', protocol: V5, command: ['cat'] });
    // The client sees the server's close frame before the server sees the closing handshake end.
    await until('the server sees the session end', () => session.closes.includes(-1));
    expect(session.closes).toEqual([0, -1]);
  });

  it('reports a non-zero exit as exec does (NonZeroExitCode, ExitCode cause), through kube-apiserver', async () => {
    const s = await open(cluster.server, execPath('f1', 'command=sh&command=-c&command=exit%203&stdin=true&stdout=true'), asAdmin());
    s.ws.send(Buffer.from('\x00exit 3'));
    await within('the close', s.closed);
    expect(statusOn3(s)).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
    expect(shell.store.sessions[shell.store.sessions.length - 1]!.command).toEqual(['sh', '-c', 'exit 3']);
  });

  it('speaks v4.channel.k8s.io too (no close message: the client closes the WebSocket)', async () => {
    const s = await open(cluster.server, execPath('f1'), asAdmin(), ['v4.channel.k8s.io']);
    expect(s.protocol).toBe('v4.channel.k8s.io');
    s.ws.send(Buffer.from('\x00abc'));
    await until('stdout', () => stdout(s) === 'ABC');
    s.ws.close(1000);
    expect((await within('the close', s.closed)).code).toBe(1000);
    await until('the server sees the session end', () => shell.store.sessions[shell.store.sessions.length - 1]!.closes.includes(-1));
  });

  it('answers refusals of the aggregated server as Statuses through kube-apiserver: 404 for a missing flunder, 400 for no common subprotocol', async () => {
    const missing = await refused(cluster.server, execPath('nope'), asAdmin());
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.body)).toMatchObject({ kind: 'Status', reason: 'NotFound', message: `flunders.${SHELL_GROUP} "nope" not found` });

    const noProtocol = await refused(cluster.server, execPath('f1'), asAdmin(), ['v9.channel.k8s.io']);
    expect(noProtocol.status).toBe(400);
    expect(JSON.parse(noProtocol.body).message).toContain('requested protocol(s) are not supported: [v9.channel.k8s.io]');
  });

  it('RBAC: get on flunders is not exec (403), nor is create on flunders/exec; get on flunders/exec is', async () => {
    await kubectl(['create', 'serviceaccount', 'viewer', '-n', NS]);
    await kubectl(['create', 'role', 'flunder-viewer', '-n', NS, '--verb=get,list,watch', `--resource=flunders.${SHELL_GROUP}`]);
    await kubectl(['create', 'rolebinding', 'viewer-flunders', '-n', NS, '--role=flunder-viewer', `--serviceaccount=${NS}:viewer`]);
    const token = (await kubectl(['create', 'token', 'viewer', '-n', NS, '--duration=10m'])).trim();
    const user = `system:serviceaccount:${NS}:viewer`;

    // The binding works: the viewer reads flunders through kube-apiserver and the aggregated server.
    const asViewer = { kubeconfig: tokenKubeconfig('viewer', token) };
    await until('the viewer may list flunders', async () => (await kubectlRun(['get', 'flunders', '-n', NS], asViewer)).code === 0, 30_000, 500);
    const deleting = await kubectlRun(['delete', 'flunder', 'f1', '-n', NS], asViewer);
    expect([deleting.code, deleting.stderr]).toEqual([1, expect.stringContaining('Forbidden')]);

    // Through kube-apiserver: its own authorization refuses, with verb "get" on "flunders/exec".
    const denied = await refused(cluster.server, execPath('f1'), asToken(token));
    expect(denied.status).toBe(403);
    expect(JSON.parse(denied.body)).toMatchObject({ kind: 'Status', reason: 'Forbidden', code: 403 });
    expect(JSON.parse(denied.body).message).toBe(
      `flunders.${SHELL_GROUP} "f1" is forbidden: User "${user}" cannot get resource "flunders/exec" in API group "${SHELL_GROUP}" in the namespace "${NS}"`,
    );

    // Straight at the aggregated server as kube-apiserver's front proxy: its SubjectAccessReview refuses the same.
    const direct = await refused(`https://127.0.0.1:${shell.port}`, execPath('f1'), {
      ca: shell.servingCA.cert,
      cert: cluster.frontProxy.clientCertPem,
      key: cluster.frontProxy.clientKeyPem,
      headers: { 'X-Remote-User': user, 'X-Remote-Group': 'system:serviceaccounts' },
    });
    expect(direct.status).toBe(403);
    expect(JSON.parse(direct.body).message).toContain(`User "${user}" cannot get resource "flunders/exec" in API group "${SHELL_GROUP}" in the namespace "${NS}"`);

    // create on flunders/exec (the usual pods/exec grant) is not enough for a WebSocket GET.
    await kubectl(['create', 'role', 'flunder-exec-create', '-n', NS, '--verb=create', `--resource=flunders.${SHELL_GROUP}/exec`]);
    await kubectl(['create', 'rolebinding', 'viewer-exec-create', '-n', NS, '--role=flunder-exec-create', `--serviceaccount=${NS}:viewer`]);
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await refused(cluster.server, execPath('f1'), asToken(token))).status).toBe(403);

    // get on flunders/exec lets the viewer exec, through both authorizers.
    await kubectl(['create', 'role', 'flunder-exec-get', '-n', NS, '--verb=get', `--resource=flunders.${SHELL_GROUP}/exec`]);
    await kubectl(['create', 'rolebinding', 'viewer-exec-get', '-n', NS, '--role=flunder-exec-get', `--serviceaccount=${NS}:viewer`]);
    let s: Opened | undefined;
    await until(
      'the viewer may exec',
      async () => {
        const got = await dial(cluster.server, execPath('f1'), asToken(token));
        if ('ws' in got) s = got;
        return s !== undefined;
      },
      30_000,
      500,
    );
    s!.ws.send(Buffer.from('\x00as viewer'));
    await until('stdout', () => stdout(s!) === 'AS VIEWER');
    s!.ws.send(Buffer.from([255, 0]));
    await within('the close', s!.closed);
    expect(statusOn3(s!)).toEqual({ metadata: {}, status: 'Success' });
    expect(shell.store.sessions[shell.store.sessions.length - 1]!.user).toBe(user);
  });
});

describe("client-go's WebSocket executor (what kubectl exec runs) through kube-apiserver", () => {
  let client: string;
  let files: { ca: string; cert: string; key: string };

  beforeAll(async () => {
    client = await buildGoProgram('exec-client');
    files = { ca: join(cluster.dir, 'connect-admin-ca.crt'), cert: join(cluster.dir, 'connect-admin.crt'), key: join(cluster.dir, 'connect-admin.key') };
    writeFileSync(files.ca, cluster.caPem);
    writeFileSync(files.cert, cluster.admin.certPem);
    writeFileSync(files.key, cluster.admin.keyPem, { mode: 0o600 });
  }, 10 * 60 * 1000);

  const exec = (name: string, stdin: string): Promise<KubectlResult> =>
    new Promise((resolve) => {
      execFile(client, [cluster.server, files.ca, files.cert, files.key, execPath(name, 'command=cat&stdin=true&stdout=true'), stdin], { timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      );
    });

  it('streams stdin and stdout, ends with success once stdin is done (v5 close of stdin, Success Status)', async () => {
    const before = shell.store.sessions.length;
    const r = await exec('f1', 'hello from client-go\n');
    expect(r).toMatchObject({ code: 0, stdout: 'stdout="HELLO FROM CLIENT-GO\\n"\nok\n' });
    const session = shell.store.sessions[before]!;
    expect(session).toMatchObject({ protocol: V5, user: 'admin', command: ['cat'] });
    // The client is gone once it has the Status; the server sees the connection end just after.
    await until('the server sees the session end', () => session.closes.includes(-1));
    expect(session.closes).toEqual([0, -1]);
  });

  it('turns the NonZeroExitCode Status into exec.CodeExitError, as kubectl exec reports an exit code', async () => {
    const r = await exec('f1', 'exit 3');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error=exec.CodeExitError command terminated with exit code 3');
  });

  it('reports a refusal before the upgrade (404) with its Status message', async () => {
    const r = await exec('nope', 'x');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`error=*httpstream.UpgradeFailureError unable to upgrade streaming request: flunders.${SHELL_GROUP} "nope" not found`);
  });
});

describe('the generated client (test/clients/shell, `kapi generate client` of the kind)', () => {
  let api: ApiClient;
  let flunders: ReturnType<ShellV1Client['flunders']>;

  beforeAll(async () => {
    api = await ApiClient.fromKubeConfig({ kubeconfig: cluster.kubeconfig });
    flunders = new ShellV1Client(api).flunders(NS);
  });
  afterAll(() => api?.close());

  const textOf = (stream: NodeJS.ReadableStream): Promise<string> =>
    new Promise((resolve, reject) => {
      let text = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (text += c));
      stream.on('end', () => resolve(text));
      stream.on('error', reject);
    });

  it('execs through kube-apiserver: stdin in, stdout out, end() closes stdin, then the Success Status', async () => {
    const before = shell.store.sessions.length;
    const s = await flunders.exec('f1', { query: { command: ['cat'], stdin: true, stdout: true } });
    expect(s.protocol).toBe(V5);
    const out = textOf(s.stdout);
    s.write('from the generated client\n');
    s.write(Buffer.from('bytes too'));
    s.end();
    expect(await within('the status', s.status)).toEqual({ metadata: {}, status: 'Success' });
    expect(await out).toBe('FROM THE GENERATED CLIENT\nBYTES TOO');
    expect(shell.store.sessions[before]).toMatchObject({ namespace: NS, name: 'f1', user: 'admin', protocol: V5, command: ['cat'] });
  });

  it('ends with the Failure Status of a non-zero exit (the repeated command parameter reaches the server)', async () => {
    const s = await flunders.exec('f1', { query: { command: ['sh', '-c', 'exit 3'], stdin: true, stdout: true } });
    s.write('exit 3');
    expect(await within('the status', s.status)).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
    expect(shell.store.sessions[shell.store.sessions.length - 1]!.command).toEqual(['sh', '-c', 'exit 3']);
  });

  it('rejects a refusal before the upgrade with its typed error: NotFoundError for a missing flunder', async () => {
    const err = await flunders.exec('nope', { query: { command: ['cat'] } }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).status).toMatchObject({ code: 404, reason: 'NotFound', message: `flunders.${SHELL_GROUP} "nope" not found` });
  });
});

// Last: it stops the aggregated server.
describe('shutdown of the aggregated server', () => {
  it('ends a session kube-apiserver proxies when the aggregated server shuts down', async () => {
    const s = await open(cluster.server, execPath('f1'), asAdmin());
    s.ws.send(Buffer.from('\x00still here'));
    await until('stdout', () => stdout(s) === 'STILL HERE');
    const started = Date.now();
    const shutdown = shell.server.shutdown();
    // The session is ended at once (1001, relayed by kube-apiserver; 1006 if it only saw the
    // connection go). shutdown() itself may take until its 5 s deadline: node's closeIdleConnections
    // leaves a connection that never carried a request open, and Go's transport keeps such spares.
    expect([1001, 1006]).toContain((await within('the close', s.closed, 3_000)).code);
    expect(Date.now() - started).toBeLessThan(3_000);
    await within('the shutdown', shutdown, 10_000);
  });
});

/** A kubeconfig for kube-apiserver with a bearer token only (the admin one carries a client certificate). */
function tokenKubeconfig(name: string, token: string): string {
  const path = join(cluster.dir, `connect-${name}.kubeconfig`);
  writeTokenKubeconfig(path, cluster.server, cluster.caPem, name, token);
  return path;
}
