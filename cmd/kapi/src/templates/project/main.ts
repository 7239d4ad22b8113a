/**
 * src/main.ts of a new project: the server's entry point, on the builder as cmd/sample-apiserver's.
 * It is the one place the kinds are listed: `kapi create api` adds each kind's import and its
 * `.withKind(...)` at the +kapi:scaffold markers.
 */
import type { KindModel, ProjectModel } from '../../project/model.js';
import { namespaceOf } from '../../project/model.js';
import { markerLine } from '../../project/writer.js';
import { kindNames } from '../api/names.js';

/** What main.ts has once the project serves external metrics (`kapi create metric`). */
export const METRICS_MAIN_IMPORT = "import { externalMetrics } from './metrics/index.js';";
export const METRICS_MAIN_REGISTRATION = '.withExternalMetrics(externalMetrics)';

export const MAIN_PATH = 'src/main.ts';

/** The import line `kapi create api` adds to main.ts for a kind. */
export function kindImport(kind: KindModel): string {
  const n = kindNames(kind);
  return `import { ${n.kindVar} } from './apis/${kind.groupDir}/${n.file}.js';`;
}

/** Matches main.ts once it imports the kind, however the user rewrote the line. */
export function kindImported(kind: KindModel): RegExp {
  const n = kindNames(kind);
  return new RegExp(`import\\s*\\{[^}]*\\b${n.kindVar}\\b[^}]*\\}\\s*from\\s*'\\./apis/${kind.groupDir}/${n.file}\\.js'`);
}

/** The builder line `kapi create api` adds to main.ts for a kind. */
export function kindRegistration(kind: KindModel): string {
  return `.withKind(${kindNames(kind).kindVar})`;
}

/** Matches main.ts once it serves the kind, also when the user gave it options (admission, store). */
export function kindRegistered(kind: KindModel): RegExp {
  return new RegExp(`\\.withKind\\(\\s*${kindNames(kind).kindVar}\\b`);
}

export function serverMain(model: ProjectModel): string {
  const ns = namespaceOf(model);
  return `#!/usr/bin/env node
/**
 * The ${model.name} aggregated API server: \`node dist/main.js --help\` lists its flags.
 * With --kubeconfig it runs as an aggregated server of that cluster (front proxy, client
 * certificates and tokens authenticated, SubjectAccessReviews authorized through it); without,
 * standalone. The builder owns the rest: the Scheme, the storage backend, a watch cache and a
 * Store per kind, and closing them on shutdown.
 */
import { apiServer } from '@kapi/apiserver';
${model.kinds.map((k) => `${kindImport(k)}\n`).join('')}${model.metrics?.length ? `${METRICS_MAIN_IMPORT}\n` : ''}${markerLine('imports')}

/** The Service kube-apiserver dials for the APIServices (deploy/base/service.yaml): a made serving certificate carries it. */
const SERVICE_HOSTS = ['api.${ns}.svc', 'api.${ns}.svc.cluster.local'];

// One .withKind per kind. Give a kind what it needs here, e.g.
//   .withKind(fooKind, { admission: (api) => [myPlugin(api)] })
// (an admission plugin can read any other kind through api.store(otherKind)).
apiServer({ name: '${model.name}', serviceHosts: SERVICE_HOSTS })
${model.kinds.map((k) => `  ${kindRegistration(k)}\n`).join('')}${model.metrics?.length ? `  ${METRICS_MAIN_REGISTRATION}\n` : ''}  ${markerLine('kinds')}
  .run()
  .catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
`;
}
