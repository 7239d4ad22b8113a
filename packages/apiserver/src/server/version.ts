/**
 * /version: k8s.io/apimachinery/pkg/version.Info, with Node.js where Go reports its toolchain.
 * By default it reports kapi's own version (this package's, as semver kubectl can parse) and the
 * git commit of the checkout it runs from, when there is one.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sendBody } from '../http/responses.js';
import type { Route } from '../http/routes.js';

export interface VersionInfo {
  major: string;
  minor: string;
  gitVersion: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
  /** Go's field name kept for clients that decode version.Info; the value is the Node.js version. */
  goVersion: string;
  compiler: string;
  platform: string;
  nodeVersion: string;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

/** This package's version from its package.json (dist/server/version.js → ../../package.json). */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The commit HEAD names in the nearest enclosing git checkout ("" when not in one), read from .git without running git. */
export function gitCommitOf(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    try {
      const gitDir = join(dir, '.git');
      const head = readFileSync(join(gitDir, 'HEAD'), 'utf8').trim();
      if (!head.startsWith('ref: ')) return /^[0-9a-f]{40}$/.test(head) ? head : '';
      const ref = head.slice(5);
      try {
        return readFileSync(join(gitDir, ref), 'utf8').trim();
      } catch {
        const packed = readFileSync(join(gitDir, 'packed-refs'), 'utf8');
        return packed.split('\n').find((line) => line.endsWith(` ${ref}`))?.split(' ')[0] ?? '';
      }
    } catch {
      if (dirname(dir) === dir) return '';
    }
  }
}

/** Fills what is not given: major/minor from gitVersion ("v1.2.3" → "1", "2"), runtime facts from the process. */
export function versionInfo(overrides: Partial<VersionInfo> = {}): VersionInfo {
  const gitVersion = overrides.gitVersion ?? `v${packageVersion()}`;
  const match = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: match?.[1] ?? '',
    minor: match?.[2] ?? '',
    gitVersion,
    gitCommit: overrides.gitCommit ?? gitCommitOf(__dirname),
    gitTreeState: '',
    buildDate: '1970-01-01T00:00:00Z',
    goVersion: process.version,
    compiler: 'node',
    platform: `${process.platform}/${GO_ARCH[process.arch] ?? process.arch}`,
    nodeVersion: process.version,
    ...overrides,
  };
}

export function versionRoute(info: VersionInfo): Route {
  const body = JSON.stringify(info, null, 2);
  return { prefix: '/version', handler: (_req, res) => sendBody(res, 200, 'application/json', body) };
}
