/**
 * Label selectors in the full kubectl syntax (k8s.io/apimachinery/pkg/labels):
 * `a=b`, `a==b`, `a!=b`, `a in (b,c)`, `a notin (b)`, `a`, `!a`, `a>1`, `a<1`.
 */
import { newBadRequest, type StatusError } from './status.js';
import { isQualifiedName, isValidLabelValue } from './validation.js';

export type LabelOperator = 'in' | 'notin' | '=' | '==' | '!=' | 'exists' | '!' | 'gt' | 'lt';

export interface LabelRequirement {
  key: string;
  operator: LabelOperator;
  values: string[];
}

export type Labels = Readonly<Record<string, string>> | undefined;

export class LabelSelector {
  constructor(readonly requirements: readonly LabelRequirement[]) {}

  static everything(): LabelSelector {
    return EVERYTHING;
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  matches(labels: Labels): boolean {
    return this.requirements.every((r) => requirementMatches(r, labels ?? {}));
  }

  toString(): string {
    return this.requirements.map(requirementString).join(',');
  }
}

const EVERYTHING = new LabelSelector([]);

function requirementMatches(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.prototype.hasOwnProperty.call(labels, r.key);
  const value = labels[r.key];
  switch (r.operator) {
    case 'in':
    case '=':
    case '==':
      return has && r.values.includes(value as string);
    case 'notin':
    case '!=':
      return !has || !r.values.includes(value as string);
    case 'exists':
      return has;
    case '!':
      return !has;
    case 'gt':
    case 'lt': {
      if (!has) return false;
      const actual = Number.parseInt(value as string, 10);
      const bound = Number.parseInt(r.values[0] as string, 10);
      if (Number.isNaN(actual) || !/^-?\d+$/.test(value as string)) return false;
      return r.operator === 'gt' ? actual > bound : actual < bound;
    }
  }
}

function requirementString(r: LabelRequirement): string {
  switch (r.operator) {
    case 'exists':
      return r.key;
    case '!':
      return `!${r.key}`;
    case 'in':
    case 'notin':
      return `${r.key} ${r.operator} (${r.values.join(',')})`;
    case 'gt':
      return `${r.key}>${r.values[0]}`;
    case 'lt':
      return `${r.key}<${r.values[0]}`;
    default:
      return `${r.key}${r.operator}${r.values[0]}`;
  }
}

type Token =
  | { kind: 'identifier'; text: string }
  | { kind: 'in' | 'notin' | '!' | '!=' | '=' | '==' | '>' | '<' | '(' | ')' | ','; text: string }
  | { kind: 'end'; text: '' };

const SYMBOLS = ['!=', '==', '!', '=', '>', '<', '(', ')', ','] as const;
const SPECIAL = new Set(['!', '=', '>', '<', '(', ')', ',']);

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const ch = input[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const symbol = SYMBOLS.find((s) => input.startsWith(s, i));
    if (symbol) {
      tokens.push({ kind: symbol, text: symbol });
      i += symbol.length;
      continue;
    }
    let j = i;
    while (j < input.length && !/\s/.test(input[j] as string) && !SPECIAL.has(input[j] as string)) j++;
    const text = input.slice(i, j);
    tokens.push(text === 'in' || text === 'notin' ? { kind: text, text } : { kind: 'identifier', text });
    i = j;
  }
  tokens.push({ kind: 'end', text: '' });
  return tokens;
}

function invalid(selector: string, why: string): StatusError {
  return newBadRequest(`unable to parse requirement: ${why}; found in label selector "${selector}"`);
}

