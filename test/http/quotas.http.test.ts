import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BYTES_PER_MB } from '../../src/lib/units.js';
import { backends, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { dayOffset as day, insertUsage } from '../helpers/factories.js';
import { activeSim, simulatorRequests, sweptFleetApp } from '../modules/sims/fixtures.js';

const DAY_MS = 86_400_000;

describe.each(backends)('quotas over HTTP (%s)', (backend) => {
  let t: TestApp;
  let viewer: Record<string, string>;
  let iccid: string;
  let simId: number;

  beforeAll(async () => {
    t = await sweptFleetApp(backend);
    viewer = await authHeaders(t, 'viewer');
    ({ id: simId, iccid } = await activeSim(t, { quotaLeft: true }));
  });
  afterAll(async () => {
    await t.close();
  });

  const get = (url: string) => t.app.inject({ method: 'GET', url, headers: viewer });

  it('fetches the quota from 1NCE when no snapshot exists, then serves the stored snapshot', async () => {
    const before = (await simulatorRequests(t))['GET /v2/sims/{iccid}/quota/data'] ?? 0;
    const first = await get(`/api/v1/sims/${iccid}/quota/data`);
    expect(first.statusCode).toBe(200);
    const quota = first.json();
    expect(quota).toMatchObject({ iccid, service: 'data', unit: 'bytes', status: 'ACTIVE' });
    expect(quota.volume_total).toBe(quota.volume_used + quota.volume_remaining);
    expect(quota.volume_total % BYTES_PER_MB).toBe(0);
    expect(quota.percentage_used).toBeCloseTo(((quota.volume_total - quota.volume_remaining) / quota.volume_total) * 100, 1);
    expect(typeof quota.expiry_date).toBe('string');
    expect(quota.age_seconds).toBeGreaterThanOrEqual(0);
    const second = (await get(`/api/v1/sims/${iccid}/quota/data`)).json();
    expect(second.captured_at).toBe(quota.captured_at);
    expect((await simulatorRequests(t))['GET /v2/sims/{iccid}/quota/data']).toBe(before + 1);
    // The latest snapshot is copied onto the SIM for list filters.
    const sim = (await get(`/api/v1/sims/${iccid}`)).json();
    expect(sim).toMatchObject({ data_total_bytes: quota.volume_total, data_remaining_bytes: quota.volume_remaining });
  });

  it('serves SMS quotas in messages and keeps a snapshot history', async () => {
    const sms = (await get(`/api/v1/sims/${iccid}/quota/sms`)).json();
    expect(sms).toMatchObject({ service: 'sms', unit: 'messages' });
    expect(sms.volume_total).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 5));
    const refreshed = (await get(`/api/v1/sims/${iccid}/quota/data?refresh=true`)).json();
    const history = (await get(`/api/v1/sims/${iccid}/quota/data/history`)).json();
    // The first fetch stored both services (the SMS read above was served from it), then the refresh.
    expect(history.total).toBe(2);
    expect(history.items[0].captured_at).toBe(refreshed.captured_at);
    expect(history.items.map((i: { captured_at: string }) => i.captured_at)).toEqual([...history.items.map((i: { captured_at: string }) => i.captured_at)].sort().reverse());
    expect((await get(`/api/v1/sims/${iccid}/quota/voice`)).statusCode).toBe(400);
    expect((await get('/api/v1/sims/8988280666999999999/quota/data')).statusCode).toBe(404);
  });

  it('forecasts exhaustion from the burn rate of the last 14 days', async () => {
    const db = t.deps.database.db;
    await db.deleteFrom('sim_usage').where('sim_id', '=', simId).execute();
    const quota = (await get(`/api/v1/sims/${iccid}/quota/data`)).json();
    expect(quota.forecast_exhaustion_date).toBeNull();
    // 14 days of exactly 10 MB a day.
    const burn = 10 * BYTES_PER_MB;
    await insertUsage(db, simId, Array.from({ length: 14 }, (_, i) => ({ day: day(-14 + i), bytes: burn })));
    const forecast = (await get(`/api/v1/sims/${iccid}/quota/data`)).json();
    expect(forecast.burn_rate_per_day).toBeCloseTo(burn, 0);
    const days = forecast.volume_remaining / burn;
    expect(forecast.days_until_exhaustion).toBeCloseTo(days, 0);
    expect(forecast.forecast_exhaustion_date).toBe(new Date(Date.parse(forecast.captured_at) + (Date.now() - Date.parse(forecast.captured_at)) + days * DAY_MS).toISOString().slice(0, 10));
  });
});
