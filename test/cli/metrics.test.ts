/**
 * `kapi create metric` as a user meets it: a new project with one external metric, npm install
 * against this workspace, build, the project's own tests, then `kapi run local --aggregated`: the
 * metric, served as external.metrics.k8s.io/v1beta1 through a local kube-apiserver, counts the
 * ConfigMaps a selector matches, and kubectl sees it rise and fall.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@kapi/storage/etcd-server';
import { Kubectl } from '../e2e/kubectl';

jest.setTimeout(240_000);

const REPO = resolve(__dirname, '../..');
const KAPI = join(REPO, 'cmd/kapi/dist/main.js');
/** `kapi run local --aggregated` starts kube-apiserver too: built once (cached), then seconds. */
const AGGREGATED_READY_MS = 180_000;

/** The environment of a user's shell: no jest variables leaking into the project's own jest. */
function userEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('JEST_')) delete env[key];
  delete env.NODE_OPTIONS;
  return env;
}

function ok(command: string, args: readonly string[], cwd: string, timeoutMs = 120_000): string {
  const result = spawnSync(command, args, { cwd, env: userEnv(), encoding: 'utf8', timeout: timeoutMs });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}\n${result.stdout}\n${result.stderr}`);
  return `${result.stdout}${result.stderr}`;
}

const kapiOk = (args: readonly string[], cwd: string): string => ok(process.execPath, [KAPI, ...args], cwd);

describe('kapi create metric, from nothing to the metric through kube-apiserver', () => {
  let work: string;
  let project: string;
  let child: ChildProcess | undefined;

  beforeAll(() => {
    if (!existsSync(KAPI)) throw new Error(`${KAPI} is missing: run \`npx tsc -b\` first`);
    work = mkdtempSync(join(tmpdir(), 'kapi-cli-metrics-'));
    project = join(work, 'gauges');
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child?.once('exit', r));
      child.kill('SIGINT');
      await exited;
    }
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('scaffolds a metrics server that builds and passes its own tests', () => {
    kapiOk(['init', 'gauges', '--domain', 'example.com', '--kapi-source', REPO], work);
    const created = kapiOk(['create', 'metric', 'configmaps'], project);
    for (const file of ['src/metrics/configmaps.ts', 'src/metrics/configmaps.test.ts', 'src/metrics/index.ts']) expect(created).toContain(`create    ${file}`);
    expect(created).toContain('update    src/main.ts');
    expect(readFileSync(join(project, 'src/main.ts'), 'utf8')).toContain('.withExternalMetrics(externalMetrics)');
    expect(kapiOk(['create', '--help'], project)).toMatch(/metric \[options\] <name>/);

    ok('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline'], project, 180_000);
    ok('npx', ['tsc', '-b'], project);
    expect(ok('npx', ['jest', '--ci'], project)).toMatch(/Tests:\s+2 passed, 2 total/);
    expect(kapiOk(['generate', 'deploy'], project)).toContain('create    base/apiservice.yaml');
    expect(readFileSync(join(project, 'deploy/base/apiservice.yaml'), 'utf8')).toContain('name: v1beta1.external.metrics.k8s.io');
  });

  it('runs aggregated: kubectl reads the metric rising and falling with the ConfigMaps', async () => {
    const port = await freePort();
    const server = spawn(process.execPath, [KAPI, 'run', 'local', '--aggregated', '--no-build', '--port', String(port)], { cwd: project, env: userEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child = server;
    let output = '';
    server.stdout?.setEncoding('utf8').on('data', (c: string) => (output += c));
    server.stderr?.setEncoding('utf8').on('data', (c: string) => (output += c));
    const deadline = Date.now() + AGGREGATED_READY_MS;
    while (!/^kubeconfig: (.+)$/m.test(output)) {
      if (server.exitCode !== null) throw new Error(`kapi run local exited ${server.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`kapi run local printed no kubeconfig in ${AGGREGATED_READY_MS / 1000} s:\n${output}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(output).toContain('APIServices v1beta1.external.metrics.k8s.io: Available');
    const kubectl = new Kubectl(/^kubeconfig: (.+)$/m.exec(output)![1]!);
    const value = (): string => {
      const list = JSON.parse(kubectl.ok(['get', '--raw', '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/configmaps?labelSelector=app%3Dweb'])) as { items: Array<{ value: string; metricLabels: Record<string, string> }> };
      expect(list.items.map((i) => i.metricLabels)).toEqual([{ app: 'web' }]);
      return list.items[0]!.value;
    };

    expect(JSON.parse(kubectl.ok(['get', '--raw', '/apis/external.metrics.k8s.io/v1beta1'])).resources).toEqual([
      { name: 'configmaps', singularName: '', namespaced: true, kind: 'ExternalMetricValueList', verbs: ['get'] },
    ]);
    expect(value()).toBe('0');
    for (const name of ['a', 'b']) {
      kubectl.ok(['create', 'configmap', name]);
      kubectl.ok(['label', 'configmap', name, 'app=web']);
    }
    kubectl.ok(['create', 'configmap', 'unlabelled']);
    expect(value()).toBe('2');
    kubectl.ok(['delete', 'configmap', 'a']);
    expect(value()).toBe('1');
    expect(kubectl.fails(['get', '--raw', '/apis/external.metrics.k8s.io/v1beta1/namespaces/default/nope'])).toContain(
      'Error from server (NotFound): the server could not find the metric nope for nope.external.metrics.k8s.io',
    );

    const exited = new Promise<number | null>((r) => server.once('exit', (code) => r(code)));
    server.kill('SIGINT'); // Ctrl-C
    expect(await exited).toBe(0);
  });
});
