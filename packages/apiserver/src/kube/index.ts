/**
 * @kapi/apiserver's client of the host cluster (delegated authentication and authorization, the
 * extension-apiserver-authentication ConfigMap, APIService registration): @kapi/storage/kube's
 * KubeRestClient, the crd backend's too, so that there is one; the layers above reach the host
 * only through here.
 */
export {
  KubeApiError,
  KubeRestClient,
  loadClientNode,
  loadKubeConfig,
  runningInCluster,
  type ClientNode,
  type KubeConfig,
  type KubeRestClientOptions,
  type KubeStatus,
  type KubeWatchHandlers,
  type LoadKubeConfigOptions,
  type Query,
} from '@kapi/storage/kube';
export { withRetry, type RetryOptions } from './retry.js';
