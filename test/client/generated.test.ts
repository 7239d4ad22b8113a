/**
 * test/clients is `kapi generate client` of cmd/sample-apiserver (as Go's verify-codegen): the
 * built CLI regenerates it into a temp dir from the sample's built kinds, and the two must be equal.
 * Regenerate with: npx tsc -b && node cmd/kapi/dist/main.js generate client --project cmd/sample-apiserver --out test/clients --no-build
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const REPO = resolve(__dirname, '../..');

function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) files.set(relative(dir, join(entry.parentPath, entry.name)), readFileSync(join(entry.parentPath, entry.name), 'utf8'));
  }
  return files;
}

it('test/clients is what `kapi generate client` writes for the sample server', () => {
  const out = mkdtempSync(join(tmpdir(), 'kapi-generated-'));
  try {
    const result = spawnSync(process.execPath, [join(REPO, 'cmd/kapi/dist/main.js'), 'generate', 'client', '--project', join(REPO, 'cmd/sample-apiserver'), '--out', out, '--no-build'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const want = filesUnder(out);
    const have = filesUnder(join(REPO, 'test/clients'));
    expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [path, content] of want) expect(`${path}:\n${have.get(path)}`).toBe(`${path}:\n${content}`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
