/** src/main.ts of a new project: the server's entry point, shaped as cmd/sample-apiserver's. */
import { namespaceOf, type ProjectModel } from '../../project/model.js';

export function serverMain(model: ProjectModel): string {
  const ns = namespaceOf(model);
  return `#!/usr/bin/env node
/** The ${model.name} aggregated API server: \`node dist/main.js --help\` lists its flags. */
import { Scheme, createApiRouter, createServer, delegatedSecurity, installStores, openStorage, parseServerOptions, resolveTLS, type DelegatedSecurity } from '@kapi/apiserver';
import { addToScheme } from './apis/index.js';

/** The Service kube-apiserver dials for the APIServices (deploy/base/service.yaml): a made serving certificate carries it. */
const SERVICE_HOSTS = ['api.${ns}.svc', 'api.${ns}.svc.cluster.local'];

async function main(argv: string[]): Promise<void> {
  const opts = parseServerOptions(argv);
  const { tls, adminKubeconfig } = resolveTLS(opts, { extraHosts: SERVICE_HOSTS, name: '${model.name}' });

  // --kubeconfig: an aggregated server of that cluster (front proxy, client certificates and tokens
  // authenticated, SubjectAccessReviews authorized through it). Without: standalone.
  let security: DelegatedSecurity | undefined;
  if (opts.delegation) {
    security = await delegatedSecurity({ delegation: opts.delegation, ...(opts.clientCAFile ? { clientCAFile: opts.clientCAFile } : {}), logLevel: opts.logLevel });
  }
  const scheme = addToScheme(new Scheme());
  const backend = await openStorage(opts, scheme.kinds);
  const stores = await installStores(scheme, backend);

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
    apiRouter: createApiRouter({ scheme, storages: stores.storages }),
    readyzChecks: [{ name: 'storage', check: () => backend.healthCheck() }, ...(security?.readyzChecks ?? [])],
    shutdownHooks: [
      async () => {
        security?.stop();
        await stores.close();
        await backend.close();
      },
    ],
  });
  server.handleSignals();
  await server.start();
  if (adminKubeconfig && !security) server.logger.info({ kubeconfig: adminKubeconfig }, \`kubectl --kubeconfig \${adminKubeconfig} api-resources\`);
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
`;
}
