/** The names the sample server's serving certificate carries besides its bind address. */

/** The Service name kube-apiserver dials for the APIService (deploy/base/service.yaml): the serving certificate carries it. */
export const SERVICE_HOSTS = ['api.wardle.svc', 'api.wardle.svc.cluster.local'];
