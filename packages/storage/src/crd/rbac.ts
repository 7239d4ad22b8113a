/**
 * The RBAC the CRD storage needs in the host cluster, and nothing more: its CRDs (made and
 * updated at start-up; never deleted — deleting a CRD deletes every object stored in it) and the
 * custom resources of its storage group(s). Bind it to the server's ServiceAccount with a
 * ClusterRoleBinding.
 */

export const CRD_STORAGE_CLUSTER_ROLE_NAME = 'kapi-crd-storage';

export interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface ClusterRole {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRole';
  metadata: { name: string; labels: Record<string, string> };
  rules: PolicyRule[];
}

/**
 * The ClusterRole for storage groups `storageGroups` (e.g. ["storage.wardle.example.com"]).
 * `list` on customresourcedefinitions is what currentRevision() reads (a list that matches
 * nothing answers with the host's current revision); get/create/update make the CRDs.
 */
export function crdStorageClusterRole(storageGroups: readonly string[], name = CRD_STORAGE_CLUSTER_ROLE_NAME): ClusterRole {
  return {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'kapi' } },
    rules: [
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list', 'create', 'update'] },
      { apiGroups: [...storageGroups], resources: ['*'], verbs: ['get', 'list', 'watch', 'create', 'update', 'delete'] },
    ],
  };
}
