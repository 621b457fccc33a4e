import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `igk_<keyId>_<secret>`: a fixed prefix that secret scanners can
 * match, a public 16-hex-digit key id used to find the record, and 256 random bits of
 * secret (base64url). Only the SHA-256 of the whole key is stored.
 *
 * @example
 * const { key, keyId, hash } = generateApiKey();
 * parseApiKey(key); // { keyId }
 */
export const KEY_PREFIX = 'igk_';
const KEY_PATTERN = /^igk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface GeneratedKey {
  readonly key: string;
  readonly keyId: string;
  readonly hash: string;
}

export function generateApiKey(): GeneratedKey {
  const keyId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const key = `${KEY_PREFIX}${keyId}_${secret}`;
  return { key, keyId, hash: hashApiKey(key) };
}

/** The key id of a well-formed key, or undefined for anything else. */
export function parseApiKey(key: string): { keyId: string } | undefined {
  const match = KEY_PATTERN.exec(key);
  return match?.[1] === undefined ? undefined : { keyId: match[1] };
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Compares a presented key with a stored hash in constant time. */
export function keyMatchesHash(key: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKey(key), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
