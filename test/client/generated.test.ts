/**
 * test/clients is generated code, checked as Go's verify-codegen checks: regenerated into a temp
 * dir, it must be equal to what is committed. test/clients/wardle is `kapi generate client` of
 * cmd/sample-apiserver (the built CLI, from the sample's built kinds); test/clients/shell is the
 * library function behind it, generateClient, of test/aggregation/connect-server.ts's kind (a
 * connect subresource). Regenerate with: npx tsc -b && node cmd/kapi/dist/main.js generate client
 * --project cmd/sample-apiserver --out test/clients --no-build && node test/client/generate-shell.js
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
    expectSameFiles(filesUnder(join(REPO, 'test/clients/wardle')), filesUnder(join(out, 'wardle')));
    expect(readdirSync(out)).toEqual(['wardle']);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

it("test/clients/shell is what generateClient writes for connect-server's kind", () => {
  const result = spawnSync(process.execPath, [join(REPO, 'test/client/generate-shell.js'), '--print'], { encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  const files = JSON.parse(result.stdout) as { path: string; content: string }[];
  const want = new Map(files.filter((f) => f.path.startsWith('shell/')).map((f) => [relative('shell', f.path), f.content]));
  expect(want.size).toBe(files.length);
  expectSameFiles(filesUnder(join(REPO, 'test/clients/shell')), want);
});

function expectSameFiles(have: Map<string, string>, want: Map<string, string>): void {
  expect([...have.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [path, content] of want) expect(`${path}:\n${have.get(path)}`).toBe(`${path}:\n${content}`);
}
