/**
 * The whole life of an API server process from its command line: flags, TLS, standalone or
 * delegated security, storage, the API, health checks, signals. A server's main() is one call.
 */
import type { Storage } from '@kapi/storage';
import pino, { type Logger } from 'pino';
import type { AuditOptions } from '../audit/filter.js';
import { LogBackend } from '../audit/log-backend.js';
import { PolicyRuleEvaluator, loadPolicyFile } from '../audit/policy.js';
import type { DynamicGroupVersion } from '../endpoints/dynamic.js';
import type { StorageLookup } from '../endpoints/router.js';
import { apiRoutes } from './api-routes.js';
import { startHostAdmission } from './host-admission.js';
import type { Filter } from '../http/routes.js';
import type { AdmissionPlugin } from '../registry/rest.js';
import type { SchemeLike } from '../scheme/scheme-like.js';
import type { KindDefinition } from '../scheme/kind.js';
import { handleWorkerSignals, ServerWorkers, workerSlot } from './cluster.js';
export { ServerWorkers } from './cluster.js';
import { relayCommits, shareCommits } from './commit-relay.js';
import { delegatedSecurity, type DelegatedSecurity } from './delegated-server.js';
import { createServer, type GenericAPIServer } from './generic-apiserver.js';
import { parseServerOptions, type AuditLogOptions, type ServerOptions } from './options.js';
import { openStorage, prepareStorage, resolveTLS } from './standalone-server.js';

/** What the server gives the API it installs. */
export interface InstallContext {
  /** The host cluster's admission plugins (delegated mode: NamespaceLifecycle unless disabled), for every write. */
  admission: readonly AdmissionPlugin[];
  /**
   * The host cluster, in delegated mode: its kubeconfig (--kubeconfig; undefined means the pod's
   * in-cluster configuration). Absent when the server runs standalone.
   */
  host?: { kubeconfig: string | undefined };
  /** --enable-garbage-collector: deletes set the garbage collector's finalizers (StoreOptions.enableGarbageCollection). */
  enableGarbageCollection: boolean;
}

/** What a server built on kapi serves, once its storage is open. */
export interface InstalledAPI {
  scheme: SchemeLike;
  storages: StorageLookup;
  /** Group versions served by their own handlers beside the scheme's (e.g. external.metrics.k8s.io). */
  groupVersions?: readonly DynamicGroupVersion[];
  /** Releases what install() made (watch caches); the backend is closed after it. */
  close(): Promise<void>;
}

export interface APIServerDefinition {
  /** Names the generated certificates and kubeconfig. */
  name: string;
  /** The kinds whose storage is prepared before serving (the crd backend makes their CRDs). */
  kinds: readonly KindDefinition[];
  /** DNS names a generated serving certificate carries (the Service kube-apiserver dials, e.g. api.wardle.svc). */
  serviceHosts: readonly string[];
  /** Builds the Stores on the opened backend; every Store runs `context.admission` before its kind's own plugins. */
  install(backend: Storage, context: InstallContext): Promise<InstalledAPI>;
  /** The kubectl command suggested with the admin kubeconfig of a standalone server. */
  kubectlHint?: string;
  /** The author's handler for non-resource paths (an express app or router): see GenericAPIServerOptions. */
  nonResourceHandler?: Filter;
  /** Called with the server before it listens: add filters, health checks, post-start and shutdown hooks. */
  extend?(server: GenericAPIServer): void;
}

/** How long workers get beyond their own --shutdown-timeout before the primary kills them. */
const WORKER_STOP_MARGIN_MS = 5_000;

/**
 * Parses `argv`, starts the server and stops it cleanly on SIGTERM/SIGINT; resolves once it serves.
 * With --workers > 1 this process becomes the primary of that many worker processes, each running
 * the same entry point with the same `argv` (so call this from the program's main module), and
 * resolves to them once all serve.
 */
export async function runAPIServer(argv: readonly string[], api: APIServerDefinition): Promise<GenericAPIServer | ServerWorkers> {
  const opts = parseServerOptions(argv);
  const slot = workerSlot();
  if (opts.workers > 1 && slot === undefined) return runWorkers(argv, opts, api);
  return runServer(opts, api, slot);
}

/** The primary of --workers: what happens once per server (certificates, database file, the kubectl hint), then the workers. */
async function runWorkers(argv: readonly string[], opts: ServerOptions, api: APIServerDefinition): Promise<ServerWorkers> {
  const logger = pino({ level: opts.logLevel });
  const { adminKubeconfig } = resolveTLS(opts, { extraHosts: [...api.serviceHosts], name: api.name });
  await prepareStorage(opts);
  const workers = new ServerWorkers({ count: opts.workers, args: argv, logger, stopTimeoutMs: opts.shutdownDelayMs + opts.shutdownTimeoutMs + WORKER_STOP_MARGIN_MS });
  relayCommits();
  workers.handleSignals();
  await workers.start();
  if (!opts.delegation) logKubectlHint(logger, adminKubeconfig, api);
  return workers;
}

