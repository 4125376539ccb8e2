import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bulkJobJob } from '../../src/jobs/bulk-job.job.js';
import { createLogger } from '../../src/logger.js';
import type { BulkJobDto } from '../../src/modules/bulk/bulk.schemas.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { authHeaders } from '../helpers/auth.js';
import { advanceSimulator, findExpiredSim, seedSims, simulatorRequests, type SeededSim } from '../modules/bulk/fleet.fixtures.js';

/** An abort signal that trips on its `trips`-th check: aborts mid-job at a known point, without timing races. */
function abortAfterChecks(trips: number): AbortSignal {
  let checks = 0;
  return {
    get aborted() {
      checks++;
      return checks >= trips;
    },
  } as AbortSignal;
}

describe.each(backends)('bulk actions over HTTP (%s)', (backend) => {
  let t: TestApp;
  let operator: Record<string, string>;
  let viewer: Record<string, string>;
  let sims: SeededSim[];
  let live: SeededSim[];
  let expiredCount: number;

  beforeAll(async () => {
    t = await buildTestApp({ backend, simulator: { fleetSize: 150 }, env: { API_RATE_LIMIT_RPS: '100000' } });
    operator = await authHeaders(t, 'operator');
    viewer = await authHeaders(t, 'viewer');
    sims = await seedSims(t, 150);
    const expired = new Set<string>();
    const client = await t.deps.provider.get(t.accountId!);
    for (const sim of sims) {
      await client.getSim(sim.iccid).catch(() => expired.add(sim.iccid));
    }
    expiredCount = expired.size;
    live = sims.slice(0, 40).filter((s) => !expired.has(s.iccid));
  });
  afterAll(async () => {
    await t.close();
  });

  const create = (payload: object, headers = operator) => t.app.inject({ method: 'POST', url: '/api/v1/bulk-jobs', headers, payload });
  const job = async (id: string) => (await t.app.inject({ method: 'GET', url: `/api/v1/bulk-jobs/${id}`, headers: viewer })).json<BulkJobDto>();
  const calls = async (route: string) => (await simulatorRequests(t))[route] ?? 0;

  it('reports a dry run without changing anything', async () => {
    const jobsBefore = await t.deps.database.db.selectFrom('bulk_jobs').select('id').execute();
    const response = await create({ action: 'disable', iccids: [sims[0]!.iccid, sims[1]!.iccid, sims[1]!.iccid, '123', '8988280666999999999'], dry_run: true });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ dry_run: true, action: 'disable', total: 4, valid: 2, invalid: 2 });
    expect(response.json().sample).toEqual([sims[0]!.iccid, sims[1]!.iccid]);
    expect(response.json().invalid_sample.map((i: { error: string }) => i.error).sort()).toEqual([expect.stringMatching(/invalid ICCID/), 'unknown SIM']);

    const enabled = await t.deps.database.db.selectFrom('sims').select('id').where('status', '=', 'Enabled').execute();
    const byFilter = await create({ action: 'disable', filter: { status: 'enabled' }, dry_run: true });
    expect(byFilter.json()).toMatchObject({ valid: enabled.length, invalid: 0, selection: { kind: 'filter' } });
    expect(byFilter.json().sample.length).toBe(Math.min(20, enabled.length));
    expect(await t.deps.database.db.selectFrom('bulk_jobs').select('id').execute()).toEqual(jobsBefore);
  });

  it('labels 150 SIMs through 1NCE bulk updates of at most 100 (expired SIMs fail alone), stores them and records every result', async () => {
    const before = await calls('POST /v1/sims');
    const singleBefore = await calls('PUT /v2/sims/{iccid}');
    const created = await create({ action: 'label', filter: {}, params: { label: 'fleet-2025' } });
    expect(created.statusCode).toBe(202);
    expect(created.json()).toMatchObject({ status: 'queued', total: 150, processed: 0, pending: 150, progress_percent: 0 });

    const definition = bulkJobJob(t.deps);
    await definition.handler({ jobId: created.json().id }, { jobId: 'j1', attempt: 1, signal: new AbortController().signal, logger: createLogger(t.config) });
    expect(expiredCount).toBeGreaterThan(0);
    expect(await job(created.json().id)).toMatchObject({ status: 'completed', processed: 150, succeeded: 150 - expiredCount, failed: expiredCount, pending: 0, progress_percent: 100 });
    // 1NCE's 422 names the expired SIMs of a chunk: they fail and the rest of the chunk is sent once
    // more (one extra bulk call per chunk with expired SIMs), never one call per SIM.
    const sorted = [...sims].sort((a, b) => a.iccid.localeCompare(b.iccid));
    const expiredIccids = new Set((await t.deps.database.db.selectFrom('bulk_job_items').select('iccid').where('job_id', '=', created.json().id).where('status', '=', 'failed').execute()).map((r) => r.iccid));
    const chunksWithExpired = [sorted.slice(0, 100), sorted.slice(100)].filter((c) => c.some((s) => expiredIccids.has(s.iccid))).length;
    expect(await calls('POST /v1/sims')).toBe(before + 2 + chunksWithExpired);
    expect(await calls('PUT /v2/sims/{iccid}')).toBe(singleBefore);
    // 1NCE said they are expired: the next dry run flags them (1NCE still lists them as Enabled).
    const dry = await create({ action: 'disable', filter: {}, dry_run: true });
    expect(dry.json()).toMatchObject({ expired: expiredCount });
    expect(dry.json().expired_sample.length).toBe(Math.min(20, expiredCount));
    expect((await create({ action: 'add_tag', filter: {}, dry_run: true, params: { tag: 'x' } })).json().expired).toBe(0);

    const labelled = await t.deps.database.db.selectFrom('sims').select('label').where('label', '=', 'fleet-2025').execute();
    expect(labelled).toHaveLength(150 - expiredCount);
    await advanceSimulator(t, 10); // 1NCE applies bulk updates asynchronously
    const client = await t.deps.provider.get(t.accountId!);
    expect((await client.getSim(live[0]!.iccid)).label).toBe('fleet-2025');

    const csv = await t.app.inject({ method: 'GET', url: `/api/v1/bulk-jobs/${created.json().id}/results.csv`, headers: viewer });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toMatch(/^text\/csv/);
    const lines = csv.body.trim().split('\r\n');
    expect(lines[0]).toBe('iccid,status,error,result');
    expect(lines).toHaveLength(151);
    expect(lines.filter((l) => /,failed,sim_expired: /.test(l))).toHaveLength(expiredCount);
    expect(lines[1]).toMatch(new RegExp(`^${[...sims].sort((a, b) => a.iccid.localeCompare(b.iccid))[0]!.iccid},(succeeded,,"\\{""applied""|failed,sim_expired)`));
  });

  it('disables and re-enables SIMs, adds and removes tags, with invalid ICCIDs failing at once', async () => {
    const targets = live.slice(0, 3).map((s) => s.iccid);
    const run = async (payload: object) => {
      const created = await create(payload);
      expect(created.statusCode).toBe(202);
      const id = created.json<BulkJobDto>().id;
      expect(await t.deps.bulkRunner.run(id)).toBe('completed');
      return job(id);
    };
    expect(await run({ action: 'disable', iccids: [...targets, 'not-an-iccid'] })).toMatchObject({ total: 4, succeeded: 3, failed: 1 });
    const statuses = await t.deps.database.db.selectFrom('sims').select('status').where('iccid', 'in', targets).execute();
    expect(statuses.map((s) => s.status)).toEqual(['Disabled', 'Disabled', 'Disabled']);
    await run({ action: 'enable', iccids: targets });

    await run({ action: 'add_tag', csv: `iccid,note\n${targets[0]},a\n${targets[1]},b\n`, params: { tag: 'pilot' } });
    await run({ action: 'add_tag', iccids: [targets[0]!], params: { tag: 'pilot' } });
    const tagged = await t.app.inject({ method: 'POST', url: '/api/v1/bulk-jobs', headers: operator, payload: { action: 'remove_tag', filter: { tag: 'pilot' }, dry_run: true, params: { tag: 'pilot' } } });
    expect(tagged.json().valid).toBe(2);
    const rows = await t.deps.database.db.selectFrom('sims').select('tags').where('iccid', '=', targets[0]!).executeTakeFirstOrThrow();
    expect(rows.tags).toEqual(['pilot']);
    await run({ action: 'remove_tag', filter: { tag: 'pilot' }, params: { tag: 'pilot' } });
    const allTags = await t.deps.database.db.selectFrom('sims').select('tags').execute();
    expect(allTags.filter((r) => r.tags.includes('pilot'))).toHaveLength(0);

    const failed = await t.app.inject({ method: 'GET', url: `/api/v1/bulk-jobs?page_size=100`, headers: viewer });
    expect(failed.json().total).toBeGreaterThanOrEqual(6);
  });

  it('resumes after an abort without repeating finished SIMs: each SIM reaches 1NCE exactly once', async () => {
    const targets = sims.slice(40, 70).map((s) => s.iccid);
    const before = await calls('POST /v2/sims/{iccid}/reset');
    const created = (await create({ action: 'reset', iccids: targets })).json();

    // Checks: one per loop turn, one per item; the 8th check aborts after a few resets.
    expect(await t.deps.bulkRunner.run(created.id, abortAfterChecks(8))).toBe('interrupted');
    const halfway = await job(created.id);
    expect(halfway.status).toBe('running');
    expect(halfway.processed).toBeGreaterThan(0);
    expect(halfway.processed).toBeLessThan(30);
    expect(await calls('POST /v2/sims/{iccid}/reset')).toBe(before + halfway.processed);

    // The retry (here the job handler, as the engine would run it) picks up the pending items only.
    await bulkJobJob(t.deps).handler({ jobId: created.id }, { jobId: 'j2', attempt: 2, signal: new AbortController().signal, logger: createLogger(t.config) });
    const done = await job(created.id);
    expect(done).toMatchObject({ status: 'completed', total: 30, processed: 30, pending: 0 });
    expect(done.succeeded + done.failed).toBe(30);
    expect(await calls('POST /v2/sims/{iccid}/reset')).toBe(before + 30);
    const resets = await t.deps.database.db.selectFrom('connectivity_resets').select('sim_id').execute();
    expect(resets.length).toBe(done.succeeded);
  });

  it('never repeats a top-up that was interrupted mid-call', async () => {
    const targets = live.slice(3, 7).map((s) => s.iccid);
    const before = await calls('POST /v2/sims/{iccid}/topup');
    const created = (await create({ action: 'topup', iccids: targets, params: { payment_method: 'banktransfer' } })).json();
    // As if an earlier run died while 1NCE was booking this SIM's top-up.
    await t.deps.database.db.updateTable('bulk_job_items').set({ attempts: 1 }).where('job_id', '=', created.id).where('iccid', '=', targets[0]!).execute();

    expect(await t.deps.bulkRunner.run(created.id)).toBe('completed');
    expect(await job(created.id)).toMatchObject({ succeeded: 3, failed: 1 });
    expect(await calls('POST /v2/sims/{iccid}/topup')).toBe(before + 3);
    const items = (await t.app.inject({ method: 'GET', url: `/api/v1/bulk-jobs/${created.id}/items?status=failed`, headers: viewer })).json();
    expect(items.items).toEqual([expect.objectContaining({ iccid: targets[0], error: expect.stringMatching(/outcome unknown/) })]);
    const ok = (await t.app.inject({ method: 'GET', url: `/api/v1/bulk-jobs/${created.id}/items?status=succeeded`, headers: viewer })).json();
    expect(ok.items[0].result.order_number).toMatch(/^\d+$/);
    const orders = await t.deps.database.db.selectFrom('order_items').select('iccid').where('iccid', 'in', targets).execute();
    expect(orders.length).toBe(3);
  });

  it('sends an SMS to each selected SIM and reports expired ones as failed', async () => {
    const expired = await findExpiredSim(t, sims);
    const targets = [live[8]!.iccid, live[9]!.iccid, expired.iccid];
    const created = (await create({ action: 'sms', iccids: targets, params: { message: 'firmware 2.1 available' } })).json();
    expect(await t.deps.bulkRunner.run(created.id)).toBe('completed');
    const done = await job(created.id);
    expect(done).toMatchObject({ succeeded: 2, failed: 1 });
    const failed = (await t.app.inject({ method: 'GET', url: `/api/v1/bulk-jobs/${created.id}/items?status=failed`, headers: viewer })).json();
    expect(failed.items[0]).toMatchObject({ iccid: expired.iccid, error: expect.stringMatching(/^sim_expired/) });
    const sms = await t.deps.database.db.selectFrom('sms_messages').select('id').where('payload', '=', 'firmware 2.1 available').execute();
    expect(sms).toHaveLength(3); // one stored per SIM; the expired one as FAILED
  });

  it('cancels a queued job and a running one at once; a live run stops before its next chunk', async () => {
    const queued = (await create({ action: 'reset', iccids: sims.slice(70, 75).map((s) => s.iccid) })).json();
    const cancelled = await t.app.inject({ method: 'POST', url: `/api/v1/bulk-jobs/${queued.id}/cancel`, headers: operator });
    expect(cancelled.json()).toMatchObject({ status: 'cancelled', pending: 0 });
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/bulk-jobs/${queued.id}/items?status=cancelled`, headers: viewer })).json().total).toBe(5);
    expect(await t.deps.bulkRunner.run(queued.id)).toBe('not_runnable');
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/bulk-jobs/${queued.id}/cancel`, headers: operator })).statusCode).toBe(409);

    const running = (await create({ action: 'reset', iccids: sims.slice(75, 100).map((s) => s.iccid) })).json();
    expect(await t.deps.bulkRunner.run(running.id, abortAfterChecks(4))).toBe('interrupted');
    // Whether or not a worker is still on it, cancel ends the job now.
    const ended = await t.app.inject({ method: 'POST', url: `/api/v1/bulk-jobs/${running.id}/cancel`, headers: operator });
    expect(ended.json()).toMatchObject({ status: 'cancelled', pending: 0 });
    expect(ended.json().finished_at).not.toBeNull();
    expect(await t.deps.bulkRunner.run(running.id)).toBe('not_runnable');
    const final = await job(running.id);
    expect(final.status).toBe('cancelled');
    expect(final.processed).toBeLessThan(25);
    const left = (await t.app.inject({ method: 'GET', url: `/api/v1/bulk-jobs/${running.id}/items?status=cancelled`, headers: viewer })).json();
    expect(left.total).toBe(25 - final.processed);
  });

  it('rejects bad requests and viewers', async () => {
    expect((await create({ action: 'disable' })).statusCode).toBe(400);
    expect((await create({ action: 'disable', iccids: [sims[0]!.iccid], filter: {} })).statusCode).toBe(400);
    const noLabel = await create({ action: 'label', iccids: [sims[0]!.iccid] });
    expect(noLabel.statusCode).toBe(400);
    expect(noLabel.json().errors[0].field).toBe('body.params.label');
    expect((await create({ action: 'disable', iccids: [sims[0]!.iccid], params: { tag: 'x' } })).statusCode).toBe(400);
    expect((await create({ action: 'explode', iccids: [sims[0]!.iccid] })).statusCode).toBe(400);
    expect((await create({ action: 'disable', filter: { connectivity: 'SLEEPY' } })).statusCode).toBe(400);
    expect((await create({ action: 'disable', iccids: [sims[0]!.iccid] }, viewer)).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/bulk-jobs/00000000-0000-4000-8000-000000000000', headers: viewer })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: '/api/v1/bulk-jobs/00000000-0000-4000-8000-000000000000/results.csv', headers: viewer })).statusCode).toBe(404);
  });
});
