import { randomBytes } from 'node:crypto';
import type { UserRole } from '../../../src/db/schema.js';
import { setDefaultHashCost, TEST_HASH_COST } from '../../../src/modules/users/password.js';
import type { PublicUser } from '../../../src/modules/users/users.service.js';
import type { TestApp } from '../../helpers/app.js';

// Production argon2 parameters cost ~200 ms per hash; the suites hash hundreds of passwords.
setDefaultHashCost(TEST_HASH_COST);

/** A password that satisfies the policy. */
export const GOOD_PASSWORD = 'violet-Harbor-kettle-42';

let counter = 0;

/** A unique valid username. */
export function uniqueName(prefix = 'user'): string {
  counter += 1;
  return `${prefix}${counter}${randomBytes(3).toString('hex')}`;
}

/** Creates a user through the service (not HTTP). */
export async function createUser(
  t: TestApp,
  overrides: { username?: string; email?: string | null; password?: string; role?: UserRole } = {},
): Promise<{ user: PublicUser; password: string }> {
  const password = overrides.password ?? GOOD_PASSWORD;
  const username = overrides.username ?? uniqueName(overrides.role ?? 'viewer');
  const user = await t.deps.identity.users.createUser({
    username,
    email: overrides.email === undefined ? `${username}@example.com` : overrides.email,
    password,
    role: overrides.role ?? 'viewer',
  });
  return { user, password };
}

/** Logs in over HTTP and returns the token pair (fails the test on a non-200). */
export async function login(t: TestApp, username: string, password: string, remoteAddress = '127.0.0.1') {
  const response = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { username, password }, remoteAddress });
  if (response.statusCode !== 200) throw new Error(`login failed: ${response.statusCode} ${response.body}`);
  return response.json<{ access_token: string; refresh_token: string; token_type: string; expires_in: number }>();
}

/** A user of `role` with a fresh access token and the matching Authorization header. */
export async function signedIn(t: TestApp, role: UserRole) {
  const { user, password } = await createUser(t, { role });
  const tokens = await login(t, user.username, password);
  return { user, password, tokens, headers: { authorization: `Bearer ${tokens.access_token}` } };
}

/** A clock for `buildTestApp({ identityClock: clock.now })`: the wall clock moved by `offsetMs`. */
export interface ShiftedClock {
  offsetMs: number;
  now: () => number;
}

export function shiftedClock(): ShiftedClock {
  const clock: ShiftedClock = { offsetMs: 0, now: () => Date.now() + clock.offsetMs };
  return clock;
}

/**
 * `signedIn`, one second earlier by the app's identity clock. Access tokens carry a whole-second
 * `iat` and only tokens issued in a second before a password change are void, so a test that
 * changes the password signs in "a second ago" instead of sleeping into the next second.
 */
export async function signedInASecondAgo(t: TestApp, clock: ShiftedClock, role: UserRole) {
  clock.offsetMs -= 1_000;
  try {
    return await signedIn(t, role);
  } finally {
    clock.offsetMs += 1_000;
  }
}

/** An API key for a new user of `role`, optionally capped. */
export async function apiKeyFor(t: TestApp, role: UserRole, cap?: UserRole) {
  const { user } = await createUser(t, { role });
  const principal = { kind: 'user' as const, userId: user.id, username: user.username, role, userRole: role };
  const key = await t.deps.identity.apiKeys.create(principal, { name: 'test key', role: cap });
  return { user, key, headers: { 'x-api-key': key.api_key } };
}