/** One server process: the whole server, or worker `slot` of --workers. */
async function runServer(opts: ServerOptions, api: APIServerDefinition, slot: number | undefined): Promise<GenericAPIServer> {
  const worker = slot !== undefined;
  const { tls, adminKubeconfig } = resolveTLS(opts, { extraHosts: [...api.serviceHosts], name: api.name, readOnly: worker });

  // --kubeconfig: an aggregated server of that cluster (front proxy, client certificates and tokens
  // authenticated, SubjectAccessReviews authorized through it). Without: standalone.
  let security: DelegatedSecurity | undefined;
  if (opts.delegation) {
    security = await delegatedSecurity({ delegation: opts.delegation, ...(opts.clientCAFile ? { clientCAFile: opts.clientCAFile } : {}), logLevel: opts.logLevel });
  }
  // Workers share one backend: the first compacts it (sqlite), and where each only sees its own
  // commits (sharedCommits: sqlite's one file), each tells the others of its commits.
  const backend = await openStorage(opts, api.kinds, { compaction: (slot ?? 0) === 0 });
  const stopSharing = worker && backend.sharedCommits ? shareCommits(backend.sharedCommits) : undefined;
  // The host cluster's admission (Go's default plugins of an aggregated server), delegated mode only.
  const hostAdmission =
    security && (opts.delegation?.kubeconfig !== undefined || opts.delegation?.inCluster)
      ? await startHostAdmission(opts.delegation.kubeconfig, opts.disabledAdmissionPlugins, pino({ level: opts.logLevel, name: 'admission' }, pino.destination({ dest: 1, sync: true })))
      : undefined;
  const installed = await api.install(backend, {
    admission: hostAdmission?.plugins ?? [],
    enableGarbageCollection: opts.enableGarbageCollector,
    ...(security && opts.delegation ? { host: { kubeconfig: opts.delegation.kubeconfig } } : {}),
  });

  const audit = opts.audit ? openAudit(opts.audit) : undefined;
  const server = createServer({
    ...(audit ? { audit } : {}),
    bindAddress: opts.bindAddress,
    port: opts.securePort,
    // Delegated: the authenticators verify client certificates with the cluster's CAs; the TLS
    // layer names no acceptable CA, so Go clients (the aggregator) send theirs whatever it is.
    tls: security ? { cert: tls.cert, key: tls.key } : tls,
    ...(security ? { authenticator: security.authenticator, authorizer: security.authorizer } : {}),
    maxRequestsInFlight: opts.maxRequestsInFlight,
    maxMutatingRequestsInFlight: opts.maxMutatingRequestsInFlight,
    shutdownTimeoutMs: opts.shutdownTimeoutMs,
    shutdownDelayMs: opts.shutdownDelayMs,
    logLevel: opts.logLevel,
    routes: apiRoutes({ scheme: installed.scheme, storages: installed.storages, ...(installed.groupVersions ? { groupVersions: installed.groupVersions } : {}) }),
    ...(api.nonResourceHandler ? { nonResourceHandler: api.nonResourceHandler } : {}),
    readyzChecks: [{ name: 'storage', check: () => backend.healthCheck() }, ...(security?.readyzChecks ?? []), ...(hostAdmission?.readyzChecks ?? [])],
    shutdownHooks: [
      async () => {
        audit?.backend.close();
        hostAdmission?.stop();
        security?.stop();
        stopSharing?.();
        await installed.close();
        await backend.close();
      },
    ],
  });
  api.extend?.(server);
  if (worker) handleWorkerSignals(server);
  else server.handleSignals();
  await server.start();
  if (!security && !worker) logKubectlHint(server.logger, adminKubeconfig, api);
  return server;
}

/** The audit policy and log of --audit-*: a policy that does not load stops the server here, with the file's problems. */
function openAudit(options: AuditLogOptions): AuditOptions & { backend: LogBackend } {
  return {
    evaluator: new PolicyRuleEvaluator(loadPolicyFile(options.policyFile)),
    backend: new LogBackend({ path: options.logPath, maxSizeMB: options.maxSizeMB, maxBackups: options.maxBackups, maxAgeDays: options.maxAgeDays }),
  };
}

function logKubectlHint(logger: Logger, adminKubeconfig: string | undefined, api: APIServerDefinition): void {
  if (adminKubeconfig) logger.info({ kubeconfig: adminKubeconfig }, `kubectl --kubeconfig ${adminKubeconfig} ${api.kubectlHint ?? 'api-resources'}`);
}
