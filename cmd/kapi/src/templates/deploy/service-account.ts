/** deploy/base/service-account.yaml */
import type { ProjectModel } from '../../project/model.js';
import { SERVICE_ACCOUNT, objectMeta } from './labels.js';

export function serviceAccountYaml(model: ProjectModel): string {
  return `apiVersion: v1
kind: ServiceAccount
${objectMeta(model, SERVICE_ACCOUNT)}
`;
}
