#!/usr/bin/env node
/**
 * The wardle.example.com sample server: `npm start -- --help` lists its flags.
 * With --kubeconfig (or --authentication-kubeconfig / --authorization-kubeconfig) it runs as an
 * aggregated server of that cluster: front-proxy, client-certificate and token authentication and
 * SubjectAccessReview authorization through it. Without, it runs standalone.
 */
import { apiServer } from '@kapi/apiserver';
import { SERVICE_HOSTS } from './tls.js';
import { banFlunder, fischerKind, flunderKind } from './wardle/index.js';

apiServer({ name: 'wardle', serviceHosts: SERVICE_HOSTS, kubectlHint: 'get flunders' })
  .withKind(flunderKind, { admission: (api) => [banFlunder(api)] })
  .withKind(fischerKind)
  .run()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
