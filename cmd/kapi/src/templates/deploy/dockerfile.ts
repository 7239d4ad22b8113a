/**
 * deploy/Dockerfile (multi-stage, runs as the non-root `node` user) and its
 * deploy/Dockerfile.dockerignore (BuildKit reads it for `docker build -f deploy/Dockerfile .`).
 */
import { entryOf, type ProjectModel } from '../../project/model.js';
import { SECURE_PORT } from './labels.js';

const BUILD_IMAGE = 'node:20-bookworm';
const RUN_IMAGE = 'node:20-bookworm-slim';

/** A standalone project: its own package.json and lock at the build context's root. */
function projectDockerfile(model: ProjectModel): string {
  return `# syntax=docker/dockerfile:1
# Build from the project root: docker build -f deploy/Dockerfile -t ${model.image ?? `${model.name}:latest`} .
FROM ${BUILD_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json* ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npx tsc -b && npm prune --omit=dev --no-audit --no-fund

FROM ${RUN_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
EXPOSE ${SECURE_PORT}
ENTRYPOINT ["node", "${entryOf(model)}"]
`;
}

/** A workspace of a monorepo (the sample server): the build context is the monorepo root. */
function workspaceDockerfile(model: ProjectModel, workspace: string): string {
  return `# syntax=docker/dockerfile:1
# Build from the repository root: docker build -f deploy/Dockerfile -t ${model.image ?? `${model.name}:latest`} .
FROM ${BUILD_IMAGE} AS build
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund
RUN npx tsc -b ${workspace} && npm prune --omit=dev --no-audit --no-fund

FROM ${RUN_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app /app
USER node
EXPOSE ${SECURE_PORT}
ENTRYPOINT ["node", "${workspace}/${entryOf(model)}"]
`;
}

export function dockerfile(model: ProjectModel): string {
  return model.workspace ? workspaceDockerfile(model, model.workspace) : projectDockerfile(model);
}

export function dockerignore(): string {
  return ['**/node_modules', '**/dist', '**/*.tsbuildinfo', '**/.kapi', '.git', 'deploy', 'coverage', ''].join('\n');
}
