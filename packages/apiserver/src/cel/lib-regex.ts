/**
 * Kubernetes' regex library (k8s.io/apiserver/pkg/cel/library/regex.go): find, findAll. Patterns
 * are checked with an RE2 parser (@bufbuild/re2: Go's syntax and Go's error texts) and matched with
 * a JavaScript RegExp translated from them; both pick the leftmost-first match as Go's regexp does.
 */
import { celList, celMethod, CelScalar, listType, type CelFunc } from '@bufbuild/cel';
import { RE2JS } from '@bufbuild/re2';
import { charge } from './cost.js';

const { STRING, INT } = CelScalar;

const cache = new Map<string, RegExp>();

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z', alpha: 'A-Za-z', ascii: '\\x00-\\x7F', blank: '\\t ', cntrl: '\\x00-\\x1F\\x7F', digit: '0-9',
  graph: '!-~', lower: 'a-z', print: ' -~', punct: '!-\\/:-@\\[-`{-~', space: '\\t\\n\\v\\f\\r ', upper: 'A-Z',
  word: '0-9A-Za-z_', xdigit: '0-9A-Fa-f',
};

/** An RE2 pattern as a JavaScript RegExp with the same matches (global, for findAll). */
export function compileRegex(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (re) return re;
  try {
    RE2JS.compile(pattern);
  } catch (err) {
    throw new Error((err as Error).message);
  }
  let flags = 'gu';
  let source = pattern;
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    for (const f of leading[1]!) if (f !== 'U' && !flags.includes(f)) flags += f;
    source = source.slice(leading[0].length);
  }
  source = translate(source);
  try {
    re = new RegExp(source, flags);
  } catch {
    re = new RegExp(source, flags.replace('u', ''));
  }
  if (cache.size > 1000) cache.clear();
  cache.set(pattern, re);
  return re;
}

function translate(p: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') {
      const n = p[i + 1] ?? '';
      i++;
      if (n === 'z') out += '(?![\\s\\S])';
      else if (n === 'A') out += '^';
      else if ((n === 'p' || n === 'P') && p[i + 1] !== '{') {
        out += `\\${n}{${p[i + 1] ?? ''}}`;
        i++;
      } else if (/[a-zA-Z0-9]/.test(n) || '^$\\.*+?()[]{}|/'.includes(n) || (inClass && n === '-')) out += `\\${n}`;
      else out += n;
      continue;
    }
    if (c === '[' && !inClass) {
      inClass = true;
      out += c;
      if (p[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (p[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '[' && inClass && p[i + 1] === ':') {
      const end = p.indexOf(':]', i + 2);
      const name = end > 0 ? p.slice(i + 2, end) : '';
      const negated = name.startsWith('^');
      const cls = POSIX_CLASSES[negated ? name.slice(1) : name];
      if (cls && !negated) {
        out += cls;
        i = end + 1;
        continue;
      }
    }
    if (c === '[' && inClass) {
      out += '\\[';
      continue;
    }
    if (c === ']' && inClass) inClass = false;
    if (c === '(' && p.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    out += c;
  }
  return out;
}

function find(this: string, pattern: string): string {
  charge(1 + Math.ceil(this.length * 0.25));
  const re = compileRegex(pattern);
  re.lastIndex = 0;
  const m = re.exec(this);
  return m ? m[0] : '';
}

function findAll(this: string, pattern: string, limit?: bigint): ReturnType<typeof celList> {
  charge(1 + Math.ceil(this.length * 0.25));
  const re = compileRegex(pattern);
  const n = limit === undefined ? -1 : Number(limit);
  const out: string[] = [];
  if (n === 0) return celList(out);
  re.lastIndex = 0;
  let prevEnd = -1;
  for (let m = re.exec(this); m !== null; m = re.exec(this)) {
    // Go's FindAll skips an empty match right after the previous match.
    if (!(m[0] === '' && m.index === prevEnd)) out.push(m[0]);
    prevEnd = m.index + m[0].length;
    if (m[0] === '') re.lastIndex++;
    if (n > 0 && out.length >= n) break;
  }
  return celList(out);
}

export const REGEX: CelFunc[] = [
  celMethod('find', STRING, [STRING], STRING, find),
  celMethod('findAll', STRING, [STRING], listType(STRING), function (pattern) {
    return findAll.call(this, pattern);
  }),
  celMethod('findAll', STRING, [STRING, INT], listType(STRING), function (pattern, limit) {
    return findAll.call(this, pattern, limit);
  }),
];
