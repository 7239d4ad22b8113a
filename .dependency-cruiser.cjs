/**
 * The layering kapi's packages keep, checked by dependency-cruiser (`npm run check:layering`;
 * test/run-tests.mjs runs it after tsc, as one test of its count). @kapi/* imports resolve through
 * the packages' "exports" to their dist/ (written by tsc -b), which is not followed further.
 *
 *  - no import cycles between files, tests included;
 *  - packages import only packages below them: apimachinery < storage < client < apiserver < devcluster <
 *    cmd/*, and only through a package's name (its "exports"), never by a path into its src/dist;
 *  - inside @kapi/apiserver the layers import only downward:
 *    http < kube < cel < scheme < apply < registry < security < audit < admission < discovery < endpoints < openapi < server < metrics < builder,
 *    with aggregation (APIService registration) beside them: it uses kube, scheme and discovery, and only
 *    builder may use it;
 *  - one client of the host cluster: only @kapi/storage/kube loads @kubernetes/client-node, and in
 *    @kapi/apiserver only kube/ uses it;
 *  - @kapi/storage/testing is for tests: no package's or program's code imports it;
 *  - every import resolves (an unresolved one would slip past the rules).
 */

/** @kapi/apiserver's layers, lowest first: each may import the ones before it, none after it. */
const APISERVER_LAYERS = ['http', 'kube', 'cel', 'scheme', 'apply', 'registry', 'security', 'audit', 'admission', 'discovery', 'endpoints', 'openapi', 'server', 'metrics', 'builder'];
/** Layers beside the chain: the layers each may import, and the ones that may import it. */
const APISERVER_SIDE_LAYERS = { aggregation: { uses: ['kube', 'scheme', 'discovery'], usedBy: ['builder'] } };
/** Packages, lowest first (cmd/* are all on top, and test/ above them). */
const PACKAGES = ['packages/apimachinery', 'packages/storage', 'packages/client', 'packages/apiserver', 'packages/devcluster', 'cmd/[^/]+'];

const SRC = '^packages/apiserver/src/';
const TESTS = '\\.test\\.ts$';
const all = [...APISERVER_LAYERS, ...Object.keys(APISERVER_SIDE_LAYERS)];

const layerRules = [
  ...APISERVER_LAYERS.flatMap((layer, i) => {
    const below = APISERVER_LAYERS.slice(0, i);
    const besides = Object.entries(APISERVER_SIDE_LAYERS).filter(([, side]) => side.usedBy.includes(layer)).map(([name]) => name);
    const forbidden = all.filter((other) => other !== layer && !below.includes(other) && !besides.includes(other));
    if (forbidden.length === 0) return [];
    return {
      name: `apiserver-layer-${layer}`,
      comment: `@kapi/apiserver's ${layer}/ may import only the layers below it (${[...below, ...besides].join(', ') || 'none'})`,
      severity: 'error',
      from: { path: `${SRC}${layer}/`, pathNot: TESTS },
      to: { path: `${SRC}(${forbidden.join('|')})/` },
    };
  }),
  ...Object.entries(APISERVER_SIDE_LAYERS).map(([layer, side]) => ({
    name: `apiserver-layer-${layer}`,
    comment: `@kapi/apiserver's ${layer}/ may import only ${side.uses.join(', ')}`,
    severity: 'error',
    from: { path: `${SRC}${layer}/`, pathNot: TESTS },
    to: { path: `${SRC}(${all.filter((other) => other !== layer && !side.uses.includes(other)).join('|')})/` },
  })),
  {
    name: 'apiserver-layer-index',
    comment: "@kapi/apiserver's layers do not import the package's root index (it is the surface for users)",
    severity: 'error',
    from: { path: SRC },
    to: { path: `${SRC}index\\.ts$` },
  },
];

const packageRules = PACKAGES.slice(0, -1).map((pkg, i) => ({
  name: `package-order-${pkg.replace('packages/', '')}`,
  comment: `${pkg} may import only the packages below it (${PACKAGES.slice(0, i).join(', ') || 'none'})`,
  severity: 'error',
  from: { path: `^${pkg}/` },
  to: { path: `^(${PACKAGES.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles between files (type-only imports count too)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...packageRules,
    {
      name: 'package-cmd-siblings',
      comment: 'A cmd/* program does not import another one',
      severity: 'error',
      from: { path: '^cmd/([^/]+)/' },
      to: { path: '^cmd/', pathNot: '^cmd/$1/' },
    },
    {
      name: 'package-by-name',
      comment: "Another package is imported by its name (@kapi/x, @kapi/x/subpath: its exports), never by a relative path into its files",
      severity: 'error',
      from: { path: '^(packages/[^/]+|cmd/[^/]+|test)/' },
      to: { path: '^(packages|cmd)/[^/]+/', pathNot: '^$1/', dependencyTypes: ['local'], dependencyTypesNot: ['aliased', 'aliased-workspace'] },
    },
    ...layerRules,
    {
      name: 'one-host-client',
      comment: '@kubernetes/client-node is loaded only by the host cluster client (@kapi/storage/kube)',
      severity: 'error',
      from: { path: '^(packages|cmd)/', pathNot: '^packages/storage/src/kube/' },
      to: { path: '(^|/)node_modules/@kubernetes/client-node/' },
    },
    {
      name: 'apiserver-host-through-kube',
      comment: "@kapi/apiserver's layers reach the host cluster through its kube/ layer only",
      severity: 'error',
      from: { path: SRC, pathNot: `${SRC}kube/` },
      to: { path: '^packages/storage/(src|dist)/kube/' },
    },
    {
      name: 'testing-only-in-tests',
      comment: '@kapi/storage/testing (the conformance suite and its fixtures) is for tests: no package or program imports it',
      severity: 'error',
      from: { path: '^(packages|cmd)/[^/]+/src/', pathNot: [TESTS, '^packages/storage/src/testing/'] },
      to: { path: '^packages/storage/(src|dist)/testing/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (an unresolved @kapi/* import would slip past the rules above)',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: ['node_modules', '/dist/'] },
    exclude: { path: ['^test/dist/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['types', 'import', 'require', 'node', 'default'],
      extensions: ['.ts', '.d.ts', '.js', '.mjs', '.cjs'],
      mainFields: ['types', 'main'],
    },
    skipAnalysisNotInRules: true,
  },
};
