/**
 * The Kubernetes binaries for tests and local runs — kube-apiserver, kube-controller-manager,
 * kube-scheduler and the kubelet —
 * built from k8s.io/kubernetes at the version pinned in hack/kube-version.env by
 * hack/build-kube.sh, cached outside the repo.
 *
 * The recipe stays in the kapi checkout's hack/ (one place, shared with the other hack/build-*.sh
 * scripts); it is found from where this package is installed: the nearest directory above it that
 * holds hack/kube-version.env. That is the repository for the workspace and for a project made with
 * `kapi init --kapi-source` (its `file:` links resolve to the checkout). Anywhere else (no checkout
 * above), env KAPI_KUBE_APISERVER, KAPI_KUBE_CONTROLLER_MANAGER, KAPI_KUBE_SCHEDULER and
 * KAPI_KUBELET name the binaries to use.
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

export interface KubeVersion {
  /** e.g. v1.37.2 */
  kubeVersion: string;
  /** The k8s.io/* staging modules' version, e.g. v0.37.2 */
  stagingVersion: string;
}

/** The components hack/build-kube.sh builds (one `go build` for those missing). */
export type KubeComponent = 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubelet';

const VERSION_FILE = join('hack', 'kube-version.env');
const BUILD_SCRIPT = join('hack', 'build-kube.sh');
/** A cold build of all four takes about 20 minutes on two loaded cores; this bounds a hung one. */
const BUILD_TIMEOUT_MS = 40 * 60 * 1000;

/** Env var naming a kube-apiserver binary to use instead of the pinned build. */
export const KUBE_APISERVER_ENV = 'KAPI_KUBE_APISERVER';
/** Env var naming a kube-controller-manager binary to use instead of the pinned build. */
export const KUBE_CONTROLLER_MANAGER_ENV = 'KAPI_KUBE_CONTROLLER_MANAGER';
/** Env var naming a kube-scheduler binary to use instead of the pinned build. */
export const KUBE_SCHEDULER_ENV = 'KAPI_KUBE_SCHEDULER';
/** Env var naming a kubelet binary to use instead of the pinned build. */
export const KUBELET_ENV = 'KAPI_KUBELET';

const ENV_OF: Record<KubeComponent, string> = {
  'kube-apiserver': KUBE_APISERVER_ENV,
  'kube-controller-manager': KUBE_CONTROLLER_MANAGER_ENV,
  'kube-scheduler': KUBE_SCHEDULER_ENV,
  kubelet: KUBELET_ENV,
};

/** The kapi checkout: the nearest directory above this file (symlinks resolved) that holds hack/kube-version.env. */
export function repoRoot(): string {
  const start = realpathSync(__dirname);
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, VERSION_FILE))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `no ${VERSION_FILE} in any directory above ${start}: @kapi/devcluster builds kube-apiserver and kube-controller-manager with the kapi checkout's ${BUILD_SCRIPT}. ` +
          `Install it from a kapi checkout (kapi init --kapi-source), or set ${KUBE_APISERVER_ENV} (and ${KUBE_CONTROLLER_MANAGER_ENV}) to the binaries.`,
      );
    }
    dir = parent;
  }
}

/** Reads hack/kube-version.env (KEY=value lines; # comments). */
export function readKubeVersion(root = repoRoot()): KubeVersion {
  const values = new Map<string, string>();
  for (const line of readFileSync(join(root, VERSION_FILE), 'utf8').split('\n')) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (match) values.set(match[1]!, match[2]!.trim().replace(/^(["'])(.*)\1$/, '$2'));
  }
  const kubeVersion = values.get('KUBE_VERSION');
  const stagingVersion = values.get('KUBE_STAGING_VERSION');
  if (!kubeVersion || !stagingVersion) throw new Error(`${VERSION_FILE} must set KUBE_VERSION and KUBE_STAGING_VERSION`);
  return { kubeVersion, stagingVersion };
}

/** `${KAPI_CACHE:-$HOME/.cache/kapi}`, as the hack scripts compute it. */
export function kapiCacheDir(): string {
  return process.env['KAPI_CACHE'] || join(homedir(), '.cache', 'kapi');
}

/** Where the build script puts (or has put) `component` for the pinned version. */
export function kubeBinaryPath(component: KubeComponent, version = readKubeVersion()): string {
  return resolve(kapiCacheDir(), 'bin', `${component}-${version.kubeVersion}`);
}

/** Where the build script puts (or has put) kube-apiserver for the pinned version. */
export function kubeApiserverPath(version = readKubeVersion()): string {
  return kubeBinaryPath('kube-apiserver', version);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs hack/build-kube.sh for `components`; resolves to the paths it prints, one a line, in order. */
function runBuild(root: string, components: readonly KubeComponent[]): Promise<string[]> {
  return new Promise<string[]>((resolvePaths, reject) => {
    const child = spawn('bash', [join(root, BUILD_SCRIPT), ...components], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
      if (code !== 0) reject(new Error(`${BUILD_SCRIPT} failed (${code ?? signal}); its progress is on stderr above`));
      else if (lines.length !== components.length) reject(new Error(`${BUILD_SCRIPT} printed ${lines.length} paths for ${components.join(', ')}: ${stdout}`));
      else resolvePaths(lines);
    });
  });
}

/**
 * The paths of `components` to run: each one's env var (KAPI_KUBE_APISERVER, ...) when set; otherwise the pinned build, the missing ones built
 * first (a fresh machine) by hack/build-kube.sh in one `go build`, whose progress goes to this
 * process's stderr.
 */
export async function ensureKubeBinaries<C extends KubeComponent>(components: readonly C[]): Promise<Record<C, string>> {
  const paths = {} as Record<C, string>;
  const toBuild: C[] = [];
  let root: string | undefined;
  for (const component of components) {
    const given = process.env[ENV_OF[component]];
    if (given) {
      if (!isExecutable(given)) throw new Error(`${ENV_OF[component]}=${given} is not an executable file`);
      paths[component] = resolve(given);
      continue;
    }
    root ??= repoRoot();
    const expected = kubeBinaryPath(component, readKubeVersion(root));
    if (isExecutable(expected)) paths[component] = expected;
    else toBuild.push(component);
  }
  if (toBuild.length > 0 && root) {
    const built = await runBuild(root, toBuild);
    toBuild.forEach((component, i) => {
      const path = built[i]!;
      if (!isExecutable(path)) throw new Error(`${BUILD_SCRIPT} reported ${path} for ${component}, which is not an executable file`);
      paths[component] = path;
    });
  }
  return paths;
}

/** The binary of `component` to run (its env var, or the pinned build, built when missing). */
export async function ensureKubeBinary(component: KubeComponent): Promise<string> {
  return (await ensureKubeBinaries([component]))[component];
}