/** Parses a label selector; a malformed one is a 400 BadRequest StatusError. */
export function parseLabelSelector(selector: string): LabelSelector {
  if (selector.trim() === '') return EVERYTHING;
  const tokens = tokenize(selector);
  let pos = 0;
  const peek = (): Token => tokens[pos] as Token;
  const next = (): Token => tokens[pos++] as Token;
  const requirements: LabelRequirement[] = [];

  const readValue = (allowEmpty: boolean): string => {
    const t = peek();
    if (t.kind === 'identifier') {
      next();
      return t.text;
    }
    if (allowEmpty && (t.kind === ',' || t.kind === 'end' || t.kind === ')')) return '';
    throw invalid(selector, `found '${t.text}', expected: identifier`);
  };

  for (;;) {
    let operator: LabelOperator | undefined;
    if (peek().kind === '!') {
      next();
      operator = '!';
    }
    const keyToken = next();
    if (keyToken.kind !== 'identifier') {
      throw invalid(selector, `found '${keyToken.text}', expected: !, identifier, or 'end of string'`);
    }
    const key = keyToken.text;
    const keyErrs = isQualifiedName(key);
    if (keyErrs.length) throw invalid(selector, `key: Invalid value: "${key}": ${keyErrs.join('; ')}`);
    let values: string[] = [];
    const opToken = peek();
    if (operator === '!') {
      if (opToken.kind !== ',' && opToken.kind !== 'end') {
        throw invalid(selector, `found '${opToken.text}', expected: ',' or 'end of string'`);
      }
    } else if (opToken.kind === ',' || opToken.kind === 'end') {
      operator = 'exists';
    } else {
      next();
      switch (opToken.kind) {
        case '=':
        case '==':
        case '!=':
          operator = opToken.kind;
          values = [readValue(true)];
          break;
        case '>':
        case '<':
          operator = opToken.kind === '>' ? 'gt' : 'lt';
          values = [readValue(false)];
          if (!/^-?\d+$/.test(values[0] as string)) {
            throw invalid(selector, `for 'Gt', 'Lt' operators, the value must be an integer`);
          }
          break;
        case 'in':
        case 'notin': {
          operator = opToken.kind;
          const open = next();
          if (open.kind !== '(') throw invalid(selector, `found '${open.text}', expected: '('`);
          for (;;) {
            values.push(readValue(true));
            const sep = next();
            if (sep.kind === ')') break;
            if (sep.kind !== ',') throw invalid(selector, `found '${sep.text}', expected: ',' or ')'`);
          }
          break;
        }
        default:
          throw invalid(selector, `found '${opToken.text}', expected: in, notin, =, ==, !=, gt, lt`);
      }
      if (operator !== 'gt' && operator !== 'lt') {
        for (const v of values) {
          const errs = isValidLabelValue(v);
          if (errs.length) throw invalid(selector, `values[0][${key}]: Invalid value: "${v}": ${errs.join('; ')}`);
        }
      }
    }
    requirements.push({ key, operator: operator as LabelOperator, values });
    const sep = next();
    if (sep.kind === 'end') break;
    if (sep.kind !== ',') throw invalid(selector, `found '${sep.text}', expected: ',' or 'end of string'`);
  }
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return new LabelSelector(requirements);
}

/** metav1.LabelSelector: the structured selector of webhooks, policies and workloads. */
export interface LabelSelectorSpec {
  matchLabels?: Readonly<Record<string, string>>;
  matchExpressions?: ReadonlyArray<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: readonly string[] }>;
}

const NOTHING = new LabelSelector([{ key: '', operator: 'in', values: [] }]);

/**
 * metav1.LabelSelectorAsSelector: an empty selector ({}) selects everything, an absent one nothing;
 * an unknown operator or a value where none belongs is an Error.
 */
export function labelSelectorOf(spec: LabelSelectorSpec | undefined | null): LabelSelector {
  if (spec === undefined || spec === null) return NOTHING;
  const requirements: LabelRequirement[] = [];
  for (const [key, value] of Object.entries(spec.matchLabels ?? {})) requirements.push({ key, operator: '=', values: [value] });
  for (const expr of spec.matchExpressions ?? []) {
    const values = [...(expr.values ?? [])];
    switch (expr.operator) {
      case 'In':
      case 'NotIn':
        if (values.length === 0) throw new Error(`for 'in', 'notin' operators, values set can't be empty`);
        requirements.push({ key: expr.key, operator: expr.operator === 'In' ? 'in' : 'notin', values });
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (values.length > 0) throw new Error(`values set must be empty for exists and does not exist`);
        requirements.push({ key: expr.key, operator: expr.operator === 'Exists' ? 'exists' : '!', values });
        break;
      default:
        throw new Error(`${JSON.stringify((expr as { operator: unknown }).operator)} is not a valid label selector operator`);
    }
  }
  requirements.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return requirements.length === 0 ? EVERYTHING : new LabelSelector(requirements);
}
