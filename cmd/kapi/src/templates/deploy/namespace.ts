/** deploy/base/namespace.yaml */
import { namespaceOf, type ProjectModel } from '../../project/model.js';

export function namespaceYaml(model: ProjectModel): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: ${namespaceOf(model)}
`;
}
