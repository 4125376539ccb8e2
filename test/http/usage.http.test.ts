import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { activeSim, simulatorRequests, sweptFleetApp } from '../modules/sims/fixtures.js';

const DAY_MS = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

describe.each(backends)('usage over HTTP (%s)', (backend) => {
  let t: TestApp;
  let viewer: Record<string, string>;
  let operator: Record<string, string>;
  let iccid: string;
  let simId: number;

  beforeAll(async () => {
    t = await sweptFleetApp(backend);
    viewer = await authHeaders(t, 'viewer');
    operator = await authHeaders(t, 'operator');
    ({ id: simId, iccid } = await activeSim(t, { quotaLeft: true }));
  });
  afterAll(async () => {
    await t.close();
  });

  const sync = (body: object, headers = operator) => t.app.inject({ method: 'POST', url: `/api/v1/sims/${iccid}/usage/sync`, headers, payload: body });
  const rows = async () => t.deps.database.db.selectFrom('sim_usage').selectAll().where('sim_id', '=', simId).orderBy('day').execute();

  it('syncs a range from 1NCE idempotently, keyed on (SIM, day)', async () => {
    const before = (await simulatorRequests(t))['GET /v1/sims/{iccid}/usage'] ?? 0;
    const first = await sync({ start_date: day(-40), end_date: day(0) });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ iccid, from: day(-40), to: day(0), clamped: false });
    const stored = await rows();
    // Every complete day is stored (zero where 1NCE reported nothing); today only if reported.
    expect(stored.length).toBeGreaterThanOrEqual(41);
    expect(stored[0]!.day).toBe(day(-40));
    const second = await sync({ start_date: day(-40), end_date: day(0) });
    expect(second.statusCode).toBe(200);
    const again = await rows();
    expect(again).toHaveLength(stored.length);
    // Complete days are identical; today's row keeps growing while the day runs.
    const complete = (list: typeof stored) => list.filter((r) => r.day < day(0)).map((r) => [r.day, r.data_total_bytes, r.sms_mo]);
    expect(complete(again)).toEqual(complete(stored));
    expect((await simulatorRequests(t))['GET /v1/sims/{iccid}/usage']).toBe(before + 2);
    expect(stored.every((r) => r.data_total_bytes === r.data_rx_bytes + r.data_tx_bytes || r.data_total_bytes >= 0)).toBe(true);
  });

  it('clamps ranges older than the six months 1NCE keeps, and validates the range', async () => {
    const old = await sync({ start_date: day(-400), end_date: day(-390) });
    expect(old.statusCode).toBe(200);
    expect(old.json()).toMatchObject({ clamped: true, days: 0, written: 0 });
    const reversed = await sync({ start_date: day(-1), end_date: day(-5) });
    expect(reversed.statusCode).toBe(400);
    expect(reversed.json().errors[0].field).toBe('body.start_date');
    expect((await sync({ start_date: '2025-02-30' })).statusCode).toBe(400);
    expect((await sync({}, viewer)).statusCode).toBe(403);
  });

  it('serves days, weeks and months from our store with a summary that adds up', async () => {
    const stored = (await rows()).filter((r) => r.day >= day(-27) && r.day <= day(0));
    const response = await t.app.inject({ method: 'GET', url: `/api/v1/sims/${iccid}/usage?start_date=${day(-27)}&end_date=${day(0)}`, headers: viewer });
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.items).toHaveLength(stored.length);
    const total = stored.reduce((a, r) => a + r.data_total_bytes, 0);
    const peak = stored.reduce((best, r) => (r.data_total_bytes > best.data_total_bytes ? r : best), stored[0]!);
    expect(body.summary).toMatchObject({
      start_date: day(-27),
      end_date: day(0),
      days: 28,
      days_with_data: stored.length,
      data_total_bytes: total,
      data_rx_bytes: stored.reduce((a, r) => a + r.data_rx_bytes, 0),
      data_tx_bytes: stored.reduce((a, r) => a + r.data_tx_bytes, 0),
      sms_mo: stored.reduce((a, r) => a + r.sms_mo, 0),
      sms_mt: stored.reduce((a, r) => a + r.sms_mt, 0),
      daily_average_bytes: Math.round(total / 28),
    });
    expect(body.summary.peak.data_total_bytes).toBe(peak.data_total_bytes);
    expect(total).toBeGreaterThan(0);

    for (const granularity of ['week', 'month'] as const) {
      const grouped = (await t.app.inject({ method: 'GET', url: `/api/v1/sims/${iccid}/usage?start_date=${day(-27)}&end_date=${day(0)}&granularity=${granularity}`, headers: viewer })).json();
      expect(grouped.items.length).toBeLessThan(body.items.length);
      expect(grouped.items.reduce((a: number, p: { data_total_bytes: number }) => a + p.data_total_bytes, 0)).toBe(total);
      expect(grouped.items.reduce((a: number, p: { days_with_data: number }) => a + p.days_with_data, 0)).toBe(stored.length);
      expect(grouped.summary).toEqual(body.summary);
    }
    const weeks = (await t.app.inject({ method: 'GET', url: `/api/v1/sims/${iccid}/usage?start_date=${day(-27)}&end_date=${day(0)}&granularity=week`, headers: viewer })).json();
    expect(weeks.items.every((w: { period_start: string }) => new Date(`${w.period_start}T00:00:00Z`).getUTCDay() === 1)).toBe(true);
  });

  it('caches answers and invalidates them when the SIM\'s usage is written', async () => {
    const url = `/api/v1/sims/${iccid}/usage/summary?start_date=${day(-3)}&end_date=${day(-3)}`;
    const first = (await t.app.inject({ method: 'GET', url, headers: viewer })).json();
    await t.deps.database.db.updateTable('sim_usage').set({ data_total_bytes: 999_999_999 }).where('sim_id', '=', simId).where('day', '=', day(-3)).execute();
    // A direct database write is not seen while cached...
    expect((await t.app.inject({ method: 'GET', url, headers: viewer })).json()).toEqual(first);
    // ...a sync (a write through the service) invalidates, and restores 1NCE's figure.
    await sync({ start_date: day(-3), end_date: day(-3) });
    const after = (await t.app.inject({ method: 'GET', url, headers: viewer })).json();
    expect(after.data_total_bytes).toBe(first.data_total_bytes);
    await t.deps.database.db.updateTable('sim_usage').set({ data_total_bytes: 999_999_999 }).where('sim_id', '=', simId).where('day', '=', day(-3)).execute();
    await sync({ start_date: day(-3), end_date: day(-3) });
    expect((await t.app.inject({ method: 'GET', url, headers: viewer })).json().data_total_bytes).toBe(first.data_total_bytes);
  });

  it('answers an empty range with zeros and a null peak, and 404 for an unknown SIM', async () => {
    const empty = (await t.app.inject({ method: 'GET', url: `/api/v1/sims/${iccid}/usage?start_date=2020-01-01&end_date=2020-01-10`, headers: viewer })).json();
    expect(empty.items).toEqual([]);
    expect(empty.summary).toMatchObject({ days: 10, days_with_data: 0, data_total_bytes: 0, daily_average_bytes: 0, peak: null });
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/sims/8988280666999999999/usage', headers: viewer })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/sims/${iccid}/usage?granularity=year`, headers: viewer })).statusCode).toBe(400);
  });
});
