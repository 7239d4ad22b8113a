export * from './cluster.js';
export * from './kube-apiserver-binary.js';
