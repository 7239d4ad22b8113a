/** The generated Dockerfiles (the sample server's own is checked byte for byte in generate-deploy.test.ts). */
import { newModel, type ProjectModel } from '../../project/model.js';
import { dockerfile } from './dockerfile.js';

function stages(text: string): string[] {
  return [...text.matchAll(/^FROM (\S+)(?: AS (\S+))?$/gm)].map((m) => m[2] ?? m[1] ?? '');
}

describe('deploy/Dockerfile', () => {
  const project = newModel('fleet', 'example.com');
  const workspace: ProjectModel = { ...newModel('wardle', 'example.com'), image: 'reg.example.com:5000/kapi/sample:1.2', workspace: 'cmd/sample-apiserver' };

  it.each([
    ['a project', project],
    ['a workspace', workspace],
  ])('for %s: node 24 by default with replaceable bases, no syntax line, production dependencies only, numeric non-root user', (_, model) => {
    const text = dockerfile(model);
    expect(text).not.toMatch(/^# syntax=/m);
    expect(text).toMatch(/^ARG NODE=24$/m);
    expect(text).toContain('ARG BUILD_BASE=node:${NODE}-bookworm\n');
    expect(text).toContain('ARG BASE=node:${NODE}-bookworm-slim\n');
    expect(stages(text).at(-1)).toBe('${BASE}');
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).toMatch(/npm_config_nodedir=/);
    expect(text).toMatch(/^USER 1000:1000$/m);
    expect(text).toMatch(/^EXPOSE 8443$/m);
  });

  it('builds a project from its own manifests, tsconfig.json and src/', () => {
    const text = dockerfile(project);
    expect(stages(text)).toEqual(['build', 'prod', '${BASE}']);
    expect(text).toContain('COPY package.json package-lock.json ./\nRUN npm ci --ignore-scripts\nCOPY tsconfig.json ./\nCOPY src src\nRUN npx tsc -b\n');
    expect(text).toContain('-t fleet:latest .');
    expect(text).toMatch(/ENTRYPOINT \["node", "dist\/main\.js"\]\n$/);
  });

  it('builds a workspace from the repository root, shipping only its production closure', () => {
    const text = dockerfile(workspace);
    expect(stages(text)).toEqual(['manifests', 'build', 'prod-deps', 'assemble', '${BASE}']);
    expect(text).toContain('RUN npx tsc -b cmd/sample-apiserver\n');
    expect(text).toContain('npm ci --omit=dev --workspace=cmd/sample-apiserver');
    expect(text).toContain('-t reg.example.com:5000/kapi/sample:1.2 .');
    expect(text).toContain('-t reg.example.com:5000/kapi/sample:test .');
    expect(text).toMatch(/ENTRYPOINT \["node", "cmd\/sample-apiserver\/dist\/main\.js"\]\n$/);
  });
});
