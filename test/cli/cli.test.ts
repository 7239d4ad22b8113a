/**
 * The kapi CLI as a new user meets it, in a temp directory: init, two kinds, a second version,
 * npm install against this workspace's packages, build, the project's own tests, `kapi run local`,
 * then the real kubectl creating, listing, converting and deleting the project's objects.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from 'node:net';
import { freePort } from '@kapi/storage/etcd-server';
import { Kubectl } from '../e2e/kubectl';
import { startCluster } from '../harness/index.js';

jest.setTimeout(240_000);

const REPO = resolve(__dirname, '../..');
const KAPI = join(REPO, 'cmd/kapi/dist/main.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: no jest variables leaking into the project's own jest. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('JEST_')) delete env[key];
  delete env.NODE_OPTIONS;
  return env;
}

function run(command: string, args: readonly string[], cwd: string, timeoutMs = 120_000): Result {
  const result = spawnSync(command, args, { cwd, env: userEnv(), encoding: 'utf8', timeout: timeoutMs });
  if (result.error) throw result.error;
  return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function ok(command: string, args: readonly string[], cwd: string, timeoutMs?: number): string {
  const result = run(command, args, cwd, timeoutMs);
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

const kapi = (args: readonly string[], cwd: string): Result => run(process.execPath, [KAPI, ...args], cwd);
const kapiOk = (args: readonly string[], cwd: string): string => ok(process.execPath, [KAPI, ...args], cwd);

/** `kapi run local` in the background, as a user leaves it running in a terminal. */
async function startRunLocal(
  project: string,
  args: readonly string[],
  readyMs = 90_000,
): Promise<{ child: ChildProcess; port: number; kubeconfig: string; output: () => string; stop(): Promise<number | null> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [KAPI, 'run', 'local', '--port', String(port), ...args], { cwd: project, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + readyMs;
  while (!/^kubeconfig: (.+)$/m.test(output)) {
    if (child.exitCode !== null) throw new Error(`kapi run local exited ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`kapi run local printed no kubeconfig in ${readyMs / 1000} s:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    child,
    port,
    kubeconfig: /^kubeconfig: (.+)$/m.exec(output)?.[1] ?? '',
    output: () => output,
    async stop() {
      child.kill('SIGINT'); // Ctrl-C
      const code = await exited;
      running.delete(child);
      return code;
    },
  };
}

const running = new Set<ChildProcess>();

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function portOpen(port: number): Promise<boolean> {
  return new Promise((r) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      r(true);
    });
    socket.once('error', () => r(false));
  });
}

/** `kapi run local --aggregated` starts kube-apiserver too: built once (cached), then ~8 s. */
const AGGREGATED_READY_MS = 180_000;

