/**
 * The deployable image (deploy/Dockerfile), built by hack/build-image.sh on this machine's
 * registry-free bases and run by a real docker (a private dockerd: no bridge, host network only):
 * it runs as a non-root user with only production dependencies, starts, passes /readyz, serves
 * kubectl, and keeps what it acknowledged across a `docker kill` (SIGKILL) and a new container on
 * the same volume.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kubectl } from '../e2e/kubectl.js';
import { freePort } from '../e2e/sample-server.js';
import { eventually } from '../harness/index.js';

const REPO = resolve(__dirname, '../..');
const FIRST_RUN_TIMEOUT_MS = 20 * 60 * 1000;
const CONTAINER = `kapi-image-test-${process.pid}`;
jest.setTimeout(120_000);

let image: string;
let dockerEnv: NodeJS.ProcessEnv;
let state: string;
let port: number;

function docker(args: readonly string[], opts: { allowFailure?: boolean } = {}): { code: number; stdout: string; stderr: string } {
  const result = spawnSync('/usr/bin/docker', args, { env: dockerEnv, encoding: 'utf8', timeout: 120_000 });
  if (result.error) throw result.error;
  const out = { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  if (out.code !== 0 && !opts.allowFailure) throw new Error(`docker ${args.join(' ')} exited ${out.code}: ${out.stderr}`);
  return out;
}

/** The server in a container on the host network, its certificates and SQLite file in `state`. */
function runContainer(): void {
  docker(['rm', '-f', CONTAINER], { allowFailure: true });
  docker(['run', '-d', '--name', CONTAINER, '--network', 'host', '-v', `${state}:/state`, image, `--secure-port=${port}`, '--bind-address=127.0.0.1', '--cert-dir=/state', '--data-dir=/state/data']);
}

function readyz(): Promise<string> {
  return new Promise((resolveBody) => {
    const req = request({ host: '127.0.0.1', port, path: '/readyz', ca: readFileSync(join(state, 'ca.crt')), servername: 'localhost', timeout: 2000 }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolveBody(`${res.statusCode} ${body}`));
    });
    req.on('error', (err) => resolveBody(`error ${err.message}`));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end();
  });
}

async function waitReady(): Promise<void> {
  await eventually(
    'the container answers /readyz',
    async () => {
      try {
        return (await readyz()) === '200 ok';
      } catch {
        return false; // no ca.crt yet
      }
    },
    60_000,
    () => docker(['logs', '--tail', '20', CONTAINER], { allowFailure: true }).stderr,
  );
}

beforeAll(() => {
  image = execFileSync('bash', [join(REPO, 'hack/build-image.sh')], { env: { ...process.env, KAPI_LOCAL_BASES: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  // `export DOCKER_HOST=unix://…/docker.sock`: the private dockerd build-image.sh left running.
  const host = execFileSync('bash', [join(REPO, 'hack/docker-local.sh'), 'env'], { encoding: 'utf8' }).trim().replace(/^export DOCKER_HOST=/, '');
  dockerEnv = { ...process.env, DOCKER_HOST: host };
}, FIRST_RUN_TIMEOUT_MS);

beforeAll(async () => {
  state = mkdtempSync(join(tmpdir(), 'kapi-image-'));
  // The image's user (1000) owns its state, as a volume's securityContext.fsGroup would arrange.
  chownSync(state, 1000, 1000);
  port = await freePort();
});

afterAll(() => {
  if (dockerEnv) docker(['rm', '-f', CONTAINER], { allowFailure: true });
  if (state) rmSync(state, { recursive: true, force: true });
  // The private dockerd stays for the other suites of test/deploy (test/global-teardown.mjs stops it).
});

it('runs as the non-root user 1000 with the production dependencies only', () => {
  const config = JSON.parse(docker(['image', 'inspect', '--format', '{{json .Config}}', image]).stdout) as { User?: string; Entrypoint?: string[] };
  expect(config.User).toBe('1000:1000');
  expect(config.Entrypoint).toEqual(['node', 'cmd/sample-apiserver/dist/main.js']);
  const resolves = (module: string): number => docker(['run', '--rm', '--network', 'none', '--entrypoint', 'node', image, '-e', `require.resolve(${JSON.stringify(module)})`], { allowFailure: true }).code;
  expect(resolves('typescript')).not.toBe(0);
  expect(resolves('jest')).not.toBe(0);
  // The native module was built for the image's node.
  const sqlite = docker(['run', '--rm', '--network', 'none', '--entrypoint', 'node', image, '-e', "console.log(new (require('better-sqlite3'))(':memory:').prepare('select 41 + 1 as n').get().n)"]);
  expect(sqlite.stdout.trim()).toBe('42');
  const whoami = docker(['run', '--rm', '--network', 'none', '--entrypoint', 'node', image, '-e', 'console.log(process.getuid(), process.getgid())']);
  expect(whoami.stdout.trim()).toBe('1000 1000');
});

it('starts, passes /readyz, and serves kubectl; what it acknowledged survives docker kill and a new container', async () => {
  runContainer();
  await waitReady();
  const kubectl = new Kubectl(join(state, 'admin.kubeconfig'));
  const flunder = `apiVersion: wardle.example.com/v1alpha1
kind: Flunder
metadata: { name: from-the-image, namespace: default }
spec: { reference: x }
`;
  expect(kubectl.ok(['create', '-f', '-'], { input: flunder })).toContain('flunder.wardle.example.com/from-the-image created');
  expect(kubectl.ok(['get', 'flunders', '-o', 'name'])).toContain('flunder.wardle.example.com/from-the-image');

  // SIGKILL, then a new container on the same volume.
  docker(['kill', '--signal', 'KILL', CONTAINER]);
  runContainer();
  await waitReady();
  expect(kubectl.ok(['get', 'flunder', 'from-the-image', '-o', 'jsonpath={.spec.flunderReference}'])).toBe('x');
  const logs = docker(['logs', CONTAINER]).stdout;
  expect(logs).toContain('serving securely');
});
