/** deploy/base/deployment.yaml: two replicas, non-root, probes on /livez and /readyz, resources. */
import { namespaceOf, type ProjectModel } from '../../project/model.js';
import { DEPLOYMENT_NAME, ETCD_SERVICE, RESTRICTED_CONTAINER, SECURE_PORT, SERVICE_ACCOUNT, SERVING_SECRET, labels, objectMeta } from './labels.js';

const CERT_DIR = '/var/run/kapi/serving-cert';

function storageArgs(model: ProjectModel): string[] {
  if (model.deployStorage === 'crd') return ['--storage-backend=crd'];
  return ['--storage-backend=etcd3', `--etcd-servers=http://${ETCD_SERVICE}.${namespaceOf(model)}.svc:2379`];
}

export function deploymentYaml(model: ProjectModel): string {
  const args = [
    `--secure-port=${SECURE_PORT}`,
    '--bind-address=0.0.0.0',
    `--tls-cert-file=${CERT_DIR}/tls.crt`,
    `--tls-private-key-file=${CERT_DIR}/tls.key`,
    ...storageArgs(model),
    '--data-dir=/var/lib/kapi/data',
    '--cert-dir=/var/lib/kapi',
    // Serve on, not ready, while the endpoints controller and the aggregator let go of a stopping Pod.
    '--shutdown-delay-duration=10s',
  ];
  const probe = (path: string, period: number): string => `            httpGet:
              path: ${path}
              port: https
              scheme: HTTPS
            periodSeconds: ${period}
            timeoutSeconds: 5
            failureThreshold: 3`;
  return `apiVersion: apps/v1
kind: Deployment
${objectMeta(model, DEPLOYMENT_NAME)}
spec:
  replicas: 2
  selector:
    matchLabels:
${labels(model, '      ')}
  template:
    metadata:
      labels:
${labels(model, '        ')}
    spec:
      serviceAccountName: ${SERVICE_ACCOUNT}
      securityContext:
        runAsNonRoot: true
        runAsUser: 1000
        runAsGroup: 1000
        fsGroup: 1000
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: apiserver
          image: ${model.image ?? `${model.name}:latest`}
          imagePullPolicy: IfNotPresent
          args:
${args.map((a) => `            - ${a}`).join('\n')}
          ports:
            - name: https
              containerPort: ${SECURE_PORT}
              protocol: TCP
          startupProbe:
${probe('/livez', 2).replace('failureThreshold: 3', 'failureThreshold: 30')}
          livenessProbe:
${probe('/livez', 10)}
          readinessProbe:
${probe('/readyz', 5)}
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
            limits:
              memory: 512Mi
${RESTRICTED_CONTAINER}
          volumeMounts:
            - name: serving-cert
              mountPath: ${CERT_DIR}
              readOnly: true
            - name: state
              mountPath: /var/lib/kapi
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: serving-cert
          secret:
            secretName: ${SERVING_SECRET}
        - name: state
          emptyDir: {}
        - name: tmp
          emptyDir: {}
`;
}
