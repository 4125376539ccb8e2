import { UnprocessableError } from '../../errors.js';
import { COMMON_PASSWORDS } from './common-passwords.js';

export const PASSWORD_MIN_LENGTH = 12;
/** argon2 hashes any length, but an unbounded input is a cheap way to burn CPU. */
export const PASSWORD_MAX_LENGTH = 256;
/** "aaaaaaaaaaaa" and "121212121212" have the length but not the entropy. */
const MIN_DISTINCT_CHARACTERS = 5;

/** Whose password it is: the password must not be (or merely decorate) these. */
export interface PasswordOwner {
  username: string;
  email?: string | null | undefined;
}

/** Lower-cases and strips trailing digits and symbols: "Password2025!" -> "password". */
function baseWord(password: string): string {
  return password.toLowerCase().replace(/[\d\W_]+$/u, '');
}

/** Returns every way `password` breaks the policy (empty when it is acceptable). */
export function passwordProblems(password: string, owner: PasswordOwner): string[] {
  const problems: string[] = [];
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) problems.push(`must be at least ${PASSWORD_MIN_LENGTH} characters long`);
  if (length > PASSWORD_MAX_LENGTH) problems.push(`must be at most ${PASSWORD_MAX_LENGTH} characters long`);
  if (new Set(password).size < MIN_DISTINCT_CHARACTERS) {
    problems.push(`must contain at least ${MIN_DISTINCT_CHARACTERS} different characters`);
  }

  const lower = password.toLowerCase();
  const identities = [owner.username, owner.email ?? undefined, owner.email?.split('@')[0]]
    .filter((value): value is string => value !== undefined && value.length > 0)
    .map((value) => value.toLowerCase());
  if (identities.some((identity) => lower === identity || baseWord(password) === identity)) {
    problems.push('must not be the username or e-mail address');
  }

  const base = baseWord(password);
  if (COMMON_PASSWORDS.has(lower) || (base.length >= 4 && COMMON_PASSWORDS.has(base))) {
    problems.push('is too common; choose a longer passphrase');
  }
  return problems;
}

/** Throws 422 `weak_password` listing every problem, for the field named `field`. */
export function assertPasswordPolicy(password: string, owner: PasswordOwner, field = 'body.password'): void {
  const problems = passwordProblems(password, owner);
  if (problems.length > 0) {
    throw new UnprocessableError(
      `The password ${problems.join('; ')}`,
      problems.map((message) => ({ field, message })),
      'weak_password',
    );
  }
}
