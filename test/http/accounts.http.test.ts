import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { updateSimsOfAccount } from '../helpers/factories.js';
import { authHeaders } from '../helpers/auth.js';
import { seedSims } from '../modules/bulk/fleet.fixtures.js';

describe.each(backends)('provider accounts over HTTP (%s)', (backend) => {
  let t: TestApp;
  let admin: Record<string, string>;
  let apiUrl: string;

  beforeAll(async () => {
    t = await buildTestApp({ backend, simulator: true, env: { API_RATE_LIMIT_RPS: '100000' } });
    admin = await authHeaders(t, 'admin');
    apiUrl = t.config.provider.apiUrl;
    await seedSims(t, 3);
  });
  afterAll(async () => {
    await t.close();
  });

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object, headers = admin) =>
    t.app.inject({ method, url, headers, ...(payload !== undefined && { payload }) });

  it('adds an account, never returns its secret, and stores it encrypted', async () => {
    const created = await call('POST', '/api/v1/accounts', { name: 'EU test', api_url: apiUrl, client_id: 'test-client', client_secret: 'test-secret' });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ name: 'EU test', client_id: 'test-client', has_secret: true, is_default: false, is_active: true, sim_count: 0, last_verified_at: null });
    expect(created.body).not.toContain('test-secret');
    expect(JSON.stringify(created.json())).not.toMatch(/secret_ciphertext|client_secret/);

    const row = await t.deps.database.db.selectFrom('provider_accounts').selectAll().where('id', '=', created.json().id).executeTakeFirstOrThrow();
    expect(row.secret_ciphertext).not.toContain('test-secret');
    expect(t.deps.secretBox.decrypt(row.secret_ciphertext)).toBe('test-secret');

    const list = await call('GET', '/api/v1/accounts');
    expect(list.json().total).toBe(2);
    expect(list.json().items[0]).toMatchObject({ is_default: true, sim_count: 3 });
    expect(list.body).not.toContain('test-secret');
    const audit = await t.deps.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'provider_account.create').execute();
    expect(JSON.stringify(audit)).not.toContain('test-secret');

    expect((await call('POST', '/api/v1/accounts', { name: 'EU test', client_id: 'x', client_secret: 'y' })).statusCode).toBe(409);
    expect((await call('POST', '/api/v1/accounts', { name: 'bad url', api_url: 'ftp://x', client_id: 'x', client_secret: 'y' })).statusCode).toBe(400);
  });

  it('tests credentials against 1NCE and records the outcome; a rotated secret takes effect at once', async () => {
    const created = (await call('POST', '/api/v1/accounts', { name: 'rotating', api_url: apiUrl, client_id: 'test-client', client_secret: 'wrong-secret' })).json();
    const failed = await call('POST', `/api/v1/accounts/${created.id}/test`);
    expect(failed.statusCode).toBe(200);
    expect(failed.json()).toMatchObject({ ok: false, error: { code: 'provider_auth_failed' }, account: { last_verified_at: null } });
    expect(failed.json().account.last_error).toMatch(/^provider_auth_failed/);

    const patched = await call('PATCH', `/api/v1/accounts/${created.id}`, { client_secret: 'test-secret' });
    expect(patched.statusCode).toBe(200);
    expect(patched.json()).toMatchObject({ has_secret: true, last_error: null });
    const ok = await call('POST', `/api/v1/accounts/${created.id}/test`);
    expect(ok.json()).toMatchObject({ ok: true, error: null, sims_total: 100, account: { last_error: null } });
    expect(ok.json().account.last_verified_at).not.toBeNull();
    const audit = await t.deps.database.db.selectFrom('audit_log').selectAll().where('action', '=', 'provider_account.update').execute();
    expect(audit.at(-1)?.after).toMatchObject({ credentials_rotated: true });
    expect(JSON.stringify(audit)).not.toContain('test-secret');
  });

  it('removes an unused account, refuses the default one and one that owns SIMs', async () => {
    const spare = (await call('POST', '/api/v1/accounts', { name: 'spare', client_id: 'x', client_secret: 'y' })).json();
    expect((await call('DELETE', `/api/v1/accounts/${spare.id}`)).statusCode).toBe(204);
    expect((await call('GET', `/api/v1/accounts/${spare.id}`)).statusCode).toBe(404);

    const defaultAccount = await call('DELETE', `/api/v1/accounts/${t.accountId!}`);
    expect(defaultAccount.statusCode).toBe(409);
    expect(defaultAccount.json().code).toBe('default_account_managed');
    expect((await call('PATCH', `/api/v1/accounts/${t.accountId!}`, { client_secret: 'z' })).statusCode).toBe(409);
    expect((await call('PATCH', `/api/v1/accounts/${t.accountId!}`, { name: 'primary' })).json()).toMatchObject({ name: 'primary' });

    const owner = (await call('POST', '/api/v1/accounts', { name: 'owner', client_id: 'x', client_secret: 'y' })).json();
    await updateSimsOfAccount(t.deps.database.db, { account_id: owner.id }, t.accountId!);
    const inUse = await call('DELETE', `/api/v1/accounts/${owner.id}`);
    expect(inUse.statusCode).toBe(409);
    expect(inUse.json()).toMatchObject({ code: 'account_in_use', references: { sims: 3, orders: 0, support_tickets: 0 } });
    await updateSimsOfAccount(t.deps.database.db, { account_id: t.accountId! }, owner.id);

    const deactivated = await call('PATCH', `/api/v1/accounts/${owner.id}`, { is_active: false });
    expect(deactivated.json().is_active).toBe(false);
    expect((await call('POST', `/api/v1/accounts/${owner.id}/test`)).statusCode).toBe(409);
  });

  it('refuses to move a stored secret to a new api_url unless the secret is re-entered', async () => {
    const created = (await call('POST', '/api/v1/accounts', { name: 'exfil', api_url: apiUrl, client_id: 'test-client', client_secret: 'kept-secret' })).json();
    const before = await t.deps.database.db.selectFrom('provider_accounts').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();

    for (const body of [{ api_url: 'https://attacker.example/api' }, { api_url: 'https://attacker.example/api', client_id: 'other' }, { api_url: 'https://attacker.example/api', name: 'renamed' }]) {
      const refused = await call('PATCH', `/api/v1/accounts/${created.id}`, body);
      expect(refused.statusCode).toBe(422);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.json()).toMatchObject({ code: 'secret_required', errors: [{ field: '/body/client_secret' }] });
    }
    const after = await t.deps.database.db.selectFrom('provider_accounts').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow();
    expect(after).toEqual(before);

    // The same URL again, or a URL with the secret re-entered, is fine.
    expect((await call('PATCH', `/api/v1/accounts/${created.id}`, { api_url: apiUrl, name: 'exfil 2' })).statusCode).toBe(200);
    const moved = await call('PATCH', `/api/v1/accounts/${created.id}`, { api_url: 'https://staging.example/api', client_secret: 'new-secret' });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ api_url: 'https://staging.example/api', has_secret: true, last_verified_at: null });
  });

  it('is for admins only', async () => {
    const operator = await authHeaders(t, 'operator');
    expect((await call('GET', '/api/v1/accounts', undefined, operator)).statusCode).toBe(403);
    expect((await call('POST', '/api/v1/accounts', { name: 'n', client_id: 'x', client_secret: 'y' }, operator)).statusCode).toBe(403);
    expect((await call('GET', '/api/v1/accounts/not-a-uuid')).statusCode).toBe(400);
  });
});
