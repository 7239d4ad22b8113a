/**
 * Bad input tried by a tool no one here wrote: schemathesis (PyPI) fuzzes the sample server from the
 * server's own /openapi/v3 documents, one run per served group-version, over HTTPS with the admin
 * client certificate. A run passes when schemathesis reports no failure and no error: no 5xx
 * (not_a_server_error), no answer slower than 5 s (max_response_time), no timeout or dropped
 * connection (a network error), a Content-Type the document declares (content_type_conformance),
 * and every 4xx/5xx a Kubernetes Status (error_is_a_status, a custom check in
 * schemathesis_hooks.py). Bounded: a fixed seed, 25 examples per operation, a 10 s request timeout
 * and a hard budget per run. schemathesis is installed into ~/.cache/kapi/venv when missing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RawClient } from '../e2e/raw-client';
import { startSampleServer, type SampleServer } from '../e2e/sample-server';

const HOOKS = join(__dirname, 'schemathesis_hooks.py');
const INSTALL = join(__dirname, 'install-schemathesis.sh');
/** The group-versions the sample server serves; a new one must be added here (the first test says so). */
const GROUP_VERSIONS = ['apis/wardle.example.com/v1alpha1', 'apis/wardle.example.com/v1beta1'];
const SEED = 20_240_601;
const MAX_EXAMPLES = 25;
const REQUEST_TIMEOUT_SECONDS = 10;
/** A run takes 20-45 s on two cores (alone); past this it is killed and fails as a hang. Both runs stay under 3 minutes. */
const RUN_BUDGET_MS = 85_000;
const INSTALL_TIMEOUT_MS = 240_000;

jest.setTimeout(RUN_BUDGET_MS + 15_000);

interface LoggedResponse {
  status: number;
  method: string;
  url: string;
  ms: number;
  notStatus?: string;
  headers?: Record<string, string>;
  body?: string | null;
  response?: string;
}

/** The `st` executable, installed by install-schemathesis.sh when the venv lacks the pinned version. */
function installSchemathesis(): string {
  const result = spawnSync('bash', [INSTALL], { encoding: 'utf8', timeout: INSTALL_TIMEOUT_MS });
  const st = result.stdout.trim().split('\n').pop() ?? '';
  if (result.status !== 0 || !existsSync(st)) {
    throw new Error(`installing schemathesis failed (exit ${result.status ?? result.signal}):\n${result.stderr}${result.stdout}`);
  }
  return st;
}

function runSchemathesis(st: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; output: string; ms: number; killed: boolean }> {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(st, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, RUN_BUDGET_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output, ms: Date.now() - started, killed });
    });
  });
}

describe('schemathesis against the sample server (sqlite)', () => {
  let st: string;
  let server: SampleServer;
  let raw: RawClient;
  let work: string;

  beforeAll(async () => {
    st = installSchemathesis();
    server = await startSampleServer({ storageBackend: 'sqlite' });
    raw = new RawClient(server.url, server.dir);
    work = mkdtempSync(join(tmpdir(), 'kapi-fuzz-'));
    // Where about half of the named requests go (schemathesis_hooks.py); the finalizer keeps them
    // through a fuzzed deletecollection.
    const targets: Array<[string, object]> = [
      ['/apis/wardle.example.com/v1beta1/namespaces/default/flunders', { apiVersion: 'wardle.example.com/v1beta1', kind: 'Flunder', metadata: { name: 'fuzz-target', finalizers: ['example.com/fuzz'] }, spec: {} }],
      ['/apis/wardle.example.com/v1alpha1/fischers', { apiVersion: 'wardle.example.com/v1alpha1', kind: 'Fischer', metadata: { name: 'fuzz-target', finalizers: ['example.com/fuzz'] } }],
    ];
    for (const [path, object] of targets) {
      const created = await raw.send('POST', path, JSON.stringify(object));
      if (created.status !== 201) throw new Error(`creating ${path}/fuzz-target: ${created.status} ${created.body}`);
    }
  }, INSTALL_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await server?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('serves the group-version documents this suite fuzzes', async () => {
    const index = await raw.send('GET', '/openapi/v3');
    expect(index.status).toBe(200);
    expect(Object.keys(index.json<{ paths: Record<string, unknown> }>().paths).sort()).toEqual(GROUP_VERSIONS);
  });

  it.each(GROUP_VERSIONS)('finds no 5xx, hang, dropped connection or non-Status error in /openapi/v3/%s', async (gv) => {
    const log = join(work, `${gv.replace(/\W+/g, '_')}.ndjson`);
    const args = [
      'run',
      `${server.url}/openapi/v3/${gv}`,
      `--url=${server.url}`,
      `--tls-verify=${join(server.dir, 'ca.crt')}`,
      `--request-cert=${join(server.dir, 'admin.crt')}`,
      `--request-cert-key=${join(server.dir, 'admin.key')}`,
      '--checks=not_a_server_error,content_type_conformance,error_is_a_status',
      '--max-response-time=5',
      `--max-examples=${MAX_EXAMPLES}`,
      `--seed=${SEED}`,
      `--request-timeout=${REQUEST_TIMEOUT_SECONDS}`,
      '--generation-database=none',
      // One worker: hypothesis describing strategies from several threads at once trips a CPython
      // ast.parse bug ("AST constructor recursion depth mismatch") that aborts an operation.
      '--workers=1',
      '--no-color',
    ];
    const env = { ...process.env, SCHEMATHESIS_HOOKS: HOOKS, KAPI_FUZZ_LOG: log, KAPI_FUZZ_NAMESPACE: 'default', KAPI_FUZZ_NAME: 'fuzz-target', NO_COLOR: '1' };
    const run = await runSchemathesis(st, args, env, work);
    const responses: LoggedResponse[] = existsSync(log)
      ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line) as LoggedResponse)
      : [];
    const statuses = responses.reduce<Record<number, number>>((acc, r) => ({ ...acc, [r.status]: (acc[r.status] ?? 0) + 1 }), {});
    const summary = `${gv}: ${responses.length} responses in ${(run.ms / 1000).toFixed(1)} s, by status ${JSON.stringify(statuses)}`;
    console.log(summary);

    const serverErrors = responses.filter((r) => r.status >= 500);
    const notStatus = responses.filter((r) => r.notStatus !== undefined);
    const explain = (rs: LoggedResponse[]): string => rs.slice(0, 5).map((r) => JSON.stringify(r)).join('\n');
    expect({ killed: run.killed }).toEqual({ killed: false });
    expect(serverErrors.length === 0 ? '' : `${serverErrors.length} 5xx:\n${explain(serverErrors)}`).toBe('');
    expect(notStatus.length === 0 ? '' : `${notStatus.length} errors that are not a Status:\n${explain(notStatus)}`).toBe('');
    // schemathesis' own verdict (it also counts network errors: timeouts and dropped connections).
    if (run.code !== 0) throw new Error(`schemathesis exited with ${run.code}; ${summary}\n${run.output.slice(-12_000)}`);
    // It did fuzz: every operation of the document was tried with many requests.
    expect(responses.length).toBeGreaterThan(500);
    expect((await raw.send('GET', '/readyz')).status).toBe(200);
  });
});
