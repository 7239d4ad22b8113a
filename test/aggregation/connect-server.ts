/**
 * A small aggregated server with a connect subresource, for test/aggregation/connect.test.ts:
 * built in-process from @kapi/apiserver pieces (GenericAPIServer, apiRoutes, a Scheme with one
 * kind, a Store on in-memory sqlite), with delegated authentication and authorization against a
 * test/harness cluster, registered behind its kube-apiserver (ExternalName Service + APIService).
 *
 * Its kind, flunders.shell.example.com/v1, is stored (kubectl get works) and has the connect
 * subresource `exec`, which needs the object to exist (404 otherwise, before the upgrade), echoes
 * stdin back on stdout upper-cased, and once stdin is closed (v5's close message) or the client
 * sends "exit <n>" ends with a Success Status — or, for n > 0, exec's NonZeroExitCode Failure.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { buildAggregationObjects, registerAPIServices, serviceHost, waitForAPIServicesAvailable, type AggregationObject } from '@kapi/apiserver/aggregation';
import { Store, type ConnectStream, type RequestContext, type RestStorage } from '@kapi/apiserver/registry';
import { Scheme, type KindDefinition } from '@kapi/apiserver/scheme';
import { createCA, createServingCert, type CertificateAuthority } from '@kapi/apiserver/security';
import { apiRoutes, delegatedSecurity, GenericAPIServer } from '@kapi/apiserver/server';
import { SqliteStorage } from '@kapi/storage';
import type { Cluster } from '../harness/index.js';

export const SHELL_GROUP = 'shell.example.com';
export const SHELL_VERSION = 'v1';
export const SHELL_SERVICE = { name: 'api', namespace: 'shell' };

export const flunderKind: KindDefinition = {
  group: SHELL_GROUP,
  kind: 'Flunder',
  plural: 'flunders',
  singular: 'flunder',
  namespaced: true,
  hubVersion: SHELL_VERSION,
  versions: [
    {
      name: SHELL_VERSION,
      schema: { type: 'object', properties: { spec: { type: 'object', properties: { greeting: { type: 'string' } } } } },
    },
  ],
  subresources: { connect: { exec: { methods: ['GET', 'POST'], responseKind: 'Status' } } },
};

/** What one exec session saw, for the test to look at. */
export interface ExecSession {
  namespace?: string;
  name: string;
  user?: string;
  protocol: string;
  command: string[];
  closes: number[];
}

/** The stored flunders, plus exec. */
export class ShellFlunders extends Store implements RestStorage {
  readonly sessions: ExecSession[] = [];

  async connect(ctx: RequestContext, name: string, _subresource: string, stream: ConnectStream): Promise<void> {
    // As pods/exec: the object must exist; before the stream is used this is an ordinary 404.
    await this.get(ctx, name, {});
    const session: ExecSession = {
      ...(ctx.namespace ? { namespace: ctx.namespace } : {}),
      name,
      ...(ctx.user ? { user: ctx.user.username } : {}),
      protocol: stream.protocol,
      command: stream.query.getAll('command'),
      closes: [],
    };
    this.sessions.push(session);
    const finish = (code: number): void => {
      if (code === 0) stream.close({ status: 'Success' });
      else {
        stream.close({
          status: 'Failure',
          reason: 'NonZeroExitCode',
          message: `command terminated with non-zero exit code: error executing command [${session.command.join(' ')}], exit code ${code}`,
          details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
        });
      }
    };
    stream.onClose((channel) => {
      session.closes.push(channel);
      if (channel === 0) finish(0);
    });
    stream.onData((channel, data) => {
      if (channel !== 0) return;
      const text = data.toString('utf8');
      const exit = /^exit (\d+)\s*$/.exec(text);
      if (exit) return finish(Number(exit[1]));
      stream.write(1, text.toUpperCase());
    });
    // As kube-apiserver's and the kubelet's servers do: an empty message on the lowest writable
    // channel tells the client the streams are up.
    stream.write(1, '');
  }
}

export interface ConnectServer {
  server: GenericAPIServer;
  store: ShellFlunders;
  port: number;
  /** The CA of the serving certificate (the APIService's caBundle). */
  servingCA: CertificateAuthority;
  objects: AggregationObject[];
  /** The server's log lines (JSON), for a failing test to show. */
  logs(): string;
  stop(): Promise<void>;
}

/** Starts the server against `cluster` and registers it; resolves once its APIService is Available. */
export async function startConnectServer(cluster: Cluster, opts: { availableTimeoutMs?: number } = {}): Promise<ConnectServer> {
  const servingCA = createCA('shell-serving-ca');
  const host = serviceHost(SHELL_SERVICE.name, SHELL_SERVICE.namespace);
  const serving = createServingCert(servingCA, { commonName: host, hosts: [host, `${host}.cluster.local`, 'localhost', '127.0.0.1'] });
  const security = await delegatedSecurity({
    delegation: {
      kubeconfig: cluster.kubeconfig,
      authenticationKubeconfig: cluster.kubeconfig,
      authorizationKubeconfig: cluster.kubeconfig,
      inCluster: false,
      authenticationSkipLookup: false,
      tokenCacheTTLMs: 10_000,
      authorizedCacheTTLMs: 10_000,
      // Short, so that an RBAC change shows within the test.
      unauthorizedCacheTTLMs: 1_000,
      alwaysAllowPaths: ['/healthz', '/readyz', '/livez'],
    },
    logLevel: 'warn',
  });
  const backend = SqliteStorage.open({ path: ':memory:', compactionIntervalMs: 0 });
  const scheme = new Scheme().addKind(flunderKind);
  const store = new ShellFlunders({ kind: flunderKind, storage: backend });
  const lines: string[] = [];
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (lines.length > 2000) lines.splice(0, lines.length - 2000);
      done();
    },
  });
  const server = new GenericAPIServer({
    bindAddress: '127.0.0.1',
    port: 0,
    tls: { cert: serving.cert, key: serving.key },
    authenticator: security.authenticator,
    authorizer: security.authorizer,
    logger: pino({ level: 'debug' }, logStream),
    collectDefaultMetrics: false,
    shutdownTimeoutMs: 5_000,
    routes: apiRoutes({ scheme, storages: new Map([[`${SHELL_GROUP}/flunders`, store]]) }),
    readyzChecks: security.readyzChecks,
    shutdownHooks: [
      () => {
        security.stop();
        backend.close();
      },
    ],
  });
  let started = false;
  const stop = async (): Promise<void> => {
    if (started) await server.shutdown();
    else {
      security.stop();
      backend.close();
    }
  };
  try {
    const { port } = await server.start();
    started = true;
    const objects = buildAggregationObjects({
      served: [{ group: SHELL_GROUP, versions: [SHELL_VERSION] }],
      caBundlePem: servingCA.cert,
      port,
      serviceName: SHELL_SERVICE.name,
      namespace: SHELL_SERVICE.namespace,
      externalName: '127.0.0.1',
      identity: { user: 'admin' },
    });
    await registerAPIServices(cluster.kubeconfig, objects);
    await waitForAPIServicesAvailable(cluster.kubeconfig, objects, { timeoutMs: opts.availableTimeoutMs ?? 90_000 });
    return { server, store, port, servingCA, objects, logs: () => lines.join('\n'), stop };
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
}
