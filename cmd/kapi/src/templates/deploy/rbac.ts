/**
 * deploy/base/rbac.yaml: what an aggregated server needs of its host cluster: TokenReview and
 * SubjectAccessReview (system:auth-delegator), the extension-apiserver-authentication ConfigMap
 * (extension-apiserver-authentication-reader in kube-system), what the host cluster's admission
 * reads (namespaces, webhook configurations, admission policies), and with CRD storage its custom resources.
 */
import { namespaceOf, type ProjectModel } from '../../project/model.js';
import { SERVICE_ACCOUNT } from './labels.js';

function subject(model: ProjectModel): string {
  return `subjects:
  - kind: ServiceAccount
    name: ${SERVICE_ACCOUNT}
    namespace: ${namespaceOf(model)}`;
}

/** Binds the ClusterRole `<project>:<role>` (defined beside it) to the server's service account. */
function ownClusterRoleBinding(model: ProjectModel, role: string): string {
  return `---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ${model.name}:${role}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: ${model.name}:${role}
${subject(model)}`;
}

function crdStorageRules(model: ProjectModel): string {
  return `---
# CRD storage: the server keeps its objects as custom resources of this cluster.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ${model.name}:crd-storage
rules:
  - apiGroups: [apiextensions.k8s.io]
    resources: [customresourcedefinitions]
    verbs: [get, list, watch, create, update, patch]
  - apiGroups: [storage.${model.domain}]
    resources: ['*']
    verbs: [get, list, watch, create, update, patch, delete, deletecollection]
${ownClusterRoleBinding(model, 'crd-storage')}
`;
}

export function rbacYaml(model: ProjectModel): string {
  return `# Delegated authentication and authorization: TokenReview and SubjectAccessReview.
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: ${model.name}:system:auth-delegator
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:auth-delegator
${subject(model)}
---
# Reads kube-system/extension-apiserver-authentication (the front-proxy CA and allowed names).
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ${model.name}:extension-apiserver-authentication-reader
  namespace: kube-system
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: extension-apiserver-authentication-reader
${subject(model)}
---
# The host cluster's admission, run on every write: NamespaceLifecycle, the admission webhooks and
# the admission policies. (A policy's paramKind is read too: grant it where a policy has params.)
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: ${model.name}:host-admission
rules:
  - apiGroups: ['']
    resources: [namespaces]
    verbs: [get, list, watch]
  - apiGroups: [admissionregistration.k8s.io]
    resources:
      - mutatingwebhookconfigurations
      - validatingwebhookconfigurations
      - mutatingadmissionpolicies
      - mutatingadmissionpolicybindings
      - validatingadmissionpolicies
      - validatingadmissionpolicybindings
    verbs: [get, list, watch]
${ownClusterRoleBinding(model, 'host-admission')}
${model.deployStorage === 'crd' ? crdStorageRules(model) : ''}`;
}
