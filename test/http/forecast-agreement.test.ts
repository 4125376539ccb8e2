import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkQuotasJob } from '../../src/jobs/check-quotas.job.js';
import { BYTES_PER_MB } from '../../src/lib/units.js';
import { createExhaustionForecast } from '../../src/modules/quotas/exhaustions.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { dayOffset, insertAccount, insertQuota, insertSim, insertUsage } from '../helpers/factories.js';

const MB = BYTES_PER_MB;
const ctx = { jobId: 'test', attempt: 1, signal: new AbortController().signal, logger: pino({ level: 'silent' }) };

/**
 * One forecast model: for the same SIM history, the quota API (GET /sims/{iccid}/quota/data), the
 * exhaustions list, the dashboard and an alert rule on forecast_days give the same answer. The
 * history is a ramp (1, 2, ... 14 MB a day), on which the least-squares fit and a plain 7-day
 * mean disagree by days, so a second model anywhere fails this test.
 */
describe.each(backends)('one exhaustion forecast everywhere (%s)', (backend) => {
  let t: TestApp;
  let sim: { id: number; iccid: string };
  let admin: Record<string, string>;
  const remaining = 60 * MB;

  beforeAll(async () => {
    t = await buildTestApp({ backend });
    admin = await authHeaders(t, 'admin');
    const db = t.deps.database.db;
    const account = await insertAccount(db, { is_default: true });
    sim = await insertSim(db, { account_id: account, data_total_bytes: 500 * MB, data_remaining_bytes: remaining });
    await insertQuota(db, sim.id, { volume_total: 500 * MB, volume_remaining: remaining, volume_used: 500 * MB - remaining });
    await insertUsage(
      db,
      sim.id,
      Array.from({ length: 14 }, (_, i) => ({ day: dayOffset(i - 13), bytes: (i + 1) * MB })),
    );
  });
  afterAll(async () => t.close());

  it('gives the quota API, the exhaustions list, the dashboard and forecast_days the same date', async () => {
    const quota = (await t.app.inject({ method: 'GET', url: `/api/v1/sims/${sim.iccid}/quota/data`, headers: admin })).json();
    expect(quota.volume_remaining).toBe(remaining);
    const days: number = quota.days_until_exhaustion;
    const date: string = quota.forecast_exhaustion_date;
    expect(days).toBeGreaterThan(0);
    // Not the 7-day mean (11 MB a day here): the fit.
    expect(Math.abs(days - remaining / (11 * MB))).toBeGreaterThan(0.5);

    const list = await createExhaustionForecast(t.deps.database.db).forecast({ withinDays: 60, limit: 10 });
    const item = list.items.find((i) => i.iccid === sim.iccid);
    expect(item).toMatchObject({ days_until_exhaustion: days, forecast_exhaustion_date: date, burn_rate_bytes_per_day: Math.round(quota.burn_rate_per_day) });
    expect(list.burn_rate_days).toBe(14);

    const summary = (await t.app.inject({ method: 'GET', url: '/api/v1/fleet/summary', headers: admin })).json();
    expect(summary.quota.lowest.find((s: { iccid: string }) => s.iccid === sim.iccid).forecast_exhaustion_date).toBe(date);
    expect(summary.quota.forecast_exhaustions).toBe(days <= 30 ? 1 : 0);

    // A rule just above the forecast raises, with the forecast as its value; one just below does not.
    const rule = (threshold: number) => ({ name: `forecast ${threshold}`, scope: 'sim', scope_value: sim.iccid, metric: 'forecast_days', thresholds: [threshold], hysteresis: 0 });
    const above = Math.ceil(days * 100) / 100 + 0.01;
    const below = Math.floor(days * 100) / 100 - 0.01;
    for (const threshold of [above, below]) {
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/alert-rules', headers: admin, payload: rule(threshold) });
      expect(created.statusCode, created.body).toBe(201);
    }
    await checkQuotasJob(t.deps).handler({}, ctx);
    const alerts = await t.deps.database.db.selectFrom('alerts').select(['metric', 'threshold', 'value']).where('sim_id', '=', sim.id).where('metric', '=', 'forecast_days').execute();
    expect(alerts.map((a) => Number(a.threshold)).filter((th) => th === above || th === below)).toEqual([above]);
    const raised = alerts.find((a) => Number(a.threshold) === above)!;
    expect(Number(raised.value)).toBeCloseTo(days, 1);
  });
});
