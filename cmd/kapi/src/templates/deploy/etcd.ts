/** deploy/etcd/etcd.yaml: a one-member etcd in the server's namespace (the default storage of the deployment). */
import { namespaceOf, type ProjectModel } from '../../project/model.js';
import { ETCD_SERVICE, RESTRICTED_CONTAINER } from './labels.js';

export const ETCD_IMAGE = 'registry.k8s.io/etcd:3.5.21-0';

export function etcdYaml(model: ProjectModel): string {
  const ns = namespaceOf(model);
  const lbl = (indent: string): string => `${indent}app.kubernetes.io/name: ${model.name}\n${indent}app.kubernetes.io/component: etcd`;
  return `apiVersion: v1
kind: Service
metadata:
  name: ${ETCD_SERVICE}
  namespace: ${ns}
  labels:
${lbl('    ')}
spec:
  selector:
${lbl('    ')}
  ports:
    - name: client
      port: 2379
      targetPort: client
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: ${ETCD_SERVICE}
  namespace: ${ns}
  labels:
${lbl('    ')}
spec:
  serviceName: ${ETCD_SERVICE}
  replicas: 1
  selector:
    matchLabels:
${lbl('      ')}
  template:
    metadata:
      labels:
${lbl('        ')}
    spec:
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        fsGroup: 65532
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: etcd
          image: ${ETCD_IMAGE}
          command:
            - etcd
            - --name=etcd-0
            - --data-dir=/var/lib/etcd
            - --listen-client-urls=http://0.0.0.0:2379
            - --advertise-client-urls=http://${ETCD_SERVICE}.${ns}.svc:2379
            - --listen-metrics-urls=http://0.0.0.0:2381
          ports:
            - name: client
              containerPort: 2379
          livenessProbe:
            httpGet:
              path: /health
              port: 2381
            periodSeconds: 10
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 1Gi
${RESTRICTED_CONTAINER}
          volumeMounts:
            - name: data
              mountPath: /var/lib/etcd
  volumeClaimTemplates:
    - metadata:
        name: data
      spec:
        accessModes: [ReadWriteOnce]
        resources:
          requests:
            storage: 1Gi
`;
}
