/**
 * Field selectors (k8s.io/apimachinery/pkg/fields): comma-separated `key=value`, `key==value`,
 * `key!=value` terms, with `\,` `\=` `\\` escapes in values.
 */
import { newBadRequest } from './status.js';

export type FieldOperator = '=' | '!=';

export interface FieldRequirement {
  field: string;
  operator: FieldOperator;
  value: string;
}

export type Fields = Readonly<Record<string, string>>;

export class FieldSelector {
  constructor(readonly requirements: readonly FieldRequirement[]) {}

  static everything(): FieldSelector {
    return EVERYTHING;
  }

  isEmpty(): boolean {
    return this.requirements.length === 0;
  }

  matches(fields: Fields): boolean {
    return this.requirements.every((r) => ((fields[r.field] ?? '') === r.value) === (r.operator === '='));
  }

  /** The value the selector pins `field` to with `=`, if it does (e.g. metadata.name for a get-like list). */
  requiresExactMatch(field: string): string | undefined {
    return this.requirements.find((r) => r.field === field && r.operator === '=')?.value;
  }

  /** Fields named that are not in `allowed`; the API layer answers those with 400. */
  unknownFields(allowed: ReadonlySet<string>): string[] {
    return this.requirements.map((r) => r.field).filter((f) => !allowed.has(f));
  }

  toString(): string {
    return this.requirements.map((r) => `${r.field}${r.operator}${escapeValue(r.value)}`).join(',');
  }
}

const EVERYTHING = new FieldSelector([]);

function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let current = '';
  for (let i = 0; i < selector.length; i++) {
    const ch = selector[i] as string;
    if (ch === '\\' && i + 1 < selector.length) {
      current += ch + (selector[i + 1] as string);
      i++;
    } else if (ch === ',') {
      terms.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  terms.push(current);
  return terms;
}

function unescapeValue(value: string, selector: string): string {
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i] as string;
    if (ch !== '\\') {
      if (ch === ',' || ch === '=') throw newBadRequest(`invalid field selector: unescaped ${ch} in value "${value}" in "${selector}"`);
      out += ch;
      continue;
    }
    const escaped = value[i + 1];
    if (escaped !== '\\' && escaped !== ',' && escaped !== '=') {
      throw newBadRequest(`invalid field selector: invalid escape sequence in value "${value}" in "${selector}"`);
    }
    out += escaped;
    i++;
  }
  return out;
}

/** Parses a field selector; a malformed one is a 400 BadRequest StatusError. */
export function parseFieldSelector(selector: string): FieldSelector {
  if (selector.trim() === '') return EVERYTHING;
  const requirements = splitTerms(selector).map((term): FieldRequirement => {
    for (const [symbol, operator] of [['!=', '!='], ['==', '='], ['=', '=']] as const) {
      const at = term.indexOf(symbol);
      if (at < 0) continue;
      const field = term.slice(0, at).trim();
      if (field === '') throw newBadRequest(`invalid field selector: "${term}": field name is empty`);
      return { field, operator, value: unescapeValue(term.slice(at + symbol.length), selector) };
    }
    throw newBadRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
  });
  return new FieldSelector(requirements);
}
