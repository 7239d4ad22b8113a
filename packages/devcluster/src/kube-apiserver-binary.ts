/**
 * The kube-apiserver binary for tests and local runs: built from k8s.io/kubernetes at the version
 * pinned in hack/kube-version.env by hack/build-kube-apiserver.sh, cached outside the repo.
 *
 * The recipe stays in the kapi checkout's hack/ (one place, shared with the other hack/build-*.sh
 * scripts); it is found from where this package is installed: the nearest directory above it that
 * holds hack/kube-version.env. That is the repository for the workspace and for a project made with
 * `kapi init --kapi-source` (its `file:` links resolve to the checkout). Anywhere else (no checkout
 * above), env KAPI_KUBE_APISERVER names the binary to use.
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

const VERSION_FILE = join('hack', 'kube-version.env');
const BUILD_SCRIPT = join('hack', 'build-kube-apiserver.sh');
/** A cold build takes about 5 minutes on two cores; this bounds a hung one. */
const BUILD_TIMEOUT_MS = 30 * 60 * 1000;

/** Env var naming a kube-apiserver binary to use instead of the pinned build. */
export const KUBE_APISERVER_ENV = 'KAPI_KUBE_APISERVER';

/** The kapi checkout: the nearest directory above this file (symlinks resolved) that holds hack/kube-version.env. */
export function repoRoot(): string {
  const start = realpathSync(__dirname);
  let dir = start;
  for (;;) {
    if (existsSync(join(dir, VERSION_FILE))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `no ${VERSION_FILE} in any directory above ${start}: @kapi/devcluster builds kube-apiserver with the kapi checkout's ${BUILD_SCRIPT}. ` +
          `Install it from a kapi checkout (kapi init --kapi-source), or set ${KUBE_APISERVER_ENV} to a kube-apiserver binary.`,
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

/** Where the build script puts (or has put) the binary for the pinned version. */
export function kubeApiserverPath(version = readKubeVersion()): string {
  return resolve(kapiCacheDir(), 'bin', `kube-apiserver-${version.kubeVersion}`);
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path of the kube-apiserver to run: $KAPI_KUBE_APISERVER when set; otherwise the pinned one,
 * built first when it is missing (a fresh CI machine) by hack/build-kube-apiserver.sh, whose
 * progress goes to this process's stderr.
 */
export async function ensureKubeApiserver(): Promise<string> {
  const given = process.env[KUBE_APISERVER_ENV];
  if (given) {
    if (!isExecutable(given)) throw new Error(`${KUBE_APISERVER_ENV}=${given} is not an executable file`);
    return resolve(given);
  }
  const root = repoRoot();
  const expected = kubeApiserverPath(readKubeVersion(root));
  if (isExecutable(expected)) return expected;

  const script = join(root, BUILD_SCRIPT);
  const path = await new Promise<string>((resolvePath, reject) => {
    const child = spawn('bash', [script], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), BUILD_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const lines = stdout.trim().split('\n');
      if (code === 0) resolvePath(lines[lines.length - 1]!.trim());
      else reject(new Error(`${BUILD_SCRIPT} failed (${code ?? signal}); its progress is on stderr above`));
    });
  });
  if (!isExecutable(path)) throw new Error(`${BUILD_SCRIPT} reported ${path}, which is not an executable file`);
  return path;
}
