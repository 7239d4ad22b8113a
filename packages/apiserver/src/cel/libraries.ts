/**
 * The Kubernetes CEL environment's libraries, on top of CEL-ES's standard ones and its strings
 * extension (charAt, indexOf, lastIndexOf, lowerAscii, upperAscii, replace, split, substring, trim,
 * join, strings.quote, format; the index and count ones replaced by lib-strings.ts for Go's rune
 * and SplitN/Replace semantics).
 *
 * In: Kubernetes' lists (isSorted, sum, min, max, indexOf, lastIndexOf, includes) and cel-go's ext
 * lists lists.range, slice, flatten, sort, distinct, reverse; sets; regex (find, findAll); url;
 * quantity; ip; cidr; format; optionals as functions; == and != over the opaque values; cel.bind
 * (expanded by compile.ts as cel-go expands it).
 *
 * Left out: authz (authorizer.*) and authz selectors; semver; two-variable comprehensions and
 * transformList/transformMap; the math and encoders extensions; ext lists sortBy, first,
 * last; the optional syntax (a.?b, m[?k], {?k: v}: CEL-ES's parser has none); MutatingAdmissionPolicy's
 * JSONPatch and object construction; list-type set/map semantics of == and +. (README.md "CEL".)
 */
import { celFunc, CelScalar, type CelFunc, type CelValue } from '@bufbuild/cel';
import { charge } from './cost.js';
import { celEquals } from './lib-common.js';
import { FORMAT, FORMAT_NAMES } from './lib-format.js';
import { IPS } from './lib-ip.js';
import { LISTS } from './lib-lists.js';
import { OPTIONALS } from './lib-optional.js';
import { QUANTITY } from './lib-quantity.js';
import { REGEX } from './lib-regex.js';
import { SETS } from './lib-sets.js';
import { STRINGS } from './lib-strings.js';
import { URLS } from './lib-url.js';

const FUNC_MARK = Symbol.for('@bufbuild/cel/func');

/**
 * @kapi.cost(n, value): charges n and gives back value. It is not made with celFunc, whose calls
 * turn a thrown error into a CEL error value (which `||` could swallow): the CostExceeded it throws
 * unwinds the whole evaluation.
 */
export const COST_FUNCTION = {
  [FUNC_MARK]: {},
  id: '@kapi.cost(int,dyn)',
  name: '@kapi.cost',
  target: undefined,
  arguments: [CelScalar.INT, CelScalar.DYN],
  result: CelScalar.DYN,
  call(_id: number, _target: CelValue | undefined, args: CelValue[]): CelValue {
    charge(Number(args[0]));
    return args[1]!;
  },
} as unknown as CelFunc;

const { DYN, BOOL } = CelScalar;

/** == and != with kapi's opaque values (IP, CIDR, quantity, URL, optional) compared by value. */
const EQUALITY: CelFunc[] = [
  celFunc('_==_', [DYN, DYN], BOOL, (a, b) => celEquals(a, b)),
  celFunc('_!=_', [DYN, DYN], BOOL, (a, b) => !celEquals(a, b)),
];

export const KUBERNETES_LIBRARIES: CelFunc[] = [...EQUALITY, ...STRINGS, ...LISTS, ...SETS, ...REGEX, ...URLS, ...QUANTITY, ...IPS, ...FORMAT, ...OPTIONALS];

/** Functions called by a qualified name (`sets.contains(...)`), which the checker must not read as a variable's field. */
export const QUALIFIED_FUNCTIONS: ReadonlySet<string> = new Set([
  'sets.contains',
  'sets.equivalent',
  'sets.intersects',
  'strings.quote',
  'lists.range',
  'ip.isCanonical',
  'optional.of',
  'optional.none',
  'optional.ofNonZeroValue',
  ...FORMAT_NAMES,
]);
