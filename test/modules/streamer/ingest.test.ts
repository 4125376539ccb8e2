/**
 * Data Streamer ingest at batch scale (ADR 0017): full 3,000-record batches over many SIMs, mixed
 * usage and events, retransmissions whole and partial, two copies of a batch racing each other,
 * repeats within a batch, text that needs escaping in array parameters, and what deleting a SIM
 * does to its stream rows. Every figure is checked against the records themselves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends, buildTestApp, type TestApp } from '../../helpers/app.js';
import { insertSims } from '../../helpers/factories.js';

const USER = 'streamer-user';
const PASSWORD = 'streamer-password-0123456789';
const AUTH = { authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`, 'content-type': 'application/json' };
const SIMS = 500;
const MB = 1_048_576;
const QUOTA = 1024 * MB;

const iccidOf = (i: number) => `8988280777${String(i).padStart(9, '0')}`;
const at = (base: string, seconds: number) => new Date(Date.parse(base) + seconds * 1000).toISOString();

function usage(id: number | string, sim: number, start: string, mb: number, overrides: Record<string, unknown> = {}) {
  return {
    id,
    start_timestamp: start,
    end_timestamp: at(start, 300),
    sim: { iccid: iccidOf(sim) },
    operator: { name: 'T-Mobile', country: { name: 'Germany' } },
    traffic_type: { id: 5, description: 'Data' },
    volume: { total: mb, rx: mb / 2, tx: mb / 2 },
    ...overrides,
  };
}

function pdpEvent(id: string, sim: number, timestamp: string, typeId: 3 | 5) {
  return {
    id,
    timestamp,
    event_type: { id: typeId, description: typeId === 3 ? 'Create PDP Context' : 'Delete PDP Context' },
    event_severity: { id: 0, description: 'INFO' },
    event_source: { id: 0, description: 'Network' },
    sim: { iccid: iccidOf(sim) },
  };
}

describe.each(backends)('Data Streamer ingest at batch scale (%s)', (backend) => {
  let t: TestApp;
  const ids = new Map<number, number>();

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { STREAMER_USERNAME: USER, STREAMER_PASSWORD: PASSWORD }, simulator: { fleetSize: 0 } });
    const rows = await insertSims(
      t.deps.database.db,
      Array.from({ length: SIMS }, (_, i) => ({ account_id: t.accountId!, iccid: iccidOf(i), data_total_bytes: QUOTA, data_remaining_bytes: QUOTA, connectivity_status: 'OFFLINE' as const })),
    );
    for (const r of rows) ids.set(Number(r.iccid.slice(10)), r.id);
  }, 120_000);
  afterAll(async () => t.close());

  const post = (body: unknown) => t.app.inject({ method: 'POST', url: '/api/v1/streams/1nce', headers: AUTH, payload: JSON.stringify(body) });
  const db = () => t.deps.database.db;

  /** Rollups and remaining quota recomputed from the stored records: what the ingest must have kept. */
  async function expectConsistentWithRecords() {
    const mismatched = await sql<{ n: number }>`
      select count(*)::int as n from (
        select sim_id, (started_at at time zone 'UTC')::date as day, sum(total_bytes) as total, sum(rx_bytes) as rx
        from usage_records where sim_id is not null and iccid like '8988280777%' group by 1, 2
      ) r full join (select * from sim_usage where sim_id in (select id from sims where iccid like '8988280777%')) u
        on u.sim_id = r.sim_id and u.day = r.day
      where r.total is distinct from u.data_total_bytes or r.rx is distinct from u.data_rx_bytes`.execute(db());
    expect(mismatched.rows[0]!.n).toBe(0);
    const quota = await sql<{ n: number }>`
      select count(*)::int as n from sims s
      left join (select sim_id, sum(total_bytes) as used from usage_records group by sim_id) r on r.sim_id = s.id
      where s.iccid like '8988280777%' and s.data_remaining_bytes <> ${QUOTA} - coalesce(r.used, 0)`.execute(db());
    expect(quota.rows[0]!.n).toBe(0);
  }

  it('stores a 3,000-record batch of usage and events over 500 SIMs: rollups, quota and connectivity agree with the records', async () => {
    // 2,000 usage records (4 per SIM, two of them on the next UTC day) and 1,000 PDP events
    // (per SIM: created, then deleted for even SIMs) in one batch, interleaved.
    const batch: unknown[] = [];
    for (let k = 0; k < 4; k += 1) {
      for (let s = 0; s < SIMS; s += 1) batch.push(usage(10_000 + k * SIMS + s, s, at('2025-04-01T22:00:00Z', k * 3600 + s), 1 + (s % 7)));
    }
    for (let s = 0; s < SIMS; s += 1) {
      batch.splice(s * 5, 0, pdpEvent(`pdp-${s}-up`, s, at('2025-04-01T20:00:00Z', s), 3));
      batch.push(pdpEvent(`pdp-${s}-down`, s, at('2025-04-01T21:00:00Z', s), s % 2 === 0 ? 5 : 3));
    }
    expect(batch).toHaveLength(3000);
    const response = await post(batch);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ received: 3000, stored: 3000, duplicates: 0, unmatched: 0 });

    await expectConsistentWithRecords();
    const days = await db().selectFrom('sim_usage').select((eb) => eb.fn.countAll<number>().as('n')).where('sim_id', 'in', [...ids.values()]).executeTakeFirstOrThrow();
    expect(Number(days.n)).toBe(2 * SIMS); // 22:00 and 23:00 on the 1st, 00:00 and 01:00 on the 2nd
    const status = await db().selectFrom('sims').select(['iccid', 'connectivity_status', 'last_seen_at']).where('iccid', 'in', [iccidOf(0), iccidOf(1)]).orderBy('iccid').execute();
    expect(status.map((s) => s.connectivity_status)).toEqual(['ATTACHED', 'ONLINE']);
    // Last seen: the end of the SIM's latest usage record (after its events).
    expect(new Date(status[1]!.last_seen_at as unknown as string).toISOString()).toBe(at('2025-04-01T22:00:00Z', 3 * 3600 + 1 + 300));
    const snapshots = await db().selectFrom('sim_connectivity').select((eb) => eb.fn.countAll<number>().as('n')).where('sim_id', 'in', [...ids.values()]).executeTakeFirstOrThrow();
    expect(Number(snapshots.n)).toBe(SIMS); // one change per SIM: OFFLINE -> its final status
    const kinds = await db().selectFrom('streamer_batches').select(['kind', 'record_count', 'duplicate_count']).orderBy('kind').execute();
    expect(kinds).toEqual([
      { kind: 'event', record_count: 1000, duplicate_count: 0 },
      { kind: 'usage', record_count: 2000, duplicate_count: 0 },
    ]);
  }, 120_000);

  it('stores a retransmission once: the whole batch again, then half of it with new records', async () => {
    const batch = Array.from({ length: 1000 }, (_, i) => usage(50_000 + i, i % SIMS, at('2025-04-03T10:00:00Z', i), 2));
    expect((await post(batch)).json()).toEqual({ received: 1000, stored: 1000, duplicates: 0, unmatched: 0 });
    expect((await post(batch)).json()).toEqual({ received: 1000, stored: 0, duplicates: 1000, unmatched: 0 });
    const mixed = [...batch.slice(500), ...Array.from({ length: 200 }, (_, i) => usage(60_000 + i, i, at('2025-04-03T12:00:00Z', i), 3))];
    expect((await post(mixed)).json()).toEqual({ received: 700, stored: 200, duplicates: 500, unmatched: 0 });
    await expectConsistentWithRecords();
    const payloads = await sql<{ n: number }>`select count(*)::int as n from stream_payloads where record_count = 1000`.execute(db());
    expect(payloads.rows[0]!.n).toBe(1); // the pure retransmission kept no second copy
  }, 120_000);

  it('stores each record once when two copies of a batch race each other', async () => {
    const batch = Array.from({ length: 1500 }, (_, i) => usage(70_000 + i, (i * 7) % SIMS, at('2025-04-04T08:00:00Z', i), 1));
    const [a, b] = await Promise.all([post(batch), post(batch)]);
    expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
    const results = [a.json<{ stored: number; duplicates: number }>(), b.json<{ stored: number; duplicates: number }>()];
    expect(results[0]!.stored + results[1]!.stored).toBe(1500);
    expect(results[0]!.duplicates + results[1]!.duplicates).toBe(1500);
    await expectConsistentWithRecords();
  }, 120_000);

  it('stores concurrent batches over the same SIMs (listed in opposite orders) without deadlock or lost updates', async () => {
    const forward = Array.from({ length: 1000 }, (_, i) => usage(90_000 + i, i % SIMS, at('2025-04-08T08:00:00Z', i), 1));
    const backward = Array.from({ length: 1000 }, (_, i) => usage(91_000 + i, (2 * SIMS - 1 - i) % SIMS, at('2025-04-08T09:00:00Z', i), 2));
    const responses = await Promise.all([post(forward), post(backward), post(forward.slice(500)), post(backward.slice(0, 500))]);
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200]);
    const stored = responses.reduce((n, r) => n + r.json<{ stored: number }>().stored, 0);
    expect(stored).toBe(2000);
    await expectConsistentWithRecords();
  }, 120_000);

  it('counts records repeated within a batch as duplicates and stores their first occurrence', async () => {
    const first = usage(80_001, 3, '2025-04-05T08:00:00Z', 5);
    const batch = [first, usage(80_002, 4, '2025-04-05T08:00:00Z', 1), { ...first, volume: { total: 50, rx: 25, tx: 25 } }, pdpEvent('rep-1', 3, '2025-04-05T07:00:00Z', 3), pdpEvent('rep-1', 3, '2025-04-05T07:00:00Z', 3)];
    expect((await post(batch)).json()).toEqual({ received: 5, stored: 3, duplicates: 2, unmatched: 0 });
    const stored = await db().selectFrom('usage_records').select(['total_bytes', 'payload_index']).where('record_id', '=', '80001').execute();
    expect(stored).toEqual([{ total_bytes: 5 * MB, payload_index: 0 }]);
    await expectConsistentWithRecords();
  });

  it('stores text exactly, whatever it holds (quotes, backslashes, braces, "NULL"), and keeps millisecond timestamps', async () => {
    const odd = 'T-"Mobile" \\ {a,b} NULL ü';
    const response = await post([
      usage('NULL', 5, '2025-04-06T08:00:00.123Z', 1, { operator: { name: odd, country: { name: '' } } }),
      { ...pdpEvent('odd.1', 5, '2025-04-06T08:01:00.456Z', 3), description: odd },
    ]);
    expect(response.json()).toMatchObject({ stored: 2 });
    const record = await sql<{ record_id: string; operator: string; country: string | null; started: string }>`
      select record_id, operator, country, to_char(started_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS') as started
      from usage_records where record_id = 'NULL'`.execute(db());
    expect(record.rows).toEqual([{ record_id: 'NULL', operator: odd, country: null, started: '2025-04-06T08:00:00.123' }]);
    const event = await db().selectFrom('sim_events').select(['description']).where('event_key', '=', 'odd.1').executeTakeFirstOrThrow();
    expect(event.description).toBe(odd);
  });

  it('announces every connectivity change of a batch to live subscribers, in order, in one publish', async () => {
    const seen: Array<{ id: number; type: string; data: Record<string, unknown> }> = [];
    const { unsubscribe } = await t.deps.live.hub.subscribe((e) => seen.push(e));
    try {
      // SIMs 100-299 go ONLINE (they were left ATTACHED or ONLINE above: even ones change).
      const batch = Array.from({ length: 200 }, (_, i) => pdpEvent(`live-${i}`, 100 + i, at('2025-04-07T08:00:00Z', i), 3));
      expect((await post(batch)).json()).toMatchObject({ stored: 200 });
      await expect.poll(() => seen.filter((e) => e.type === 'sim.updated').length, { timeout: 10_000 }).toBe(100);
      const updated = seen.filter((e) => e.type === 'sim.updated').map((e) => e.data.iccid);
      expect(updated).toEqual(Array.from({ length: 100 }, (_, i) => iccidOf(100 + 2 * i)));
      const ids = seen.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
    } finally {
      unsubscribe();
    }
  });

  it("deletes a SIM's stream rows with it (records, rollup, events)", async () => {
    const simId = ids.get(7)!;
    const before = await sql<{ n: number }>`select (select count(*) from usage_records where sim_id = ${simId}) + (select count(*) from sim_usage where sim_id = ${simId}) + (select count(*) from sim_events where sim_id = ${simId}) as n`.execute(db());
    expect(Number(before.rows[0]!.n)).toBeGreaterThan(0);
    await db().deleteFrom('sims').where('id', '=', simId).execute();
    const after = await sql<{ n: number }>`select (select count(*) from usage_records where sim_id = ${simId}) + (select count(*) from sim_usage where sim_id = ${simId}) + (select count(*) from sim_events where sim_id = ${simId}) as n`.execute(db());
    expect(Number(after.rows[0]!.n)).toBe(0);
  });
});
