/** Runs the real kubectl binary against a kubeconfig, as a user would. */
import { spawn, spawnSync } from 'node:child_process';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlOptions {
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export class Kubectl {
  constructor(readonly kubeconfig: string) {}

  /** Runs kubectl to completion. */
  run(args: readonly string[], opts: KubectlOptions = {}): KubectlResult {
    const result = spawnSync('kubectl', ['--kubeconfig', this.kubeconfig, ...args], {
      input: opts.input,
      env: { ...process.env, ...opts.env },
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 60_000,
    });
    if (result.error) throw result.error;
    return { code: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
  }

  /**
   * Runs kubectl without blocking this process: for tests whose process also serves what kubectl's
   * request reaches (a webhook), which run() would keep from answering.
   */
  runAsync(args: readonly string[], opts: KubectlOptions = {}): Promise<KubectlResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('kubectl', ['--kubeconfig', this.kubeconfig, ...args], { env: { ...process.env, ...opts.env }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(opts.input ?? '');
    });
  }

  /** Runs kubectl and fails with its stderr unless it exits 0; returns stdout. */
  ok(args: readonly string[], opts: KubectlOptions = {}): string {
    const result = this.run(args, opts);
    if (result.code !== 0) {
      throw new Error(`kubectl ${args.join(' ')} exited ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`);
    }
    return result.stdout;
  }

  /** Runs kubectl, expecting it to fail; returns stderr. */
  fails(args: readonly string[], opts: KubectlOptions = {}): string {
    const result = this.run(args, opts);
    if (result.code === 0) throw new Error(`kubectl ${args.join(' ')} succeeded but was expected to fail:\n${result.stdout}`);
    return result.stderr;
  }

  /** Starts a long-running kubectl (e.g. get -w) and collects its output lines. */
  stream(args: readonly string[]): StreamingKubectl {
    return new StreamingKubectl(this.kubeconfig, args);
  }
}

export class StreamingKubectl {
  readonly lines: string[] = [];
  private readonly child;
  private readonly exited: Promise<number>;
  private waiters: Array<() => void> = [];
  stderr = '';

  constructor(kubeconfig: string, args: readonly string[]) {
    this.child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let partial = '';
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      this.lines.push(...parts.filter((l) => l.trim() !== ''));
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code ?? -1)));
  }

  /** Waits until some output line satisfies `match`. */
  async waitFor(match: (line: string) => boolean, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching kubectl output in ${timeoutMs} ms; lines: ${JSON.stringify(this.lines)}; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop(): Promise<number> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}
