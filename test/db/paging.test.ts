import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pageOf } from '../../src/db/paging.js';
import { backends, createTestDatabase, type TestDatabase } from '../helpers/db.js';

describe.each(backends)('pageOf on %s', (backend) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    const db = t.database.db;
    await db
      .insertInto('job_runs')
      .values(Array.from({ length: 7 }, (_, i) => ({ job_name: i % 2 === 0 ? 'even' : 'odd', outcome: 'success' as const, items: i })))
      .execute();
  });
  afterAll(async () => t.cleanup());

  const evenRuns = () => t.database.db.selectFrom('job_runs').where('job_name', '=', 'even');

  it('returns the requested page in order and the total the filter matches', async () => {
    const first = await pageOf(evenRuns(), (q) => q.select(['items']).orderBy('items', 'desc'), 1, 3);
    expect(first).toEqual({ rows: [{ items: 6 }, { items: 4 }, { items: 2 }], total: 4 });
    const second = await pageOf(evenRuns(), (q) => q.select(['items']).orderBy('items', 'desc'), 2, 3);
    expect(second).toEqual({ rows: [{ items: 0 }], total: 4 });
  });

  it('answers an empty page past the end with the same total', async () => {
    expect(await pageOf(evenRuns(), (q) => q.selectAll().orderBy('id'), 5, 3)).toEqual({ rows: [], total: 4 });
  });
});
