/** The Accept header, parsed once the way every negotiation here reads it (Go's goautoneg). */

export interface AcceptClause {
  type: string;
  subtype: string;
  params: Record<string, string>;
  q: number;
}

/** Parses an Accept header into clauses ordered by q (stable for equal weights). */
export function parseAccept(header: string | undefined): AcceptClause[] {
  if (!header || header.trim() === '') return [];
  const clauses: AcceptClause[] = [];
  for (const raw of header.split(',')) {
    const [range = '', ...paramParts] = raw.split(';').map((s) => s.trim());
    const slash = range.indexOf('/');
    if (slash <= 0) continue;
    const params: Record<string, string> = {};
    let q = 1;
    for (const p of paramParts) {
      const eq = p.indexOf('=');
      if (eq <= 0) continue;
      const key = p.slice(0, eq).trim().toLowerCase();
      const value = p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
      if (key === 'q') q = Number.isFinite(Number(value)) ? Number(value) : 0;
      else params[key] = value;
    }
    if (q <= 0) continue;
    clauses.push({ type: range.slice(0, slash).toLowerCase(), subtype: range.slice(slash + 1).toLowerCase(), params, q });
  }
  return clauses
    .map((c, i) => ({ c, i }))
    .sort((a, b) => b.c.q - a.c.q || a.i - b.i)
    .map(({ c }) => c);
}
