#!/usr/bin/env python3
"""Converts structured-merge-diff's merge/*_test.go tables into a TypeScript data module.

Usage: python3 convert-smd-merge-tests.py $GOMODCACHE/sigs.k8s.io/structured-merge-diff/v6@v6.4.2/merge merge-cases.ts
"""
import json
import re
import sys
import os

SRC = sys.argv[1]
OUT = sys.argv[2]

OP_TYPES = {'Apply', 'ForceApply', 'Update', 'ExtractApply', 'ChangeParser', 'ApplyObject', 'UpdateObject', 'ForceApplyObject', 'ExtractApplyObject'}
PARSER_NAMES = set()
STRIP_PKGS = ('fieldpath.', 'merge.', 'typed.', 'value.', 'fixture.')


def tokenize(s):
    toks = []
    i = 0
    n = len(s)
    while i < n:
        c = s[i]
        if c in ' \t\r\n':
            i += 1
            continue
        if s.startswith('//', i):
            j = s.find('\n', i)
            j = n if j < 0 else j
            toks.append(('comment', s[i:j]))
            i = j
            continue
        if s.startswith('/*', i):
            j = s.find('*/', i) + 2
            toks.append(('comment', s[i:j]))
            i = j
            continue
        if c == '`':
            j = s.find('`', i + 1)
            toks.append(('raw', s[i + 1:j]))
            i = j + 1
            continue
        if c == '"':
            j = i + 1
            while s[j] != '"':
                if s[j] == '\\':
                    j += 1
                j += 1
            toks.append(('str', s[i:j + 1]))
            i = j + 1
            continue
        m = re.match(r'[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*', s[i:])
        if m:
            toks.append(('ident', m.group(0)))
            i += len(m.group(0))
            continue
        m = re.match(r'-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?', s[i:])
        if m:
            toks.append(('num', m.group(0)))
            i += len(m.group(0))
            continue
        if s.startswith(':=', i):
            toks.append(('punct', ':='))
            i += 2
            continue
        toks.append(('punct', c))
        i += 1
    return toks


def strip(name):
    for p in STRIP_PKGS:
        if name.startswith(p):
            return name[len(p):]
    return name


def find_matching(toks, start):
    """toks[start] is '{' : index of its matching '}'."""
    depth = 0
    for k in range(start, len(toks)):
        t = toks[k]
        if t[0] == 'punct' and t[1] in '{([':
            depth += 1
        elif t[0] == 'punct' and t[1] in '})]':
            depth -= 1
            if depth == 0:
                return k
    raise ValueError('unbalanced')


class Unsupported(Exception):
    pass


def convert(toks, i, end, params=()):
    """Converts toks[i:end] (an expression list) to JS."""
    out = []
    stack = []
    k = i
    while k < end:
        kind, v = toks[k]
        if kind == 'comment':
            out.append(v + '\n')
            k += 1
            continue
        if kind == 'raw':
            out.append(json.dumps(v))
            k += 1
            continue
        if kind == 'str':
            out.append(v)
            k += 1
            continue
        if kind == 'num':
            out.append(v)
            k += 1
            continue
        # type expressions before a composite literal
        if (kind == 'punct' and v == '[') or (kind == 'ident' and v == 'map') or (kind == 'punct' and v == '&'):
            if kind == 'punct' and v == '&':
                k += 1
                continue
            j = k
            typ = ''
            while not (toks[j][0] == 'punct' and toks[j][1] == '{'):
                typ += toks[j][1]
                j += 1
            k = j
            if typ.startswith('[]'):
                out.append('[')
                stack.append(']')
            else:
                out.append('{')
                stack.append('}')
            k += 1
            continue
        if kind == 'ident':
            nxt = toks[k + 1] if k + 1 < end else ('', '')
            name = strip(v)
            if nxt == ('punct', '{'):
                if name in ('Conflicts',):
                    out.append('[')
                    stack.append(']')
                elif name in OP_TYPES:
                    out.append("{ op: '%s', " % name)
                    stack.append('}')
                elif name in ('TestCase', 'Conflict', 'ManagedFields'):
                    out.append('{')
                    stack.append('}')
                else:
                    out.append("{ $type: '%s', " % name)
                    stack.append('}')
                k += 2
                continue
            if name == 'fmt.Sprintf':
                name = 'Sprintf'
            if name == 'nil':
                out.append('undefined')
            elif name in PARSER_NAMES:
                out.append(json.dumps(name))
            elif name in ('true', 'false'):
                out.append(name)
            else:
                if '.' in name and name.split('.')[0] not in params:
                    raise Unsupported(name)
                out.append(name)
            k += 1
            continue
        if kind == 'punct':
            if v == '{':
                out.append('{')
                stack.append('}')
            elif v == '}':
                out.append(stack.pop())
            elif v in '(),:':
                out.append(v + (' ' if v in ',:' else ''))
            elif v in ')]':
                out.append(v)
            elif v == '+':
                out.append(' + ')
            else:
                raise Unsupported('punct ' + v)
            k += 1
            continue
        raise Unsupported(kind + ' ' + v)
    if stack:
        raise Unsupported('unbalanced stack')
    return ''.join(out)


