/** How Kubernetes names OpenAPI definitions and operations. */

export const META_V1 = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const RUNTIME = 'io.k8s.apimachinery.pkg.runtime';
export const AUTOSCALING_V1 = 'io.k8s.api.autoscaling.v1';

/** "wardle.example.com" → "com.example.wardle", as apiextensions names CRD schemas. */
export function reverseDomain(group: string): string {
  return group.split('.').reverse().join('.');
}

/** com.example.wardle.v1alpha1.Flunder */
export function kindSchemaName(group: string, version: string, kind: string): string {
  return `${reverseDomain(group)}.${version}.${kind}`;
}

export function metaSchemaName(kind: string): string {
  return `${META_V1}.${kind}`;
}

/** A $ref to a schema in an OpenAPI v3 document. */
export function schemaRef(name: string): { $ref: string } {
  return { $ref: `#/components/schemas/${name}` };
}

function upperFirst(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The group as Go's operation ids name it (GetOperationIDAndTagsFromRoute drops a ".k8s.io" suffix). */
function groupCamel(group: string): string {
  return group.replace(/\.k8s\.io$/, '').split(/[.-]/).map(upperFirst).join('');
}

/** "wardle.example.com", "v1alpha1" → "WardleExampleComV1alpha1", the operation-id infix ("external.metrics.k8s.io" → "ExternalMetrics…"). */
export function groupVersionCamel(group: string, version: string): string {
  return groupCamel(group) + upperFirst(version);
}

/** "wardle.example.com", "v1alpha1" → "wardleExampleCom_v1alpha1", the operation tag. */
export function groupVersionTag(group: string, version: string): string {
  const camel = groupCamel(group);
  return `${camel.charAt(0).toLowerCase()}${camel.slice(1)}_${version}`;
}
