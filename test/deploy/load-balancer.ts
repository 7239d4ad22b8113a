/**
 * A TCP load balancer in front of hostNetwork Pods, as one stands in front of a cluster's nodes:
 * Debian's HAProxy passing TLS through to each node's address, and taking a backend out of the
 * rotation as soon as its /readyz fails (a Pod shutting down), back in when it passes.
 *
 * Why one is needed here: kube-apiserver's aggregator reaches a Service either through its
 * ClusterIP (no kube-proxy, and not an address of this machine), through its endpoints
 * (--enable-aggregator-routing; but an EndpointSlice may not hold a loopback address, so the
 * endpoints of Pods on 127.0.0.x never exist), or, for an ExternalName Service, through the name.
 * The deploy test's Service is an ExternalName for this balancer.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnLogged, stopProcess } from '@kapi/storage/etcd-server';

export interface LoadBalancerOptions {
  /** The port it listens on, at 127.0.0.1. */
  port: number;
  /** host:port of each backend. */
  backends: readonly string[];
  /** The HTTPS path whose 200 keeps a backend in the rotation. */
  healthPath: string;
  /** How often each backend is checked; default 500 ms. */
  checkIntervalMs?: number;
}

export interface LoadBalancer {
  readonly port: number;
  readonly log: string;
  stop(): Promise<void>;
}

function ensureHaproxy(): void {
  if (spawnSync('sh', ['-c', 'command -v haproxy']).status === 0) return;
  throw new Error('haproxy is not on PATH: the deploy suite needs it (apt-get install -y haproxy; .ci/run installs it)');
}

export async function startLoadBalancer(opts: LoadBalancerOptions): Promise<LoadBalancer> {
  ensureHaproxy();
  const dir = mkdtempSync(join(tmpdir(), 'kapi-haproxy-'));
  const config = join(dir, 'haproxy.cfg');
  const log = join(dir, 'haproxy.log');
  const inter = opts.checkIntervalMs ?? 500;
  writeFileSync(
    config,
    `global
  log stdout format raw local0 info
defaults
  log global
  mode tcp
  option tcplog
  timeout connect 2s
  timeout client 1h
  timeout server 1h
frontend api
  bind 127.0.0.1:${opts.port}
  default_backend pods
backend pods
  balance roundrobin
  option httpchk GET ${opts.healthPath}
  http-check expect status 200
  default-server check check-ssl verify none inter ${inter}ms fall 1 rise 1
${opts.backends.map((b, i) => `  server pod${i} ${b}`).join('\n')}
`,
  );
  // -db: in the foreground; -W would fork a master.
  const child = spawnLogged('haproxy', ['-db', '-f', config], log);
  const deadline = Date.now() + 10_000;
  while (!(await listening(opts.port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      const output = readFileSync(log, 'utf8');
      await stopProcess(child, 1000);
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`haproxy did not start listening on 127.0.0.1:${opts.port}:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port: opts.port,
    log,
    async stop() {
      await stopProcess(child, 5000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}
