/** The rewrite of Object{} and JSONPatch{} literals into typed maps, and Go's type-name check of their values. */
import { compileCel } from '../../cel/index.js';
import { TYPE_KEY, rewriteObjectLiterals, typeNameErrors, withoutTypeNames } from './object-literals.js';

const rewrite = (expression: string): string => {
  const out = rewriteObjectLiterals(expression);
  if ('error' in out) throw new Error(out.error);
  return out.expression;
};
const evaluate = (expression: string, object: unknown = {}): unknown => compileCel(rewrite(expression), { variables: ['object'] }).evaluate({ object });

describe('rewriteObjectLiterals', () => {
  it('makes each Object and JSONPatch literal a map with its type name, wherever it is and however it is spaced', () => {
    expect(rewrite('Object{spec: Object.spec{replicas: 3}}')).toBe('{"@kapi/type": "Object", "spec": {"@kapi/type": "Object.spec", "replicas": 3}}');
    expect(rewrite('[JSONPatch{op: "add",\n  path: "/x", value: Object . spec {}}]')).toBe('[{"@kapi/type": "JSONPatch", "op": "add",\n  "path": "/x", "value": {"@kapi/type": "Object.spec"}}]');
    expect(evaluate('object.x > 1 ? Object{a: [Object.a{b: object.x}]} : Object{}', { x: 2 })).toEqual({ [TYPE_KEY]: 'Object', a: [{ [TYPE_KEY]: 'Object.a', b: 2 }] });
  });

  it('leaves strings, maps and what does not parse alone', () => {
    expect(rewrite(`"Object{spec: 1}" + 'JSONPatch{}'`)).toBe(`"Object{spec: 1}" + 'JSONPatch{}'`);
    expect(rewrite('{"spec": 1}')).toBe('{"spec": 1}');
    expect(rewrite('Object{spec:')).toBe('Object{spec:');
  });

  it('refuses a field JSONPatch has not (cel-go knows its fields)', () => {
    expect(rewriteObjectLiterals('JSONPatch{op: "add", paths: "/x"}')).toEqual({ error: "compilation failed: undefined field 'paths'" });
  });
});

describe('typeNameErrors (CheckTypeNamesMatchFieldPathNames) and withoutTypeNames', () => {
  it('accepts type names that follow the field path (list items and map values share their container\'s)', () => {
    const value = evaluate('Object{spec: Object.spec{template: Object.spec.template{volumes: [Object.spec.template.volumes{name: "x"}]}, byName: {"a": Object.spec.byName{}}}}');
    expect(typeNameErrors(value)).toEqual([]);
    expect(withoutTypeNames(value)).toEqual({ spec: { template: { volumes: [{ name: 'x' }] }, byName: { a: {} } } });
  });

  it('reports each misplaced type name as Go words it', () => {
    expect(typeNameErrors(evaluate('Object{spec: Object.specx{replicas: 1}, status: Object.spec{}}'))).toEqual([
      'unexpected type name "Object.specx", expected "Object.spec", which matches field name path from root Object type',
      'unexpected type name "Object.spec", expected "Object.status", which matches field name path from root Object type',
    ]);
  });
});
