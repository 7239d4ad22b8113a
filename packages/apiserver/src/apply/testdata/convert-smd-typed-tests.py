#!/usr/bin/env python3
"""Converts structured-merge-diff's typed/*_test.go case tables (var xCases = []T{...}) into a TypeScript data module."""
import json, os, re, sys
sys.path.insert(0, os.path.dirname(__file__))
import importlib.util

SRC, OUT = sys.argv[1], sys.argv[2]
# reuse the tokenizer only
src = open(os.path.join(os.path.dirname(__file__), 'convert-smd-merge-tests.py')).read()
ns = {}
exec(src.split('\ndef main():')[0], ns)
tokenize, find_matching, Unsupported = ns['tokenize'], ns['find_matching'], ns['Unsupported']
STRIP = ('fieldpath.', 'typed.', 'value.', 'schema.')
FUNCS = {}
KNOWN_FUNCS = {'_NS', '_P', '_KBF', '_V', 'MakePathOrDie', 'NewValueInterface', 'NewSet', 'KeyByFields', 'YAMLObject'}

def strip(n):
    for p in STRIP:
        if n.startswith(p):
            return n[len(p):]
    return n

def positional(toks, k, end):
    """toks[k] is '{': is the literal keyed (object) or positional (array)?"""
    j = k + 1
    while j < end and toks[j][0] == 'comment':
        j += 1
    if toks[j] == ('punct', '}'):
        return False
    if toks[j][0] in ('ident', 'str', 'raw', 'num') and toks[j + 1] == ('punct', ':'):
        return False
    return True

def convert(toks, i, end, vars_):
    out, stack, k = [], [], i
    while k < end:
        kind, v = toks[k]
        if kind == 'comment':
            out.append(v + '\n'); k += 1; continue
        if kind == 'raw':
            out.append(json.dumps(v)); k += 1; continue
        if kind in ('str', 'num'):
            out.append(v); k += 1; continue
        if kind == 'punct' and v == '&':
            k += 1; continue
        if (kind == 'punct' and v == '[') or (kind == 'ident' and v == 'map'):
            j, typ = k, ''
            while not (toks[j][0] == 'punct' and toks[j][1] == '{'):
                if toks[j] == ('ident', 'interface') and toks[j + 1] == ('punct', '{') and toks[j + 2] == ('punct', '}'):
                    typ += 'interface{}'; j += 3; continue
                typ += toks[j][1]; j += 1
            if typ.startswith('[]'):
                out.append('['); stack.append(']')
            else:
                out.append('{'); stack.append('}')
            k = j + 1; continue
        if kind == 'ident':
            name = strip(v)
            nxt = toks[k + 1] if k + 1 < end else ('', '')
            if nxt == ('punct', '{'):
                if positional(toks, k + 1, end):
                    out.append('['); stack.append(']')
                else:
                    out.append('{'); stack.append('}')
                k += 2; continue
            if name == 'nil':
                out.append('undefined')
            elif name in ('true', 'false'):
                out.append(name)
            elif name in FUNCS and nxt == ('punct', '('):
                out.append('schemaFn(%s)' % json.dumps(FUNCS[name]))
            elif name in vars_:
                out.append(json.dumps(vars_[name]))
            elif nxt == ('punct', '(') and name in KNOWN_FUNCS:
                out.append(name)
            elif toks[k + 1] == ('punct', ':'):
                out.append(name)
            else:
                raise Unsupported(name)
            k += 1; continue
        if kind == 'punct':
            if v == '{':
                if positional(toks, k, end):
                    out.append('['); stack.append(']')
                else:
                    out.append('{'); stack.append('}')
            elif v == '}':
                out.append(stack.pop())
            elif v in '(),:':
                out.append(v + (' ' if v in ',:' else ''))
            elif v in ')]':
                out.append(v)
            elif v == '-':
                out.append('-')
            else:
                raise Unsupported('punct ' + v)
            k += 1; continue
        raise Unsupported(kind + ' ' + v)
    return ''.join(out)

lines = ['/**', ' * GENERATED from sigs.k8s.io/structured-merge-diff/v6@v6.4.2 typed/*_test.go (the case tables) by a', ' * converter of their Go literals; do not edit by hand. Positional Go literals are arrays.', ' */',
         "import { _KBF, _NS, _P, _V, KeyByFields, MakePathOrDie, NewSet, NewValueInterface, YAMLObject, schemaFn } from './typed-fixture.js';", '', '/* eslint-disable */']
report = []
for fname in sorted(os.listdir(SRC)):
    if not fname.endswith('_test.go'):
        continue
    text = open(os.path.join(SRC, fname)).read()
    toks = tokenize(text)
    vars_ = {}
    for m in re.finditer(r'^var (\w+) = `(.*?)`', text, re.S | re.M):
        vars_[m.group(1)] = m.group(2)
    for m in re.finditer(r'^const (\w+) = typed.YAMLObject\(`(.*?)`\)', text, re.S | re.M):
        vars_[m.group(1)] = m.group(2)
    for m in re.finditer(r'^func (\w+)\(version string\) typed.YAMLObject \{\n\treturn typed.YAMLObject\(fmt.Sprintf\(`(.*?)`, version\)\)', text, re.S | re.M):
        FUNCS[m.group(1)] = m.group(2)
    for idx, t in enumerate(toks):
        if t == ('ident', 'var') and toks[idx + 1][0] == 'ident' and toks[idx + 2] == ('punct', '=') and toks[idx + 3] == ('punct', '['):
            name = toks[idx + 1][1]
            j = idx + 3
            while toks[j] != ('punct', '{'):
                j += 1
            end = find_matching(toks, j)
            try:
                js = convert(toks, idx + 3, end + 1, vars_)
                lines.append('export const %s: any[] = %s;' % (name, js))
                report.append('%s %s ok' % (fname, name))
            except Unsupported as e:
                report.append('%s %s UNSUPPORTED %s' % (fname, name, e))
open(OUT, 'w').write('\n'.join(lines) + '\n')
print('\n'.join(report))
