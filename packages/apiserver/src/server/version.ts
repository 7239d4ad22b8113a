/** /version: k8s.io/apimachinery/pkg/version.Info, with Node.js where Go reports its toolchain. */
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

/** Fills what is not given: major/minor from gitVersion ("v1.2.3" → "1", "2"), runtime facts from the process. */
export function versionInfo(overrides: Partial<VersionInfo> = {}): VersionInfo {
  const gitVersion = overrides.gitVersion ?? 'v0.0.0-master+$Format:%H$';
  const match = /^v?(\d+)\.(\d+)/.exec(gitVersion);
  return {
    major: match?.[1] ?? '',
    minor: match?.[2] ?? '',
    gitVersion,
    gitCommit: '',
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
