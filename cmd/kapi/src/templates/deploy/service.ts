/** deploy/base/service.yaml: the Service the APIServices point kube-apiserver at. */
import type { ProjectModel } from '../../project/model.js';
import { SERVICE_NAME, labels, objectMeta } from './labels.js';

export function serviceYaml(model: ProjectModel): string {
  return `apiVersion: v1
kind: Service
${objectMeta(model, SERVICE_NAME)}
spec:
  selector:
${labels(model, '    ')}
  ports:
    - name: https
      port: 443
      targetPort: https
      protocol: TCP
`;
}
