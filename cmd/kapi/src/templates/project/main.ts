/** src/main.ts of a new project: the server's entry point, shaped as cmd/sample-apiserver's. */
import { namespaceOf, type ProjectModel } from '../../project/model.js';

export function serverMain(model: ProjectModel): string {
  const ns = namespaceOf(model);
  return `#!/usr/bin/env node
/** The ${model.name} aggregated API server: \`node dist/main.js --help\` lists its flags. */
import { Scheme, installStores, runAPIServer } from '@kapi/apiserver';
import { addToScheme } from './apis/index.js';

/** The Service kube-apiserver dials for the APIServices (deploy/base/service.yaml): a made serving certificate carries it. */
const SERVICE_HOSTS = ['api.${ns}.svc', 'api.${ns}.svc.cluster.local'];

// --kubeconfig: an aggregated server of that cluster (front proxy, client certificates and tokens
// authenticated, SubjectAccessReviews authorized through it). Without: standalone.
const scheme = addToScheme(new Scheme());
runAPIServer(process.argv.slice(2), {
  name: '${model.name}',
  kinds: scheme.kinds,
  serviceHosts: SERVICE_HOSTS,
  async install(backend) {
    const stores = await installStores(scheme, backend);
    return { scheme, storages: stores.storages, close: stores.close };
  },
}).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
`;
}