describe('kapi, from nothing to kubectl', () => {
  let work: string;
  let project: string;

  beforeAll(() => {
    if (!existsSync(KAPI)) throw new Error(`${KAPI} is missing: run \`npx tsc -b\` first`);
    work = mkdtempSync(join(tmpdir(), 'kapi-cli-'));
    project = join(work, 'fleet');
  });

  afterAll(async () => {
    for (const child of running) {
      if (child.exitCode !== null || child.signalCode !== null) continue; // exited by itself (e.g. a failed start)
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('prints complete help', () => {
    const help = kapiOk(['--help'], REPO);
    for (const command of ['init', 'create', 'run', 'generate']) expect(help).toContain(command);
    expect(kapiOk(['create', 'api', '--help'], REPO)).toMatch(/--namespaced \[bool\][\s\S]*--status-subresource[\s\S]*--scale-subresource/);
    expect(kapiOk(['run', 'local', '--help'], REPO)).toContain('--storage <backend>');
    expect(kapiOk(['generate', 'deploy', '--help'], REPO)).toContain('--renew-certs');
  });

  it('scaffolds a project with two kinds and a second version', () => {
    expect(kapiOk(['init', 'fleet', '--domain', 'example.com', '--kapi-source', REPO], work)).toContain('create    src/main.ts');
    const created = kapiOk(['create', 'api', '--group', 'ship', '--version', 'v1', '--kind', 'Frigate', '--status-subresource'], project);
    expect(created).toContain('create    src/apis/ship/frigate.ts');
    expect(created).toContain('update    src/main.ts');
    kapiOk(['create', 'api', '--group', 'ship', '--version', 'v1', '--kind', 'Harbor', '--namespaced=false'], project);
    expect(kapiOk(['create', 'version', '--group', 'ship', '--version', 'v2', '--kind', 'Frigate'], project)).toContain('create    src/apis/ship/v2/frigate.ts');
    // The server is the builder with one .withKind per kind; a version is a TypeBox schema and its derived type.
    const main = readFileSync(join(project, 'src/main.ts'), 'utf8');
    expect(main).toMatch(/apiServer\(\{ name: 'fleet', serviceHosts: SERVICE_HOSTS \}\)\n  \.withKind\(frigateKind\)\n  \.withKind\(harborKind\)\n/);
    expect(existsSync(join(project, 'src/apis/index.ts'))).toBe(false);
    expect(readFileSync(join(project, 'src/apis/ship/v2/frigate.ts'), 'utf8')).toContain('export type FrigateV2 = ObjectOf<typeof schema>;');
    const model = JSON.parse(readFileSync(join(project, 'kapi.json'), 'utf8')) as { kinds: { kind: string; versions: string[] }[] };
    expect(model.kinds.map((k) => [k.kind, k.versions])).toEqual([
      ['Frigate', ['v1', 'v2']],
      ['Harbor', ['v1']],
    ]);
  });

  it('refuses to re-create a kind without --force and keeps the user\'s edits', () => {
    const path = join(project, 'src/apis/ship/v1/harbor.ts');
    const edited = readFileSync(path, 'utf8').replace("name: 'Message'", "name: 'Note'");
    writeFileSync(path, edited);
    const again = kapi(['create', 'api', '--group', 'ship', '--version', 'v1', '--kind', 'Harbor', '--namespaced=false'], project);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Harbor.ship.example.com already exists');
    expect(again.stderr).toContain('--force');
    expect(readFileSync(path, 'utf8')).toBe(edited);
  });

  it('installs against this workspace, builds, and passes its own generated tests', () => {
    ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], project, 180_000);
    ok('npx', ['tsc', '-b'], project);
    // npm test: the project's script runs jest with --experimental-vm-modules (@kapi/client loads client-node through import()).
    const tests = run('npm', ['test', '--', '--ci'], project);
    expect(`${tests.stdout}${tests.stderr}`).toMatch(/Tests:\s+\d+ passed, \d+ total/);
    expect(tests.code).toBe(0);
  });

  it('runs locally, and kubectl creates, lists, converts and deletes its objects', async () => {
    const server = await startRunLocal(project, []);
    const kubeconfig = server.kubeconfig;
    expect(kubeconfig).toBe(join(project, '.kapi', 'admin.kubeconfig'));
    const kubectl = new Kubectl(kubeconfig);

    expect(kubectl.ok(['api-resources', '--api-group=ship.example.com'])).toMatch(/^frigates\s+ship\.example\.com\/v1\s+true\s+Frigate$/m);
    // The TypeBox schema is what OpenAPI serves: its descriptions are kubectl explain's text.
    const explained = kubectl.ok(['explain', 'frigates.spec']);
    expect(explained).toContain('The desired state of the Frigate.');
    expect(explained).toMatch(/message\s+<string>\n\s+Free text; defaulted when not given, and may not be blank\./);

    const frigate = `apiVersion: ship.example.com/v1
kind: Frigate
metadata:
  name: endeavour
  namespace: default
spec:
  message: ahoy
`;
    expect(kubectl.ok(['create', '-f', '-'], { input: frigate })).toBe('frigate.ship.example.com/endeavour created\n');
    const v2 = `apiVersion: ship.example.com/v2
kind: Frigate
metadata:
  name: resolution
  namespace: default
spec: {}
`;
    expect(kubectl.ok(['create', '-f', '-'], { input: v2 })).toBe('frigate.ship.example.com/resolution created\n');
    const harbor = `apiVersion: ship.example.com/v1
kind: Harbor
metadata:
  name: portsmouth
`;
    expect(kubectl.ok(['create', '-f', '-'], { input: harbor })).toBe('harbor.ship.example.com/portsmouth created\n');

    const list = kubectl.ok(['get', 'frigates']);
    expect(list).toMatch(/^NAME\s+MESSAGE\s+AGE$/m);
    expect(list).toMatch(/^endeavour\s+ahoy\s+/m);
    expect(list).toMatch(/^resolution\s+Hello from kapi\s+/m);
    // The user's edit to the Harbor v1 printer column is what the server serves.
    expect(kubectl.ok(['get', 'harbors'])).toMatch(/^NAME\s+NOTE\s+AGE\n^portsmouth\s+Hello from kapi\s+/m);

    // Conversion: an object made in v1 read in v2, and one made in v2 read in v1.
    const inV2 = JSON.parse(kubectl.ok(['get', 'frigates.v2.ship.example.com', 'endeavour', '-o', 'json'])) as { apiVersion: string; spec: { message: string } };
    expect(inV2.apiVersion).toBe('ship.example.com/v2');
    expect(inV2.spec.message).toBe('ahoy');
    const inV1 = JSON.parse(kubectl.ok(['get', 'frigates.v1.ship.example.com', 'resolution', '-o', 'json'])) as { apiVersion: string; spec: { message: string } };
    expect(inV1.apiVersion).toBe('ship.example.com/v1');
    expect(inV1.spec.message).toBe('Hello from kapi');

    // Validation from the generated strategy.
    expect(kubectl.fails(['create', '-f', '-'], { input: frigate.replace('endeavour', 'blank').replace('ahoy', "' '") })).toContain('spec.message: Required value');

    expect(kubectl.ok(['delete', 'frigate', 'endeavour', 'resolution'])).toBe('frigate.ship.example.com "endeavour" deleted\nfrigate.ship.example.com "resolution" deleted\n');
    expect(kubectl.ok(['delete', 'harbor', 'portsmouth'])).toBe('harbor.ship.example.com "portsmouth" deleted\n');
    expect(kubectl.run(['get', 'frigates,harbors', '-A']).stderr).toContain('No resources found');

    expect(await server.stop()).toBe(0);
    expect(server.output()).toContain('server stopped (exit 0)');
  });

  it('runs on a local etcd with --storage etcd3', async () => {
    const server = await startRunLocal(project, ['--storage', 'etcd3', '--no-build']);
    expect(server.output()).toMatch(/etcd: http:\/\/127\.0\.0\.1:\d+/);
    const kubectl = new Kubectl(server.kubeconfig);
    kubectl.ok(['create', '-f', '-'], { input: 'apiVersion: ship.example.com/v2\nkind: Frigate\nmetadata:\n  name: on-etcd\n  namespace: default\n' });
    expect(kubectl.ok(['get', 'frigates', '-o', 'name'])).toBe('frigate.ship.example.com/on-etcd\n');
    expect(await server.stop()).toBe(0);
  });

  it('runs aggregated: registered with a local kube-apiserver, kubectl goes through it, Ctrl-C stops everything', async () => {
    const server = await startRunLocal(project, ['--aggregated', '--no-build'], AGGREGATED_READY_MS);
    expect(server.kubeconfig).toBe(join(project, '.kapi', 'cluster.kubeconfig'));
    expect(server.output()).toContain('APIServices v1.ship.example.com, v2.ship.example.com: Available');
    const apiserverPort = Number(/kube-apiserver: https:\/\/127\.0\.0\.1:(\d+)/.exec(server.output())?.[1]);
    const kubectl = new Kubectl(server.kubeconfig);

    // kubectl talks to kube-apiserver as the cluster's admin, not to the server's own port.
    expect(kubectl.ok(['config', 'view', '--minify', '-o', 'jsonpath={.clusters[0].cluster.server}'])).toBe(`https://127.0.0.1:${apiserverPort}`);
    expect(kubectl.ok(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'])).toBe('admin');
    const available = '-o=jsonpath={.status.conditions[?(@.type=="Available")].status}';
    expect(kubectl.ok(['get', 'apiservice', 'v1.ship.example.com', available])).toBe('True');
    expect(kubectl.ok(['get', 'service', '-n', 'fleet', 'api', '-o', 'jsonpath={.spec.externalName}:{.spec.ports[0].port}'])).toBe(`localhost:${server.port}`);
    expect(kubectl.ok(['api-resources', '--api-group=ship.example.com'])).toMatch(/^frigates\s+ship\.example\.com\/v1\s+true\s+Frigate$/m);

    const frigate = 'apiVersion: ship.example.com/v1\nkind: Frigate\nmetadata:\n  name: through-the-aggregator\n  namespace: default\nspec:\n  message: relayed\n';
    expect(kubectl.ok(['create', '-f', '-'], { input: frigate })).toBe('frigate.ship.example.com/through-the-aggregator created\n');
    expect(kubectl.ok(['get', 'frigates'])).toMatch(/^through-the-aggregator\s+relayed\s+/m);
    const inV2 = JSON.parse(kubectl.ok(['get', 'frigates.v2.ship.example.com', 'through-the-aggregator', '-o', 'json'])) as { apiVersion: string; spec: { message: string } };
    expect([inV2.apiVersion, inV2.spec.message]).toEqual(['ship.example.com/v2', 'relayed']);
    expect(kubectl.ok(['delete', 'frigate', 'through-the-aggregator'])).toBe('frigate.ship.example.com "through-the-aggregator" deleted\n');

    expect(await server.stop()).toBe(0); // Ctrl-C
    expect(server.output()).toContain('server stopped (exit 0)');
    expect(await portOpen(apiserverPort)).toBe(false);
    expect(await portOpen(server.port)).toBe(false);
    expect(existsSync(server.kubeconfig)).toBe(false);
  });

  it('keeps the objects as custom resources of a local cluster with --storage crd (aggregated), with kube-controller-manager', async () => {
    const server = await startRunLocal(project, ['--storage', 'crd', '--controller-manager', '--no-build'], AGGREGATED_READY_MS);
    expect(server.output()).toContain('as --aggregated');
    expect(server.output()).toMatch(/kube-controller-manager: https:\/\/127\.0\.0\.1:\d+ \(log: \S+kube-controller-manager\.log\)/);
    expect(server.output()).toContain('Ctrl-C stops the server, kube-controller-manager, kube-apiserver and etcd.');
    const kubectl = new Kubectl(server.kubeconfig);
    kubectl.ok(['create', '-f', '-'], { input: 'apiVersion: ship.example.com/v2\nkind: Frigate\nmetadata:\n  name: in-crd\n  namespace: default\n' });
    expect(kubectl.ok(['get', 'frigates', '-o', 'name'])).toBe('frigate.ship.example.com/in-crd\n');
    expect(kubectl.ok(['get', 'crd', '-o', 'name'])).toMatch(/frigates\./);
    // The namespace controller deletes the project's objects in a namespace being deleted, and the namespace goes.
    kubectl.ok(['create', 'namespace', 'doomed']);
    kubectl.ok(['create', '-f', '-'], { input: 'apiVersion: ship.example.com/v2\nkind: Frigate\nmetadata:\n  name: sunk\n  namespace: doomed\n' });
    kubectl.ok(['delete', 'namespace', 'doomed', '--timeout=60s']);
    expect(kubectl.ok(['get', 'frigates', '-n', 'doomed', '-o', 'name'])).toBe('');
    expect(await server.stop()).toBe(0);
  });

  it('generate deploy: kubectl apply --dry-run=server -k passes on kube-apiserver, and applied, the APIServices are accepted', async () => {
    expect(kapiOk(['generate', 'deploy'], project)).toContain('create    base/apiservice.yaml');
    const cluster = await startCluster();
    try {
      const kubectl = new Kubectl(cluster.kubeconfig);
      const cases = [
        { dir: join(project, 'deploy'), namespace: 'fleet', apiServices: ['v1.ship.example.com', 'v2.ship.example.com'] },
        { dir: join(REPO, 'deploy'), namespace: 'wardle', apiServices: ['v1beta1.wardle.example.com', 'v1alpha1.wardle.example.com'] },
      ];
      for (const { dir, namespace, apiServices } of cases) {
        // A server-side dry run creates nothing, the Namespace neither: its namespaced objects need it to exist.
        kubectl.ok(['create', 'namespace', namespace]);
        const dryRun = kubectl.ok(['apply', '--dry-run=server', '-k', dir]);
        for (const name of apiServices) expect(dryRun).toContain(`apiservice.apiregistration.k8s.io/${name} created (server dry run)`);
        expect(dryRun).toContain('deployment.apps/apiserver created (server dry run)');
        expect(kubectl.run(['get', 'apiservice', apiServices[0]!]).code).not.toBe(0);

        kubectl.ok(['apply', '-k', dir]);
        // Accepted: they exist as written. No pod runs here (no controller-manager, no image), so they never become Available.
        for (const name of apiServices) {
          const apiService = JSON.parse(kubectl.ok(['get', 'apiservice', name, '-o', 'json'])) as { spec: { service: unknown; caBundle: string } };
          expect(apiService.spec.service).toEqual({ namespace, name: 'api', port: 443 });
          expect(Buffer.from(apiService.spec.caBundle, 'base64').toString()).toContain('BEGIN CERTIFICATE');
        }
        expect(kubectl.ok(['get', 'deployment', '-n', namespace, 'apiserver', '-o', 'name'])).toBe('deployment.apps/apiserver\n');
      }
    } finally {
      await cluster.stop();
    }
  });
});
