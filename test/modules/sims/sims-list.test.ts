import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTotalCounter } from '../../../src/db/counting.js';
import { DEFAULT_SORT, parseSimFilter, simFilterWhere } from '../../../src/modules/sims/sims.filter.js';
import { createSimsRepo } from '../../../src/modules/sims/sims.repo.js';
import { backends, createTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { insertAccount, insertSims, testIccid } from '../../helpers/factories.js';

const FLEET = 30;

describe.each(backends)('SIM list internals on %s', (backend) => {
  let t: TestDatabase;

  beforeAll(async () => {
    t = await createTestDatabase(backend);
    const db = t.database.db;
    const accountId = await insertAccount(db, { name: 'lists', is_default: true });
    await insertSims(
      db,
      Array.from({ length: FLEET }, (_, i) => ({
        account_id: accountId,
        iccid: testIccid(i + 1),
        status: i % 3 === 0 ? 'Disabled' : 'Enabled',
        label: `Meter-${i + 1}`,
      })),
    );
  });
  afterAll(async () => t.cleanup());

  it('installs pg_trgm and the trigram index wherever the server ships pg_trgm', async () => {
    const db = t.database.db;
    const { rows: available } = await sql<{ n: number }>`select count(*)::int as n from pg_available_extensions where name = 'pg_trgm'`.execute(db);
    // PGlite always loads it (src/db/pglite-pool.ts); the PostgreSQL CI service ships it with contrib.
    expect(available[0]!.n).toBe(1);
    const { rows } = await sql<{ indexname: string }>`select indexname from pg_indexes
      where schemaname = current_schema() and tablename = 'sims' and indexname = 'sims_search_trgm_idx'`.execute(db);
    expect(rows).toHaveLength(1);
  });

  it('serves a substring search from the trigram index (the query and the index share one expression)', async () => {
    await t.database.withConnection(async (conn) => {
      await conn.exec('set enable_seqscan = off');
      try {
        const compiled = t.database.db.selectFrom('sims').select('iccid').where(simFilterWhere(parseSimFilter({ q: '0000012' }))).compile();
        const { rows } = await conn.query(`explain ${compiled.sql}`, [...compiled.parameters]);
        const plan = (rows as Array<Record<string, string>>).map((r) => Object.values(r)[0]).join('\n');
        expect(plan).toContain('sims_search_trgm_idx');
      } finally {
        await conn.exec('reset enable_seqscan');
      }
    });
  });

  it('counts exactly up to the limit, then estimates and says so, then uses a background exact count', async () => {
    const db = t.database.db;
    const repo = createSimsRepo(db, createTotalCounter(db, { exactLimit: 5 }));
    const disabled = parseSimFilter({ status: 'Disabled', q: 'meter-1' });
    // Meter-1, 10, 13, 16, 19: five rows, exactly at the limit.
    const small = await repo.page(disabled, DEFAULT_SORT, 1, 2);
    expect(small).toMatchObject({ total: 5, totalIsEstimate: false });

    const enabled = parseSimFilter({ status: 'Enabled' });
    const first = await repo.page(enabled, DEFAULT_SORT, 1, 2);
    expect(first.totalIsEstimate).toBe(true);
    expect(first.total).toBeGreaterThan(5);
    expect(first.rows).toHaveLength(2);
    let later = first;
    for (let i = 0; i < 100 && later.total !== 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      later = await repo.page(enabled, DEFAULT_SORT, 2, 2);
    }
    expect(later).toMatchObject({ total: 20, totalIsEstimate: true });
  });

  it('knows the total of a short page by number without counting', async () => {
    const repo = createSimsRepo(t.database.db, createTotalCounter(t.database.db, { exactLimit: 1 }));
    const last = await repo.page(parseSimFilter({}), DEFAULT_SORT, 3, 12);
    expect(last).toMatchObject({ total: FLEET, totalIsEstimate: false, next: undefined });
    expect(last.rows).toHaveLength(FLEET - 24);
  });
});
