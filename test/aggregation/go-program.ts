/**
 * The suites' small Go programs (exec-client/, apply-client/): each built once per content from
 * the module cache kube-apiserver's build filled (GOFLAGS -mod=readonly: go.sum is complete), kept
 * in ~/.cache/kapi/bin by content hash; bounded.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { kapiCacheDir, repoRoot } from '../harness/index.js';

/** Builds test/aggregation/<name>/ (go.mod, go.sum, main.go) and returns the binary's path. */
export async function buildGoProgram(name: string): Promise<string> {
  const dir = join(repoRoot(), 'test', 'aggregation', name);
  const hash = createHash('sha256');
  for (const f of ['go.mod', 'go.sum', 'main.go']) hash.update(readFileSync(join(dir, f)));
  const binDir = join(kapiCacheDir(), 'bin');
  const binary = join(binDir, `${name}-${hash.digest('hex').slice(0, 12)}`);
  if (existsSync(binary)) return binary;
  mkdirSync(binDir, { recursive: true });
  const partial = `${binary}.${process.pid}.tmp`;
  await new Promise<void>((resolve, reject) => {
    execFile(
      'go',
      ['build', '-o', partial, '.'],
      { cwd: dir, timeout: 8 * 60 * 1000, env: { ...process.env, GOFLAGS: '-mod=readonly -buildvcs=false' } },
      (err, _stdout, stderr) => (err ? reject(new Error(`go build of ${dir} failed: ${err.message}\n${stderr}`)) : resolve()),
    );
  });
  renameSync(partial, binary);
  return binary;
}
