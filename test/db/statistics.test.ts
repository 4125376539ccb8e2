import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStatisticsKeeper, type StatisticsRun } from '../../src/db/statistics.js';
import { backends, createTestDatabase, type TestDatabase } from '../helpers/db.js';

const FLEET = 2_000;

describe.each(backends)('planner statistics keeper on %s', (backend) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    const db = t.database.db;
    const account = await db
      .insertInto('provider_accounts')
      .values({ name: 'stats', api_url: 'http://127.0.0.1:9', client_id: 'id', secret_ciphertext: 'v1:abc', is_default: true })
      .returning('id')
      .executeTakeFirstOrThrow();
    await sql`insert into sims (account_id, iccid, status)
      select ${account.id}::uuid, '8988280666' || lpad(g::text, 9, '0'), case when g % 10 = 0 then 'Disabled' else 'Enabled' end
        from generate_series(1, ${FLEET}) g`.execute(db);
  });
  afterAll(async () => t.cleanup());

  const keeper = (runs: StatisticsRun[], now = () => 0) =>
    createStatisticsKeeper(t.database.db, { embedded: backend === 'pglite', now, onRun: (run) => runs.push(run) });

  /** Activity counters reach pg_stat_user_tables asynchronously on PostgreSQL (within about a second). */
  async function refreshUntilRun(run: () => Promise<StatisticsRun[]>): Promise<StatisticsRun[]> {
    for (let i = 0; i < 60; i++) {
      const done = await run();
      if (done.length > 0) return done;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    return [];
  }

  const statusStats = async () =>
    (await sql<{ n: number }>`select count(*)::int as n from pg_stats where schemaname = current_schema() and tablename = 'sims' and attname = 'status'`.execute(t.database.db)).rows[0]!.n;

  it('analyzes a table imported in bulk and never analyzed, then has nothing to do', async () => {
    expect(await statusStats()).toBe(0);
    const runs: StatisticsRun[] = [];
    const stats = keeper(runs);
    const done = await refreshUntilRun(() => stats.refresh(['sims'], true));
    expect(done).toHaveLength(1);
    expect(done[0]).toMatchObject({ table: 'sims' });
    expect(done[0]!.changedRows).toBeGreaterThanOrEqual(FLEET);
    expect(await statusStats()).toBe(1);
    expect(await stats.refresh(['sims'], true)).toEqual([]);
    expect(runs).toEqual(done);
  });

  it('looks at a table at most once per interval unless forced, and vacuums dead rows where no autovacuum runs', async () => {
    let clock = 0;
    const runs: StatisticsRun[] = [];
    const stats = keeper(runs, () => clock);
    expect(await stats.refresh(['sims'])).toEqual([]);
    // Half the fleet changes: more than 10 % to analyze, more than 20 % dead rows to vacuum.
    await sql`update sims set label = 'changed' where id % 2 = 0`.execute(t.database.db);
    expect(await stats.refresh(['sims'])).toEqual([]);
    clock += 30_000;
    const done = await refreshUntilRun(() => stats.refresh(['sims'], true));
    expect(done).toHaveLength(1);
    const autovacuum = (await sql<{ on: boolean }>`select current_setting('autovacuum') = 'on' as on`.execute(t.database.db)).rows[0]!.on;
    expect(done[0]!.action).toBe(backend === 'pglite' || !autovacuum ? 'vacuum analyze' : 'analyze');
  });

  it('skips a table that does not exist', async () => {
    await sql`alter table bulk_job_items rename to bulk_job_items_away`.execute(t.database.db);
    try {
      expect(await keeper([]).refresh(['bulk_job_items'], true)).toEqual([]);
    } finally {
      await sql`alter table bulk_job_items_away rename to bulk_job_items`.execute(t.database.db);
    }
  });

  it('never rejects: a failure is logged and the next call tries again', async () => {
    const gone = await createTestDatabase(backend);
    await gone.cleanup();
    const warnings: string[] = [];
    const stats = createStatisticsKeeper(gone.database.db, {
      embedded: backend === 'pglite',
      logger: { info: () => undefined, warn: (_obj, msg) => warnings.push(msg) },
    });
    expect(await stats.refresh(['sims'], true)).toEqual([]);
    expect(await stats.refresh(['sims'], true)).toEqual([]);
    expect(warnings).toEqual(['planner statistics refresh failed', 'planner statistics refresh failed']);
  });
});
