/**
 * The list continue token of k8s.io/apiserver/pkg/storage: base64url (no padding) of
 * {"v":"meta.k8s.io/v1","rv":<revision>,"start":"<key after the prefix>\u0000"}.
 */
import { newBadRequest } from './status.js';

const TOKEN_VERSION = 'meta.k8s.io/v1';

export interface ContinuePosition {
  /** The revision the first page was read at; later pages read the same snapshot. */
  resourceVersion: number;
  /** The full key to resume from (inclusive). */
  startKey: string;
}

/** Encodes the position after `lastKey` (which lies under `keyPrefix`) in the list at `resourceVersion`. */
export function encodeContinue(lastKey: string, keyPrefix: string, resourceVersion: number): string {
  if (!lastKey.startsWith(keyPrefix)) throw new Error(`key ${lastKey} is not under prefix ${keyPrefix}`);
  const token = { v: TOKEN_VERSION, rv: resourceVersion, start: `${lastKey.slice(keyPrefix.length)}\u0000` };
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

function invalidToken(why: string): Error {
  return newBadRequest(`continue key is not valid: ${why}`);
}

/** Decodes a token against the prefix being listed; a bad token is a 400 BadRequest StatusError. */
export function decodeContinue(token: string, keyPrefix: string): ContinuePosition {
  if (!/^[A-Za-z0-9_-]*$/.test(token)) throw invalidToken('illegal base64 data');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalidToken('not a JSON document');
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalidToken('not a JSON object');
  const { v, rv, start } = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (v !== TOKEN_VERSION) throw invalidToken(`server does not recognize this encoded key version (${String(v)})`);
  if (typeof rv !== 'number' || !Number.isSafeInteger(rv) || rv <= 0) throw invalidToken('incorrect encoded start resourceVersion (version meta.k8s.io/v1)');
  if (typeof start !== 'string' || start.length === 0) throw invalidToken('encoded start key empty');
  // The start key is relative to the prefix; it may not climb out of it.
  const cleaned = start.split('/').filter((seg) => seg !== '' && seg !== '.');
  if (cleaned.includes('..') || start.startsWith('/')) throw invalidToken('continue key may not contain relative path segments');
  return { resourceVersion: rv, startKey: keyPrefix + start };
}
