#!/usr/bin/env node
/**
 * An external metrics API (external.metrics.k8s.io/v1beta1) built with kapi, as Go's
 * sigs.k8s.io/custom-metrics-apiserver adapters are: `node dist/main.js --help` lists its flags.
 * Its metrics (wardle-metrics.ts) count wardle.example.com objects in the host cluster, which it
 * reads with --kubeconfig; that cluster also authenticates and authorizes every request (delegated
 * mode), as for every kapi server. Register it with an APIService v1beta1.external.metrics.k8s.io.
 */
import { apiServer } from '@kapi/apiserver';
import { SERVICE_HOSTS } from './tls.js';
import { wardleMetrics } from './wardle-metrics.js';

apiServer({ name: 'wardle-metrics', serviceHosts: SERVICE_HOSTS, kubectlHint: 'get --raw /apis/external.metrics.k8s.io/v1beta1' })
  .withExternalMetrics((api) => wardleMetrics(() => api.host()))
  .run()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
