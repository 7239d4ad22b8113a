import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { createClientCert } from '@kapi/apiserver/security';
import { CrdStorage, SelectionPredicate, crdStorageClusterRole } from '@kapi/storage';
import { widget, type Widget } from '@kapi/storage/testing';
import { startCluster } from '../harness/index.js';
jest.setTimeout(120_000);
/** The CRD storage works with only the ClusterRole it documents, on a host with its watch cache on, with a hub schema. */
test('the documented ClusterRole is enough', async () => {
  const c = await startCluster();
  try {
    const ca = { cert: readFileSync(join(c.dir, 'ca.crt'), 'utf8'), key: readFileSync(join(c.dir, 'ca.key'), 'utf8') };
    const user = createClientCert(ca, { commonName: 'crd-storage' });
    const role = crdStorageClusterRole(['storage.rbac.kapi.dev']);
    const binding = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'x' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name }, subjects: [{ kind: 'User', name: 'crd-storage', apiGroup: 'rbac.authorization.k8s.io' }] };
    execFileSync('kubectl', ['--kubeconfig', c.kubeconfig, 'apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [role, binding] }) });
    const kc = join(c.dir, 'user.kubeconfig');
    writeFileSync(kc, stringify({ apiVersion: 'v1', kind: 'Config', clusters: [{ name: 'c', cluster: { server: c.server, 'certificate-authority-data': Buffer.from(c.caPem).toString('base64') } }], users: [{ name: 'u', user: { 'client-certificate-data': Buffer.from(user.cert).toString('base64'), 'client-key-data': Buffer.from(user.key).toString('base64') } }], contexts: [{ name: 'c', context: { cluster: 'c', user: 'u' } }], 'current-context': 'c' }));
    const s = await CrdStorage.create({ kubeconfig: kc, storageGroup: 'storage.rbac.kapi.dev', resources: [{ group: 'rbac.kapi.dev', resource: 'widgets', kind: 'Widget', schema: { type: 'object', properties: { spec: { type: 'object', properties: { count: { type: 'integer' } } } } } }] });
    const p = '/registry/rbac.kapi.dev/widgets/';
    const w = await s.watch(p, { recursive: true, predicate: SelectionPredicate.everything() });
    await s.create(`${p}ns/a`, widget('a', { namespace: 'ns', labels: { x: 'y' } }));
    await s.guaranteedUpdate<Widget>(`${p}ns/a`, (cur) => ({ ...cur!, spec: { count: 5 } }));
    expect((await s.list(p, { recursive: true, predicate: new SelectionPredicate({ label: 'x=y' }) })).items).toHaveLength(1);
    await s.delete(`${p}ns/a`);
    expect(await s.count(p)).toBe(0);
    const events: string[] = [];
    for await (const e of w) { events.push(e.type); if (events.length === 3) break; }
    expect(events).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(execFileSync('kubectl', ['--kubeconfig', c.kubeconfig, 'get', 'crd', 'widgets.storage.rbac.kapi.dev', '-o', 'jsonpath={.spec.versions[0].schema.openAPIV3Schema.properties.object.properties.spec.properties.count.type}']).toString()).toBe('integer');
    await s.close();
  } finally { await c.stop(); }
});
