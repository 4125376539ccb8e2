import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { dayOffset as day, insertSim, insertUsage, updateSims } from '../helpers/factories.js';

const MB = 1_048_576;
const DAY_MS = 86_400_000;
const iccid = (n: number) => `89882806660000000${String(n).padStart(2, '0')}`;

describe.each(backends)('GET /api/v1/fleet/summary (%s)', (backend) => {
  let t: TestApp;
  let viewer: Record<string, string>;
  const ids: number[] = [];

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { API_RATE_LIMIT_RPS: '100000' } });
    viewer = await authHeaders(t, 'viewer');
    const account = await t.deps.accounts.ensureDefaultAccount({ apiUrl: 'http://127.0.0.1:9/management-api', clientId: 'c', clientSecret: 's' });
    const db = t.deps.database.db;
    // Six SIMs: remaining 10 %, 0 %, 50 %, 15 %, none known, 90 %.
    const sims = [
      { status: 'Enabled', connectivity_status: 'ONLINE' as const, remaining: 10, operator_name: 'Telekom', country_name: 'Germany', country_iso: 'de' },
      { status: 'Enabled', connectivity_status: 'ONLINE' as const, remaining: 0, operator_name: 'Telekom', country_name: 'Germany', country_iso: 'de' },
      { status: 'Enabled', connectivity_status: 'OFFLINE' as const, remaining: 50, operator_name: 'Vodafone', country_name: 'Spain', country_iso: 'es' },
      { status: 'Disabled', connectivity_status: 'ONLINE' as const, remaining: 15, operator_name: null, country_name: null, country_iso: null },
      { status: 'Disabled', connectivity_status: null, remaining: null, operator_name: null, country_name: null, country_iso: null },
      { status: 'Enabled', connectivity_status: null, remaining: 90, operator_name: 'Telekom', country_name: 'Germany', country_iso: 'de' },
    ];
    for (const [i, s] of sims.entries()) {
      const row = await insertSim(db, {
        account_id: account.id,
        iccid: iccid(i + 1),
        label: `sim ${i + 1}`,
        status: s.status,
        connectivity_status: s.connectivity_status,
        operator_name: s.operator_name,
        country_name: s.country_name,
        country_iso: s.country_iso,
        data_total_bytes: s.remaining === null ? null : 100 * MB,
        data_remaining_bytes: s.remaining === null ? null : s.remaining * MB,
        // SIM 1 expires in 10 days, SIM 6 in 60, SIM 3 expired yesterday.
        data_expiry_date: i === 0 ? new Date(Date.now() + 10 * DAY_MS) : i === 5 ? new Date(Date.now() + 60 * DAY_MS) : i === 2 ? new Date(Date.now() - DAY_MS) : null,
      });
      ids.push(row.id);
    }
    // SIM 3 (50 MB left) burns 10 MB a day over the last 7 days: runs out in 5 days. SIM 6 (90 MB)
    // burns 1 MB a day: 90 days, beyond the horizon. SIM 2 is exhausted: not a forecast.
    const week = Array.from({ length: 7 }, (_, d) => day(-d));
    await insertUsage(db, ids[2]!, week.map((d) => ({ day: d, bytes: 10 * MB, data_rx_bytes: 6 * MB, data_tx_bytes: 4 * MB, sms_mo: 1 })));
    await insertUsage(db, ids[5]!, week.map((d) => ({ day: d, bytes: MB, sms_mt: 2 })));
    await insertUsage(db, ids[1]!, week.map((d) => ({ day: d, bytes: MB })));
    // Outside the 30-day chart.
    await insertUsage(db, ids[0]!, [{ day: day(-45), bytes: 999 * MB }]);

    await db
      .insertInto('alerts')
      .values([
        { sim_id: ids[0]!, metric: 'data_used_pct', threshold: 90, severity: 'critical', state: 'open' },
        { sim_id: ids[1]!, metric: 'data_used_pct', threshold: 90, severity: 'critical', state: 'open' },
        { sim_id: ids[3]!, metric: 'data_used_pct', threshold: 80, severity: 'warning', state: 'open' },
        { sim_id: ids[3]!, metric: 'expiry_days', threshold: 7, severity: 'info', state: 'acknowledged' },
        { sim_id: ids[4]!, metric: 'expiry_days', threshold: 7, severity: 'info', state: 'resolved' },
      ])
      .execute();
    await db
      .insertInto('sim_events')
      .values(
        Array.from({ length: 12 }, (_, i) => ({
          event_key: `e${i}`,
          occurred_at: new Date(Date.now() - (12 - i) * 60_000),
          sim_id: ids[0]!,
          iccid: iccid(1),
          event_type: i % 2 === 0 ? 'Create PDP Context' : 'Delete PDP Context',
          severity: 'INFO' as const,
          source: 'poll' as const,
          description: `event ${i}`,
        })),
      )
      .execute();
    await db.insertInto('job_runs').values({ job_name: 'sync-sims', started_at: new Date(Date.now() - 60_000), finished_at: new Date(), outcome: 'success', items: 6 }).execute();
    await db.insertInto('streamer_activity').values({ account_id: account.id, last_received_at: new Date('2026-01-02T03:04:05Z'), records_total: 10 }).execute();
    await db
      .insertInto('streamer_batches')
      .values([
        { kind: 'usage', record_count: 7 },
        { kind: 'event', record_count: 5 },
        { kind: 'usage', record_count: 100, received_at: new Date(Date.now() - 2 * 3_600_000) },
      ])
      .execute();
  });
  afterAll(async () => t.close());

  it('answers 401 without credentials', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/fleet/summary' });
    expect(response.statusCode).toBe(401);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('counts the fleet exactly as the stored rows say, for a viewer', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/fleet/summary', headers: viewer });
    expect(response.statusCode).toBe(200);
    const s = response.json();
    expect(s.sims.total).toBe(6);
    expect(s.sims.by_status).toEqual([
      { status: 'Enabled', count: 4 },
      { status: 'Disabled', count: 2 },
    ]);
    expect(s.sims.by_connectivity).toEqual(
      expect.arrayContaining([
        { status: 'ONLINE', count: 3 },
        { status: 'OFFLINE', count: 1 },
        { status: null, count: 2 },
      ]),
    );
    expect(s.sims.by_connectivity).toHaveLength(3);
    expect(s.operators[0]).toEqual({ operator: 'Telekom', country: 'Germany', country_iso: 'de', count: 3 });
    expect(s.operators).toContainEqual({ operator: null, country: null, country_iso: null, count: 2 });
    expect(s.operators).toContainEqual({ operator: 'Vodafone', country: 'Spain', country_iso: 'es', count: 1 });

    expect(s.quota.near_quota).toBe(3); // 10 %, 0 %, 15 %
    expect(s.quota.exhausted).toBe(1);
    expect(s.quota.near_expiry).toBe(1);
    expect(s.quota.forecast_exhaustions).toBe(1);
    expect(s.quota.lowest.map((l: { iccid: string }) => l.iccid)).toEqual([iccid(2), iccid(1), iccid(4), iccid(3), iccid(6)]);
    const sim3 = s.quota.lowest.find((l: { iccid: string }) => l.iccid === iccid(3));
    expect(sim3.data_remaining_pct).toBe(50);
    expect(sim3.forecast_exhaustion_date).toBe(day(5));

    expect(s.usage.daily).toHaveLength(30);
    expect(s.usage.daily[29].day).toBe(day(0));
    expect(s.usage.daily[0].day).toBe(day(-29));
    expect(s.usage.daily[29]).toEqual({ day: day(0), data_rx_bytes: 8 * MB, data_tx_bytes: 4 * MB, data_total_bytes: 12 * MB, sms: 3 });
    expect(s.usage.daily[10]).toEqual({ day: day(-19), data_rx_bytes: 0, data_tx_bytes: 0, data_total_bytes: 0, sms: 0 });
    const monthStart = `${day(0).slice(0, 7)}-01`;
    expect(s.usage.month_start).toBe(monthStart);
    const inMonth = Array.from({ length: 7 }, (_, d) => day(-d)).filter((d) => d >= monthStart).length;
    expect(s.usage.month_data_bytes).toBe(inMonth * 12 * MB);
    expect(s.usage.month_sms).toBe(inMonth * 3);

    expect(s.alerts.open).toBe(3);
    expect(s.alerts.acknowledged).toBe(1);
    expect(s.alerts.by_severity).toEqual([
      { severity: 'critical', count: 2 },
      { severity: 'warning', count: 1 },
    ]);
    expect(s.recent_events).toHaveLength(10);
    expect(s.recent_events[0]).toMatchObject({ id: 'e11', iccid: iccid(1), type: 'Delete PDP Context', description: 'event 11' });
    expect(s.sync.last_sweep).toMatchObject({ status: 'success', items: 6 });
    expect(s.sync.streamer).toEqual({ last_batch_at: '2026-01-02T03:04:05.000Z', records_last_hour: 12 });
    expect(s.sync.provider_budget).toContainEqual({ family: 'sims', used: 0, limit: 10, window_seconds: 1 });
    expect(s.health).toMatchObject({ database: 'ok', redis: 'not_configured' });
    expect(s.health.checks.database.status).toBe('up');
  });

  it('near_quota matches the SIM list filter it links to', async () => {
    const [summary, list] = await Promise.all([
      t.app.inject({ method: 'GET', url: '/api/v1/fleet/summary', headers: viewer }),
      t.app.inject({ method: 'GET', url: '/api/v1/sims?quota_below=20', headers: viewer }),
    ]);
    expect(list.statusCode).toBe(200);
    expect(summary.json().quota.near_quota).toBe(list.json().total);
  });

  it('serves one computation for 5 seconds', async () => {
    const first = (await t.app.inject({ method: 'GET', url: '/api/v1/fleet/summary', headers: viewer })).json();
    await updateSims(t.deps.database.db, { status: 'Disabled' }, ids[0]!);
    const second = (await t.app.inject({ method: 'GET', url: '/api/v1/fleet/summary', headers: viewer })).json();
    expect(second.generated_at).toBe(first.generated_at);
    expect(second.sims.by_status).toEqual(first.sims.by_status);
    await t.deps.cache.delete('fleet:summary');
    const third = (await t.app.inject({ method: 'GET', url: '/api/v1/fleet/summary', headers: viewer })).json();
    expect(third.sims.by_status).toContainEqual({ status: 'Disabled', count: 3 });
    await updateSims(t.deps.database.db, { status: 'Enabled' }, ids[0]!);
    await t.deps.cache.delete('fleet:summary');
  });

  it('lists every network with GET /fleet/operators', async () => {
    const response = await t.app.inject({ method: 'GET', url: '/api/v1/fleet/operators?limit=2', headers: viewer });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      items: [
        { operator: 'Telekom', country: 'Germany', country_iso: 'de', count: 3 },
        { operator: null, country: null, country_iso: null, count: 2 },
      ],
      total_sims: 6,
    });
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/fleet/operators?limit=0', headers: viewer });
    expect(bad.statusCode).toBe(400);
  });
});
