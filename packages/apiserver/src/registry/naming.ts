/** Generated names as kube-apiserver makes them. */
import { randomInt } from 'node:crypto';

/** k8s.io/apimachinery/pkg/util/rand: no vowels (no accidental words) and no look-alike characters. */
const ALPHANUMS = 'bcdfghjklmnpqrstvwxz2456789';
const RANDOM_LENGTH = 5;
/** A DNS-1123 label is at most 63 characters; the prefix leaves room for the random suffix. */
const MAX_GENERATED_NAME_LENGTH = 63 - RANDOM_LENGTH;

/** `generateName` prefix (cut to 58 characters) followed by 5 random characters. */
export function generateNameFrom(base: string): string {
  const prefix = base.length > MAX_GENERATED_NAME_LENGTH ? base.slice(0, MAX_GENERATED_NAME_LENGTH) : base;
  let suffix = '';
  for (let i = 0; i < RANDOM_LENGTH; i++) suffix += ALPHANUMS[randomInt(ALPHANUMS.length)];
  return prefix + suffix;
}
