import { afterEach, describe, expect, it, vi } from 'vitest';
import { sql } from 'kysely';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { checkQuotasJob } from '../../src/jobs/check-quotas.job.js';
import { cronIntervalSeconds, tallyForecasts } from '../../src/modules/observability/platform-probes.js';

/** The value of one exposition line `name{labels} value`, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('fleet forecast tally', () => {
  it('counts each SIM in every horizon it falls within and ignores SIMs that are not burning', () => {
    const snapshot = tallyForecasts([0, 0.5, 2, 3, 6.9, 7, 7.01, 40, null, null], new Date('2026-01-01T00:00:00Z'));
    expect(snapshot).toEqual({ computedAt: 1767225600, withinDays: { '1': 2, '3': 4, '7': 6 } });
  });

  it('derives schedule intervals from cron expressions', () => {
    const now = new Date('2026-03-01T10:07:00Z');
    expect(cronIntervalSeconds('*/15 * * * *', now)).toBe(900);
    expect(cronIntervalSeconds('0 2 * * *', now)).toBe(86_400);
    expect(cronIntervalSeconds('* * * * *', now)).toBe(60);
  });
});

describe.each(backends)('scrape-time platform gauges (%s)', (backend) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  const scrape = async () => {
    const res = await t!.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    return res.body;
  };

  it('reports dependencies, schedules, limits, build info, job freshness, streamer activity and the fleet forecast', async () => {
    t = await buildTestApp({ backend, simulator: { fleetSize: 20 } });
    const db = t.deps.database.db;
    await db
      .insertInto('sims')
      .values([
        { account_id: t.accountId!, iccid: '8988280666000000001', status: 'Enabled', connectivity_status: 'ONLINE' },
        { account_id: t.accountId!, iccid: '8988280666000000002', status: 'Enabled', connectivity_status: 'ONLINE' },
        { account_id: t.accountId!, iccid: '8988280666000000003' },
      ])
      .execute();
    let text = await scrape();
    expect(sample(text, 'simfleet_fleet_sims{status="Enabled",connectivity="ONLINE"}')).toBe(2);
    expect(sample(text, 'simfleet_fleet_sims{status="unknown",connectivity="unknown"}')).toBe(1);
    expect(sample(text, 'simfleet_dependency_up{dependency="database"}')).toBe(1);
    expect(sample(text, 'simfleet_job_schedule_interval_seconds{job="sync-sims"}')).toBe(900);
    expect(sample(text, 'simfleet_job_schedule_interval_seconds{job="cleanup"}')).toBe(86_400);
    expect(sample(text, 'simfleet_provider_rate_limit_per_second{family="sims"}')).toBe(10);
    expect(sample(text, 'simfleet_provider_rate_limit_per_second{family="oauth"}')).toBe(10);
    expect(text).toMatch(/^simfleet_build_info\{version="[^"]+",node_version="v\d+[^"]*",role="all"\} 1$/m);
    // Nothing ran yet: absent, not zero (an alert on staleness must not see the epoch).
    expect(text).not.toMatch(/^simfleet_job_last_success_timestamp_seconds\{/m);
    expect(text).not.toMatch(/^simfleet_quota_forecast_exhaustion_sims\{/m);

    await db.insertInto('job_runs').values({ job_name: 'sync-sims', outcome: 'success', finished_at: new Date('2026-01-01T00:00:00Z'), started_at: new Date('2026-01-01T00:00:00Z') }).execute();
    await db.insertInto('job_runs').values({ job_name: 'sync-sims', outcome: 'failure', finished_at: new Date('2026-01-01T01:00:00Z'), started_at: new Date('2026-01-01T01:00:00Z') }).execute();
    await sql`insert into streamer_activity (account_id, last_received_at, records_total) values (${t.accountId}, '2026-01-02T00:00:00Z', 5)`.execute(db);

    // The quota check tallies forecasts and shares them through the cache.
    await checkQuotasJob(t.deps).handler({}, { jobId: 'test', attempt: 1, signal: new AbortController().signal, logger: t.deps.logger });

    text = await scrape();
    expect(sample(text, 'simfleet_job_last_success_timestamp_seconds{job="sync-sims"}')).toBe(1767225600);
    const account = (await db.selectFrom('provider_accounts').select('name').where('id', '=', t.accountId!).executeTakeFirstOrThrow()).name;
    expect(sample(text, `simfleet_streamer_last_received_timestamp_seconds{account="${account}"}`)).toBe(1767312000);
    for (const days of ['1', '3', '7']) {
      expect(sample(text, `simfleet_quota_forecast_exhaustion_sims{within_days="${days}"}`)).toBeGreaterThanOrEqual(0);
    }
    const fleet = text.split('\n').filter((l) => l.startsWith('simfleet_fleet_sims{'));
    const stored = await db.selectFrom('sims').select(db.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(fleet.reduce((sum, l) => sum + Number(l.split(' ')[1]), 0)).toBe(Number(stored.n));
    const computedAt = sample(text, 'simfleet_quota_forecast_timestamp_seconds');
    expect(computedAt).toBeGreaterThan(Date.now() / 1000 - 60);
    // A quota check over a simulator fleet plus several scrapes: allow for a busy CI machine.
  }, 120_000);

  it('reports the database as down (0) when it no longer answers, and the scrape still succeeds', async () => {
    t = await buildTestApp({ backend });
    const spy = vi.spyOn(t.deps.database, 'ping').mockRejectedValue(new Error('connection refused'));
    try {
      expect(sample(await scrape(), 'simfleet_dependency_up{dependency="database"}')).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });
});
