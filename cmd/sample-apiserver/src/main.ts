#!/usr/bin/env node
/**
 * The wardle.example.com sample server: `npm start -- --help` lists its flags.
 * With --kubeconfig (or --authentication-kubeconfig / --authorization-kubeconfig) it runs as an
 * aggregated server of that cluster: front-proxy, client-certificate and token authentication and
 * SubjectAccessReview authorization through it. Without, it runs standalone.
 */
import { createApiRouter, createServer, delegatedSecurity, openStorage, parseServerOptions, resolveTLS, type DelegatedSecurity } from '@kapi/apiserver';
import { SERVICE_HOSTS } from './tls.js';
import { fischerKind, flunderKind } from './wardle/index.js';
import { installWardle } from './wardle/install.js';

async function main(argv: string[]): Promise<void> {
  const opts = parseServerOptions(argv);
  const { tls, adminKubeconfig } = resolveTLS(opts, { extraHosts: SERVICE_HOSTS, name: 'wardle' });

  let security: DelegatedSecurity | undefined;
  if (opts.delegation) {
    security = await delegatedSecurity({ delegation: opts.delegation, ...(opts.clientCAFile ? { clientCAFile: opts.clientCAFile } : {}), logLevel: opts.logLevel });
  }
  const backend = await openStorage(opts, [flunderKind, fischerKind]);
  const wardle = await installWardle(backend);

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
    apiRouter: createApiRouter({ scheme: wardle.scheme, storages: wardle.storages }),
    readyzChecks: [{ name: 'storage', check: () => backend.healthCheck() }, ...(security?.readyzChecks ?? [])],
    shutdownHooks: [
      async () => {
        security?.stop();
        await wardle.caches.close();
        await backend.close();
      },
    ],
  });
  server.handleSignals();
  await server.start();
  if (adminKubeconfig && !security) server.logger.info({ kubeconfig: adminKubeconfig }, `kubectl --kubeconfig ${adminKubeconfig} get flunders`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
