/**
 * The simple JSONPath of CRD printer columns: `.a.b`, `.a['b.c']`, `.items[0]`, optionally
 * wrapped in `{}`. One value or none, as apiextensions' table convertor reads them.
 */

type Step = string | number;

const cache = new Map<string, Step[]>();

export function parseSimpleJsonPath(path: string): Step[] {
  const cached = cache.get(path);
  if (cached) return cached;
  let p = path.trim();
  if (p.startsWith('{') && p.endsWith('}')) p = p.slice(1, -1).trim();
  if (p.startsWith('$')) p = p.slice(1);
  const steps: Step[] = [];
  const re = /\.([^.[\]]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < p.length && (m = re.exec(p)) !== null) {
    if (m[1] !== undefined) steps.push(m[1]);
    else if (m[2] !== undefined) steps.push(Number(m[2]));
    else steps.push((m[3] ?? m[4])!);
  }
  if (re.lastIndex !== p.length && p.length > 0) throw new Error(`unsupported JSONPath ${JSON.stringify(path)}`);
  cache.set(path, steps);
  return steps;
}

/** The value at `path` in `obj`, or undefined. */
export function evaluateSimpleJsonPath(obj: unknown, path: string): unknown {
  let current: unknown = obj;
  for (const step of parseSimpleJsonPath(path)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}
