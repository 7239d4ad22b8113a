#!/usr/bin/env node
/** The wardle.example.com sample server: `npm start -- --help` lists its flags. */
import { createApiRouter, createServer, parseServerOptions } from '@kapi/apiserver';
import { openStorage } from './storage.js';
import { resolveTLS } from './tls.js';
import { installWardle } from './wardle/install.js';

async function main(argv: string[]): Promise<void> {
  const opts = parseServerOptions(argv);
  const { tls, adminKubeconfig } = resolveTLS(opts);
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
        for (const cache of wardle.caches) await cache.close();
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
