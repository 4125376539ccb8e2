import type { UserRole } from '../../src/db/schema.js';
import { apiKeyFor, signedIn } from '../modules/users/fixtures.js';
import type { TestApp } from './app.js';

/**
 * Headers that authenticate as a fresh user of `role`. An API key by default (no login throttle
 * involved); `{ via: 'jwt' }` signs in over HTTP and uses the bearer access token instead.
 */
export async function authHeaders(t: TestApp, role: UserRole, options: { via?: 'api_key' | 'jwt' } = {}): Promise<Record<string, string>> {
  if (options.via === 'jwt') return (await signedIn(t, role)).headers;
  return (await apiKeyFor(t, role)).headers;
}
