import { describe, expect, it } from 'vitest';
import { assertPasswordPolicy, passwordProblems } from '../../../src/modules/users/password-policy.js';
import { createPasswordHasher, PRODUCTION_HASH_COST, TEST_HASH_COST } from '../../../src/modules/users/password.js';
import { COMMON_PASSWORDS } from '../../../src/modules/users/common-passwords.js';

const owner = { username: 'alice.smith', email: 'alice@example.com' };

describe('password policy', () => {
  it('accepts a long, uncommon passphrase', () => {
    expect(passwordProblems('violet-Harbor-kettle-42', owner)).toEqual([]);
  });

  it('requires at least 12 characters (counted as characters, not bytes)', () => {
    expect(passwordProblems('Xk9#mQ2$vL7', owner)).toContain('must be at least 12 characters long');
    expect(passwordProblems('Xk9#mQ2$vL7!', owner)).toEqual([]);
    expect(passwordProblems('ü'.repeat(6) + 'abcdef', owner).some((p) => p.includes('at least 12'))).toBe(false);
  });

  it('refuses the username and e-mail, also decorated with digits', () => {
    const longName = { username: 'maximilian.k', email: 'max.k@example.com' };
    expect(passwordProblems('Maximilian.K', longName)).toContain('must not be the username or e-mail address');
    expect(passwordProblems('maximilian.k2025!', longName)).toContain('must not be the username or e-mail address');
    expect(passwordProblems('max.k@example.com', longName)).toContain('must not be the username or e-mail address');
  });

  it('refuses common passwords, including capitalised ones with digits and symbols appended', () => {
    expect(COMMON_PASSWORDS.size).toBeGreaterThan(300);
    for (const weak of ['password1234', 'Qwerty123456', 'Password2025!', 'iloveyou12345', 'Administrator1']) {
      expect(passwordProblems(weak, owner), weak).toContain('is too common; choose a longer passphrase');
    }
  });

  it('refuses low-variety strings that only have the length', () => {
    expect(passwordProblems('abababababab', owner)).toContain('must contain at least 5 different characters');
  });

  it('throws 422 weak_password listing every problem', () => {
    try {
      assertPasswordPolicy('password', owner);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ status: 422, code: 'weak_password' });
      expect((error as { errors: unknown[] }).errors.length).toBeGreaterThanOrEqual(2);
    }
  });
});

describe('argon2id hasher', () => {
  const hasher = createPasswordHasher(TEST_HASH_COST);

  it('hashes with argon2id and verifies', async () => {
    const hash = await hasher.hash('violet-Harbor-kettle-42');
    expect(hash.startsWith('$argon2id$')).toBe(true);
    expect(await hasher.verify(hash, 'violet-Harbor-kettle-42')).toBe(true);
    expect(await hasher.verify(hash, 'violet-Harbor-kettle-43')).toBe(false);
  });

  it('treats a malformed stored hash as a mismatch instead of throwing', async () => {
    expect(await hasher.verify('not-a-hash', 'anything')).toBe(false);
  });

  it('flags hashes made with weaker parameters for rehashing', async () => {
    const weak = await hasher.hash('violet-Harbor-kettle-42');
    expect(createPasswordHasher(PRODUCTION_HASH_COST).needsRehash(weak)).toBe(true);
    expect(hasher.needsRehash(weak)).toBe(false);
  });

  it('uses at least OWASP argon2id parameters in production', () => {
    expect(PRODUCTION_HASH_COST.memoryCost).toBeGreaterThanOrEqual(19_456);
    expect(PRODUCTION_HASH_COST.timeCost).toBeGreaterThanOrEqual(2);
  });
});
