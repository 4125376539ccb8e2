import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';

/** The spellings of "this machine" the issue found accepted outside demo mode, and friends. */
const LOOPBACK_SPELLINGS = [
  'http://127.0.0.1/h',
  'http://localhost/h',
  'http://[::1]/h',
  'http://2130706433/h',
  'http://0x7f000001/h',
  'http://127.1/h',
  'http://localhost./h',
  'http://[::ffff:127.0.0.1]/h',
  'http://169.254.169.254/latest/meta-data/',
  'http://10.0.0.1/h',
  'http://[fd00::1]/h',
];

describe.each(backends)('webhook receivers and their audit trail (%s)', (backend) => {
  let t: TestApp;
  let admin: Record<string, string>;
  beforeAll(async () => {
    t = await buildTestApp({ backend });
    admin = await authHeaders(t, 'admin');
  });
  afterAll(async () => t.close());

  const count = async () => (await t.deps.database.db.selectFrom('webhook_subscriptions').select('id').execute()).length;

  it('refuses loopback, private and metadata receivers in every spelling (422, nothing stored)', async () => {
    const before = await count();
    for (const url of LOOPBACK_SPELLINGS) {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: admin, payload: { url, events: ['sim.online'] } });
      expect(response.statusCode, url).toBe(422);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ code: 'webhook_url_forbidden', errors: [{ field: '/body/url' }] });
    }
    expect(await count()).toBe(before);

    // A subscription cannot be moved there either.
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/webhooks', headers: admin, payload: { url: 'https://hooks.invalid/in', events: ['sim.online'] } });
    expect(created.statusCode).toBe(201);
    const moved = await t.app.inject({ method: 'PATCH', url: `/api/v1/webhooks/${created.json().id}`, headers: admin, payload: { url: 'http://0x7f000001:8000/admin' } });
    expect(moved.statusCode).toBe(422);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/webhooks/${created.json().id}`, headers: admin })).json().url).toBe('https://hooks.invalid/in');
  });

  it('records before/after (delivery URL included, never the secret) for create, update and delete', async () => {
    const secret = 'audit-secret-0123456789';
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/webhooks',
      headers: admin,
      payload: { url: 'https://first.invalid/in?token=tok-in-url', secret, events: ['sim.online'] },
    });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as string;
    const updated = await t.app.inject({
      method: 'PATCH',
      url: `/api/v1/webhooks/${id}`,
      headers: admin,
      payload: { url: 'https://second.invalid/in', secret: 'rotated-secret-0123456789', enabled: false },
    });
    expect(updated.statusCode).toBe(200);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/v1/webhooks/${id}`, headers: admin })).statusCode).toBe(204);

    const rows = await t.deps.database.db.selectFrom('audit_log').selectAll().where('target_type', '=', 'webhook').where('target_id', '=', id).orderBy('id').execute();
    expect(rows.map((r) => r.action)).toEqual(['webhook.create', 'webhook.update', 'webhook.delete']);
    const [create, update, remove] = rows;
    expect(create!.before).toBeNull();
    expect(create!.after).toMatchObject({ url: 'https://first.invalid/in?token=[redacted]', events: ['sim.online'], enabled: true, signing_key_generated: false });
    expect(update!.before).toMatchObject({ url: 'https://first.invalid/in?token=[redacted]', enabled: true });
    expect(update!.after).toMatchObject({ url: 'https://second.invalid/in', enabled: false, signing_key_rotated: true });
    expect(remove!.before).toMatchObject({ url: 'https://second.invalid/in', enabled: false });
    const text = JSON.stringify(rows);
    for (const leaked of [secret, 'rotated-secret', 'tok-in-url', 'secret_ciphertext']) expect(text).not.toContain(leaked);
  });
});
