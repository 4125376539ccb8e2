import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { syncSimsJob } from '../../src/jobs/sync-sims.job.js';
import { syncUsageJob } from '../../src/jobs/sync-usage.job.js';
import type { JobContext } from '../../src/jobs/engine.js';
import { createSimSync } from '../../src/modules/sims/sims.sync.js';
import { createQuotasSync } from '../../src/modules/quotas/quotas.sync.js';
import { createUsageSync } from '../../src/modules/usage/usage.sync.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { updateSimsByIccid } from '../helpers/factories.js';
import { advanceSimulator, simulatorRequests } from '../modules/sims/fixtures.js';

const QUOTA_DATA = 'GET /v2/sims/{iccid}/quota/data';
const QUOTA_SMS = 'GET /v2/sims/{iccid}/quota/sms';
const USAGE = 'GET /v1/sims/{iccid}/usage';
const LIST = 'GET /v2/sims';

function jobContext(t: TestApp): JobContext {
  return { jobId: 'test', attempt: 1, signal: new AbortController().signal, logger: t.deps.logger };
}

/** How many statements of `operation` the database layer has timed so far. */
async function statements(t: TestApp, operation: string): Promise<number> {
  const metric = await t.deps.metrics.registry.getSingleMetric('simfleet_db_query_duration_seconds')!.get();
  return metric.values.filter((v) => (v as { metricName?: string }).metricName?.endsWith('_count') === true && v.labels.operation === operation).reduce((a, v) => a + v.value, 0);
}

