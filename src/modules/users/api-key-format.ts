import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * API keys look like `sfk_<prefix>_<secret>`: `sfk` marks the product (secret scanners can match it),
 * `prefix` is a public 12-character id stored in `api_keys.prefix` (unique index, the only lookup),
 * `secret` is 32 random bytes in base64url. Only sha256(secret) is stored: with 256 bits of entropy
 * a slow hash adds nothing, and a fast one keeps authentication to one indexed lookup.
 */
export const API_KEY_PATTERN = /^sfk_([a-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A freshly generated key: the full `key` is shown to its owner once and never stored. */
export interface GeneratedApiKey {
  key: string;
  prefix: string;
  secretHash: string;
}

/** Hex sha256 of the secret part. */
export function hashApiKeySecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/** Generates a new key. */
export function generateApiKey(): GeneratedApiKey {
  const bytes = randomBytes(12);
  const prefix = Array.from(bytes, (b) => PREFIX_ALPHABET[b % PREFIX_ALPHABET.length]).join('');
  const secret = randomBytes(32).toString('base64url');
  return { key: `sfk_${prefix}_${secret}`, prefix, secretHash: hashApiKeySecret(secret) };
}

/** Splits a presented key; undefined when it is not in the key format at all. */
export function parseApiKey(presented: string): { prefix: string; secret: string } | undefined {
  const match = API_KEY_PATTERN.exec(presented);
  return match === null ? undefined : { prefix: match[1]!, secret: match[2]! };
}

/** Compares a presented secret with a stored hash in constant time. */
export function apiKeySecretMatches(secret: string, storedHash: string): boolean {
  const presented = Buffer.from(hashApiKeySecret(secret), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return presented.length === stored.length && timingSafeEqual(presented, stored);
}
