#!/usr/bin/env node
/** The wardle.example.com sample server: `npm start -- --help` lists its flags. */
import { createApiRouter, createServer, openStorage, parseServerOptions, resolveTLS } from '@kapi/apiserver';
import { SERVICE_HOSTS } from './tls.js';
import { installWardle } from './wardle/install.js';

async function main(argv: string[]): Promise<void> {
  const opts = parseServerOptions(argv);
  const { tls, adminKubeconfig } = resolveTLS(opts, { extraHosts: SERVICE_HOSTS, name: 'wardle' });
  const backend = openStorage(opts);
  const wardle = await installWardle(backend);

  const server = createServer({
    bindAddress: opts.bindAddress,
    port: opts.securePort,
    tls,
    maxRequestsInFlight: opts.maxRequestsInFlight,
    maxMutatingRequestsInFlight: opts.maxMutatingRequestsInFlight,
    shutdownTimeoutMs: opts.shutdownTimeoutMs,
    logLevel: opts.logLevel,
    apiRouter: createApiRouter({ scheme: wardle.scheme, storages: wardle.storages }),
    readyzChecks: [{ name: 'storage', check: () => backend.healthCheck() }],
    shutdownHooks: [
      async () => {
        await wardle.caches.close();
        await backend.close();
      },
    ],
  });
  server.handleSignals();
  await server.start();
  if (adminKubeconfig) server.logger.info({ kubeconfig: adminKubeconfig }, `kubectl --kubeconfig ${adminKubeconfig} get flunders`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
