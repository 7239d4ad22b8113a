/** jest.config.js of a new project: tests beside the code, run from TypeScript through @swc/jest. */
export function jestConfig(): string {
  return `// Tests (src/**/*.test.ts) run from TypeScript through @swc/jest; \`npm run build\` type-checks them.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src'],
  transform: {
    '^.+\\\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  // Sources import './x.js' (NodeNext); jest loads './x.ts'.
  moduleNameMapper: { '^(\\\\.{1,2}/.*)\\\\.js$': '$1' },
};
`;
}
