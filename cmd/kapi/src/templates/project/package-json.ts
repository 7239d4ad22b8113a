/** package.json of a new project: the @kapi packages, TypeBox for the schemas, TypeScript, jest with @swc/jest. */
import type { ProjectModel } from '../../project/model.js';

/** The @kapi packages a server needs, and where they live in the kapi monorepo. */
export const KAPI_PACKAGES = [
  { name: '@kapi/apimachinery', dir: 'packages/apimachinery' },
  { name: '@kapi/storage', dir: 'packages/storage' },
  { name: '@kapi/client', dir: 'packages/client' },
  { name: '@kapi/apiserver', dir: 'packages/apiserver' },
] as const;

export const KAPI_VERSION = '^0.1.0';

/** The range @kapi/apiserver depends on: a project's schemas are TypeBox values it reads (package-json.test.ts keeps them equal). */
export const TYPEBOX_RANGE = '^0.34.52';

export interface PackageJsonOptions {
  /** Absolute path of a kapi checkout: the dependencies become file: links to its (built) packages. */
  kapiSource?: string;
}

export function packageJson(model: ProjectModel, opts: PackageJsonOptions = {}): string {
  const dependencies = {
    ...Object.fromEntries(KAPI_PACKAGES.map((p) => [p.name, opts.kapiSource ? `file:${opts.kapiSource.replace(/\/+$/, '')}/${p.dir}` : KAPI_VERSION])),
    '@sinclair/typebox': TYPEBOX_RANGE,
  };
  const pkg = {
    name: model.name,
    version: '0.1.0',
    private: true,
    description: `${model.name}: a Kubernetes aggregated API server built with kapi`,
    main: 'dist/main.js',
    scripts: {
      build: 'tsc -b',
      // @kapi/client reaches @kubernetes/client-node (ESM only) through a real import(), which jest runs only with vm modules.
      test: 'NODE_OPTIONS=--experimental-vm-modules jest',
      start: 'tsc -b && node dist/main.js',
    },
    engines: { node: '>=20.19' },
    dependencies,
    devDependencies: {
      '@swc/core': '^1.16.22',
      '@swc/jest': '^0.2.39',
      '@types/jest': '^30.0.0',
      '@types/node': '^20.19.43',
      jest: '^30.5.2',
      typescript: '5.9',
    },
    allowScripts: { 'better-sqlite3': true, '@swc/core': true, '@parcel/watcher': false },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}
