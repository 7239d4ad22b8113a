/**
 * Replicas of the sample server for the fault suite: several processes on one store (a 3-member
 * etcd cluster, or one SQLite file for the kill -9 runs), each with its own watch cache and port,
 * sharing one certificate directory so one CA and one admin identity reach all of them. Each replica
 * can be crashed (SIGKILL), paused (SIGSTOP) and started again on its port.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminKubeconfig } from '@kapi/apiserver/security';
import { ApiClient } from '@kapi/client';
import { freePort, startSampleServer, type SampleServer } from '../e2e/sample-server.js';
import { WardleV1beta1Client } from '../clients/wardle/v1beta1/index.js';

export interface ReplicaSetOptions {
  count: number;
  storageBackend: 'sqlite' | 'etcd3';
  /** etcd3: every member's client URL. */
  etcdEndpoints?: readonly string[];
  /** Per request: a write that hangs in a fault becomes indeterminate after this (default 5 s). */
  requestTimeoutMs?: number;
}

export class Replica {
  private server: SampleServer | undefined;
  private apiClient: ApiClient | undefined;
  /** Starts (crash and start count from 0). */
  starts = 0;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly args: string[],
    private readonly set: ReplicaSet,
  ) {}

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** The running process's pid (0 when down). */
  get pid(): number {
    return this.server?.pid ?? 0;
  }

  /** A typed client of this replica alone (made once, kept across restarts: it dials the same port). */
  get client(): WardleV1beta1Client {
    return new WardleV1beta1Client(this.api);
  }

  get api(): ApiClient {
    if (!this.apiClient) throw new Error(`${this.name} was never started`);
    return this.apiClient;
  }

  async start(): Promise<void> {
    if (this.server) return;
    this.server = await startSampleServer({ storageBackend: this.set.storageBackend, port: this.port, extraArgs: this.args });
    this.starts++;
    this.apiClient ??= await ApiClient.fromKubeConfig({ kubeconfig: this.set.kubeconfigFor(this), timeoutMs: this.set.requestTimeoutMs });
  }

  /** SIGKILL, mid-whatever: nothing is flushed or closed politely. */
  async crash(): Promise<void> {
    await this.server?.kill();
    this.server = undefined;
  }

  pause(): void {
    this.server?.pause();
  }

  resume(): void {
    this.server?.resume();
  }

  async stop(): Promise<void> {
    await this.server?.stop();
    this.server = undefined;
  }

  logs(): string {
    return this.server?.logs() ?? '';
  }

  close(): void {
    this.apiClient?.close();
    this.apiClient = undefined;
  }
}

export class ReplicaSet {
  readonly replicas: Replica[] = [];
  readonly storageBackend: 'sqlite' | 'etcd3';
  readonly requestTimeoutMs: number;
  private readonly dir = mkdtempSync(join(tmpdir(), 'kapi-replicas-'));

  private constructor(opts: ReplicaSetOptions) {
    this.storageBackend = opts.storageBackend;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 5_000;
  }

  /** Starts `count` replicas one after another (the first makes the certificates the others reuse). */
  static async start(opts: ReplicaSetOptions): Promise<ReplicaSet> {
    const set = new ReplicaSet(opts);
    const shared = [`--cert-dir=${join(set.dir, 'certs')}`, `--data-dir=${join(set.dir, 'data')}`];
    if (opts.storageBackend === 'etcd3') {
      if (!opts.etcdEndpoints?.length) throw new Error('etcd3 replicas need etcdEndpoints');
      shared.push(`--etcd-servers=${opts.etcdEndpoints.join(',')}`);
    }
    try {
      for (let i = 0; i < opts.count; i++) {
        const replica = new Replica(`replica-${i}`, await freePort(), shared, set);
        set.replicas.push(replica);
        await replica.start();
      }
    } catch (err) {
      await set.stop();
      throw err;
    }
    return set;
  }

  /** The SQLite file the replicas share (sqlite only). */
  get sqlitePath(): string {
    return join(this.dir, 'data', 'kapi.db');
  }

  /** The CA that signed every replica's serving certificate, and the admin client certificate (PEM). */
  credentials(): { ca: Buffer; cert: Buffer; key: Buffer } {
    const certs = join(this.dir, 'certs');
    return { ca: readFileSync(join(certs, 'ca.crt')), cert: readFileSync(join(certs, 'admin.crt')), key: readFileSync(join(certs, 'admin.key')) };
  }

  /** The path of a kubeconfig for one replica alone (admin.kubeconfig names only the last one started). */
  kubeconfigFor(replica: Replica): string {
    const { ca, cert, key } = this.credentials();
    const path = join(this.dir, `${replica.name}.kubeconfig`);
    writeFileSync(path, adminKubeconfig(replica.name, replica.url, ca.toString(), { cert: cert.toString(), key: key.toString() }), { mode: 0o600 });
    return path;
  }

  async stop(): Promise<void> {
    for (const replica of this.replicas) {
      replica.close();
      await replica.stop();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
