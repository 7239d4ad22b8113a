/**
 * deploy/Dockerfile (multi-stage; production dependencies only; runs as 1000:1000) and its
 * deploy/Dockerfile.dockerignore (BuildKit reads it for `docker build -f deploy/Dockerfile .`).
 *
 * Both variants take the bases as build args (`BUILD_BASE`, `BASE`, default the official
 * node:${NODE} images), so a machine without a registry can build on local stand-ins
 * (hack/make-node-base-images.sh in a kapi checkout). There is no `# syntax=` line: it would make
 * BuildKit pull docker/dockerfile from a registry.
 */
import { entryOf, imageOf, type ProjectModel } from '../../project/model.js';
import { SECURE_PORT } from './labels.js';

const NODE_MAJOR = 24;

/** The image reference without its tag or digest (`reg:5000/x:1` → `reg:5000/x`). */
function repositoryOf(image: string): string {
  const name = image.split('@')[0] ?? image;
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? name.slice(0, colon) : name;
}

const BASES = `ARG NODE=${NODE_MAJOR}
# BUILD_BASE: node, npm, the node headers, and python3/make/g++ for node-gyp (better-sqlite3 is built
# from source when its prebuilt binary cannot be downloaded). BASE: node; only COPY runs on it (no
# shell needed), and it must have the user 1000.
ARG BUILD_BASE=node:\${NODE}-bookworm
ARG BASE=node:\${NODE}-bookworm-slim
`;

const NPM_ENV = 'ENV CI=true npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false';

/**
 * npm ci with install scripts against the headers of the image's own node (nothing fetched from
 * nodejs.org), then better-sqlite3 stripped to its addon and loaded once, so a bad build fails here.
 */
function prodInstall(npmArgs: string): string {
  return `RUN npm_config_nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")" \\
    npm ci ${npmArgs} \\
 && cd node_modules/better-sqlite3 \\
 && find build -mindepth 1 -maxdepth 1 ! -name Release -exec rm -rf {} + \\
 && find build/Release -mindepth 1 ! -name better_sqlite3.node -exec rm -rf {} + \\
 && rm -rf deps src \\
 && node -e "new (require('better-sqlite3'))(':memory:').prepare('select 1').get()"`;
}

function finalStage(from: string, entry: string): string {
  return `FROM \${BASE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=${from} /out /app
# Numeric, so a kubelet can check runAsNonRoot without a runAsUser. /app/.kapi (the default
# --cert-dir and --data-dir parent) is the user's; the rest of /app is root's, read-only to it.
USER 1000:1000
EXPOSE ${SECURE_PORT}
ENTRYPOINT ["node", "${entry}"]
`;
}

/** A standalone project (`kapi init`): its own package.json and lock at the build context's root. */
function projectDockerfile(model: ProjectModel): string {
  const image = imageOf(model);
  return `# Build from the project root (BuildKit: it reads deploy/Dockerfile.dockerignore):
#   docker build -f deploy/Dockerfile -t ${image} .
# Other bases (the two must run the same node major: the native module built in the first is
# copied into the second), e.g. the registry-free ones a kapi checkout's hack/make-node-base-images.sh
# makes: --build-arg BUILD_BASE=kapi-local/node-build:<v> --build-arg BASE=kapi-local/node-base:<v>
# No "# syntax=" line on purpose: it would make BuildKit pull docker/dockerfile from a registry.
${BASES}
# Compile the TypeScript with every dependency; no install scripts (tsc needs no native module).
# The manifests are copied first, so the npm ci layers stay cached until one of them changes.
FROM \${BUILD_BASE} AS build
WORKDIR /app
${NPM_ENV}
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src src
RUN npx tsc -b

# /out: the production dependencies only, with install scripts: better-sqlite3 is built here for
# this image's node (node-gyp uses the headers of the image's own node, so nothing is downloaded
# from nodejs.org); then the compiled dist.
FROM \${BUILD_BASE} AS prod
WORKDIR /out
${NPM_ENV}
COPY package.json package-lock.json ./
${prodInstall('--omit=dev')} \\
 && mkdir /out/.kapi && chown 1000:1000 /out/.kapi
COPY --from=build /app/dist dist

${finalStage('prod', entryOf(model))}`;
}

/**
 * A workspace of kapi's own monorepo (the sample server): the build context is the monorepo root,
 * whose packages/ and cmd/ hold the workspaces, and only this one's production closure is shipped.
 */
function workspaceDockerfile(model: ProjectModel, workspace: string): string {
  const image = imageOf(model);
  return `# Build from the repository root (BuildKit: it reads deploy/Dockerfile.dockerignore):
#   docker build -f deploy/Dockerfile -t ${image} .
# Other bases (the two must run the same node major: the native module built in the first is
# copied into the second), e.g. the registry-free ones hack/make-node-base-images.sh makes:
#   docker build -f deploy/Dockerfile --build-arg BUILD_BASE=kapi-local/node-build:v20.20.2 \\
#     --build-arg BASE=kapi-local/node-base:v20.20.2 -t ${repositoryOf(image)}:test .
# No "# syntax=" line on purpose: it would make BuildKit pull docker/dockerfile from a registry.
${BASES}
# Only package.json files and package-lock.json: the npm ci layers below stay cached until one of
# them changes (this stage re-runs on any change, cheaply; its output is then the same).
FROM \${BUILD_BASE} AS manifests
WORKDIR /src
COPY . .
RUN find . -type f ! -name package.json ! -name package-lock.json -delete \\
 && find . -depth -type d -empty -delete

# Everything (dev dependencies too) to compile the TypeScript; no install scripts (tsc needs no
# native module).
FROM \${BUILD_BASE} AS build
WORKDIR /app
${NPM_ENV}
COPY --from=manifests /src ./
RUN npm ci --ignore-scripts
# The sources tsc reads (not COPY . .: an edit under test/ should not re-run tsc).
COPY tsconfig.base.json ./
COPY packages packages
COPY cmd cmd
RUN npx tsc -b ${workspace}

# The sample server's production dependencies only (-w: its closure, not every workspace's), with
# install scripts: better-sqlite3 is built here for this image's node (node-gyp uses the node
# headers of the image's own node, so nothing is downloaded from nodejs.org).
FROM \${BUILD_BASE} AS prod-deps
WORKDIR /app
${NPM_ENV}
COPY --from=manifests /src ./
${prodInstall(`--omit=dev --workspace=${workspace}`)}

# /out: the root package.json, the production node_modules, and for each workspace it links
# (node_modules/@kapi/*) that workspace's package.json and dist.
FROM \${BUILD_BASE} AS assemble
COPY --from=prod-deps /app /prod
COPY --from=build /app /app
RUN mkdir -p /out/.kapi \\
 && cp -a /prod/package.json /prod/node_modules /out/ \\
 && for link in /prod/node_modules/@kapi/*; do \\
      ws="$(readlink -f "\${link}")"; ws="\${ws#/prod/}"; \\
      mkdir -p "/out/\${ws}" && cp -a "/app/\${ws}/package.json" "/app/\${ws}/dist" "/out/\${ws}/"; \\
    done \\
 && find /out -name '*.tsbuildinfo' -delete \\
 && chown 1000:1000 /out/.kapi

${finalStage('assemble', `${workspace}/${entryOf(model)}`)}`;
}

export function dockerfile(model: ProjectModel): string {
  return model.workspace ? workspaceDockerfile(model, model.workspace) : projectDockerfile(model);
}

export function dockerignore(): string {
  return ['**/node_modules', '**/dist', '**/*.tsbuildinfo', '**/.kapi', '.git', 'deploy', 'coverage', ''].join('\n');
}
