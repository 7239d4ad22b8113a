/** The kustomization.yaml files: deploy/base, deploy/etcd, and deploy/ (base + storage). */
import type { ProjectModel } from '../../project/model.js';

export const BASE_RESOURCES = ['namespace.yaml', 'service-account.yaml', 'rbac.yaml', 'serving-cert.yaml', 'deployment.yaml', 'service.yaml', 'apiservice.yaml'];

function kustomization(resources: readonly string[], comment: string): string {
  return `# ${comment}
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
${resources.map((r) => `  - ${r}`).join('\n')}
`;
}

export function baseKustomization(): string {
  return kustomization(BASE_RESOURCES, 'The server: namespace, service account, RBAC, serving certificate, Deployment, Service, APIServices.');
}

export function etcdKustomization(): string {
  return kustomization(['etcd.yaml'], 'A one-member etcd for the server (leave it out and patch --etcd-servers to use your own).');
}

export function topKustomization(model: ProjectModel): string {
  const withEtcd = model.deployStorage !== 'crd';
  return kustomization(withEtcd ? ['base', 'etcd'] : ['base'], withEtcd ? 'kubectl apply -k deploy/: the server and its etcd.' : 'kubectl apply -k deploy/: the server, storing its objects as custom resources.');
}
