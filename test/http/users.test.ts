import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { createUser, login, shiftedClock, signedIn, signedInASecondAgo } from '../modules/users/fixtures.js';

describe.each(backends)('user administration (%s)', (backend) => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signedIn>>;
  const clock = shiftedClock();
  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) =>
    t.app.inject({ method, url: `/api/v1/users${url}`, headers: admin.headers, ...(payload !== undefined && { payload }) });

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { API_RATE_LIMIT_RPS: '100000' }, identityClock: clock.now });
    admin = await signedIn(t, 'admin');
  });
  afterAll(async () => t.close());

  it('lists users with paging and filters, without hashes', async () => {
    await createUser(t, { username: 'list-op-1', role: 'operator' });
    await createUser(t, { username: 'list-op-2', role: 'operator' });
    const page = await call('GET', '?role=operator&q=list-op&page_size=1&page=2');
    expect(page.statusCode).toBe(200);
    expect(page.json()).toMatchObject({ total: 2, page: 2, page_size: 1, total_pages: 2 });
    expect(page.json().items[0].username).toBe('list-op-2');
    expect(page.body).not.toContain('argon2');
    expect((await call('GET', '?q=%25')).json().total).toBe(0);
    expect((await call('GET', '?page_size=0')).statusCode).toBe(400);
  });

  it('gets one user, 404 for unknown and 400 for a malformed id', async () => {
    const { user } = await createUser(t);
    expect((await call('GET', `/${user.id}`)).json()).toMatchObject({ id: user.id, username: user.username });
    expect((await call('GET', '/987654')).statusCode).toBe(404);
    expect((await call('GET', '/abc')).statusCode).toBe(400);
  });

  it('changes roles and refuses to demote or deactivate the last active admin', async () => {
    const { user } = await createUser(t);
    expect((await call('PATCH', `/${user.id}`, { role: 'operator' })).json().role).toBe('operator');
    expect((await call('PATCH', `/${user.id}`, { role: 'god' })).statusCode).toBe(400);
    expect((await call('PATCH', `/${user.id}`, { role: 'viewer', is_active: false })).statusCode).toBe(400);

    const demoteSelf = await call('PATCH', `/${admin.user.id}`, { role: 'viewer' });
    expect(demoteSelf.statusCode).toBe(409);
    expect(demoteSelf.json()).toMatchObject({ code: 'last_admin' });
    expect((await call('POST', `/${admin.user.id}/deactivate`)).statusCode).toBe(409);
  });

  it('deactivates (sessions end, login refused) and reactivates', async () => {
    const session = await signedIn(t, 'operator');
    const off = await call('POST', `/${session.user.id}/deactivate`);
    expect(off.statusCode).toBe(200);
    expect(off.json().is_active).toBe(false);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: session.headers })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.tokens.refresh_token } })).statusCode).toBe(401);
    await expect(login(t, session.user.username, session.password)).rejects.toThrow(/401/);
    expect((await call('POST', `/${session.user.id}/reactivate`)).json().is_active).toBe(true);
    expect((await login(t, session.user.username, session.password)).token_type).toBe('bearer');
  });

  it('resets a password: policy enforced, old sessions and password stop working', async () => {
    const session = await signedInASecondAgo(t, clock, 'viewer');
    expect((await call('POST', `/${session.user.id}/reset-password`, { new_password: 'abc' })).statusCode).toBe(422);
    expect((await call('POST', `/${session.user.id}/reset-password`, {})).statusCode).toBe(400);
    const reset = await call('POST', `/${session.user.id}/reset-password`, { new_password: 'Granite-Meadow-Violin-55' });
    expect(reset.statusCode).toBe(200);
    expect(reset.body).not.toContain('Granite-Meadow-Violin-55');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: session.headers })).statusCode).toBe(401);
    await expect(login(t, session.user.username, session.password)).rejects.toThrow(/401/);
    expect((await login(t, session.user.username, 'Granite-Meadow-Violin-55')).token_type).toBe('bearer');
  });

  it('is closed to operators', async () => {
    const operator = await signedIn(t, 'operator');
    for (const [method, url] of [['GET', '/api/v1/users'], ['POST', `/api/v1/users/${admin.user.id}/deactivate`]] as const) {
      expect((await t.app.inject({ method, url, headers: operator.headers })).statusCode).toBe(403);
    }
  });
});
