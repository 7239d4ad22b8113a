/** The Service kube-apiserver dials for the APIService v1beta1.external.metrics.k8s.io: a made serving certificate carries it. */
export const SERVICE_HOSTS = ['api.wardle-metrics.svc', 'api.wardle-metrics.svc.cluster.local'];