def parsers_of(text, toks):
    parsers = {}
    for m in re.finditer(r'var (\w+) = func\(\) (\*typed\.Parser|Parser|fixture\.Parser) \{(.*?)\n\s*\}\(\)', text, re.S):
        name, body = m.group(1), m.group(3)
        y = re.search(r'typed\.NewParser\(`(.*?)`\)', body, re.S)
        if not y:
            continue
        t = re.search(r'parser\.Type\("([^"]+)"\)', body)
        parsers[name] = {'yaml': y.group(1), 'type': t.group(1) if t else None}
    return parsers


def main():
    suites = []
    parsers = {}
    skipped = []
    for fname in sorted(os.listdir(SRC)):
        if not fname.endswith('_test.go') or fname in ('conflict_test.go', 'real_test.go'):
            continue
        text = open(os.path.join(SRC, fname)).read()
        toks = tokenize(text)
        parsers.update(parsers_of(text, toks))
        PARSER_NAMES.update(parsers.keys())
        # each func Test…/test…(
        for idx, t in enumerate(toks):
            if t != ('ident', 'func') or toks[idx + 1][0] != 'ident':
                continue
            fn = toks[idx + 1][1]
            if not (fn.startswith('Test') or fn.startswith('test')):
                continue
            # params
            p_end = idx + 2
            while toks[p_end] != ('punct', ')'):
                p_end += 1
            params = [tt[1] for tt in toks[idx + 3:p_end] if tt[0] == 'ident' and tt[1] in ('v1', 'v2', 'v3')]
            body_start = p_end + 1
            while toks[body_start] != ('punct', '{'):
                body_start += 1
            body_end = find_matching(toks, body_start)
            # tests := map[string]TestCase{...}
            k = body_start
            lit = None
            while k < body_end:
                if toks[k] == ('ident', 'tests') and toks[k + 1] == ('punct', ':='):
                    j = k + 2
                    while toks[j] != ('punct', '{'):
                        j += 1
                    lit = (j, find_matching(toks, j))
                    break
                k += 1
            if not lit:
                continue
            seg = ' '.join(tt[1] for tt in toks[lit[1]:body_end])
            m = re.search(r'test \. TestWithConverter \( (\w+) , (\w+) (\{ (\w+) \})?', seg.replace('(', ' ( ').replace(')', ' ) ').replace(',', ' , ').replace('{', ' { ').replace('}', ' } ').replace('.', ' . '))
            conv = None
            parser = None
            if m:
                parser = m.group(1)
                conv = m.group(2)
            else:
                m = re.search(r'TestWithConverter\s*\(\s*(\w+)\s*,\s*(\w+)', ' '.join(tt[1] for tt in toks[lit[1]:body_end]))
                m2 = re.search(r'test\s*\.\s*Test\s*\(\s*(\w+)', ' '.join(tt[1] for tt in toks[lit[1]:body_end]).replace(' . ', '.'))
                if m:
                    parser, conv = m.group(1), m.group(2)
                elif m2:
                    parser = m2.group(1)
            raw_tail = text[text.find('func ' + fn):]
            mconv = re.search(r'TestWithConverter\((\w+), (\w+)', raw_tail[:raw_tail.find('\n}\n')])
            mtest = re.search(r'test\.Test\((\w+)\)', raw_tail[:raw_tail.find('\n}\n')])
            if mconv:
                parser, conv = mconv.group(1), mconv.group(2)
                mc = re.search(r'converter := (\w+)\{(\w*)\}', raw_tail[:raw_tail.find('\n}\n')])
                if conv == 'converter' and mc:
                    conv = mc.group(1)
                mc2 = re.search(r'TestWithConverter\(\w+, (\w+)\{', raw_tail[:raw_tail.find('\n}\n')])
                if mc2:
                    conv = mc2.group(1)
            elif mtest:
                parser, conv = mtest.group(1), None
            expect_error = bool(re.search(r'if test\.Test\(\w+\) == nil', raw_tail[:raw_tail.find('\n}\n')]))
            # each case
            lt = lit
            k = lt[0] + 1
            cases = []
            while k < lt[1]:
                if toks[k][0] == 'comment':
                    k += 1
                    continue
                if toks[k][0] != 'str':
                    raise Exception('expected case name in %s at %s' % (fn, toks[k]))
                cname = json.loads(toks[k][1])
                assert toks[k + 1] == ('punct', ':')
                cstart = k + 2
                cend = find_matching(toks, cstart)
                try:
                    js = convert(toks, cstart, cend + 1, params)
                    cases.append((cname, js))
                except Unsupported as e:
                    skipped.append('%s/%s: %s' % (fn, cname, e))
                k = cend + 1
                if toks[k] == ('punct', ','):
                    k += 1
            suites.append({'file': fname, 'name': fn, 'parser': parser, 'converter': conv, 'params': params, 'expectError': expect_error, 'cases': cases})

    lines = []
    lines.append('/**')
    lines.append(' * GENERATED from sigs.k8s.io/structured-merge-diff/v6@v6.4.2 merge/*_test.go (the table tests) by a')
    lines.append(' * converter of their Go literals; do not edit by hand. The schemas are the tests\' own YAML.')
    lines.append(' */')
    lines.append("import { _KBF, _NS, _P, _V, APIVersion, float64, MakePathOrDie, NewExcludeSetFilter, NewSet, NewVersionedSet, Sprintf, YAMLObject, type GoParser, type GoSuite } from './merge-fixture.js';")
    lines.append('')
    lines.append('/* eslint-disable */')
    lines.append('export const PARSERS: Record<string, GoParser> = {')
    for name, p in sorted(parsers.items()):
        lines.append('  %s: { yaml: %s, type: %s },' % (name, json.dumps(p['yaml']), json.dumps(p['type'])))
    lines.append('};')
    lines.append('')
    lines.append('export const SUITES: GoSuite[] = [')
    for s in suites:
        lines.append('  {')
        lines.append('    file: %s,' % json.dumps(s['file']))
        lines.append('    name: %s,' % json.dumps(s['name']))
        lines.append('    parser: %s,' % json.dumps(s['parser']))
        lines.append('    converter: %s,' % json.dumps(s['converter']))
        lines.append('    expectError: %s,' % ('true' if s['expectError'] else 'false'))
        if s['params']:
            lines.append('    cases: (%s) => ({' % ', '.join('%s: string' % p for p in s['params']))
        else:
            lines.append('    cases: () => ({')
        for cname, js in s['cases']:
            lines.append('      %s: %s,' % (json.dumps(cname), js))
        lines.append('    }),')
        lines.append('  },')
    lines.append('];')
    lines.append('')
    lines.append('/** Cases the converter could not port (Go constructs it does not translate). */')
    lines.append('export const NOT_PORTED: string[] = %s;' % json.dumps(skipped, indent=2))
    open(OUT, 'w').write('\n'.join(lines) + '\n')
    total = sum(len(s['cases']) for s in suites)
    print('suites', len(suites), 'cases', total, 'skipped', len(skipped))
    for s in skipped:
        print('  skip', s)
    for s in suites:
        print(' ', s['file'], s['name'], s['parser'], s['converter'], s['params'], len(s['cases']), 'expectError' if s['expectError'] else '')


main()
