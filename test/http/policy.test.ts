import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAuth, routePolicies, type RoutePolicy } from '../../src/http/auth/authenticate.hook.js';
import type { UserRole } from '../../src/db/schema.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { apiKeyFor, signedIn } from '../modules/users/fixtures.js';

/**
 * Every registered route is enumerated from the table the auth layer fills while routes register,
 * and probed: no credential must give 401, a role below the route's policy 403. A route added
 * without a policy cannot even be registered.
 */

/** Fills path parameters with plausible values, so authentication (not a 404) answers. */
function concreteUrl(url: string): string {
  return url
    .replace(/:iccid/g, '89882806660000000019')
    .replace(/:id\b/g, '1')
    .replace(/:([A-Za-z_]+)/g, 'x')
    .replace(/\*$/, 'x');
}

/** An empty JSON body for methods that take one (validation runs after authentication anyway). */
const bodyFor = (method: string) => (method === 'GET' || method === 'DELETE' ? {} : { payload: {} });

const UNDER_PRIVILEGED: Partial<Record<RoutePolicy['policy'], UserRole>> = { operator: 'viewer', admin: 'operator' };

describe('policy declaration', () => {
  it('refuses to register a route without config.policy', async () => {
    const app = Fastify();
    installAuth(app, {
      config: { streamer: { username: undefined, password: undefined } },
      identity: {} as never,
      metrics: {} as never,
    });
    expect(() => app.get('/no-policy', () => 'x')).toThrow(/declares no config.policy/);
    // Inside a plugin the same error aborts start-up.
    const other = Fastify();
    installAuth(other, { config: { streamer: { username: undefined, password: undefined } }, identity: {} as never, metrics: {} as never });
    void other.register(async (child) => {
      child.post('/also-none', () => 'x');
    });
    await expect(other.ready()).rejects.toThrow(/declares no config.policy/);
  });

  it('refuses an unknown policy value', () => {
    const app = Fastify();
    installAuth(app, { config: { streamer: { username: undefined, password: undefined } }, identity: {} as never, metrics: {} as never });
    expect(() => app.get('/odd', { config: { policy: 'superuser' as never } }, () => 'x')).toThrow(/unknown policy/);
  });
});

describe.each(backends)('every registered route enforces its policy (%s)', (backend) => {
  let t: TestApp;
  let routes: readonly RoutePolicy[];
  const credentials = new Map<UserRole, Record<string, string>>();
  const keyCredentials = new Map<UserRole, Record<string, string>>();

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { API_RATE_LIMIT_RPS: '100000' } });
    routes = routePolicies(t.app).filter((r) => r.method !== 'HEAD');
    for (const role of ['viewer', 'operator'] as const) {
      credentials.set(role, (await signedIn(t, role)).headers);
      // An admin's key capped to the role proves the cap, not only the owner's role, is enforced.
      keyCredentials.set(role, (await apiKeyFor(t, 'admin', role)).headers);
    }
  });
  afterAll(async () => t.close());

  it('has the auth, user and audit routes in its table', () => {
    const urls = routes.map((r) => `${r.method} ${r.url}`);
    expect(urls).toEqual(expect.arrayContaining(['POST /api/v1/auth/login', 'GET /api/v1/users', 'GET /api/v1/audit', 'PATCH /api/v1/users/:id']));
    expect(routes.filter((r) => r.policy !== 'public').length).toBeGreaterThan(10);
  });

  it('answers 401 without a credential on every non-public route', async () => {
    const failures: string[] = [];
    for (const route of routes.filter((r) => r.policy !== 'public')) {
      const response = await t.app.inject({ method: route.method as 'GET', url: concreteUrl(route.url), ...bodyFor(route.method) });
      if (response.statusCode !== 401) failures.push(`${route.method} ${route.url} -> ${response.statusCode}`);
      else expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect(failures).toEqual([]);
  });

  it('answers 403 to a role below the policy (JWT and capped API key) on every operator and admin route', async () => {
    const failures: string[] = [];
    for (const route of routes) {
      const role = UNDER_PRIVILEGED[route.policy];
      if (role === undefined) continue;
      for (const [kind, headers] of [
        ['jwt', credentials.get(role)!],
        ['api_key', keyCredentials.get(role)!],
      ] as const) {
        const response = await t.app.inject({
          method: route.method as 'GET',
          url: concreteUrl(route.url),
          headers,
          ...bodyFor(route.method),
        });
        if (response.statusCode !== 403) failures.push(`${route.method} ${route.url} as ${role} ${kind} -> ${response.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('refuses user credentials on streamer routes', async () => {
    for (const route of routes.filter((r) => r.policy === 'streamer')) {
      const response = await t.app.inject({ method: route.method as 'POST', url: concreteUrl(route.url), headers: credentials.get('operator')!, payload: {} });
      expect(response.statusCode, `${route.method} ${route.url}`).toBe(401);
    }
  });
});
