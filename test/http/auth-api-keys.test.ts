import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { API_KEY_PATTERN, hashApiKeySecret } from '../../src/modules/users/api-key-format.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { signedIn } from '../modules/users/fixtures.js';

describe.each(backends)('API keys (%s)', (backend) => {
  let t: TestApp;
  const me = (key: string) => t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { 'x-api-key': key } });
  const create = (headers: Record<string, string>, payload: object = {}) =>
    t.app.inject({ method: 'POST', url: '/api/v1/auth/api-keys', headers, payload });

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { API_RATE_LIMIT_RPS: '100000' } });
  });
  afterAll(async () => t.close());
  afterEach(() => {
    vi.useRealTimers();
  });

  it('returns the key once; listings and the database never contain it', async () => {
    const session = await signedIn(t, 'operator');
    const response = await create(session.headers, { name: 'ci deploy' });
    expect(response.statusCode).toBe(201);
    const created = response.json();
    expect(created.api_key).toMatch(API_KEY_PATTERN);
    expect(created).toMatchObject({ name: 'ci deploy', role_cap: null, expires_at: null, user_id: session.user.id });

    const listed = await t.app.inject({ method: 'GET', url: '/api/v1/auth/api-keys', headers: session.headers });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toHaveLength(1);
    expect(listed.body).not.toContain(created.api_key);
    expect(listed.json()[0]).not.toHaveProperty('api_key');
    expect(listed.json()[0]).not.toHaveProperty('secret_hash');

    const row = await t.deps.database.db.selectFrom('api_keys').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    const secret = created.api_key.split('_').slice(2).join('_');
    expect(JSON.stringify(row)).not.toContain(secret);
    expect(row.secret_hash).toBe(hashApiKeySecret(secret));
    expect(row.prefix).toBe(created.prefix);
  });

  it('authenticates alone (no JWT needed) with the owner and the key in /me', async () => {
    const session = await signedIn(t, 'operator');
    const key = (await create(session.headers)).json();
    const response = await me(key.api_key);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ user: { id: session.user.id }, auth: { method: 'api_key', effective_role: 'operator', api_key_id: key.id } });
  });

  it('refuses a wrong secret behind a real prefix, and unknown prefixes', async () => {
    const session = await signedIn(t, 'viewer');
    const key = (await create(session.headers)).json();
    const wrongSecret = `sfk_${key.prefix}_${'A'.repeat(43)}`;
    expect((await me(wrongSecret)).statusCode).toBe(401);
    expect((await me(`sfk_zzzzzzzzzzzz_${'A'.repeat(43)}`)).statusCode).toBe(401);
    expect((await me(`${key.api_key}x`)).statusCode).toBe(401);
  });

  it('applies the role cap, and refuses a cap above the creator', async () => {
    const admin = await signedIn(t, 'admin');
    const capped = (await create(admin.headers, { role: 'viewer' })).json();
    expect(capped.role_cap).toBe('viewer');
    const asKey = await me(capped.api_key);
    expect(asKey.json().auth.effective_role).toBe('viewer');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/users', headers: { 'x-api-key': capped.api_key } })).statusCode).toBe(403);

    const viewer = await signedIn(t, 'viewer');
    const tooHigh = await create(viewer.headers, { role: 'admin' });
    expect(tooHigh.statusCode).toBe(403);
    expect(tooHigh.json()).toMatchObject({ code: 'role_cap_too_high' });
    // A capped key cannot mint an uncapped one.
    const minted = await create({ 'x-api-key': capped.api_key });
    expect(minted.json().role_cap).toBe('viewer');
  });

  it('a revoked key is refused on the very next request', async () => {
    const session = await signedIn(t, 'viewer');
    const key = (await create(session.headers)).json();
    expect((await me(key.api_key)).statusCode).toBe(200);
    const revoke = await t.app.inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${key.id}`, headers: session.headers });
    expect(revoke.statusCode).toBe(204);
    const after = await me(key.api_key);
    expect(after.statusCode).toBe(401);
    expect(after.json()).toMatchObject({ code: 'api_key_revoked' });
  });

  it('a key created with a key inherits at most its expiry and its cap, and dies with it', async () => {
    const session = await signedIn(t, 'operator');
    const parent = (await create(session.headers, { expires_in_days: 1, role: 'operator' })).json();
    // No expiry asked, or a later one: both clamped to the parent's.
    const child = (await create({ 'x-api-key': parent.api_key })).json();
    expect(child).toMatchObject({ expires_at: parent.expires_at, role_cap: 'operator', parent_key_id: parent.id });
    const longer = (await create({ 'x-api-key': parent.api_key }, { expires_in_days: 365 })).json();
    expect(longer.expires_at).toBe(parent.expires_at);
    // A shorter one is kept; a higher role is refused.
    const shorter = (await create({ 'x-api-key': child.api_key }, { expires_in_days: 1 })).json();
    expect(Date.parse(shorter.expires_at)).toBeLessThanOrEqual(Date.parse(parent.expires_at));
    expect((await create({ 'x-api-key': child.api_key }, { role: 'admin' })).statusCode).toBe(403);
    const grandchild = (await create({ 'x-api-key': child.api_key }, { role: 'viewer' })).json();
    expect(grandchild).toMatchObject({ role_cap: 'viewer', parent_key_id: child.id, expires_at: parent.expires_at });
    const unrelated = (await create(session.headers)).json();

    const revoke = await t.app.inject({ method: 'DELETE', url: `/api/v1/auth/api-keys/${parent.id}`, headers: session.headers });
    expect(revoke.statusCode).toBe(204);
    for (const key of [parent, child, longer, shorter, grandchild]) {
      const response = await me(key.api_key);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toMatchObject({ code: 'api_key_revoked' });
    }
    expect((await me(unrelated.api_key)).statusCode).toBe(200);
    const listed = (await t.app.inject({ method: 'GET', url: '/api/v1/auth/api-keys?include_revoked=true', headers: session.headers })).json();
    const reasons = Object.fromEntries(listed.map((k: { id: string; revoked_reason: string | null }) => [k.id, k.revoked_reason]));
    expect(reasons).toMatchObject({ [parent.id]: 'revoked', [child.id]: 'parent_revoked', [grandchild.id]: 'parent_revoked', [unrelated.id]: null });
    const audit = await t.deps.database.db.selectFrom('audit_log').select('detail').where('action', '=', 'api_key.revoke').where('target_id', '=', parent.id).executeTakeFirstOrThrow();
    expect((audit.detail as { descendants_revoked: string[] }).descendants_revoked.sort()).toEqual([child.id, longer.id, shorter.id, grandchild.id].sort());
  });

  it('a revoked parent cannot mint a child, even from a cached lookup', async () => {
    const session = await signedIn(t, 'viewer');
    const parent = (await create(session.headers)).json();
    expect((await me(parent.api_key)).statusCode).toBe(200);
    // Revoked behind the cache's back: authentication still sees the old row, the creation must not.
    await t.deps.database.db.updateTable('api_keys').set({ revoked_at: new Date() }).where('id', '=', parent.id).execute();
    const minted = await create({ 'x-api-key': parent.api_key });
    expect(minted.statusCode).toBe(401);
    expect(minted.json()).toMatchObject({ code: 'api_key_revoked' });
    expect(await t.deps.database.db.selectFrom('api_keys').select('id').where('parent_key_id', '=', parent.id).execute()).toEqual([]);
    await t.deps.identity.authCache.invalidate();
  });

  it('a password change or reset revokes every API key of the user; other users keep theirs', async () => {
    const session = await signedIn(t, 'operator');
    const other = await signedIn(t, 'operator');
    const fromSession = (await create(session.headers)).json();
    const fromKey = (await create({ 'x-api-key': fromSession.api_key })).json();
    const othersKey = (await create(other.headers)).json();
    const changed = await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/password',
      headers: session.headers,
      payload: { current_password: session.password, new_password: 'amber-Lantern-pebble-77' },
    });
    expect(changed.statusCode).toBe(200);
    for (const key of [fromSession, fromKey]) expect((await me(key.api_key)).json()).toMatchObject({ code: 'api_key_revoked' });
    expect((await me(othersKey.api_key)).statusCode).toBe(200);
    const rows = await t.deps.database.db.selectFrom('api_keys').select(['id', 'revoked_reason']).where('user_id', '=', session.user.id).execute();
    expect(rows.map((r) => r.revoked_reason)).toEqual(['password_changed', 'password_changed']);
    const audit = await t.deps.database.db.selectFrom('audit_log').select('detail').where('action', '=', 'user.password_change').where('target_id', '=', String(session.user.id)).executeTakeFirstOrThrow();
    expect((audit.detail as { revoked_keys: string[] }).revoked_keys.sort()).toEqual([fromSession.id, fromKey.id].sort());

    // A new key made after the change works; an admin reset revokes it too.
    const fresh = (await create({ authorization: `Bearer ${changed.json().access_token}` })).json();
    expect((await me(fresh.api_key)).statusCode).toBe(200);
    const admin = await signedIn(t, 'admin');
    const reset = await t.app.inject({ method: 'POST', url: `/api/v1/users/${session.user.id}/reset-password`, headers: admin.headers, payload: { new_password: 'cobalt-Meadow-thistle-19' } });
    expect(reset.statusCode).toBe(200);
    expect((await me(fresh.api_key)).json()).toMatchObject({ code: 'api_key_revoked' });
    expect((await t.deps.database.db.selectFrom('api_keys').select('revoked_reason').where('id', '=', fresh.id).executeTakeFirstOrThrow()).revoked_reason).toBe('password_reset');
  });

  it('an expired key is refused', async () => {
    const session = await signedIn(t, 'viewer');
    const key = (await create(session.headers, { expires_in_days: 1 })).json();
    expect(Date.parse(key.expires_at) - Date.now()).toBeGreaterThan(23 * 3600_000);
    expect((await me(key.api_key)).statusCode).toBe(200);
    await t.deps.database.db.updateTable('api_keys').set({ expires_at: sql<Date>`now() - interval '1 second'` }).where('id', '=', key.id).execute();
    // An edit behind the services' back must invalidate the cached lookups itself (or wait out their TTL).
    await t.deps.identity.authCache.invalidate();
    const response = await me(key.api_key);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'api_key_expired' });
  });

  it('validates the body: expiry range, unknown fields, role', async () => {
    const session = await signedIn(t, 'viewer');
    for (const payload of [{ expires_in_days: 0 }, { expires_in_days: 100000 }, { expires_in_days: 'soon' }, { scope: 'all' }, { role: 'root' }, { name: '' }]) {
      expect((await create(session.headers, payload)).statusCode, JSON.stringify(payload)).toBe(400);
    }
  });

  it("lets users revoke only their own keys; admins revoke and list anyone's", async () => {
    const owner = await signedIn(t, 'operator');
    const other = await signedIn(t, 'operator');
    const admin = await signedIn(t, 'admin');
    const key = (await create(owner.headers)).json();
    const url = `/api/v1/auth/api-keys/${key.id}`;
    expect((await t.app.inject({ method: 'DELETE', url, headers: other.headers })).statusCode).toBe(404);
    expect((await me(key.api_key)).statusCode).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/api-keys?all=true', headers: other.headers })).statusCode).toBe(403);
    const all = await t.app.inject({ method: 'GET', url: '/api/v1/auth/api-keys?all=true', headers: admin.headers });
    expect(all.json().map((k: { id: string }) => k.id)).toContain(key.id);
    expect((await t.app.inject({ method: 'DELETE', url, headers: admin.headers })).statusCode).toBe(204);
    expect((await me(key.api_key)).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/auth/api-keys/not-a-uuid', headers: admin.headers })).statusCode).toBe(400);
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/auth/api-keys/00000000-0000-4000-8000-000000000000', headers: admin.headers })).statusCode).toBe(404);
  });

  it('writes last_used_at at most once a minute per key, also while the key is cached', async () => {
    const session = await signedIn(t, 'viewer');
    const key = (await create(session.headers)).json();
    const lastUsed = async () =>
      (await t.deps.database.db.selectFrom('api_keys').select('last_used_at').where('id', '=', key.id).executeTakeFirstOrThrow()).last_used_at;
    const updates = async () =>
      (await t.deps.metrics.registry.getSingleMetric('simfleet_db_query_duration_seconds')!.get()).values
        .filter((v) => (v as { metricName?: string }).metricName === 'simfleet_db_query_duration_seconds_count' && v.labels.operation === 'update')
        .reduce((sum, v) => sum + v.value, 0);
    expect(await lastUsed()).toBeNull();
    await me(key.api_key);
    const first = await lastUsed();
    expect(first).toBeInstanceOf(Date);
    const writes = await updates();
    for (let i = 0; i < 5; i++) expect((await me(key.api_key)).statusCode).toBe(200);
    expect((await lastUsed())!.getTime()).toBe(first!.getTime());
    // The cached row still says "never used": no write is even attempted.
    expect(await updates()).toBe(writes);

    // Two minutes later (moved back in the database, and on this process's clock) the next use writes again.
    await t.deps.database.db.updateTable('api_keys').set({ last_used_at: sql<Date>`now() - interval '2 minutes'` }).where('id', '=', key.id).execute();
    const stale = await lastUsed();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 120_000);
    await me(key.api_key);
    expect((await lastUsed())!.getTime()).toBeGreaterThan(stale!.getTime());
  });

  it('checks expiry on every request against the cached key', async () => {
    const session = await signedIn(t, 'viewer');
    const key = (await create(session.headers)).json();
    await t.deps.database.db.updateTable('api_keys').set({ expires_at: sql<Date>`now() + interval '5 seconds'` }).where('id', '=', key.id).execute();
    await t.deps.identity.authCache.invalidate();
    expect((await me(key.api_key)).statusCode).toBe(200);
    expect((await me(key.api_key)).statusCode).toBe(200);
    // Ten seconds on: past the key's expiry, well within the cache TTL (the entry is still cached).
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 10_000);
    const response = await me(key.api_key);
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'api_key_expired' });
  });

  it('reports active keys as a gauge', async () => {
    const session = await signedIn(t, 'viewer');
    await create(session.headers);
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics' });
    const active = Number(/^simfleet_auth_api_keys_active (\d+)/m.exec(metrics.body)?.[1]);
    expect(active).toBe(await t.deps.identity.apiKeys.countActive());
    expect(active).toBeGreaterThan(0);
    expect(metrics.body).toMatch(/simfleet_auth_attempts_total\{method="api_key",result="success"\} \d+/);
  });
});
