/** The shape the benchmarks in test/bench share: parameters from env, one child process per row. */
import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';

/** A positive integer from the environment, or `fallback` when unset. */
export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
}

/** The rows named in env `name` (comma-separated), in `rows`' order; all of them when it is unset. */
export function selectRows<R extends string>(name: string, rows: readonly R[]): R[] {
  const only = process.env[name]?.split(',').map((s) => s.trim()).filter(Boolean);
  return rows.filter((row) => !only || only.includes(row));
}

/**
 * Forks `script --row <row>` and resolves with the message it sends; when it exits without one, or
 * is still running after `timeoutMs` (then it is killed), resolves with `failed(error, wallMs)`.
 */
export function forkRow<T>(script: string, row: string, env: NodeJS.ProcessEnv, timeoutMs: number, failed: (error: string, wallMs: number) => T): Promise<T> {
  return new Promise((resolvePromise) => {
    const started = performance.now();
    const child = fork(script, ['--row', row], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let result: T | undefined;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('message', (message) => (result = message as T));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (result !== undefined) resolvePromise(result);
      else {
        const error = signal === 'SIGKILL' ? `killed after ${timeoutMs / 60_000} min` : `exited with ${code ?? signal}`;
        resolvePromise(failed(error, performance.now() - started));
      }
    });
  });
}

/**
 * The entry point: with `--row <name>` this process is a row's child, runs it and sends its result to
 * the parent (see forkRow); otherwise it is the parent.
 */
export function rowMain<R extends string, T>(rows: readonly R[], runRow: (row: R) => Promise<T>, runParent: () => Promise<void>): void {
  const at = process.argv.indexOf('--row');
  if (at >= 0) {
    const row = process.argv[at + 1] as R;
    if (!rows.includes(row)) throw new Error(`unknown row ${row}; one of ${rows.join(', ')}`);
    runRow(row).then(
      (result) => process.send?.(result, () => process.exit(0)),
      (err: unknown) => {
        console.error(`${row}:`, err);
        process.exit(1);
      },
    );
    return;
  }
  runParent().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
