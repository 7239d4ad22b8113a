import { createCA } from '../security/certs.js';
import { Scheme } from '../scheme/scheme.js';
import { widgetKind } from '../scheme/test-kinds.js';
import {
  apiServiceName,
  apiServiceNames,
  buildAggregationObjects,
  groupVersionsOf,
  serviceHost,
  type APIServiceManifest,
  type RoleBindingManifest,
  type ServiceManifest,
} from './index.js';

const ca = createCA('aggregation-test-ca');

function scheme(): Scheme {
  return new Scheme().addKind(widgetKind());
}

const byKind = <T>(objects: readonly { kind: string }[], kind: string): T[] => objects.filter((o) => o.kind === kind) as unknown as T[];

describe('groupVersionsOf', () => {
  it('reads the served group versions of a Scheme in preference order', () => {
    expect(groupVersionsOf(scheme())).toEqual([{ group: 'test.example.com', versions: ['v1beta1', 'v1alpha1'] }]);
  });

  it('leaves out versions that are not served, and takes kinds or a plain list too', () => {
    const kind = widgetKind();
    const unserved = { ...kind, versions: kind.versions.map((v) => (v.name === 'v1alpha1' ? { ...v, served: false } : v)) };
    expect(groupVersionsOf([unserved])).toEqual([{ group: 'test.example.com', versions: ['v1beta1'] }]);
    expect(groupVersionsOf([{ group: 'a.example.com', versions: ['v1', 'v2'] }])).toEqual([{ group: 'a.example.com', versions: ['v1', 'v2'] }]);
  });
});

