/**
 * The whole life of an API server process from its command line: flags, TLS, standalone or
 * delegated security, storage, the API, health checks, signals. A server's main() is one call.
 */
import type { Storage } from '@kapi/storage';
import { createApiRouter, type StorageLookup } from '../endpoints/router.js';
import type { SchemeLike } from '../registry/interfaces.js';
import type { KindDefinition } from '../scheme/kind.js';
import { delegatedSecurity, type DelegatedSecurity } from './delegated-server.js';
import { createServer, type GenericAPIServer } from './generic-apiserver.js';
import { parseServerOptions } from './options.js';
import { openStorage, resolveTLS } from './standalone-server.js';

/** What a server built on kapi serves, once its storage is open. */
export interface InstalledAPI {
  scheme: SchemeLike;
  storages: StorageLookup;
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
  /** Builds the Stores on the opened backend. */
  install(backend: Storage): Promise<InstalledAPI>;
  /** The kubectl command suggested with the admin kubeconfig of a standalone server. */
  kubectlHint?: string;
}

/** Parses `argv`, starts the server and stops it cleanly on SIGTERM/SIGINT; resolves once it serves. */
export async function runAPIServer(argv: readonly string[], api: APIServerDefinition): Promise<GenericAPIServer> {
  const opts = parseServerOptions(argv);
  const { tls, adminKubeconfig } = resolveTLS(opts, { extraHosts: [...api.serviceHosts], name: api.name });

  // --kubeconfig: an aggregated server of that cluster (front proxy, client certificates and tokens
  // authenticated, SubjectAccessReviews authorized through it). Without: standalone.
  let security: DelegatedSecurity | undefined;
  if (opts.delegation) {
    security = await delegatedSecurity({ delegation: opts.delegation, ...(opts.clientCAFile ? { clientCAFile: opts.clientCAFile } : {}), logLevel: opts.logLevel });
  }
  const backend = await openStorage(opts, api.kinds);
  const installed = await api.install(backend);

  const server = createServer({
    bindAddress: opts.bindAddress,
    port: opts.securePort,
    // Delegated: the authenticators verify client certificates with the cluster's CAs; the TLS
    // layer names no acceptable CA, so Go clients (the aggregator) send theirs whatever it is.
    tls: security ? { cert: tls.cert, key: tls.key } : tls,
    ...(security ? { authenticator: security.authenticator, authorizer: security.authorizer } : {}),
    maxRequestsInFlight: opts.maxRequestsInFlight,
    maxMutatingRequestsInFlight: opts.maxMutatingRequestsInFlight,
    shutdownTimeoutMs: opts.shutdownTimeoutMs,
    logLevel: opts.logLevel,
    apiRouter: createApiRouter({ scheme: installed.scheme, storages: installed.storages }),
    readyzChecks: [{ name: 'storage', check: () => backend.healthCheck() }, ...(security?.readyzChecks ?? [])],
    shutdownHooks: [
      async () => {
        security?.stop();
        await installed.close();
        await backend.close();
      },
    ],
  });
  server.handleSignals();
  await server.start();
  if (adminKubeconfig && !security) {
    server.logger.info({ kubeconfig: adminKubeconfig }, `kubectl --kubeconfig ${adminKubeconfig} ${api.kubectlHint ?? 'api-resources'}`);
  }
  return server;
}
