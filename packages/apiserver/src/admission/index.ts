/** Admission plugins of the host cluster that an aggregated server runs (Go's default plugins of k8s.io/apiserver). */
export { HostNamespaces, type Namespace } from './host-namespaces.js';
export { NAMESPACE_LIFECYCLE, namespaceLifecycle } from './namespace-lifecycle.js';
