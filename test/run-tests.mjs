#!/usr/bin/env node
// Runs the type-check, the layering check (dependency-cruiser, .dependency-cruiser.cjs) and every jest
// suite, then prints the one summary line CI reads: `tests: N passed, N failed`. A type-check failure
// counts as one failed test; the layering check counts as one test, passed or failed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// @kubernetes/client-node is ESM-only: jest loads it through a real dynamic import(), which needs VM modules.
const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings=ExperimentalWarning`.trim() };
const run = (cmd, args) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env }).status ?? 1;

const tsc = run('npx', ['tsc', '-b']);
// After tsc: @kapi/* imports resolve to the packages' dist/ (their exports), which the build writes.
const layering = run('npm', ['run', '--silent', 'check:layering']);
const outDir = mkdtempSync(join(tmpdir(), 'kapi-jest-'));
const outFile = join(outDir, 'results.json');
const jestArgs = ['jest', '--json', `--outputFile=${outFile}`, '--maxWorkers=2', ...process.argv.slice(2)];
const jestStatus = run('npx', jestArgs);

let passed = layering === 0 ? 1 : 0;
let failed = (tsc === 0 ? 0 : 1) + (layering === 0 ? 0 : 1);
try {
  const results = JSON.parse(readFileSync(outFile, 'utf8'));
  passed += results.numPassedTests;
  // Pending (skipped) tests and suites that failed to run count as failures: nothing may be skipped.
  failed += results.numFailedTests + results.numPendingTests + results.numTodoTests + results.numRuntimeErrorTestSuites;
} catch {
  failed += 1;
}
rmSync(outDir, { recursive: true, force: true });
if (jestStatus !== 0 && failed === 0) failed = 1;
console.log(`tests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
