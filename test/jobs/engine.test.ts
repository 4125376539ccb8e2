import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createJobEngine, type JobEngine } from '../../src/jobs/engine.js';
import { createBackgroundMetrics } from '../../src/metrics/background.js';
import { createTestDatabase, type TestDatabase } from '../helpers/db.js';

const logger = pino({ level: 'silent' });

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('job engine on embedded PGlite (in process)', () => {
  let testDb: TestDatabase | undefined;
  let engine: JobEngine | undefined;

  afterEach(async () => {
    await engine?.stop();
    await testDb?.cleanup();
    engine = undefined;
    testDb = undefined;
  });

  it('runs a sent job, records the run and its items, and retries a failing one', async () => {
    testDb = await createTestDatabase('pglite');
    const metrics = createBackgroundMetrics(new Registry());
    engine = createJobEngine({
      database: testDb.database,
      logger,
      metrics: metrics.jobs,
      role: 'all',
      schema: 'pgboss',
      workerId: 'w-1',
      pollingIntervalSeconds: 0.5,
    });
    const seen: unknown[] = [];
    let flakyCalls = 0;
    engine.register<{ n: number }>({
      name: 'probe',
      async handler(data) {
        seen.push(data);
        return { items: data.n };
      },
    });
    engine.register({
      name: 'flaky',
      retryLimit: 2,
      retryDelaySeconds: 0,
      async handler(_data, ctx) {
        flakyCalls += 1;
        if (ctx.attempt === 1) throw new Error('first attempt fails');
        return { items: 1 };
      },
    });
    await engine.start();
    expect(await engine.send('probe', { n: 7 })).toEqual(expect.any(String));
    await engine.send('flaky', {});

    const db = testDb.database.db;
    const runs = await until(async () => {
      const rows = await db.selectFrom('job_runs').selectAll().orderBy('id').execute();
      const done = rows.filter((r) => r.outcome !== 'running');
      return done.length >= 3 ? rows : undefined;
    });
    expect(seen).toEqual([{ n: 7 }]);
    const probe = runs.find((r) => r.job_name === 'probe')!;
    expect(probe).toMatchObject({ outcome: 'success', items: 7, worker_id: 'w-1', attempt: 1 });
    expect(probe.duration_ms).toBeGreaterThanOrEqual(0);
    const flaky = runs.filter((r) => r.job_name === 'flaky');
    expect(flaky.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, 'failure'],
      [2, 'success'],
    ]);
    expect(flaky[0]!.error).toBe('first attempt fails');
    expect(flakyCalls).toBe(2);
    expect((await metrics.jobs.runs.get()).values).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ labels: { job: 'probe', outcome: 'success' }, value: 1 }),
        expect.objectContaining({ labels: { job: 'flaky', outcome: 'failure' }, value: 1 }),
      ]),
    );
    expect((await metrics.jobs.items.get()).values).toEqual(expect.arrayContaining([expect.objectContaining({ labels: { job: 'probe' }, value: 7 })]));
  });

  it('refuses registration after start, duplicate names and unknown jobs', async () => {
    testDb = await createTestDatabase('pglite');
    engine = createJobEngine({ database: testDb.database, logger, metrics: createBackgroundMetrics(new Registry()).jobs, role: 'api', schema: 'pgboss' });
    engine.register({ name: 'one', handler: async () => undefined });
    expect(() => engine!.register({ name: 'one', handler: async () => undefined })).toThrow(/twice/);
    expect(() => engine!.register({ name: 'Bad Name', handler: async () => undefined })).toThrow(/lowercase/);
    await engine.start();
    expect(() => engine!.register({ name: 'two', handler: async () => undefined })).toThrow(/before the engine starts/);
    await expect(engine.send('nope', {})).rejects.toThrow(/unknown job/);
    // Send-only role: the job is queued but nothing here runs it.
    await engine.send('one', {});
    expect(await engine.queueSize('one')).toBe(1);
  });

  it('keeps a long run alive by renewing its short lease, and fails a run whose lease lapsed over to a retry', { timeout: 60_000 }, async () => {
    testDb = await createTestDatabase('pglite');
    engine = createJobEngine({
      database: testDb.database,
      logger,
      metrics: createBackgroundMetrics(new Registry()).jobs,
      role: 'all',
      schema: 'pgboss',
      pollingIntervalSeconds: 0.5,
      leaseSeconds: 3,
      maintenanceIntervalSeconds: 1,
    });
    const deadlines: number[] = [];
    engine.register({
      name: 'long',
      retryLimit: 1,
      retryDelaySeconds: 0,
      // The run takes two leases: without renewals maintenance would fail it after the first.
      expireInSeconds: 3600,
      async handler(data, ctx) {
        const steps = (data as { steps?: number }).steps ?? 6;
        for (let i = 0; i < steps; i++) {
          await new Promise((r) => setTimeout(r, 1_000));
          if (ctx.signal.aborted) throw new Error('stopped: the lease was lost');
          const row = await sql<{ deadline: Date }>`select started_on + expire_in as deadline from pgboss.job where id = ${ctx.jobId}::uuid`.execute(testDb!.database.db);
          deadlines.push(row.rows[0]!.deadline.getTime() - Date.now());
        }
        return { items: 1 };
      },
    });
    await engine.start();
    const id = (await engine.send('long', {}))!;
    const db = testDb.database.db;
    const run = await until(async () => (await db.selectFrom('job_runs').selectAll().where('job_id', '=', id).where('outcome', '!=', 'running').executeTakeFirst()) ?? undefined, 30_000);
    expect(run).toMatchObject({ outcome: 'success', attempt: 1 });
    // The deadline stays within one lease of now (not the hour of its expiry) while the run works.
    for (const left of deadlines) expect(left).toBeLessThanOrEqual(3_500);
    expect(Math.min(...deadlines)).toBeGreaterThan(0);

    // A run that stops renewing (its worker died): the lease lapses and maintenance hands the job to a retry.
    // The run is long enough (30 s) that it cannot finish first; the test keeps pushing its lease
    // into the past, as a worker that stopped renewing would leave it, until maintenance acts (a
    // single push could be undone by a renewal already under way on a busy machine).
    const lapsed = (await engine.send('long', { steps: 30 }))!;
    await until(async () => (await db.selectFrom('job_runs').select('id').where('job_id', '=', lapsed).executeTakeFirst()) ?? undefined);
    const retried = await until(async () => {
      await sql`update pgboss.job set started_on = now() - expire_in - interval '1 second' where id = ${lapsed}::uuid and state = 'active'`.execute(db);
      return (await db.selectFrom('job_runs').selectAll().where('job_id', '=', lapsed).where('attempt', '=', 2).executeTakeFirst()) ?? undefined;
    }, 30_000);
    expect(retried.attempt).toBe(2);
    // The first run's renewal found the job gone and stopped it: never two runs of one job at once.
    const first = await until(async () => (await db.selectFrom('job_runs').selectAll().where('job_id', '=', lapsed).where('attempt', '=', 1).where('outcome', '!=', 'running').executeTakeFirst()) ?? undefined, 30_000);
    expect(first.outcome).toBe('failure');
  });
});
