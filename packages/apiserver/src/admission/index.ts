/** Admission plugins of the host cluster that an aggregated server runs (Go's default plugins of k8s.io/apiserver). */
export { NAMESPACE_LIFECYCLE, namespaceLifecycle, type NamespaceLifecycle } from './namespace-lifecycle.js';
