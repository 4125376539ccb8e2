import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { sql } from 'kysely';
import { createJobEngine, type JobEngine } from '../../src/jobs/engine.js';
import { createBackgroundMetrics } from '../../src/metrics/background.js';
import { backends, createTestDatabase, jobsSchemaFor, type TestDatabase } from '../helpers/db.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';

/**
 * Issue 10, item 6: a NUL byte from 1NCE took the platform down. A job failing with an error that
 * carries a NUL (in its message and in the driver's own properties) made pg-boss's unawaited write
 * of the failure reject: an unhandled rejection, and the process exited. And a sweep failed at
 * page 1 for as long as 1NCE held a label with a NUL.
 */

const logger = pino({ level: 'silent' });

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Collects unhandled rejections while a test runs (each one would have ended the process). */
function watchRejections(): { rejections: unknown[]; stop(): void } {
  const rejections: unknown[] = [];
  const onRejection = (reason: unknown) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  return { rejections, stop: () => process.off('unhandledRejection', onRejection) };
}

describe.each(backends)('hostile text in background work (%s)', (backend) => {
  let testDb: TestDatabase | undefined;
  let engine: JobEngine | undefined;
  let t: TestApp | undefined;

  afterEach(async () => {
    await engine?.stop();
    await testDb?.cleanup();
    await t?.deps.jobs.stop();
    await t?.close();
    engine = undefined;
    testDb = undefined;
    t = undefined;
  });

  it('records a failure whose error carries NUL bytes, without an unhandled rejection', async () => {
    testDb = await createTestDatabase(backend);
    const schema = testDb.schema === undefined ? 'pgboss' : jobsSchemaFor(testDb.schema);
    engine = createJobEngine({
      database: testDb.database,
      logger,
      metrics: createBackgroundMetrics(new Registry()).jobs,
      role: 'all',
      schema,
      workerId: 'w-nul',
      pollingIntervalSeconds: 0.5,
    });
    engine.register({
      name: 'hostile',
      retryLimit: 0,
      async handler() {
        // Shaped like a driver error: the failed statement's parameters hold 1NCE's label.
        throw Object.assign(new Error('invalid byte sequence in "x\u0000y"'), { parameters: ['x\u0000y'], detail: 'label x\u0000y' });
      },
    });
    const watch = watchRejections();
    try {
      await engine.start();
      const jobId = await engine.send('hostile', {});
      const db = testDb.database.db;
      const run = await until(async () => db.selectFrom('job_runs').selectAll().where('job_name', '=', 'hostile').where('outcome', '=', 'failure').executeTakeFirst());
      expect(run.error).toBe('invalid byte sequence in "xy"');
      // pg-boss recorded the failure too: the job is no longer active.
      const job = await until(async () => {
        const result = await sql<{ state: string; output: { message?: string } | null }>`select state, output from ${sql.table(`${schema}.job`)} where id = ${jobId}`.execute(db);
        const row = result.rows[0];
        return row !== undefined && row.state === 'failed' ? row : undefined;
      });
      expect(job.output?.message).toBe('invalid byte sequence in "xy"');
      expect(JSON.stringify(job.output)).not.toContain('\\u0000');
      expect(watch.rejections).toEqual([]);
    } finally {
      watch.stop();
    }
  }, 90_000);

  it('sweeps a fleet in which 1NCE holds a label with a NUL (through the job engine)', async () => {
    t = await buildTestApp({ backend, simulator: { fleetSize: 8 } });
    const client = await t.deps.provider.get(t.accountId!);
    const listed = await client.listSimsPage(1, { pageSize: 100 });
    let target: string | undefined;
    for (const sim of listed.items) {
      try {
        await client.updateSim(sim.iccid, { label: 'x\u0000y\u0007z' });
        target = sim.iccid;
        break;
      } catch {
        // expired at 1NCE: try the next one
      }
    }
    expect(target).toBeDefined();
    const watch = watchRejections();
    try {
      await t.deps.jobs.start();
      await t.deps.jobs.send('sync-sims', { accountId: t.accountId!, firstDetailsLimit: 0 });
      const db = t.deps.database.db;
      const run = await until(async () => db.selectFrom('job_runs').selectAll().where('job_name', '=', 'sync-sims').where('outcome', '!=', 'running').executeTakeFirst());
      expect(run).toMatchObject({ outcome: 'success', items: 8 });
      const row = await db.selectFrom('sims').select('label').where('iccid', '=', target!).executeTakeFirstOrThrow();
      expect(row.label).toBe('xyz');
      expect(watch.rejections).toEqual([]);
    } finally {
      watch.stop();
    }
  }, 90_000);
});
