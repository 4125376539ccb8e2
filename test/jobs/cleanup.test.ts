import { afterEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { pino } from 'pino';
import { cleanupJob } from '../../src/jobs/cleanup.job.js';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { dayOffset, insertSim, insertUsage } from '../helpers/factories.js';

const ctx = { jobId: 'test', attempt: 1, signal: new AbortController().signal, logger: pino({ level: 'silent' }) };

async function seed(t: TestApp) {
  const db = t.deps.database.db;
  const account = await t.deps.accounts.ensureDefaultAccount({ apiUrl: 'http://127.0.0.1:9/management-api', clientId: 'c', clientSecret: 's' });
  const sim = await insertSim(db, { account_id: account.id });
  await insertUsage(db, sim.id, [
    { day: dayOffset(-400), bytes: 0 },
    { day: dayOffset(0), bytes: 0 },
  ]);
  const old = sql<Date>`now() - interval '400 days'`;
  await sql`insert into usage_records (record_id, started_at, traffic_type) values ('old', ${old}, 'data'), ('new', now(), 'data')`.execute(db);
  await sql`insert into sim_events (event_key, occurred_at, source) values ('old', ${old}, 'stream'), ('new', now(), 'stream')`.execute(db);
  await sql`insert into stream_payloads (received_at, record_count, body) values (${old}, 1, '[{}]'), (now(), 1, '[{}]')`.execute(db);
  await sql`insert into idempotency_keys (scope, key, request_hash, created_at) values ('s', 'old', 'h', now() - interval '2 days'), ('s', 'new', 'h', now())`.execute(db);
  await sql`insert into job_runs (job_name, started_at, outcome) values ('x', now() - interval '40 days', 'success'), ('x', now(), 'success'), ('x', now() - interval '40 days', 'running')`.execute(db);
}

const count = async (t: TestApp, table: string) =>
  Number((await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(t.deps.database.db)).rows[0]!.n);

describe.each(backends)('cleanup job (%s)', (backend) => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('keeps usage and events forever by default and trims operational tables', async () => {
    t = await buildTestApp({ backend });
    await seed(t);
    const result = await cleanupJob(t.deps).handler({}, ctx);
    expect(result).toEqual({ items: 2 });
    expect(await count(t, 'sim_usage')).toBe(2);
    expect(await count(t, 'usage_records')).toBe(2);
    expect(await count(t, 'sim_events')).toBe(2);
    expect(await count(t, 'stream_payloads')).toBe(2);
    expect(await count(t, 'idempotency_keys')).toBe(1);
    // The old finished run goes; a run still marked running is left for the engine to close.
    expect(await count(t, 'job_runs')).toBe(2);
  });

  it('applies USAGE_RETENTION_DAYS and EVENT_RETENTION_DAYS when set', async () => {
    t = await buildTestApp({ backend, env: { USAGE_RETENTION_DAYS: '365', EVENT_RETENTION_DAYS: '30' } });
    await seed(t);
    await cleanupJob(t.deps).handler({}, ctx);
    expect(await count(t, 'sim_usage')).toBe(1);
    expect(await count(t, 'usage_records')).toBe(1);
    expect(await count(t, 'sim_events')).toBe(1);
    // Raw payloads serve both: trimmed on the longer window (365 days; the old one is 400 days old).
    expect(await count(t, 'stream_payloads')).toBe(1);
  });

  it('keeps stream payloads while either usage or events are kept forever', async () => {
    t = await buildTestApp({ backend, env: { USAGE_RETENTION_DAYS: '30' } });
    await seed(t);
    await cleanupJob(t.deps).handler({}, ctx);
    expect(await count(t, 'usage_records')).toBe(1);
    expect(await count(t, 'stream_payloads')).toBe(2);
  });
});
