import { createHash } from 'node:crypto';

/** base64 (std, padded) of the first 8 bytes of sha256("<group>/<version>/<kind>"), as Go computes it. */
export function storageVersionHash(group: string, version: string, kind: string): string {
  return createHash('sha256').update(`${group}/${version}/${kind}`).digest().subarray(0, 8).toString('base64');
}