/** Live events stored so far (the sweep publishes its progress to the live stream). */
async function liveEvents(t: TestApp): Promise<number> {
  const row = await t.deps.database.db.selectFrom('live_events').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe.each(backends)('provider -> database sync (%s)', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await buildTestApp({ backend, simulator: { fleetSize: 300 } });
  });
  afterAll(async () => {
    await t.close();
  });

  /**
   * The fleet as the first test leaves it: swept once. The tests below build on a swept fleet and
   * call this first, so each also runs alone (`vitest -t`) or in another order.
   */
  async function swept(): Promise<void> {
    const stored = await t.deps.database.db.selectFrom('sims').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    if (Number(stored.n) === 0) await t.deps.fleet.sync.sweep(t.accountId!, { priority: 'background', firstDetailsLimit: 0 });
  }

  it('sweeps a 300-SIM fleet into exactly 300 rows with one upsert statement per page', async () => {
    const before = await statements(t, 'with');
    const liveBefore = await liveEvents(t);
    // firstDetailsLimit 0: this file checks change detection; first-time details have their own test.
    const result = await syncSimsJob(t.deps).handler({ accountId: t.accountId!, firstDetailsLimit: 0 }, jobContext(t));
    expect(result).toEqual({ items: 300 });
    const count = await t.deps.database.db.selectFrom('sims').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(300);
    // One upsert per page; the live stream's progress events (one `with ins as` insert each, plus at most
    // one buffer prune) are the only other statements of that kind.
    const published = (await liveEvents(t)) - liveBefore;
    const withStatements = (await statements(t, 'with')) - before;
    expect(withStatements).toBeGreaterThanOrEqual(3 + published);
    expect(withStatements).toBeLessThanOrEqual(3 + published + 1);
    expect((await simulatorRequests(t))[LIST]).toBe(3);
    // The first sweep fetches no per-SIM details: nothing "changed" yet.
    expect((await simulatorRequests(t))[QUOTA_DATA] ?? 0).toBe(0);
  });

  it('re-running upserts nothing new', async () => {
    await swept();
    const result = await t.deps.fleet.sync.sweep(t.accountId!, { priority: 'background', firstDetailsLimit: 0 });
    expect(result).toMatchObject({ listed: 300, inserted: 0, changed: 0, modified: 0, detailsSynced: 0, firstDetails: 0 });
    const count = await t.deps.database.db.selectFrom('sims').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(300);
  });

  it('re-fetches quota and usage only for SIMs whose quota status changed', async () => {
    await swept();
    const db = t.deps.database.db;
    const before = new Map((await db.selectFrom('sims').select(['iccid', 'quota_status_id', 'quota_status_sms_id', 'status']).execute()).map((r) => [r.iccid, r]));
    // Three simulated weeks: nearly-exhausted SIMs run dry, some steady ones drop below 20 %.
    await advanceSimulator(t, 21 * 86_400);
    const requests = await simulatorRequests(t);
    const result = await t.deps.fleet.sync.sweep(t.accountId!, { priority: 'background', firstDetailsLimit: 0 });
    const after = await db.selectFrom('sims').select(['iccid', 'quota_status_id', 'quota_status_sms_id', 'status']).execute();
    const changed = after.filter((r) => {
      const old = before.get(r.iccid)!;
      return old.quota_status_id !== r.quota_status_id || old.quota_status_sms_id !== r.quota_status_sms_id || old.status !== r.status;
    });
    expect(changed.length).toBeGreaterThan(0);
    expect(changed.length).toBeLessThan(300);
    expect(result.changed).toBe(changed.length);
    expect(result.detailsSynced + result.detailFailures).toBe(changed.length);
    const now = await simulatorRequests(t);
    const delta = (key: string) => (now[key] ?? 0) - (requests[key] ?? 0);
    expect(delta(QUOTA_DATA)).toBe(changed.length);
    expect(delta(QUOTA_SMS)).toBe(changed.length);
    expect(delta(USAGE)).toBe(result.detailsSynced);
    // Exactly the changed SIMs got snapshots.
    const snapshotted = await db.selectFrom('sim_quotas').innerJoin('sims', 'sims.id', 'sim_quotas.sim_id').select('sims.iccid').where('service', '=', 'data').distinct().execute();
    const changedSet = new Set(changed.map((c) => c.iccid));
    expect(snapshotted.every((r) => changedSet.has(r.iccid))).toBe(true);
    expect(snapshotted.length).toBe(result.detailsSynced);
  });

  it('reports status changes through the notify hook', async () => {
    await swept();
    const notify = vi.fn();
    const { cache, provider, accounts, audit, logger } = t.deps;
    const { quotasSync, usageSync } = t.deps.fleet;
    const details = { syncQuotas: quotasSync.syncQuotas, syncRecentUsage: usageSync.syncRecentUsage };
    const sync = createSimSync({ db: t.deps.database.db, cache, provider, accounts, audit, logger, notify, details });
    const client = await t.deps.provider.get(t.accountId!);
    const page = await client.listSimsPage(1, { pageSize: 2 });
    const [first, second] = page.items;
    await updateSimsByIccid(t.deps.database.db, { status: 'Disabled' }, first!.iccid);
    const result = await sync.upsertProviderSims(t.accountId!, [first!, second!, first!]);
    expect(result).toMatchObject({ upserted: 2, inserted: [], changed: [first!.iccid] });
    expect(notify).toHaveBeenCalledWith('sim.status_changed', { iccid: first!.iccid, from: 'Disabled', to: first!.providerStatus });
    // Webhooks get one status change; the live stream's `sim.updated` for the same SIM rides alongside.
    expect(notify.mock.calls.filter(([type]) => type === 'sim.status_changed')).toHaveLength(1);
    expect(notify.mock.calls.filter(([type]) => type !== 'sim.status_changed' && type !== 'sim.updated')).toEqual([]);
  });

  it('back-fills usage gaps, most behind first, and converges', async () => {
    await swept();
    await t.deps.database.db.deleteFrom('sim_usage').execute();
    const before = (await simulatorRequests(t))[USAGE] ?? 0;
    const first = await t.deps.fleet.usageSync.backfillUsage({ limit: 5, days: 10 });
    expect(first.candidates).toBe(5);
    expect(first.synced + first.failed).toBe(5);
    expect(first.synced).toBeGreaterThan(0);
    expect((await simulatorRequests(t))[USAGE]).toBe(before + 5);
    const filled = (await t.deps.database.db.selectFrom('sim_usage').select('sim_id').distinct().execute()).map((r) => r.sim_id);
    expect(filled).toHaveLength(first.synced);
    const touched = await t.deps.database.db.selectFrom('sims').select('iccid').where('id', 'in', filled).execute();
    // Filled SIMs have no gaps left; SIMs 1NCE refused as expired are remembered and skipped too.
    const again = await syncUsageJob(t.deps).handler({ iccids: touched.map((s) => s.iccid), days: 10 }, jobContext(t));
    expect(again).toEqual({ items: 0 });
    const next = await syncUsageJob(t.deps).handler({ limit: 3, days: 10 }, jobContext(t));
    expect((await simulatorRequests(t))[USAGE]).toBe(before + 8);
    expect(next).toMatchObject({ items: expect.any(Number) });
  });

  it('fetches quotas for never-detailed SIMs a bounded batch per sweep, a new batch each time', async () => {
    await swept();
    const db = t.deps.database.db;
    const undetailed = async () =>
      (
        await db
          .selectFrom('sims')
          .select('iccid')
          .where('data_total_bytes', 'is', null)
          .where('data_expiry_date', 'is', null)
          .execute()
      ).map((r) => r.iccid);
    const start = await undetailed();
    expect(start.length).toBeGreaterThan(10);
    for (const round of [1, 2]) {
      const requests = await simulatorRequests(t);
      const before = new Set(await undetailed());
      const result = await t.deps.fleet.sync.sweep(t.accountId!, { priority: 'background', firstDetailsLimit: 5 });
      const delta = ((await simulatorRequests(t))[QUOTA_DATA] ?? 0) - (requests[QUOTA_DATA] ?? 0);
      // At most the bound (plus SIMs that changed), and every one that succeeded now has its quota.
      expect(delta, `round ${round}`).toBe(result.changed + 5);
      expect(result.firstDetails, `round ${round}`).toBeGreaterThan(0);
      const after = await undetailed();
      expect(before.size - after.length, `round ${round}`).toBeGreaterThanOrEqual(result.firstDetails);
      expect(after.every((iccid) => before.has(iccid))).toBe(true);
    }
  });

  it('details new SIMs only while the time budget lasts, reading them a chunk at a time', async () => {
    await swept();
    const db = t.deps.database.db;
    const undetailed = async () =>
      (await db.selectFrom('sims').select('id').where('data_total_bytes', 'is', null).where('data_expiry_date', 'is', null).execute()).length;
    const fleet = t.deps.fleet.sync;
    expect(await fleet.sweep(t.accountId!, { priority: 'background', firstDetailsUntilMs: 0 })).toMatchObject({ firstDetails: 0 });

    // A clock that moves one second each time it is read (a few reads per SIM): with a 60 s budget
    // the sweep stops after some SIMs, read in several chunks of 2, long before it runs out of them.
    let clock = Date.now();
    const { cache, provider, accounts, audit, logger } = t.deps;
    const now = () => (clock += 1_000);
    const details = {
      syncQuotas: createQuotasSync({ db, cache, provider, audit, now }).syncQuotas,
      syncRecentUsage: createUsageSync({ db, cache, provider, audit, logger, now }).syncRecentUsage,
    };
    const stepping = createSimSync({ db, cache, provider, accounts, audit, logger, notify: vi.fn(), now, details });
    const before = await undetailed();
    const result = await stepping.sweep(t.accountId!, { priority: 'background', firstDetailsUntilMs: 60_000, firstDetailsChunk: 2, details: true });
    expect(result.firstDetails).toBeGreaterThan(2);
    expect(result.firstDetails).toBeLessThan(30);
    expect(before).toBeGreaterThan(100);
    // A SIM 1NCE refuses as expired counts as a failure but has its expiry recorded, so it leaves the
    // never-detailed set too (which SIMs are tried first depends on what earlier tests detailed).
    const detailed = before - (await undetailed());
    expect(detailed).toBeGreaterThanOrEqual(result.firstDetails);
    expect(detailed).toBeLessThanOrEqual(result.firstDetails + result.detailsSynced + result.detailFailures);
  });

  it('gives the scheduled run half its interval for first-time details', async () => {
    await swept();
    const sweep = vi.spyOn(t.deps.fleet.sync, 'sweep');
    await syncSimsJob({ fleet: t.deps.fleet, sms: t.deps.sms, database: t.deps.database, config: { schedules: { syncSimsMinutes: 20 } } }).handler({ accountId: t.accountId!, firstDetailsLimit: 0 }, jobContext(t));
    expect(sweep).toHaveBeenCalledWith(t.accountId!, expect.objectContaining({ firstDetailsUntilMs: 10 * 60_000, firstDetailsLimit: 0 }));
    sweep.mockRestore();
  });
});