describe('buildAggregationObjects', () => {
  it('makes the Namespace, RBAC, an ExternalName Service and an APIService per version, in apply order', () => {
    const objects = buildAggregationObjects({ served: scheme(), caBundlePem: ca.cert, port: 34567, externalName: 'localhost' });
    expect(objects.map((o) => `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`)).toEqual([
      'Namespace wardle',
      'ClusterRoleBinding wardle:system:auth-delegator',
      'RoleBinding kube-system/wardle:extension-apiserver-authentication-reader',
      'Service wardle/api',
      'APIService v1beta1.test.example.com',
      'APIService v1alpha1.test.example.com',
    ]);

    const [service] = byKind<ServiceManifest>(objects, 'Service');
    expect(service!.spec).toEqual({ type: 'ExternalName', externalName: 'localhost', ports: [{ name: 'https', protocol: 'TCP', port: 34567 }] });

    const apiServices = byKind<APIServiceManifest>(objects, 'APIService');
    expect(apiServices[0]).toEqual({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: 'v1beta1.test.example.com', labels: { 'app.kubernetes.io/managed-by': 'kapi' } },
      spec: {
        group: 'test.example.com',
        version: 'v1beta1',
        groupPriorityMinimum: 2000,
        versionPriority: 15,
        service: { namespace: 'wardle', name: 'api', port: 34567 },
        caBundle: Buffer.from(ca.cert).toString('base64'),
      },
    });
    expect(apiServices[1]!.spec.versionPriority).toBe(10);
    expect(Buffer.from(apiServices[1]!.spec.caBundle, 'base64').toString('utf8')).toBe(ca.cert);
    expect(apiServiceNames(objects)).toEqual(['v1beta1.test.example.com', 'v1alpha1.test.example.com']);
  });

  it('binds the server identity to system:auth-delegator and the authentication reader Role', () => {
    const objects = buildAggregationObjects({ served: scheme(), caBundlePem: ca.cert });
    const [crb, rb] = byKind<RoleBindingManifest>(objects, 'ClusterRoleBinding').concat(byKind<RoleBindingManifest>(objects, 'RoleBinding'));
    expect(crb!.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'system:auth-delegator' });
    expect(crb!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'apiserver', namespace: 'wardle' }]);
    expect(rb!.metadata.namespace).toBe('kube-system');
    expect(rb!.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'extension-apiserver-authentication-reader' });

    const asUser = buildAggregationObjects({ served: scheme(), caBundlePem: ca.cert, identity: { user: 'admin' } });
    expect(byKind<RoleBindingManifest>(asUser, 'RoleBinding')[0]!.subjects).toEqual([{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'admin' }]);
    const none = buildAggregationObjects({ served: scheme(), caBundlePem: ca.cert, identity: false });
    expect(none.some((o) => o.kind.endsWith('RoleBinding'))).toBe(false);
  });

  it('makes a ClusterIP Service on port 443 by default, with names, priorities and labels as given', () => {
    const objects = buildAggregationObjects({
      served: scheme(),
      caBundlePem: ca.cert,
      namespace: 'widgets',
      serviceName: 'widget-api',
      groupPriorityMinimum: 2000,
      versionPriority: 100,
      labels: { app: 'w' },
      identity: { serviceAccount: 'sa', namespace: 'other' },
    });
    const [service] = byKind<ServiceManifest>(objects, 'Service');
    expect(service!.metadata).toEqual({ name: 'widget-api', namespace: 'widgets', labels: { app: 'w' } });
    expect(service!.spec).toEqual({
      type: 'ClusterIP',
      selector: { 'app.kubernetes.io/name': 'widgets' },
      ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: 'https' }],
    });
    const apiServices = byKind<APIServiceManifest>(objects, 'APIService');
    expect(apiServices.map((a) => [a.spec.groupPriorityMinimum, a.spec.versionPriority, a.spec.service])).toEqual([
      [2000, 100, { namespace: 'widgets', name: 'widget-api', port: 443 }],
      [2000, 95, { namespace: 'widgets', name: 'widget-api', port: 443 }],
    ]);
    expect(byKind<RoleBindingManifest>(objects, 'ClusterRoleBinding')[0]!.metadata.name).toBe('widgets:system:auth-delegator');
    expect(byKind<RoleBindingManifest>(objects, 'RoleBinding')[0]!.subjects).toEqual([{ kind: 'ServiceAccount', name: 'sa', namespace: 'other' }]);
  });

  it('gives every version a versionPriority of at least 1', () => {
    const served = [{ group: 'g.example.com', versions: ['v5', 'v4', 'v3', 'v2', 'v1'] }];
    const priorities = byKind<APIServiceManifest>(buildAggregationObjects({ served, caBundlePem: ca.cert }), 'APIService').map((a) => a.spec.versionPriority);
    expect(priorities).toEqual([15, 10, 5, 1, 1]);
  });

  it('refuses what kube-apiserver would refuse', () => {
    const base = { served: scheme(), caBundlePem: ca.cert };
    expect(() => buildAggregationObjects({ ...base, caBundlePem: 'not a pem' })).toThrow(/PEM/);
    expect(() => buildAggregationObjects({ ...base, groupPriorityMinimum: 0 })).toThrow(/groupPriorityMinimum/);
    expect(() => buildAggregationObjects({ ...base, versionPriority: 1001 })).toThrow(/versionPriority/);
    expect(() => buildAggregationObjects({ ...base, port: 70000 })).toThrow(/port/);
    expect(() => buildAggregationObjects({ ...base, namespace: 'Bad_NS' })).toThrow(/DNS label/);
    expect(() => buildAggregationObjects({ ...base, externalName: 'not a host' })).toThrow(/DNS subdomain/);
    expect(() => buildAggregationObjects({ ...base, served: [] })).toThrow(/no group version/);
  });
});

describe('names', () => {
  it('names an APIService <version>.<group> and the Service host <service>.<namespace>.svc', () => {
    expect(apiServiceName('wardle.example.com', 'v1alpha1')).toBe('v1alpha1.wardle.example.com');
    expect(serviceHost()).toBe('api.wardle.svc');
    expect(serviceHost('x', 'y')).toBe('x.y.svc');
  });
});
