/**
 * The objects that register an aggregated API server with kube-apiserver, built from the group
 * versions a Scheme serves: its Namespace, the Service kube-apiserver dials, one APIService per
 * group-version (trusting the serving CA), and the RBAC its identity needs for delegated
 * authentication and authorization (wire notes §4, §5). Pure: nothing here talks to a cluster.
 */
import { servedGroups } from '../discovery/served-groups.js';
import type { KindDefinition } from '../scheme/kind.js';

export interface ManifestMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}

/** Any object of the registration, as sent to kube-apiserver. */
export interface RegistrationObject {
  apiVersion: string;
  kind: string;
  metadata: ManifestMeta;
}

export interface NamespaceManifest extends RegistrationObject {
  apiVersion: 'v1';
  kind: 'Namespace';
}

export interface ServicePort {
  name: string;
  protocol: 'TCP';
  port: number;
  targetPort?: number | string;
}

export interface ServiceManifest extends RegistrationObject {
  apiVersion: 'v1';
  kind: 'Service';
  spec:
    | { type: 'ExternalName'; externalName: string; ports: ServicePort[] }
    | { type: 'ClusterIP'; selector: Record<string, string>; ports: ServicePort[] };
}

export interface APIServiceManifest extends RegistrationObject {
  apiVersion: 'apiregistration.k8s.io/v1';
  kind: 'APIService';
  spec: {
    group: string;
    version: string;
    groupPriorityMinimum: number;
    versionPriority: number;
    service: { namespace: string; name: string; port: number };
    /** base64 of the PEM bundle that signed the server's serving certificate. */
    caBundle: string;
  };
}

export interface RBACSubject {
  kind: 'ServiceAccount' | 'User' | 'Group';
  name: string;
  /** ServiceAccounts only. */
  namespace?: string;
  /** 'rbac.authorization.k8s.io' for User and Group. */
  apiGroup?: string;
}

export interface RoleBindingManifest extends RegistrationObject {
  apiVersion: 'rbac.authorization.k8s.io/v1';
  kind: 'ClusterRoleBinding' | 'RoleBinding';
  roleRef: { apiGroup: 'rbac.authorization.k8s.io'; kind: 'ClusterRole' | 'Role'; name: string };
  subjects: RBACSubject[];
}

export type AggregationObject = NamespaceManifest | ServiceManifest | APIServiceManifest | RoleBindingManifest;

/** The identity the server talks to the cluster as (TokenReview, SubjectAccessReview, the auth ConfigMap). */
export type ServerIdentity = { serviceAccount: string; namespace?: string } | { user: string } | { group: string };

/** A served group and its versions, preferred first. */
export interface GroupVersions {
  group: string;
  versions: string[];
}

export interface AggregationOptions {
  /**
   * What the server serves: a Scheme (anything with `kinds`), its kinds, or the group versions
   * themselves. Versions are taken in preference order: the first gets the highest versionPriority.
   */
  served: { readonly kinds: readonly KindDefinition[] } | readonly KindDefinition[] | readonly GroupVersions[];
  /** PEM of the CA(s) that signed the serving certificate; becomes each APIService's caBundle. */
  caBundlePem: string;
  /** The port kube-apiserver dials: the Service port and each APIService's service.port. Default 443. */
  port?: number;
  /** Service name (the serving certificate needs the SAN `<serviceName>.<namespace>.svc`). Default 'api'. */
  serviceName?: string;
  /** Namespace of the Service, made here too. Default 'wardle'. */
  namespace?: string;
  /**
   * Points the Service outside the cluster: an ExternalName Service, which kube-apiserver's default
   * routing dials as `<externalName>:<port>` (e.g. 'localhost' for a server on the same machine).
   * Without it the Service is a ClusterIP Service selecting `selector`.
   */
  externalName?: string;
  /** Pod labels for a ClusterIP Service. Default `{ 'app.kubernetes.io/name': <namespace> }`. */
  selector?: Record<string, string>;
  /** Pod port for a ClusterIP Service. Default 'https'. */
  targetPort?: number | string;
  /** APIService spec.groupPriorityMinimum (1..20000). Default 2000 (see DEFAULT_GROUP_PRIORITY_MINIMUM). */
  groupPriorityMinimum?: number;
  /** versionPriority of the preferred version (1..1000); each later one gets 5 less, at least 1. Default 15. */
  versionPriority?: number;
  /**
   * Who the server is towards the cluster, bound to system:auth-delegator and to
   * kube-system's extension-apiserver-authentication-reader. Default: ServiceAccount
   * `apiserver` in `namespace`. `false`: no RBAC objects.
   */
  identity?: ServerIdentity | false;
  /** Labels on every object. Default `{ 'app.kubernetes.io/managed-by': 'kapi' }`. */
  labels?: Record<string, string>;
}

export const DEFAULT_SERVICE_NAME = 'api';
export const DEFAULT_NAMESPACE = 'wardle';
/**
 * Above the 1000 kube-apiserver gives every CRD group: with the crd storage backend a storage CRD
 * (flunders.storage.wardle.example.com) shares the plural of the served resource, and kubectl
 * resolves a bare `flunders` to the group that discovery lists first — ours must be first.
 */
export const DEFAULT_GROUP_PRIORITY_MINIMUM = 2000;
export const DEFAULT_VERSION_PRIORITY = 15;
export const DEFAULT_SERVICE_ACCOUNT = 'apiserver';
const RBAC_GROUP = 'rbac.authorization.k8s.io';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** The group versions served, preferred first, from a Scheme, its kinds or a list. */
export function groupVersionsOf(served: AggregationOptions['served']): GroupVersions[] {
  const list = 'kinds' in served ? served.kinds : served;
  if (list.length === 0) return [];
  if (isGroupVersionsList(list)) return list.map((g) => ({ group: g.group, versions: [...g.versions] }));
  return servedGroups(list).map((g) => ({ group: g.name, versions: g.versions.map((v) => v.version) }));
}

