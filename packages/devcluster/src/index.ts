/**
 * @kapi/devcluster: a real kube-apiserver with its own etcd on loopback (admin kubeconfig,
 * front proxy, RBAC), for kapi's test suites and `kapi run local --aggregated`.
 */
export * from './cluster.js';
export * from './kube-apiserver-binary.js';
