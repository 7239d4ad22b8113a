/**
 * @kapi/devcluster: a real kube-apiserver with its own etcd on loopback (admin kubeconfig,
 * front proxy, RBAC), optionally kube-controller-manager beside it, for kapi's test suites and
 * `kapi run local --aggregated`.
 */
export * from './cluster.js';
export { CONTROLLER_MANAGER_USER, DEFAULT_CONTROLLERS, type ControllerManager, type ControllerManagerOptions } from './controller-manager.js';
export * from './kube-binaries.js';
