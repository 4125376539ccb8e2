import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { createUser, GOOD_PASSWORD, signedIn } from '../modules/users/fixtures.js';

describe.each(backends)('audit log (%s)', (backend) => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signedIn>>;
  const query = (qs: string) => t.app.inject({ method: 'GET', url: `/api/v1/audit?${qs}`, headers: admin.headers });
  const rows = () => t.deps.database.db.selectFrom('audit_log').selectAll().orderBy('id').execute();

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { API_RATE_LIMIT_RPS: '100000' } });
    admin = await signedIn(t, 'admin');
  });
  afterAll(async () => t.close());

  it('records a role change with actor, role, IP, user agent, before/after, outcome and request id', async () => {
    const { user } = await createUser(t);
    const response = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/users/${user.id}`,
      headers: { ...admin.headers, 'user-agent': 'audit-test/1.0', 'x-request-id': 'req-audit-1' },
      payload: { role: 'operator' },
      remoteAddress: '198.51.100.77',
    });
    expect(response.statusCode).toBe(200);
    const entry = (await rows()).find((r) => r.request_id === 'req-audit-1');
    expect(entry).toMatchObject({
      actor_type: 'user',
      actor_user_id: admin.user.id,
      actor_username: admin.user.username,
      actor_role: 'admin',
      ip: '198.51.100.77',
      user_agent: 'audit-test/1.0',
      action: 'user.role_change',
      target_type: 'user',
      target_id: String(user.id),
      before: { role: 'viewer' },
      after: { role: 'operator' },
      outcome: 'success',
      status_code: 200,
    });
  });

  it('records denied and failed mutating requests, including anonymous ones', async () => {
    const viewer = await signedIn(t, 'viewer');
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: { ...viewer.headers, 'x-request-id': 'req-denied' }, payload: {} });
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/register', headers: { 'x-request-id': 'req-anon' }, payload: {} });
    await t.app.inject({ method: 'PATCH', url: '/api/v1/users/999999', headers: { ...admin.headers, 'x-request-id': 'req-404' }, payload: { role: 'viewer' } });
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-request-id': 'req-login-fail' }, payload: { username: viewer.user.username, password: 'not-it-at-all' } });
    const all = await rows();
    const byId = (id: string) => all.find((r) => r.request_id === id);
    expect(byId('req-denied')).toMatchObject({ outcome: 'denied', status_code: 403, actor_type: 'user', actor_user_id: viewer.user.id, detail: { error_code: 'insufficient_role' } });
    expect(byId('req-anon')).toMatchObject({ outcome: 'denied', status_code: 401, actor_type: 'anonymous' });
    expect(byId('req-404')).toMatchObject({ outcome: 'failure', status_code: 404, action: 'user.role_change', target_id: '999999' });
    expect(byId('req-login-fail')).toMatchObject({ outcome: 'denied', action: 'auth.login', detail: { username: viewer.user.username, error_code: 'invalid_credentials' } });
  });

  it('never stores passwords, tokens or API keys', async () => {
    const session = await signedIn(t, 'operator');
    const key = (await t.app.inject({ method: 'POST', url: '/api/v1/auth/api-keys', headers: session.headers, payload: { name: 'k' } })).json();
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refresh_token: session.tokens.refresh_token } });
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/password', headers: session.headers, payload: { current_password: session.password, new_password: 'Another-Fine-Passphrase-8' } });
    const dump = JSON.stringify(await rows());
    for (const secret of [session.password, 'Another-Fine-Passphrase-8', session.tokens.refresh_token, session.tokens.access_token, key.api_key]) {
      expect(dump).not.toContain(secret);
    }
    expect(dump).toContain('api_key.create');
  });

  it('is append-only: the database refuses UPDATE and DELETE', async () => {
    await expect(t.deps.database.db.updateTable('audit_log').set({ outcome: 'success' }).execute()).rejects.toThrow(/append-only/);
    await expect(t.deps.database.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`.execute(t.deps.database.db)).rejects.toThrow(/append-only/);
  });

  it('records provider actions through audit.record()', async () => {
    await t.deps.audit.record({
      actor: { type: 'user', userId: admin.user.id, username: admin.user.username, role: 'admin' },
      action: 'sim.topup',
      target: { type: 'sim', id: '89882806660000000019' },
      before: { volume: 100 },
      after: { volume: 600, client_secret: 'must-not-appear' },
      outcome: 'success',
      requestId: 'req-provider',
    });
    const entry = (await rows()).find((r) => r.request_id === 'req-provider');
    expect(entry).toMatchObject({ action: 'sim.topup', target_type: 'sim', after: { volume: 600, client_secret: '[redacted]' } });
  });

  it('records entries whose values PostgreSQL cannot store as such (NUL, lone surrogates) instead of losing them', async () => {
    // A provider-side label holding NUL once made this write fail ("audit entry could not be written").
    await t.deps.audit.record({
      actor: { type: 'user', userId: admin.user.id, username: admin.user.username, role: 'admin' },
      action: 'provider.update_sim',
      target: { type: 'sim', id: '8988280666000000001\u0000' },
      before: { label: 'x\u0000y' },
      after: { label: 'bad \uD800 surrogate', 'k\u0000ey': ['\u0000'] },
      userAgent: 'agent\u0000',
      outcome: 'success',
      requestId: 'req-nul',
      detail: { error: 'provider said \u0000' },
    });
    const entry = (await rows()).find((r) => r.request_id === 'req-nul');
    expect(entry).toMatchObject({
      target_id: '8988280666000000001\uFFFD',
      before: { label: 'x\uFFFDy' },
      after: { label: 'bad \uFFFD surrogate', 'k\uFFFDey': ['\uFFFD'] },
      user_agent: 'agent\uFFFD',
      detail: { error: 'provider said \uFFFD' },
    });
  });

  it('answers GET /audit with filters and paging', async () => {
    const page = await query('action=user.role_change&page_size=1');
    expect(page.statusCode).toBe(200);
    expect(page.json()).toMatchObject({ page: 1, page_size: 1 });
    expect(page.json().items).toHaveLength(1);
    expect(page.json().total).toBeGreaterThanOrEqual(2);
    expect(page.json().total_pages).toBe(page.json().total);

    const denied = (await query('outcome=denied')).json();
    expect(denied.items.every((i: { outcome: string }) => i.outcome === 'denied')).toBe(true);
    const byActor = (await query(`actor=${admin.user.username.toUpperCase()}`)).json();
    expect(byActor.items.length).toBeGreaterThan(0);
    expect(byActor.items.every((i: { actor_user_id: number }) => i.actor_user_id === admin.user.id)).toBe(true);
    const prefix = (await query('action=auth.*')).json();
    expect(prefix.items.every((i: { action: string }) => i.action.startsWith('auth.'))).toBe(true);
    const target = (await query('target=sim:89882806660000000019')).json();
    expect(target.total).toBe(1);
    const future = (await query(`from=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`)).json();
    expect(future.total).toBe(0);
  });

  it('rejects bad filters with 400 and non-admins with 403', async () => {
    for (const qs of ['outcome=maybe', 'from=yesterday', 'page=0', 'page_size=501', 'unknown=1', `from=${new Date().toISOString()}&to=2000-01-01T00:00:00Z`]) {
      expect((await query(qs)).statusCode, qs).toBe(400);
    }
    const operator = await signedIn(t, 'operator');
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/audit', headers: operator.headers })).statusCode).toBe(403);
  });

  it('exports CSV with a header, escaping and formula neutralisation', async () => {
    await t.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'user-agent': '=HYPERLINK("http://evil")', 'x-request-id': 'req-csv' },
      payload: { username: 'x,"y"', password: GOOD_PASSWORD },
      remoteAddress: '10.44.0.1',
    });
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/audit/export?format=csv', headers: admin.headers });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/csv/);
    expect(response.headers['content-disposition']).toMatch(/attachment; filename="audit-.*\.csv"/);
    const lines = response.body.trim().split('\r\n');
    expect(lines[0]).toBe('id,occurred_at,actor_type,actor_user_id,actor_username,actor_api_key_id,actor_role,ip,user_agent,action,target_type,target_id,outcome,status_code,request_id,before,after,detail');
    const line = lines.find((l) => l.includes('req-csv'))!;
    expect(line).toContain(`"'=HYPERLINK(""http://evil"")"`);
    expect(line).toContain('""x,\\""y\\""""');
    expect(lines.length - 1).toBe((await rows()).length);
    const filtered = await t.app.inject({ method: 'GET', url: '/api/v1/audit/export?outcome=success&action=sim.topup', headers: admin.headers });
    expect(filtered.body.trim().split('\r\n')).toHaveLength(2);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/audit/export?format=xml', headers: admin.headers })).statusCode).toBe(400);
  });
});
