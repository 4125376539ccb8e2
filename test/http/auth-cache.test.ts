import { afterEach, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';
import { backends, buildTestApp, redisUrl, type TestApp } from '../helpers/app.js';
import { apiKeyFor, createUser, shiftedClock, signedIn, signedInASecondAgo } from '../modules/users/fixtures.js';

/**
 * Authentication lookups are cached (docs/auth.md); every change that affects a credential must
 * still apply to the very next request. Each case first makes sure the credential is cached (an
 * auth cache hit), then changes it through the API and checks the next request.
 */

/** Memory always; Redis too when TEST_REDIS_URL is set (never silently skipped). */
const stores: Array<'memory' | 'redis'> = redisUrl === undefined ? ['memory'] : ['memory', 'redis'];

/** Auth lookups answered from the cache so far, on one app's metrics. */
async function authHits(deps: Deps): Promise<number> {
  const values = (await deps.metrics.registry.getSingleMetric('simfleet_cache_requests_total')!.get()).values;
  return values
    .filter((v) => v.labels.cache === 'auth' && v.labels.result === 'hit')
    .reduce((sum, v) => sum + v.value, 0);
}

describe.each(stores)('cached authentication lookups (%s store)', (store) => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signedIn>>;
  const clock = shiftedClock();
  const open = async () => {
    // The Redis leg also uses real PostgreSQL when CI provides it.
    t = await buildTestApp({
      backend: store === 'redis' ? backends[backends.length - 1]! : 'pglite',
      redis: store === 'redis',
      env: { API_RATE_LIMIT_RPS: '100000' },
      identityClock: clock.now,
    });
    admin = await signedIn(t, 'admin');
  };
  afterEach(async () => t.close());

  const get = (url: string, headers: Record<string, string>, app: App = t.app) =>
    app.inject({ method: 'GET', url, headers });
  const asAdmin = (method: 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.app.inject({ method, url, headers: admin.headers, ...(payload !== undefined && { payload }) });

  /**
   * Uses the credential until an answer comes from the cache (the first lookup of a fresh store only
   * creates the generation counter, the next one stores the entry, the third is a hit).
   */
  /** An API key of the signed-in user, created directly (its role is the user's own). */
  const keyOf = (session: { user: { id: number; username: string } }, role: 'admin' | 'operator') =>
    t.deps.identity.apiKeys.create({ kind: 'user', userId: session.user.id, username: session.user.username, role, userRole: role }, {});

  const useCached = async (
    headers: Record<string, string>,
    url = '/api/v1/auth/me',
    deps: Deps = t.deps,
    app: App = t.app,
  ) => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const before = await authHits(deps);
      expect((await get(url, headers, app)).statusCode).toBe(200);
      if ((await authHits(deps)) > before) return;
    }
    throw new Error(`three requests with these credentials on ${url} never hit the auth cache`);
  };

  it('a cached API key is refused on the request right after its revocation', async () => {
    await open();
    const { key, headers } = await apiKeyFor(t, 'operator');
    await useCached(headers);
    expect((await asAdmin('DELETE', `/api/v1/auth/api-keys/${key.id}`)).statusCode).toBe(204);
    const after = await get('/api/v1/auth/me', headers);
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ code: 'api_key_revoked' });
  });

  it('deactivating the owner refuses the cached key and token at once; reactivating restores them', async () => {
    await open();
    const session = await signedIn(t, 'operator');
    const key = await keyOf(session, 'operator');
    const keyHeaders = { 'x-api-key': key.api_key };
    await useCached(keyHeaders);
    await useCached(session.headers);
    expect((await asAdmin('POST', `/api/v1/users/${session.user.id}/deactivate`)).statusCode).toBe(200);
    for (const headers of [keyHeaders, session.headers]) {
      const refused = await get('/api/v1/auth/me', headers);
      expect(refused.statusCode).toBe(401);
      expect(refused.json()).toMatchObject({ code: 'account_disabled' });
    }
    expect((await asAdmin('POST', `/api/v1/users/${session.user.id}/reactivate`)).statusCode).toBe(200);
    expect((await get('/api/v1/auth/me', keyHeaders)).statusCode).toBe(200);
    expect((await get('/api/v1/auth/me', session.headers)).statusCode).toBe(200);
  });

  it('a lowered role applies to the next request (403 on an admin route) for a cached token and key', async () => {
    await open();
    const session = await signedIn(t, 'admin');
    const key = await keyOf(session, 'admin');
    const keyHeaders = { 'x-api-key': key.api_key };
    await useCached(session.headers, '/api/v1/users');
    await useCached(keyHeaders, '/api/v1/users');
    expect((await asAdmin('PATCH', `/api/v1/users/${session.user.id}`, { role: 'viewer' })).statusCode).toBe(
      200,
    );
    for (const headers of [session.headers, keyHeaders]) {
      const refused = await get('/api/v1/users', headers);
      expect(refused.statusCode).toBe(403);
      expect(refused.json()).toMatchObject({ code: 'insufficient_role' });
    }
    // And back up: promotion applies as promptly.
    expect((await asAdmin('PATCH', `/api/v1/users/${session.user.id}`, { role: 'admin' })).statusCode).toBe(
      200,
    );
    expect((await get('/api/v1/users', session.headers)).statusCode).toBe(200);
  });

  it('a password change (own or by an admin) rejects the cached old access token', async () => {
    await open();
    const own = await signedInASecondAgo(t, clock, 'viewer');
    const reset = await signedInASecondAgo(t, clock, 'viewer');
    await useCached(own.headers);
    await useCached(reset.headers);

    const changed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: own.headers,
      payload: { current_password: own.password, new_password: 'Brand-New-Secret-Words-1' },
    });
    expect(changed.statusCode).toBe(200);
    const old = await get('/api/v1/auth/me', own.headers);
    expect(old.statusCode).toBe(401);
    expect(old.json()).toMatchObject({ code: 'invalid_token' });
    expect(
      (await get('/api/v1/auth/me', { authorization: `Bearer ${changed.json().access_token}` })).statusCode,
    ).toBe(200);

    expect(
      (
        await asAdmin('POST', `/api/v1/users/${reset.user.id}/reset-password`, {
          new_password: 'Granite-Meadow-Violin-55',
        })
      ).statusCode,
    ).toBe(200);
    expect((await get('/api/v1/auth/me', reset.headers)).statusCode).toBe(401);
  });

  it('an unknown or wrong secret behind a cached prefix is still refused', async () => {
    await open();
    const { key, headers } = await apiKeyFor(t, 'viewer');
    await useCached(headers);
    const wrong = await get('/api/v1/auth/me', { 'x-api-key': `sfk_${key.prefix}_${'A'.repeat(43)}` });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toMatchObject({ code: 'invalid_api_key' });
  });

  it('keeps serving (from the database) when an entry is missing or a new user appears', async () => {
    await open();
    const { headers } = await apiKeyFor(t, 'viewer');
    await useCached(headers);
    // Creating users or keys invalidates nothing, and new ones are found at once.
    const { user } = await createUser(t, { role: 'viewer' });
    const fresh = await apiKeyFor(t, 'operator');
    expect((await get('/api/v1/auth/me', fresh.headers)).json()).toMatchObject({
      auth: { effective_role: 'operator' },
    });
    expect((await get(`/api/v1/users/${user.id}`, admin.headers)).statusCode).toBe(200);
    expect((await get('/api/v1/auth/me', headers)).statusCode).toBe(200);
  });

  if (store === 'redis') {
    /** A second replica: its own app, deps, metrics and in-process state, the same database and Redis. */
    const openReplica = async (): Promise<{ app: App; deps: Deps; close: () => Promise<void> }> => {
      const metrics = createMetrics();
      // The database belongs to the first app; this replica must not close it.
      const database = { ...t.deps.database, close: () => Promise.resolve() };
      const deps = await createDeps(t.config, createLogger(t.config), { database, metrics });
      const app = await buildApp(deps);
      await app.ready();
      return {
        app,
        deps,
        async close() {
          await app.close();
          await deps.close();
        },
      };
    };

    it('a revocation, deactivation or role change made through replica A applies to the next request on replica B', async () => {
      await open();
      const b = await openReplica();
      try {
        const revoked = await apiKeyFor(t, 'operator');
        const deactivated = await signedIn(t, 'operator');
        const demoted = await signedIn(t, 'admin');
        await useCached(revoked.headers, '/api/v1/auth/me', b.deps, b.app);
        await useCached(deactivated.headers, '/api/v1/auth/me', b.deps, b.app);
        await useCached(demoted.headers, '/api/v1/users', b.deps, b.app);

        expect((await asAdmin('DELETE', `/api/v1/auth/api-keys/${revoked.key.id}`)).statusCode).toBe(204);
        expect((await asAdmin('POST', `/api/v1/users/${deactivated.user.id}/deactivate`)).statusCode).toBe(
          200,
        );
        expect(
          (await asAdmin('PATCH', `/api/v1/users/${demoted.user.id}`, { role: 'viewer' })).statusCode,
        ).toBe(200);

        expect((await get('/api/v1/auth/me', revoked.headers, b.app)).json()).toMatchObject({
          code: 'api_key_revoked',
        });
        expect((await get('/api/v1/auth/me', deactivated.headers, b.app)).json()).toMatchObject({
          code: 'account_disabled',
        });
        expect((await get('/api/v1/users', demoted.headers, b.app)).statusCode).toBe(403);

        // And B caches again afterwards (the shared generation moved on, it did not switch caching off).
        const other = await apiKeyFor(t, 'viewer');
        await useCached(other.headers, '/api/v1/auth/me', b.deps, b.app);
      } finally {
        await b.close();
      }
    });
  }
});
