import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncSimsJob } from '../../src/jobs/sync-sims.job.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';

/**
 * Alive on first start: on a fresh install the first sweep's quota fetches raise the alerts at
 * once, without the 'check-quotas' tick, starting with the SIMs a dashboard shows first.
 * Deterministic: the seeded simulator fleet, the first sweep run to completion, then the alert
 * trigger flushed (it would run within 250 ms by itself).
 */
describe.each(backends)('alerts on the first start (%s)', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp({ backend, simulator: { fleetSize: 50, seed: 1 } });
    await t.deps.alerts.ensureDefaultRules();
  });
  afterAll(async () => {
    await t.close();
  });

  it('raises an alert for every SIM under 10 % of its data quota right after the first sweep, with no check-quotas run', { timeout: 180_000 }, async () => {
    const ctx = { jobId: 'first', attempt: 1, signal: new AbortController().signal, logger: t.deps.logger };
    await syncSimsJob(t.deps).handler({ accountId: t.accountId! }, ctx);
    await t.deps.alertTrigger.flush();

    const db = t.deps.database.db;
    const low = await db
      .selectFrom('sims')
      .select(['id', 'iccid', 'data_total_bytes', 'data_remaining_bytes'])
      .where('data_total_bytes', '>', 0)
      .execute()
      .then((rows) => rows.filter((r) => Number(r.data_remaining_bytes) < Number(r.data_total_bytes) * 0.1));
    expect(low.length).toBeGreaterThan(0);
    const alerted = new Set(
      (await db.selectFrom('alerts').select('sim_id').where('metric', '=', 'data_used_pct').where('threshold', '>=', '90').execute()).map((a) => Number(a.sim_id)),
    );
    expect(low.filter((s) => !alerted.has(Number(s.id))).map((s) => s.iccid)).toEqual([]);
    const runs = await db.selectFrom('job_runs').select('id').where('job_name', '=', 'check-quotas').execute();
    expect(runs).toHaveLength(0);
  });

  it('fetches first details for the SIMs with the least data left first', { timeout: 180_000 }, async () => {
    const t2 = await buildTestApp({ backend, simulator: { fleetSize: 40, seed: 1 } });
    try {
      const result = await t2.deps.fleet.sync.sweep(t2.accountId!, { priority: 'background', firstDetailsLimit: 10 });
      expect(result.firstDetails).toBe(10);
      const rows = await t2.deps.database.db.selectFrom('sims').select(['current_quota_mb', 'data_total_bytes']).execute();
      const detailed = rows.filter((r) => r.data_total_bytes !== null).map((r) => Number(r.current_quota_mb));
      const waiting = rows.filter((r) => r.data_total_bytes === null && r.current_quota_mb !== null).map((r) => Number(r.current_quota_mb));
      expect(detailed).toHaveLength(10);
      expect(Math.max(...detailed)).toBeLessThanOrEqual(Math.min(...waiting));
    } finally {
      await t2.close();
    }
  });
});