function isGroupVersionsList(list: readonly KindDefinition[] | readonly GroupVersions[]): list is readonly GroupVersions[] {
  return 'versions' in list[0]! && !('kind' in list[0]!);
}

/** `<version>.<group>`, the name kube-apiserver requires for an APIService. */
export function apiServiceName(group: string, version: string): string {
  return `${version}.${group}`;
}

/** The DNS name kube-apiserver verifies the serving certificate against: `<service>.<namespace>.svc`. */
export function serviceHost(serviceName = DEFAULT_SERVICE_NAME, namespace = DEFAULT_NAMESPACE): string {
  return `${serviceName}.${namespace}.svc`;
}

/** versionPriority for the version at `index` in preference order. */
export function versionPriorityAt(index: number, top = DEFAULT_VERSION_PRIORITY): number {
  return Math.max(1, top - index * 5);
}

function checkRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${what} must be an integer in ${min}..${max}, not ${value}`);
}

/** Every object that registers the server, in the order to apply them (Namespace first, APIServices last). */
export function buildAggregationObjects(opts: AggregationOptions): AggregationObject[] {
  const namespace = opts.namespace ?? DEFAULT_NAMESPACE;
  const serviceName = opts.serviceName ?? DEFAULT_SERVICE_NAME;
  const port = opts.port ?? 443;
  const groupPriorityMinimum = opts.groupPriorityMinimum ?? DEFAULT_GROUP_PRIORITY_MINIMUM;
  const topVersionPriority = opts.versionPriority ?? DEFAULT_VERSION_PRIORITY;
  const labels = opts.labels ?? { 'app.kubernetes.io/managed-by': 'kapi' };
  if (!DNS_LABEL.test(namespace)) throw new Error(`namespace "${namespace}" is not a DNS label`);
  if (!DNS_LABEL.test(serviceName)) throw new Error(`service name "${serviceName}" is not a DNS label`);
  if (opts.externalName !== undefined && !DNS_SUBDOMAIN.test(opts.externalName)) {
    throw new Error(`externalName "${opts.externalName}" is not a DNS subdomain`);
  }
  checkRange('port', port, 1, 65535);
  checkRange('groupPriorityMinimum', groupPriorityMinimum, 1, 20000);
  checkRange('versionPriority', topVersionPriority, 1, 1000);
  if (!/-----BEGIN CERTIFICATE-----/.test(opts.caBundlePem)) throw new Error('caBundlePem must hold a PEM certificate');
  const groups = groupVersionsOf(opts.served);
  if (groups.length === 0) throw new Error('the server serves no group version');

  const meta = (name: string, ns?: string): ManifestMeta => ({ name, ...(ns ? { namespace: ns } : {}), labels: { ...labels } });
  const objects: AggregationObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: meta(namespace) }];

  if (opts.identity !== false) {
    const subject = subjectOf(opts.identity ?? { serviceAccount: DEFAULT_SERVICE_ACCOUNT }, namespace);
    objects.push(
      {
        apiVersion: `${RBAC_GROUP}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: meta(`${namespace}:system:auth-delegator`),
        roleRef: { apiGroup: RBAC_GROUP, kind: 'ClusterRole', name: 'system:auth-delegator' },
        subjects: [subject],
      },
      {
        apiVersion: `${RBAC_GROUP}/v1`,
        kind: 'RoleBinding',
        metadata: meta(`${namespace}:extension-apiserver-authentication-reader`, 'kube-system'),
        roleRef: { apiGroup: RBAC_GROUP, kind: 'Role', name: 'extension-apiserver-authentication-reader' },
        subjects: [subject],
      },
    );
  }

  const servicePort: ServicePort = { name: 'https', protocol: 'TCP', port };
  objects.push({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(serviceName, namespace),
    spec:
      opts.externalName !== undefined
        ? { type: 'ExternalName', externalName: opts.externalName, ports: [servicePort] }
        : {
            type: 'ClusterIP',
            selector: opts.selector ?? { 'app.kubernetes.io/name': namespace },
            ports: [{ ...servicePort, targetPort: opts.targetPort ?? 'https' }],
          },
  });

  const caBundle = Buffer.from(opts.caBundlePem, 'utf8').toString('base64');
  for (const { group, versions } of groups) {
    versions.forEach((version, index) => {
      objects.push({
        apiVersion: 'apiregistration.k8s.io/v1',
        kind: 'APIService',
        metadata: meta(apiServiceName(group, version)),
        spec: {
          group,
          version,
          groupPriorityMinimum,
          versionPriority: versionPriorityAt(index, topVersionPriority),
          service: { namespace, name: serviceName, port },
          caBundle,
        },
      });
    });
  }
  return objects;
}

function subjectOf(identity: ServerIdentity, namespace: string): RBACSubject {
  if ('serviceAccount' in identity) return { kind: 'ServiceAccount', name: identity.serviceAccount, namespace: identity.namespace ?? namespace };
  if ('user' in identity) return { kind: 'User', apiGroup: RBAC_GROUP, name: identity.user };
  return { kind: 'Group', apiGroup: RBAC_GROUP, name: identity.group };
}

/** The APIService names among `objects`. */
export function apiServiceNames(objects: readonly RegistrationObject[]): string[] {
  return objects.filter((o) => o.kind === 'APIService').map((o) => o.metadata.name);
}
