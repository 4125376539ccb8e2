import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createBulkRepo } from '../../../src/modules/bulk/bulk.repo.js';
import { createTestDatabase, databaseUrl, type TestDatabase } from '../../helpers/db.js';

/**
 * The runner's queries on bulk_job_items at the size of a large job: the next chunk is read from an
 * index in ICCID order, by keyset (never by sorting every pending item), and a chunk's
 * results are one set-based write that counts each item once.
 */
const backends = databaseUrl === undefined ? (['pglite'] as const) : (['pglite', 'postgres'] as const);
const ITEMS = 5_000;

describe.each(backends)('bulk job items at scale (%s)', (backend) => {
  let testDb: TestDatabase | undefined;
  afterEach(async () => {
    await testDb?.cleanup();
    testDb = undefined;
  });

  async function seedJob(t: TestDatabase) {
    const repo = createBulkRepo(t.database.db);
    const iccids = Array.from({ length: ITEMS }, (_, i) => `89882806660${String(i).padStart(8, '0')}`);
    const job = await repo.createJob({ action: 'label', params: { label: 'x' }, selection: {}, createdByUserId: null }, iccids.map((iccid) => ({ iccid, simId: null, error: null })));
    await sql`analyze bulk_job_items`.execute(t.database.db);
    return { repo, job, iccids };
  }

  it('reads the next pending chunk in ICCID order from an index, by keyset, without sorting', async () => {
    testDb = await createTestDatabase(backend);
    const { repo, job, iccids } = await seedJob(testDb);
    const first = await repo.pendingChunk(job.id, 100);
    expect(first.map((i) => i.iccid)).toEqual(iccids.slice(0, 100));
    const next = await repo.pendingChunk(job.id, 100, first.at(-1)!.iccid);
    expect(next.map((i) => i.iccid)).toEqual(iccids.slice(100, 200));
    const plan = await sql<{ 'QUERY PLAN': string }>`
      explain select i.iccid from bulk_job_items i left join sims s on s.id = i.sim_id
       where i.job_id = ${job.id} and i.status = 'pending' and i.iccid > ${iccids[100]!} order by i.iccid limit 100`.execute(testDb.database.db);
    const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
    // In ICCID order straight from an index (the primary key or the status index): the first 100
    // rows found are the answer, instead of every pending row read and sorted.
    expect(text).toMatch(/Index (Only )?Scan using bulk_job_items_(pkey|job_status_iccid_idx)/);
    expect(text).not.toMatch(/\bSort\b/);
  });

  it('records a chunk of results in one write that counts each item once, even when repeated', async () => {
    testDb = await createTestDatabase(backend);
    const { repo, job, iccids } = await seedJob(testDb);
    const results = iccids.slice(0, 100).map((iccid, i) => (i % 10 === 0 ? { iccid, status: 'failed' as const, error: 'sim_expired: x' } : { iccid, status: 'succeeded' as const, result: { applied: 'queued at 1NCE' } }));
    const after = await repo.recordResults(job.id, results);
    expect(after).toMatchObject({ processed: 100, succeeded: 90, failed: 10 });
    // A second writer of the same outcomes (a run that lost its lease) changes nothing.
    expect(await repo.recordResults(job.id, results)).toMatchObject({ processed: 100, succeeded: 90, failed: 10 });
    const stored = await testDb.database.db.selectFrom('bulk_job_items').select(['status', 'result', 'error']).where('job_id', '=', job.id).where('iccid', '=', iccids[1]!).executeTakeFirstOrThrow();
    expect(stored).toEqual({ status: 'succeeded', result: { applied: 'queued at 1NCE' }, error: null });
    expect(await repo.pendingCount(job.id)).toBe(ITEMS - 100);
  });
});
