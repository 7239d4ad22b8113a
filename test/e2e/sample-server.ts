/** Starts the built sample server (cmd/sample-apiserver/dist/main.js) as a child process, as `npm start` does. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

/** From test/e2e (jest runs the source) or from test/dist/e2e (the compiled copy the benchmarks import). */
const REPO_ROOT = resolve(__dirname, basename(resolve(__dirname, '..')) === 'dist' ? '../../..' : '../..');
const MAIN = join(REPO_ROOT, 'cmd/sample-apiserver/dist/main.js');

export interface SampleServerOptions {
  storageBackend: 'sqlite' | 'etcd3' | 'crd';
  /** Another server program built with kapi (its compiled main.js); default the sample server. */
  main?: string;
  etcdServers?: string;
  extraArgs?: string[];
  /** The port to serve on (default a free one), e.g. the one of a server this one restarts. */
  port?: number;
}

export interface SampleServer {
  url: string;
  port: number;
  /** The server process's pid (for CPU and memory figures). */
  pid: number;
  dir: string;
  /** The admin kubeconfig the server wrote on first start. */
  kubeconfig: string;
  /** Everything the server logged so far. */
  logs(): string;
  /** SIGKILL, as a crash: no shutdown, nothing flushed; resolves once it exited. The directory stays (stop removes it). */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that hangs with its connections open. */
  pause(): void;
  resume(): void;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startSampleServer(opts: SampleServerOptions): Promise<SampleServer> {
  const dir = mkdtempSync(join(tmpdir(), 'kapi-e2e-'));
  const port = opts.port ?? (await freePort());
  const args = [
    opts.main ?? MAIN,
    `--secure-port=${port}`,
    '--bind-address=127.0.0.1',
    `--storage-backend=${opts.storageBackend}`,
    `--data-dir=${join(dir, 'data')}`,
    `--cert-dir=${dir}`,
    ...(opts.etcdServers ? [`--etcd-servers=${opts.etcdServers}`] : []),
    ...(opts.extraArgs ?? []),
  ];
  const child = spawn(process.execPath, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<number>((resolveExit) => child.on('exit', (code) => resolveExit(code ?? -1)));

  const deadline = Date.now() + 30_000;
  while (!output.includes('serving securely')) {
    if (child.exitCode !== null) throw new Error(`sample server exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sample server not ready in 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url: `https://127.0.0.1:${port}`,
    pid: child.pid ?? 0,
    port,
    dir,
    kubeconfig: join(dir, 'admin.kubeconfig'),
    logs: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGKILL');
        await exited;
      }
      running.delete(child);
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      running.delete(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
