/**
 * The one place kapi loads @kubernetes/client-node (its KubeConfig: kubeconfig files, client
 * certificates, tokens, exec plugins, the in-cluster ServiceAccount). client-node is ESM-only and
 * these packages compile to CommonJS: its types come in with a resolution-mode import, its code
 * through a real dynamic import() (kept as such by module NodeNext), loaded once and shared.
 */
import { existsSync } from 'node:fs';

export type ClientNode = typeof import('@kubernetes/client-node', { with: { 'resolution-mode': 'import' } });
export type KubeConfig = InstanceType<ClientNode['KubeConfig']>;

let loading: Promise<ClientNode> | undefined;

/** The token a Pod's service account is given (Go's rest.InClusterConfig reads the same file). */
const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** Whether this process runs in a Pod that can reach its cluster: what the 'in-cluster' fallback needs. */
export function runningInCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env['KUBERNETES_SERVICE_HOST'] && env['KUBERNETES_SERVICE_PORT']) && existsSync(SERVICE_ACCOUNT_TOKEN);
}

/** client-node's module, imported on first use. */
export function loadClientNode(): Promise<ClientNode> {
  loading ??= import('@kubernetes/client-node').catch((err: unknown) => {
    loading = undefined;
    throw err;
  });
  return loading;
}

export interface LoadKubeConfigOptions {
  /** Use this context instead of the file's current-context. */
  context?: string;
  /**
   * Where the configuration comes from without a path: 'in-cluster' (the default) is the pod's
   * ServiceAccount token and CA (KUBERNETES_SERVICE_HOST/PORT), as Go's clientcmd does for
   * --kubeconfig="" in a pod; 'default' is kubectl's search: $KUBECONFIG, ~/.kube/config, then
   * in-cluster (client-node's loadFromDefault).
   */
  fallback?: 'in-cluster' | 'default';
}

/** A KubeConfig from a kubeconfig file or, without a path, from `opts.fallback`; it must name a current cluster. */
export async function loadKubeConfig(path?: string, opts: LoadKubeConfigOptions = {}): Promise<KubeConfig> {
  const k8s = await loadClientNode();
  const kc = new k8s.KubeConfig();
  if (path) {
    kc.loadFromFile(path);
  } else if (opts.fallback === 'default') {
    kc.loadFromDefault();
  } else {
    if (!runningInCluster()) {
      throw new Error(`no kubeconfig given and not running in a cluster (KUBERNETES_SERVICE_HOST/PORT are not set, or there is no ${SERVICE_ACCOUNT_TOKEN})`);
    }
    kc.loadFromCluster();
  }
  if (opts.context) kc.setCurrentContext(opts.context);
  if (!kc.getCurrentCluster()) throw new Error(`the kubeconfig ${path ?? `(${opts.fallback ?? 'in-cluster'})`} has no current cluster`);
  return kc;
}
