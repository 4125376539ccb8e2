import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, buildTestApp, type TestApp } from '../../helpers/app.js';
import { authHeaders } from '../../helpers/auth.js';
import { dayOffset, insertSims, insertUsage } from '../../helpers/factories.js';

/** The monthly report (JSON and CSV) and the fleet forecast over HTTP, from known data. */

const MIB = 1_048_576;
const DAY_MS = 86_400_000;

describe.each(backends)('reports and forecast (%s)', (backend) => {
  let t: TestApp;
  let viewer: Record<string, string>;
  let ids: { a: number; b: number; c: number };

  beforeAll(async () => {
    t = await buildTestApp({ backend, simulator: { fleetSize: 0 } });
    const db = t.deps.database.db;
    const rows = await insertSims(db, [
      { account_id: t.accountId!, iccid: '8988280666000000019', status: 'Enabled', tags: ['trucks', '=cmd'], data_total_bytes: 500 * MIB, data_remaining_bytes: 100 * MIB },
      { account_id: t.accountId!, iccid: '8988280666000000027', status: 'Enabled', tags: ['trucks'], data_total_bytes: 500 * MIB, data_remaining_bytes: 400 * MIB, data_expiry_date: new Date(Date.now() + 20 * DAY_MS) },
      { account_id: t.accountId!, iccid: '8988280666000000035', status: 'Enabled', tags: [] },
    ]);
    ids = { a: rows[0]!.id, b: rows[1]!.id, c: rows[2]!.id };
    // October 2026: usage, SMS, a top-up order, an alert and an anomaly.
    await insertUsage(db, ids.a, [
      { day: '2026-10-03', bytes: 5 * MIB, sms_mo: 2, sms_mt: 1 },
      { day: '2026-10-04', bytes: 7 * MIB, sms_mo: 0, sms_mt: 0 },
    ]);
    await insertUsage(db, ids.b, [{ day: '2026-10-04', bytes: 1 * MIB, sms_mt: 4 }]);
    await insertUsage(db, ids.c, [
      { day: '2026-10-31', bytes: 3 * MIB, sms_mo: 1, sms_mt: 0 },
      { day: '2026-11-01', bytes: 999 * MIB, sms_mo: 0, sms_mt: 0 },
    ]);
    const order = await db.insertInto('orders').values({ account_id: t.accountId!, order_number: '42', order_type: 'TOPUP', status: 'COMPLETED', order_date: new Date('2026-10-10T10:00:00Z') }).returning('id').executeTakeFirstOrThrow();
    await db.insertInto('order_items').values({ order_id: order.id, iccid: '8988280666000000019', quantity: 1, product_id: 1101 }).execute();
    await db
      .insertInto('alerts')
      .values([
        { sim_id: ids.a, metric: 'data_used_pct', threshold: 80, raised_at: new Date('2026-10-12T00:00:00Z') },
        { sim_id: ids.a, metric: 'usage_spike', threshold: 5, raised_at: new Date('2026-10-13T00:00:00Z') },
        { sim_id: ids.b, metric: 'new_country', threshold: 1, raised_at: new Date('2026-09-30T23:59:00Z') },
      ])
      .execute();
    // The last two weeks: SIM a burns 10 MiB a day (100 MiB left: ten days).
    await insertUsage(db, ids.a, Array.from({ length: 14 }, (_, i) => ({ day: dayOffset(-(i + 1)), bytes: 10 * MIB })));
    viewer = await authHeaders(t, 'viewer');
  });
  afterAll(async () => t.close());

  it('reports a month per account and per tag as JSON', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/reports/monthly?month=2026-10', headers: viewer });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ month: '2026-10', from: '2026-10-01', to: '2026-11-01' });
    const figures = { sims: 3, data_bytes: 16 * MIB, sms_mo: 3, sms_mt: 5, topups: 1, auto_topups: 0, alerts: 1, anomalies: 1 };
    expect(body.totals).toEqual(figures);
    expect(body.accounts).toEqual([{ account_id: t.accountId, account_name: expect.any(String), ...figures }]);
    expect(body.tags.map((r: { tag: string; sims: number; data_bytes: number; topups: number; anomalies: number }) => [r.tag, r.sims, r.data_bytes, r.topups, r.anomalies])).toEqual([
      ['=cmd', 1, 12 * MIB, 1, 1],
      ['trucks', 2, 13 * MIB, 1, 1],
    ]);
  });

  it('reports the same as CSV, formula-guarded', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/reports/monthly?month=2026-10&format=csv', headers: viewer });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = res.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe('group,account_id,account_name,tag,sims,data_bytes,sms_mo,sms_mt,topups,auto_topups,alerts,anomalies');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(new RegExp(`^account,${t.accountId},[^,]*,,3,${16 * MIB},3,5,1,0,1,1$`));
    expect(lines[2]).toMatch(new RegExp(`^tag,${t.accountId},[^,]*,'=cmd,1,${12 * MIB},2,1,1,0,1,1$`));
  });

  it('refuses a month that is not one, and unknown parameters', async () => {
    for (const q of ['month=2026-13', 'month=1999-12', 'month=2026-1', 'month=2026-10&format=xml', 'month=2026-10&x=1', 'month=']) {
      const res = await t.app.inject({ method: 'GET', url: `/api/v1/reports/monthly?${q}`, headers: viewer });
      expect(res.statusCode, q).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/reports/monthly?month=2026-10' })).statusCode).toBe(401);
    const current = await t.app.inject({ method: 'GET', url: '/api/v1/reports/monthly', headers: viewer });
    expect(current.json()).toMatchObject({ month: new Date().toISOString().slice(0, 7) });
  });

  it('forecasts exhaustions and expiries for 30 and 90 days, with top-ups priced from the catalogue', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/fleet/forecast', headers: viewer });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const [h30, h90] = body.horizons;
    expect(h30).toMatchObject({ days: 30, sims_exhausting: 1, sims_expiring: 1, topups_needed: 1, extensions_needed: 1, cost: [{ currency: 'EUR', amount: '20.00' }] });
    expect(h90).toMatchObject({ days: 90, sims_exhausting: 1, sims_expiring: 1, topups_needed: 2, extensions_needed: 1, cost: [{ currency: 'EUR', amount: '30.00' }] });
    expect(h30.accounts).toEqual([expect.objectContaining({ account_id: t.accountId, topups_needed: 1, extensions_needed: 1 })]);
    expect(h30.tags.map((g: { tag: string; sims_exhausting: number; sims_expiring: number }) => [g.tag, g.sims_exhausting, g.sims_expiring])).toEqual([
      ['=cmd', 1, 0],
      ['trucks', 1, 1],
    ]);
    expect(body.prices).toEqual([
      { account_id: t.accountId, topup: expect.objectContaining({ product_id: 1101, unit_price: '10.00', currency: 'EUR' }), extension: expect.objectContaining({ product_id: 1201, unit_price: '10.00' }), error: null },
    ]);
  });

  it('lists the SIMs that run out of data within a horizon, soonest first', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/fleet/forecast/sims?within_days=30', headers: viewer });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ total: 1, items: [{ iccid: '8988280666000000019', days_until_exhaustion: 10, burn_rate_per_day: 10 * MIB, topups_needed: 1 }] });
    const expiring = await t.app.inject({ method: 'GET', url: '/api/v1/fleet/forecast/sims?within_days=30&kind=expiry', headers: viewer });
    expect(expiring.json().items.map((s: { iccid: string }) => s.iccid)).toEqual(['8988280666000000027']);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/fleet/forecast/sims?within_days=1e308', headers: viewer })).statusCode).toBe(400);
  });

  it('diagnoses a stored SIM, and refuses a bad ICCID', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/sims/8988280666000000019/diagnosis', headers: viewer });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ iccid: '8988280666000000019', reasons: expect.any(Array), facts: { data_remaining_bytes: 100 * MIB, active_days_28: 14 } });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/sims/8988280666000000043/diagnosis', headers: viewer })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/sims/12ab/diagnosis', headers: viewer })).statusCode).toBe(400);
  });
});
