import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { syncSimsJob } from '../../src/jobs/sync-sims.job.js';
import { sweepStatus } from '../../src/jobs/scheduler.service.js';
import { createSweepProgressRepo, RESUME_WITHIN_MS } from '../../src/jobs/sweep-progress.repo.js';
import type { JobContext } from '../../src/jobs/engine.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { simulatorRequests } from '../modules/sims/fixtures.js';

const LIST = 'GET /v2/sims';

/**
 * Issue 14 (1,000,000 SIMs): a pass over every list page is resumable, so a run that stops part-way
 * is continued by the next one from the page it reached, and the scheduler status says when passes
 * outlast the schedule (continuous mode).
 */
describe.each(backends)('resumable list sweep (%s)', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    // 500 SIMs: five list pages of 100.
    t = await buildTestApp({ backend, simulator: { fleetSize: 500 } });
  });
  afterAll(async () => {
    await t.close();
  });

  const context = (signal: AbortSignal): JobContext => ({ jobId: 'test', attempt: 1, signal, logger: t.deps.logger });
  const progress = () => t.deps.database.db.selectFrom('sweep_progress').selectAll().where('account_id', '=', t.accountId!).executeTakeFirstOrThrow();

  it('continues a stopped pass at the page it reached, reading no page before it again, then starts the next pass at page 1', async () => {
    const job = syncSimsJob({ ...t.deps, now: () => new Date() });
    // The first run stops (its worker is going away) once two pages are stored.
    const stop = new AbortController();
    const sweep = t.deps.fleet.sync.sweep;
    const spy = vi.spyOn(t.deps.fleet.sync, 'sweep').mockImplementation((accountId, options = {}) =>
      sweep(accountId, {
        ...options,
        onPage: async (page, total) => {
          await options.onPage?.(page, total);
          if (page === 2) stop.abort(new Error('worker stopping'));
        },
      }),
    );
    try {
      await expect(job.handler({ accountId: t.accountId!, details: false }, context(stop.signal))).rejects.toThrow();
    } finally {
      spy.mockRestore();
    }
    const stopped = await progress();
    expect(stopped).toMatchObject({ next_page: 3, total_pages: 5, last_pass_completed_at: null });
    expect(stopped.pass_started_at).not.toBeNull();
    const stoppedStatus = sweepStatus([stopped], 15 * 60);
    expect(stoppedStatus.accounts[0]).toMatchObject({ pass_under_way: true, next_page: 3, total_pages: 5, minimum_pass_seconds: 1 });

    // The next run reads pages 3, 4 and 5 only, and closes the pass.
    const listedBefore = (await simulatorRequests(t))[LIST] ?? 0;
    const result = await job.handler({ accountId: t.accountId!, details: false }, context(new AbortController().signal));
    expect(result).toEqual({ items: 300 });
    expect(((await simulatorRequests(t))[LIST] ?? 0) - listedBefore).toBe(3);
    const done = await progress();
    expect(done).toMatchObject({ next_page: 1, pass_started_at: null, last_pass_pages: 5 });
    expect(done.last_pass_completed_at).not.toBeNull();
    // The pass's wall time runs from its first page, across both runs.
    expect(done.last_pass_seconds!).toBeGreaterThanOrEqual(0);
    expect(done.last_pass_completed_at!.getTime() - stopped.pass_started_at!.getTime()).toBeGreaterThanOrEqual(done.last_pass_seconds! * 1000 - 1000);
    const count = await t.deps.database.db.selectFrom('sims').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(500);

    // A complete pass: the next run starts again at page 1 and reads all five pages.
    const before = (await simulatorRequests(t))[LIST] ?? 0;
    expect(await job.handler({ accountId: t.accountId!, details: false }, context(new AbortController().signal))).toEqual({ items: 500 });
    expect(((await simulatorRequests(t))[LIST] ?? 0) - before).toBe(5);
  });

  it('starts a pass again at page 1 when the one under way stopped more than a day ago', async () => {
    const repo = createSweepProgressRepo(t.deps.database.db);
    const long = new Date(Date.now() - RESUME_WITHIN_MS - 60_000);
    await repo.begin(t.accountId!, long);
    await repo.advance(t.accountId!, 4, 5, long);
    expect(await repo.begin(t.accountId!, new Date(long.getTime() + 60_000))).toMatchObject({ fromPage: 4, resumed: true });
    expect(await repo.begin(t.accountId!, new Date())).toMatchObject({ fromPage: 1, resumed: false });
  });

  it('reports continuous mode when a pass outlasts the schedule, and the sweep state to any reader', async () => {
    const row = { account_id: 'a', next_page: 1, total_pages: 10_000, pass_started_at: null, updated_at: new Date(), last_pass_completed_at: null, last_pass_seconds: null, last_pass_pages: null };
    // 10,000 pages (1,000,000 SIMs) at 10 requests/s: at least 1,000 s, more than 15 minutes.
    const big = sweepStatus([row], 15 * 60);
    expect(big).toMatchObject({ mode: 'continuous', interval_seconds: 900, accounts: [{ minimum_pass_seconds: 1_000 }] });
    expect(big.detail).toMatch(/back to back/);
    // 1,000 pages fit, unless the last pass really took longer (a slow provider, retries).
    expect(sweepStatus([{ ...row, total_pages: 1_000 }], 900).mode).toBe('scheduled');
    expect(sweepStatus([{ ...row, total_pages: 1_000, last_pass_seconds: 1_200 }], 900).mode).toBe('continuous');
    expect(sweepStatus([], 900)).toMatchObject({ mode: 'scheduled', accounts: [] });

    const viewer = await authHeaders(t, 'viewer');
    const status = await t.app.inject({ method: 'GET', url: '/api/v1/scheduler/status', headers: viewer });
    expect(status.statusCode).toBe(200);
    expect(status.json().sweep).toMatchObject({ mode: 'scheduled', interval_seconds: 900, accounts: [{ account_id: t.accountId, total_pages: 5, minimum_pass_seconds: 1 }] });
  });
});
