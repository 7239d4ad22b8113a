/** deploy/base/apiservice.yaml: one APIService per group/version, trusting the serving CA. */
import { groupVersions, namespaceOf, type ProjectModel } from '../../project/model.js';
import { SERVICE_NAME } from './labels.js';

/** kube-apiserver's default priority for a version, highest first in the order versions were declared. */
function versionPriority(index: number): number {
  return Math.max(1, 15 - index * 5);
}

export function apiServiceYaml(model: ProjectModel, caBundleBase64: string): string {
  const byGroup = new Map<string, string[]>();
  for (const gv of groupVersions(model)) byGroup.set(gv.group, [...(byGroup.get(gv.group) ?? []), gv.version]);
  const docs: string[] = [];
  for (const [group, versions] of byGroup) {
    versions.forEach((version, index) => {
      docs.push(`apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: ${version}.${group}
spec:
  group: ${group}
  version: ${version}
  groupPriorityMinimum: 2000
  versionPriority: ${versionPriority(index)}
  service:
    name: ${SERVICE_NAME}
    namespace: ${namespaceOf(model)}
    port: 443
  caBundle: ${caBundleBase64}
`);
    });
  }
  return docs.join('---\n');
}
