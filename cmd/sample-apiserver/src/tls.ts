/** The serving certificate and client CA: from the flags, or made on first start (standalone, secure by default). */
import { readFileSync } from 'node:fs';
import { ensureStandaloneSecurity, type ServerOptions, type TLSServingOptions } from '@kapi/apiserver';

/** The Service name kube-apiserver dials for the APIService: the serving certificate carries it. */
export const SERVICE_HOSTS = ['api.wardle.svc', 'api.wardle.svc.cluster.local'];

export interface ResolvedTLS {
  tls: TLSServingOptions;
  /** Written when the server made its own certificates. */
  adminKubeconfig?: string;
}

export function resolveTLS(opts: ServerOptions): ResolvedTLS {
  if (opts.tlsCertFile || opts.tlsPrivateKeyFile) {
    if (!opts.tlsCertFile || !opts.tlsPrivateKeyFile) throw new Error('--tls-cert-file and --tls-private-key-file go together');
    return {
      tls: {
        cert: readFileSync(opts.tlsCertFile, 'utf8'),
        key: readFileSync(opts.tlsPrivateKeyFile, 'utf8'),
        ...(opts.clientCAFile ? { clientCA: readFileSync(opts.clientCAFile, 'utf8') } : {}),
      },
    };
  }
  const made = ensureStandaloneSecurity({
    dir: opts.certDir,
    bindAddress: opts.bindAddress,
    port: opts.securePort,
    extraHosts: SERVICE_HOSTS,
    name: 'wardle',
  });
  const clientCA = opts.clientCAFile ? [made.clientCA, readFileSync(opts.clientCAFile, 'utf8')] : made.clientCA;
  return { tls: { cert: made.serving.cert, key: made.serving.key, clientCA }, adminKubeconfig: made.paths.kubeconfig };
}
