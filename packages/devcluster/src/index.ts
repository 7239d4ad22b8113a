/**
 * @kapi/devcluster: a real kube-apiserver with its own etcd on loopback (admin kubeconfig,
 * front proxy, RBAC), optionally kube-controller-manager, kube-scheduler and nodes (kubelets on
 * containerd) beside it, for kapi's test suites and `kapi run local --aggregated`.
 */
export * from './cluster.js';
export { CONTROLLER_MANAGER_USER, DEFAULT_CONTROLLERS, type ControllerManager, type ControllerManagerOptions } from './controller-manager.js';
export * from './kube-binaries.js';
export type { Component } from './component.js';
export { writeTokenKubeconfig } from './component.js';
export { APISERVER_KUBELET_CLIENT_USER, type KubeNode, type NodeOptions } from './node.js';
export { PAUSE_IMAGE } from './pause-image.js';
export { SCHEDULER_USER, type Scheduler, type SchedulerOptions } from './scheduler.js';
