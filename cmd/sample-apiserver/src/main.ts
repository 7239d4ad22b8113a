#!/usr/bin/env node
/**
 * The wardle.example.com sample server: `npm start -- --help` lists its flags.
 * With --kubeconfig (or --authentication-kubeconfig / --authorization-kubeconfig) it runs as an
 * aggregated server of that cluster: front-proxy, client-certificate and token authentication and
 * SubjectAccessReview authorization through it. Without, it runs standalone.
 */
import { runAPIServer } from '@kapi/apiserver';
import { SERVICE_HOSTS } from './tls.js';
import { fischerKind, flunderKind } from './wardle/index.js';
import { installWardle } from './wardle/install.js';

runAPIServer(process.argv.slice(2), {
  name: 'wardle',
  kinds: [flunderKind, fischerKind],
  serviceHosts: SERVICE_HOSTS,
  kubectlHint: 'get flunders',
  async install(backend) {
    const wardle = await installWardle(backend);
    return { scheme: wardle.scheme, storages: wardle.storages, close: () => wardle.caches.close() };
  },
}).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
