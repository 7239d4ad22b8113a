/**
 * The manager of a request that names none (k8s.io/apiserver/pkg/endpoints/handlers/create.go
 * managerOrUserAgent, prefixFromUserAgent): the User-Agent up to its first "/", without
 * unprintable characters, at most 128 bytes — `kubectl/v1.30.0 (linux/amd64) kubernetes/abc` is
 * `kubectl`, `kubectl-client-side-apply/v1.30.0 …` is `kubectl-client-side-apply`.
 */

/** validation.FieldManagerMaxLength. */
export const FIELD_MANAGER_MAX_LENGTH = 128;

/** unicode.IsPrint, near enough: letters, marks, numbers, punctuation, symbols and the ASCII space. */
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

export function prefixFromUserAgent(userAgent: string): string {
  const m = userAgent.split('/')[0];
  let out = '';
  let bytes = 0;
  for (const ch of m) {
    if (!PRINTABLE.test(ch)) continue;
    const n = Buffer.byteLength(ch);
    if (bytes + n > FIELD_MANAGER_MAX_LENGTH) break;
    out += ch;
    bytes += n;
  }
  return out;
}

/** The fieldManager query parameter when given, else the User-Agent's prefix. */
export function managerOrUserAgent(manager: string | undefined, userAgent: string | undefined): string {
  if (manager) return manager;
  return prefixFromUserAgent(userAgent ?? '');
}
