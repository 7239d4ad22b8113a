/**
 * @kapi/storage/kube: kapi's client of a host cluster (the crd backend's, and @kapi/apiserver's
 * through its kube/ layer): KubeConfig loading and a keep-alive JSON and watch client.
 */
export { loadClientNode, loadKubeConfig, runningInCluster, type ClientNode, type KubeConfig, type LoadKubeConfigOptions } from './client-node.js';
export { KubeApiError, KubeRestClient, type KubeRestClientOptions, type KubeStatus, type KubeWatchHandlers, type Query } from './client.js';
