import { describe, expect, it } from 'vitest';
import { createSecretBox } from './secret-box.js';

describe('secret box', () => {
  const box = createSecretBox('k'.repeat(40));

  it('round-trips and never stores the plaintext', () => {
    const sealed = box.encrypt('client-secret-value');
    expect(sealed).toMatch(/^v1:/);
    expect(sealed).not.toContain('client-secret-value');
    expect(box.decrypt(sealed)).toBe('client-secret-value');
    expect(box.encrypt('client-secret-value')).not.toBe(sealed);
  });

  it('refuses tampered values and other keys', () => {
    const sealed = box.encrypt('s3cret');
    const parts = sealed.split(':');
    parts[3] = Buffer.from('other').toString('base64url');
    expect(() => box.decrypt(parts.join(':'))).toThrow();
    expect(() => createSecretBox('z'.repeat(40)).decrypt(sealed)).toThrow();
    expect(() => box.decrypt('plaintext')).toThrow(/format/);
  });
});
