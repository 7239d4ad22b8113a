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
| \`src/main.ts\` | the server: flags, TLS, storage, the API router |
| \`src/apis/index.ts\` | registers every kind (\`kapi create api\` adds at its \`+kapi:scaffold\` markers) |
| \`src/apis/<group>/<kind>.ts\` | a kind: versions, hub version, scope, subresources, validation strategy |
| \`src/apis/<group>/<version>/<kind>.ts\` | one version: TypeScript types, OpenAPI schema, printer columns, defaults, conversion to and from the hub |
| \`*.test.ts\` | tests beside the code (\`npm test\`) |
| \`deploy/\` | \`kapi generate deploy\`: Dockerfile and kustomize manifests |

Edit the generated files freely: kapi never overwrites a file you changed unless you pass \`--force\`,
and adds to the files you own only at their \`// +kapi:scaffold:…\` lines.

## Running

\`kapi run local\` builds the project and starts it on the embedded SQLite store (\`--storage etcd3\`
starts a local etcd, or uses \`--etcd-servers\`). The server makes its own CA, serving certificate and an
admin client certificate in \`.kapi/\`, and writes \`.kapi/admin.kubeconfig\` for kubectl. Ctrl-C stops it.
\`node dist/main.js --help\` lists the server's flags.
`;
}
