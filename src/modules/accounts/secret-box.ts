import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Encryption at rest for provider secrets (and webhook secrets): AES-256-GCM with a random
 * 96-bit nonce per value, stored as `v1:<nonce>:<tag>:<ciphertext>` (base64url). The key is
 * derived with HKDF from ENCRYPTION_KEY, so the raw configured string is never used directly.
 */
export interface SecretBox {
  encrypt(plaintext: string): string;
  /** Throws when the value was tampered with or encrypted under another key. */
  decrypt(sealed: string): string;
}

const VERSION = 'v1';
const NONCE_BYTES = 12;

/** Creates a box keyed by `keyMaterial` (any string of at least 32 characters). */
export function createSecretBox(keyMaterial: string): SecretBox {
  const key = Buffer.from(hkdfSync('sha256', keyMaterial, 'simfleet', 'simfleet secrets at rest v1', 32));
  return {
    encrypt(plaintext) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, nonce);
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return [VERSION, nonce.toString('base64url'), cipher.getAuthTag().toString('base64url'), ciphertext.toString('base64url')].join(':');
    },
    decrypt(sealed) {
      const [version, nonce, tag, ciphertext] = sealed.split(':');
      if (version !== VERSION || nonce === undefined || tag === undefined || ciphertext === undefined) {
        throw new Error('unrecognised secret format');
      }
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
