/**
 * The object construction of MutatingAdmissionPolicy expressions: `Object{spec: Object.spec{replicas: 3}}`
 * (an apply configuration) and `JSONPatch{op: "add", path: "/x", value: 1}`. cel-go resolves these
 * type names with a dynamic type provider (k8s.io/apiserver pkg/cel/mutation); CEL-ES knows only
 * protobuf messages and refuses them ("unknown type: Object"). So before compiling, each such literal
 * is rewritten, where the parser places it, into a map literal that carries its type name under
 * TYPE_KEY: `{"@kapi/type": "Object.spec", "replicas": 3}`. After evaluation the type names are
 * checked as Go checks them (CheckTypeNamesMatchFieldPathNames) and removed.
 */
import { parse } from '@bufbuild/cel';
import { isPlainObject } from '@kapi/apimachinery';

/** The map key that holds a constructed object's type name. */
export const TYPE_KEY = '@kapi/type';

const JSON_PATCH_FIELDS = new Set(['op', 'path', 'from', 'value']);

interface Expr {
  id: bigint;
  exprKind: { case: string | undefined; value?: unknown };
}

interface StructEntry {
  id: bigint;
  keyKind: { case: string; value: unknown };
  value?: Expr;
}

/** The sub-expressions of a node, whatever its kind (macros are comprehensions by now). */
function children(e: Expr): Expr[] {
  const v = e.exprKind.value as Record<string, unknown> | undefined;
  if (!v) return [];
  switch (e.exprKind.case) {
    case 'selectExpr':
      return v['operand'] ? [v['operand'] as Expr] : [];
    case 'callExpr':
      return [...(v['target'] ? [v['target'] as Expr] : []), ...(v['args'] as Expr[])];
    case 'listExpr':
      return v['elements'] as Expr[];
    case 'structExpr':
      return (v['entries'] as StructEntry[]).flatMap((entry) => [...(entry.keyKind.case === 'mapKey' ? [entry.keyKind.value as Expr] : []), ...(entry.value ? [entry.value] : [])]);
    case 'comprehensionExpr':
      return ['iterRange', 'accuInit', 'loopCondition', 'loopStep', 'result'].map((k) => v[k] as Expr | undefined).filter((x): x is Expr => x !== undefined);
    default:
      return [];
  }
}

const isObjectType = (name: string): boolean => name === 'Object' || name.startsWith('Object.');

/**
 * The expression with its Object and JSONPatch literals as map literals. An expression that does
 * not parse is given back as it is (compiling it reports the syntax error); a JSONPatch field cel-go
 * would not know is a compile error.
 */
export function rewriteObjectLiterals(expression: string): { expression: string } | { error: string } {
  let parsed: { expr: Expr; sourceInfo?: { positions: Record<string, number> } };
  try {
    parsed = parse(expression) as unknown as typeof parsed;
  } catch {
    return { expression };
  }
  const positions = parsed.sourceInfo?.positions ?? {};
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const errors: string[] = [];
  const visit = (e: Expr): void => {
    for (const child of children(e)) visit(child);
    if (e.exprKind.case !== 'structExpr') return;
    const { messageName, entries } = e.exprKind.value as { messageName: string; entries: StructEntry[] };
    if (!messageName || (!isObjectType(messageName) && messageName !== 'JSONPatch')) return;
    const start = positions[String(e.id)];
    if (start === undefined) return;
    const brace = expression.indexOf('{', start);
    if (brace < 0 || expression.slice(start, brace).replace(/\s+/g, '').replace(/^\./, '') !== messageName) return;
    edits.push({ start, end: brace + 1, text: `{${JSON.stringify(TYPE_KEY)}: ${JSON.stringify(messageName)}${entries.length > 0 ? ', ' : ''}` });
    for (const entry of entries) {
      if (entry.keyKind.case !== 'fieldKey') continue;
      const field = String(entry.keyKind.value);
      if (messageName === 'JSONPatch' && !JSON_PATCH_FIELDS.has(field)) errors.push(`undefined field '${field}'`);
      // The parser places an entry at its field name, or at the whitespace before it.
      let at = positions[String(entry.id)];
      if (at === undefined) continue;
      while (/\s/.test(expression[at] ?? '')) at++;
      if (expression.slice(at, at + field.length) !== field) continue;
      edits.push({ start: at, end: at + field.length, text: JSON.stringify(field) });
    }
  };
  visit(parsed.expr);
  if (errors.length > 0) return { error: `compilation failed: ${errors.join('\n')}` };
  let out = expression;
  for (const edit of edits.sort((a, b) => b.start - a.start)) out = out.slice(0, edit.start) + edit.text + out.slice(edit.end);
  return { expression: out };
}

/** The type name a constructed value carries (Object…, JSONPatch), undefined for plain values. */
export function typeNameOf(value: unknown): string | undefined {
  if (!isPlainObject(value)) return undefined;
  const name = value[TYPE_KEY];
  return typeof name === 'string' ? name : undefined;
}

/**
 * dynamic.ObjectVal.CheckTypeNamesMatchFieldPathNames: every Object type name must be the field
 * path it sits at from the root Object (`Object.spec.template`); list items and map values share
 * their container's path. The errors, as Go words each.
 */
export function typeNameErrors(value: unknown, path: readonly string[] = [typeNameOf(value) ?? 'Object']): string[] {
  const errors: string[] = [];
  if (Array.isArray(value)) {
    for (const item of value) errors.push(...typeNameErrors(item, path));
    return errors;
  }
  if (!isPlainObject(value)) return errors;
  const name = typeNameOf(value);
  if (name !== undefined && isObjectType(name)) {
    const expected = path.join('.');
    if (name !== expected) errors.push(`unexpected type name "${name}", expected "${expected}", which matches field name path from root Object type`);
    for (const [key, member] of Object.entries(value)) if (key !== TYPE_KEY) errors.push(...typeNameErrors(member, [...path, key]));
    return errors;
  }
  for (const [key, member] of Object.entries(value)) if (key !== TYPE_KEY) errors.push(...typeNameErrors(member, path));
  return errors;
}

/** The value as plain JSON: type names removed. */
export function withoutTypeNames(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutTypeNames);
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) if (key !== TYPE_KEY) out[key] = withoutTypeNames(member);
  return out;
}
