/** README.md of a new project: what is where, and the commands from here to kubectl. */
import type { ProjectModel } from '../../project/model.js';

export function projectReadme(model: ProjectModel): string {
  return `# ${model.name}

A Kubernetes aggregated API server written in TypeScript with [kapi](https://github.com/kapi/kapi).
Its kinds live in API groups under \`${model.domain}\`.

## From here to \`kubectl get\`

\`\`\`sh
kapi create api --group ship --version v1 --kind Frigate --status-subresource   # a namespaced kind
kapi create api --group ship --version v1 --kind Harbor --namespaced=false      # a cluster-scoped kind
kapi create version --group ship --version v2 --kind Frigate                    # a second version, converted through the hub
npm install
npm run build && npm test
kapi run local                                  # prints the kubeconfig to use
kubectl --kubeconfig .kapi/admin.kubeconfig api-resources
\`\`\`

## Layout

| path | what |
| --- | --- |
| \`kapi.json\` | the project model kapi keeps (groups, kinds, versions, hub versions, flags); commit it |
| \`src/main.ts\` | the server: \`apiServer({ ... })\`, one \`.withKind(...)\` per kind, \`.run()\` (\`kapi create api\` adds at its \`+kapi:scaffold\` markers) |
| \`src/apis/<group>/<kind>.ts\` | a kind (\`defineKind\`): versions, hub version, scope, subresources, validation strategy |
| \`src/apis/<group>/<version>/<kind>.ts\` | one version (\`defineVersion\`): the TypeBox schema and the type derived from it, printer columns, defaults, conversion to and from the hub |
| \`*.test.ts\` | tests beside the code (\`npm test\`): the kinds through the real Scheme and Store, on in-memory SQLite |
| \`deploy/\` | \`kapi generate deploy\`: Dockerfile and kustomize manifests |

## How the server is put together

\`src/main.ts\` names each kind once, on the builder of \`@kapi/apiserver\`:

\`\`\`ts
apiServer({ name: '${model.name}', serviceHosts: SERVICE_HOSTS })
  .withKind(frigateKind)
  .withKind(harborKind, { admission: (api) => [myPlugin(api)] }) // options: admission plugins, store behaviour
  .run();
\`\`\`

The builder owns the rest: the Scheme, the storage backend the flags choose (SQLite, etcd3, CRDs), a
watch cache and a Store per kind, and closing them on shutdown. An admission plugin made there can
read any other kind through \`api.store(otherKind)\`; \`.configure((server) => ...)\` adds filters,
health checks and hooks.

A version's schema is written once, with TypeBox, and its TypeScript type is derived from it, so
the two cannot disagree:

\`\`\`ts
const schema = Type.Object({
  spec: Type.Optional(Type.Object({ message: Type.Optional(Type.String({ maxLength: 256 })) })),
});
export type FrigateV1 = ObjectOf<typeof schema>;
export const frigateV1 = defineVersion({ name: 'v1', schema, default(obj) { obj.spec ??= {}; } });
\`\`\`

\`Type.Optional\` marks a field optional, \`StringEnum(['A', 'B'])\` (from \`@kapi/apiserver\`) a string
enum; descriptions become \`kubectl explain\`'s text. \`defineKind\` derives the plural and singular
from the kind's name (\`Frigate\` → \`frigates\`, \`frigate\`) unless \`plural\` is given.

Edit the generated files freely: kapi never overwrites a file you changed unless you pass \`--force\`,
and adds to the files you own only at their \`// +kapi:scaffold:…\` lines.

## Running

\`kapi run local\` builds the project and starts it on the embedded SQLite store (\`--storage etcd3\`
starts a local etcd, or uses \`--etcd-servers\`). The server makes its own CA, serving certificate and an
admin client certificate in \`.kapi/\`, and writes \`.kapi/admin.kubeconfig\` for kubectl. Ctrl-C stops it.
\`node dist/main.js --help\` lists the server's flags.
`;
}
