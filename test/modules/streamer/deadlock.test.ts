/**
 * A batch that meets another writer in a deadlock (PostgreSQL fails one side) is written again and
 * answered 200, not 500 (ADR 0017). PostgreSQL only: PGlite has one connection, so no second writer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends, buildTestApp, type TestApp } from '../../helpers/app.js';
import { insertSims } from '../../helpers/factories.js';

const USER = 'streamer-user';
const PASSWORD = 'streamer-password-0123456789';
const AUTH = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' };
const ICCIDS = ['8988280888000000001', '8988280888000000002'];

function usage(id: number, iccid: string) {
  return {
    id,
    start_timestamp: '2025-05-01T10:00:00Z',
    end_timestamp: '2025-05-01T10:05:00Z',
    sim: { iccid },
    traffic_type: { id: 5, description: 'Data' },
    volume: { total: 1, rx: 0.5, tx: 0.5 },
  };
}

describe.each(backends.filter((b) => b === 'postgres'))('Data Streamer ingest meeting a deadlock (%s)', (backend) => {
  let t: TestApp;
  let ids: number[];

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { STREAMER_USERNAME: USER, STREAMER_PASSWORD: PASSWORD }, simulator: { fleetSize: 0 } });
    const rows = await insertSims(
      t.deps.database.db,
      ICCIDS.map((iccid) => ({ account_id: t.accountId!, iccid, data_total_bytes: 1_073_741_824, data_remaining_bytes: 1_073_741_824 })),
    );
    ids = rows.map((r) => r.id).sort((a, b) => a - b);
  });
  afterAll(async () => t.close());

  it('writes the batch again after PostgreSQL fails it in a deadlock, and stores it once', async () => {
    const [low, high] = ids as [number, number];
    // Another writer holds the higher SIM and then asks for the lower one, which the batch (locking
    // in id order) holds by then while it waits for the higher one: a deadlock.
    const other = t.deps.database.withConnection(async (conn) => {
      await conn.query('begin');
      await conn.query('select id from sims where id = $1 for update', [high]);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await conn.query('select id from sims where id = $1 for update', [low]);
      await conn.query('commit');
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const response = await t.app.inject({ method: 'POST', url: '/api/v1/streams/1nce', headers: AUTH, payload: JSON.stringify([usage(1, ICCIDS[0]!), usage(2, ICCIDS[1]!)]) });
    await other.catch(() => undefined); // whichever side PostgreSQL chose to fail
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ received: 2, stored: 2, duplicates: 0, unmatched: 0 });
    const stored = await sql<{ n: number; rollup: number }>`
      select (select count(*)::int from usage_records where sim_id in (${low}, ${high})) as n,
             (select sum(data_total_bytes)::float8 from sim_usage where sim_id in (${low}, ${high})) as rollup`.execute(t.deps.database.db);
    expect(stored.rows[0]).toEqual({ n: 2, rollup: 2 * 1_048_576 });
  }, 60_000);
});
