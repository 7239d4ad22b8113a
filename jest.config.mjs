// Tests run from TypeScript sources through @swc/jest (fast, independent of the tsc version);
// `tsc -b` type-checks separately. @kapi/* imports resolve to the sources, not to dist/: a package
// to its src/index.ts, a subpath export (@kapi/apiserver/scheme, @kapi/storage/kube) to
// src/<subpath>/index.ts, as each package.json's "exports" map them to dist/<subpath>/index.js.
const swc = ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs', ignoreDynamic: true } }];
const common = {
  transform: { '^.+\\.ts$': swc },
  moduleNameMapper: {
    '^@kapi/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^@kapi/([a-z-]+)/(.*)$': '<rootDir>/packages/$1/src/$2/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  testEnvironment: 'node',
};

export default {
  projects: [
    { ...common, displayName: 'unit', rootDir: '.', testMatch: ['<rootDir>/packages/*/src/**/*.test.ts', '<rootDir>/cmd/*/src/**/*.test.ts'] },
    { ...common, displayName: 'integration', rootDir: '.', testMatch: ['<rootDir>/test/**/*.test.ts'], globalTeardown: '<rootDir>/test/global-teardown.mjs' },
  ],
};
