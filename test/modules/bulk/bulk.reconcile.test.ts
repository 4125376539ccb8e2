import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BulkJobDto } from '../../../src/modules/bulk/bulk.schemas.js';
import { backends, buildTestApp, type TestApp } from '../../helpers/app.js';
import { authHeaders } from '../../helpers/auth.js';
import { advanceSimulator, findExpiredSim, seedSims, simulatorRequests, type SeededSim } from './fleet.fixtures.js';

/**
 * Items a run sent to 1NCE and never recorded (its worker was killed mid-call) are reconciled with
 * 1NCE before anything is sent again: the SIM's record at 1NCE says whether the change landed.
 * The crash is reproduced exactly: the items carry the attempt the dead run counted before its call,
 * and 1NCE got that call (or not).
 */
describe.each(backends)('bulk job reconciliation after a crash (%s)', (backend) => {
  let t: TestApp;
  let operator: Record<string, string>;
  let live: SeededSim[];
  let expired: SeededSim;

  beforeAll(async () => {
    t = await buildTestApp({ backend, simulator: { fleetSize: 60 }, env: { API_RATE_LIMIT_RPS: '100000' } });
    operator = await authHeaders(t, 'operator');
    const sims = await seedSims(t, 60);
    expired = await findExpiredSim(t, sims);
    const client = await t.deps.provider.get(t.accountId!);
    live = [];
    for (const sim of sims) {
      if (live.length === 8) break;
      if (await client.getSim(sim.iccid).then(() => true, () => false)) live.push(sim);
    }
  });
  afterAll(async () => {
    await t.close();
  });

  const create = async (payload: object) => {
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/bulk-jobs', headers: operator, payload });
    expect(response.statusCode).toBe(202);
    return response.json<BulkJobDto>();
  };
  const calls = async (route: string) => (await simulatorRequests(t))[route] ?? 0;
  const items = (jobId: string) => t.deps.database.db.selectFrom('bulk_job_items').selectAll().where('job_id', '=', jobId).orderBy('iccid').execute();

  /** As if a run had started the job, counted an attempt on `inFlight` and died during the call. */
  async function crashDuring(jobId: string, inFlight: string[]) {
    await t.deps.database.db.updateTable('bulk_jobs').set({ status: 'running', started_at: new Date() }).where('id', '=', jobId).execute();
    await t.deps.database.db.updateTable('bulk_job_items').set({ attempts: 1 }).where('job_id', '=', jobId).where('iccid', 'in', inFlight).execute();
  }

  it('a state update that reached 1NCE is not sent again; one that did not is sent with the rest', async () => {
    const [reached, lost, expiredOne, untouched] = [live[0]!, live[1]!, expired, live[2]!];
    const job = await create({ action: 'label', iccids: [reached.iccid, lost.iccid, expiredOne.iccid, untouched.iccid], params: { label: 'after-crash' } });
    await crashDuring(job.id, [reached.iccid, lost.iccid, expiredOne.iccid]);
    // The dead run's call reached 1NCE for one SIM (and 1NCE applied it); the other never arrived.
    const client = await t.deps.provider.get(t.accountId!);
    await client.bulkUpdateSims([{ iccid: reached.iccid, label: 'after-crash' }]);
    await advanceSimulator(t, 10);
    const bulkBefore = await calls('POST /v1/sims');
    const readsBefore = await calls('GET /v2/sims/{iccid}');

    expect(await t.deps.bulkRunner.run(job.id)).toBe('completed');
    const rows = await items(job.id);
    const of = (iccid: string) => rows.find((r) => r.iccid === iccid)!;
    expect(of(reached.iccid)).toMatchObject({ status: 'succeeded', result: { applied: 'found applied at 1NCE when resuming' } });
    expect(of(expiredOne.iccid)).toMatchObject({ status: 'failed', error: expect.stringMatching(/^sim_expired/) });
    expect(of(lost.iccid)).toMatchObject({ status: 'succeeded', result: { applied: 'queued at 1NCE' } });
    expect(of(untouched.iccid)).toMatchObject({ status: 'succeeded', result: { applied: 'queued at 1NCE' } });
    // Three reads (the in-flight items), one bulk update for the two not applied.
    expect((await calls('GET /v2/sims/{iccid}')) - readsBefore).toBe(3);
    expect((await calls('POST /v1/sims')) - bulkBefore).toBe(1);
    const stored = await t.deps.database.db.selectFrom('sims').select(['iccid', 'label']).where('iccid', 'in', [reached.iccid, lost.iccid, untouched.iccid]).execute();
    expect(stored.map((s) => s.label)).toEqual(['after-crash', 'after-crash', 'after-crash']);
    const job2 = (await t.app.inject({ method: 'GET', url: `/api/v1/bulk-jobs/${job.id}`, headers: operator })).json<BulkJobDto>();
    expect(job2).toMatchObject({ status: 'completed', total: 4, processed: 4, succeeded: 3, failed: 1 });
  });

  it('a top-up, SMS or reset in flight is never repeated: it fails as outcome unknown', async () => {
    const targets = [live[3]!.iccid, live[4]!.iccid];
    const job = await create({ action: 'reset', iccids: targets });
    await crashDuring(job.id, [targets[0]!]);
    const before = await calls('POST /v2/sims/{iccid}/reset');
    expect(await t.deps.bulkRunner.run(job.id)).toBe('completed');
    expect((await calls('POST /v2/sims/{iccid}/reset')) - before).toBe(1);
    const rows = await items(job.id);
    expect(rows.find((r) => r.iccid === targets[0])).toMatchObject({ status: 'failed', error: expect.stringMatching(/^outcome unknown/) });
    expect(rows.find((r) => r.iccid === targets[1])).toMatchObject({ status: 'succeeded' });
  });

  it('cancel ends a job whose worker died; the next run gives its in-flight items their outcome', async () => {
    const [reached, lost, waiting] = [live[5]!, live[6]!, live[7]!];
    const job = await create({ action: 'disable', iccids: [reached.iccid, lost.iccid, waiting.iccid] });
    await crashDuring(job.id, [reached.iccid, lost.iccid]);
    const client = await t.deps.provider.get(t.accountId!);
    await client.bulkUpdateSims([{ iccid: reached.iccid, status: 'Disabled' }]);
    await advanceSimulator(t, 10);

    // Nobody is working on the job: cancel still ends it, at once.
    const cancelled = await t.app.inject({ method: 'POST', url: `/api/v1/bulk-jobs/${job.id}/cancel`, headers: operator });
    expect(cancelled.statusCode).toBe(200);
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', pending: 0 });
    const bulkBefore = await calls('POST /v1/sims');
    // The engine retries the dead run: the job is not run again, its in-flight items are settled.
    expect(await t.deps.bulkRunner.run(job.id)).toBe('not_runnable');
    expect(await calls('POST /v1/sims')).toBe(bulkBefore);
    const rows = await items(job.id);
    const of = (iccid: string) => rows.find((r) => r.iccid === iccid)!;
    expect(of(reached.iccid)).toMatchObject({ status: 'succeeded' });
    expect(of(lost.iccid)).toMatchObject({ status: 'cancelled', error: expect.stringMatching(/not applied/) });
    expect(of(waiting.iccid)).toMatchObject({ status: 'cancelled', error: null });
    const final = (await t.app.inject({ method: 'GET', url: `/api/v1/bulk-jobs/${job.id}`, headers: operator })).json<BulkJobDto>();
    expect(final).toMatchObject({ status: 'cancelled', processed: 1, succeeded: 1 });
    const stored = await t.deps.database.db.selectFrom('sims').select('status').where('iccid', '=', reached.iccid).executeTakeFirstOrThrow();
    expect(stored.status).toBe('Disabled');
  });
});
