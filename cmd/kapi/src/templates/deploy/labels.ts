/** Names and labels shared by the deploy manifests. */
import { namespaceOf, type ProjectModel } from '../../project/model.js';

export const SERVICE_NAME = 'api';
export const SERVICE_ACCOUNT = 'apiserver';
export const DEPLOYMENT_NAME = 'apiserver';
export const SERVING_SECRET = 'api-serving-cert';
export const SECURE_PORT = 8443;
export const ETCD_SERVICE = 'etcd';

export function labels(model: ProjectModel, indent: string): string {
  return [`app.kubernetes.io/name: ${model.name}`, 'app.kubernetes.io/component: apiserver'].map((l) => `${indent}${l}`).join('\n');
}

/** The DNS names kube-apiserver and pods use for the Service: the serving certificate carries them. */
export function serviceHosts(model: ProjectModel): string[] {
  const ns = namespaceOf(model);
  return [SERVICE_NAME, `${SERVICE_NAME}.${ns}`, `${SERVICE_NAME}.${ns}.svc`, `${SERVICE_NAME}.${ns}.svc.cluster.local`];
}

/** The metadata block of a namespaced object of the server. */
export function objectMeta(model: ProjectModel, name: string): string {
  return `metadata:
  name: ${name}
  namespace: ${namespaceOf(model)}
  labels:
${labels(model, '    ')}`;
}

/** A container's restricted-profile securityContext, at the indentation of a container's fields. */
export const RESTRICTED_CONTAINER = `          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: [ALL]`;
