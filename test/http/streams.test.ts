import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { backends, buildTestApp, type TestApp } from '../helpers/app.js';
import { insertSim } from '../helpers/factories.js';

const USER = 'streamer-user';
const PASSWORD = 'streamer-password-0123456789';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const AUTH = { authorization: basic(USER, PASSWORD) };

const ICCID = '8988280666000000001';
const OTHER_ICCID = '8988280666000000002';

function usage(id: number, overrides: Record<string, unknown> = {}) {
  return {
    id,
    imsi: '901405100000001',
    imsi_id: 1234567,
    organisation: { name: '8100xxxx', id: 1234 },
    start_timestamp: '2025-03-01T10:00:00Z',
    end_timestamp: '2025-03-01T10:15:00Z',
    sim: { msisdn: '882285100000001', iccid: ICCID, id: 123456, production_date: '2018-04-17T15:01:50Z' },
    currency: { id: 1, symbol: '€', code: 'EUR' },
    operator: { id: 2, name: 'T-Mobile', mnc: '01', country: { id: 74, mcc: '262', name: 'Germany' } },
    tariff: { id: 398, name: '1NCE Production 01', ratezone: { id: 2067, name: 'Rate Zone 2 (EU - DE)' } },
    traffic_type: { id: 5, description: 'Data' },
    endpoint: { id: 12345678, name: 'truck', ip_address: '10.0.0.1', imei: null, tags: null, balance: null },
    cost: 1.5,
    volume: { total: 1.5, tx: 0.5, rx: 1.0 },
    ...overrides,
  };
}

function event(id: number, typeId: number, timestamp: string, iccid = ICCID) {
  return {
    id,
    timestamp,
    event_type: { id: typeId, description: `type ${typeId}` },
    event_severity: { id: 0, description: 'INFO' },
    event_source: { id: 0, description: 'Network' },
    organisation: { id: 1234, name: '8100xxxx' },
    alert: false,
    description: 'something happened',
    sim: { id: 1, iccid, msisdn: '882285100000001', production_date: '2018-04-17T15:01:50Z' },
    imsi: null,
    endpoint: null,
    user: null,
    detail: null,
  };
}

describe.each(backends)('Data Streamer ingest (%s)', (backend) => {
  let t: TestApp;
  let simId: number;

  beforeAll(async () => {
    t = await buildTestApp({ backend, env: { STREAMER_USERNAME: USER, STREAMER_PASSWORD: PASSWORD }, simulator: { fleetSize: 0 } });
    const db = t.deps.database.db;
    const sim = await insertSim(db, { account_id: t.accountId!, iccid: ICCID, status: 'Enabled', data_total_bytes: 100 * 1_048_576, data_remaining_bytes: 50 * 1_048_576, connectivity_status: 'OFFLINE' });
    simId = sim.id;
  });
  afterAll(async () => t.close());

  const post = (body: unknown, headers: Record<string, string> = AUTH) =>
    t.app.inject({ method: 'POST', url: '/api/v1/streams/1nce', headers: { ...headers, 'content-type': 'application/json' }, payload: JSON.stringify(body) });

  const count = async (table: 'usage_records' | 'sim_events' | 'sim_usage' | 'streamer_batches') =>
    Number((await sql<{ n: string }>`select count(*)::text as n from ${sql.table(table)}`.execute(t.deps.database.db)).rows[0]!.n);

  it('refuses missing or wrong Basic credentials with 401 and stores nothing', async () => {
    expect((await post([usage(1)], {})).statusCode).toBe(401);
    expect((await post([usage(1)], { authorization: basic(USER, 'wrong') })).statusCode).toBe(401);
    expect((await post([usage(1)], { authorization: basic('other', PASSWORD) })).statusCode).toBe(401);
    expect(await count('usage_records')).toBe(0);
  });

  it('stores usage once, rolls it up per day, consumes quota, and dedupes retransmissions', async () => {
    const first = await post([usage(1001), usage(1002, { traffic_type: { id: 6, description: 'SMS' }, volume: { total: 1.0, tx: 1.0, rx: 0.0 } }), usage(1003, { sim: { iccid: OTHER_ICCID } })]);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ received: 3, stored: 3, duplicates: 0, unmatched: 1 });

    // 1NCE resends the same batch (same ids) plus one new record: only the new one counts.
    const again = await post([usage(1001), usage(1002, { traffic_type: { id: 6, description: 'SMS' }, volume: { total: 1.0, tx: 1.0, rx: 0.0 } }), usage(1004, { volume: { total: '0.5', tx: '0.25', rx: '0.25' } })]);
    expect(again.json()).toEqual({ received: 3, stored: 1, duplicates: 2, unmatched: 0 });

    const db = t.deps.database.db;
    const day = await db.selectFrom('sim_usage').selectAll().where('sim_id', '=', simId).executeTakeFirstOrThrow();
    expect(day).toMatchObject({ day: '2025-03-01', source: 'stream', data_total_bytes: 2 * 1_048_576, data_rx_bytes: 1.25 * 1_048_576, data_tx_bytes: 0.75 * 1_048_576, sms_mo: 1, sms_mt: 0 });
    const sim = await db.selectFrom('sims').select(['data_remaining_bytes', 'last_seen_at']).where('id', '=', simId).executeTakeFirstOrThrow();
    expect(sim.data_remaining_bytes).toBe(48 * 1_048_576);
    expect(new Date(sim.last_seen_at as unknown as string).toISOString()).toBe('2025-03-01T10:15:00.000Z');
    const unmatched = await db.selectFrom('usage_records').select(['sim_id', 'iccid']).where('record_id', '=', '1003').executeTakeFirstOrThrow();
    expect(unmatched).toEqual({ sim_id: null, iccid: OTHER_ICCID });
    expect(await count('usage_records')).toBe(4);
    expect(await t.deps.streamer.streamHealthy(t.accountId!)).toBe(true);
  });

  it('keeps each batch verbatim once, as the raw form of its records, and not again for a pure retransmission', async () => {
    const db = t.deps.database.db;
    const payloads = async () => Number((await sql<{ n: string }>`select count(*)::text as n from stream_payloads`.execute(db)).rows[0]!.n);
    const before = await payloads();
    // Whitespace and key order as the sender wrote them: what is kept is the text, not a re-encoding.
    const text = `[ ${JSON.stringify(usage(1101))},\n  ${JSON.stringify(usage(1102, { cost: 0.25 }))} ]`;
    const send = (payload: string) =>
      t.app.inject({ method: 'POST', url: '/api/v1/streams/1nce', headers: { ...AUTH, 'content-type': 'application/json; charset=utf-8' }, payload });
    expect((await send(text)).json()).toMatchObject({ stored: 2 });
    expect(await payloads()).toBe(before + 1);

    const raw = await sql<{ body: string; raw: unknown; payload_index: number }>`
      select p.body as body, p.body::json -> u.payload_index as raw, u.payload_index
      from usage_records u join stream_payloads p on p.id = u.payload_id where u.record_id = '1102'`.execute(db);
    expect(raw.rows[0]).toEqual({ body: text, raw: usage(1102, { cost: 0.25 }), payload_index: 1 });

    // The same batch again stores nothing new, so no second copy of it either.
    expect((await send(text)).json()).toMatchObject({ stored: 0, duplicates: 2 });
    expect(await payloads()).toBe(before + 1);

    // A record repeated within one batch is stored once, from its first occurrence.
    expect((await post([usage(1201), usage(1202), usage(1201)])).json()).toMatchObject({ received: 3, stored: 2, duplicates: 1 });
    const repeated = await db.selectFrom('usage_records').select('payload_index').where('record_id', '=', '1201').execute();
    expect(repeated).toEqual([{ payload_index: 0 }]);
  });

  it('rejects a batch with one malformed record whole (400) and stores nothing from it', async () => {
    const before = { usage: await count('usage_records'), events: await count('sim_events'), batches: await count('streamer_batches') };
    const response = await post([usage(2001), usage(2002, { volume: { total: 'lots', tx: 0, rx: 0 } }), event(2003, 3, 'not a date')]);
    expect(response.statusCode).toBe(400);
    const problem = response.json();
    expect(problem.code).toBe('invalid_stream_batch');
    expect(problem.errors).toEqual(
      expect.arrayContaining([
        { field: '/body/1/volume/total', message: expect.any(String) },
        { field: '/body/2/timestamp', message: expect.any(String) },
      ]),
    );
    expect({ usage: await count('usage_records'), events: await count('sim_events'), batches: await count('streamer_batches') }).toEqual(before);

    expect((await post({ not: 'an array' })).statusCode).toBe(400);
    expect((await post([{ id: 1 }])).statusCode).toBe(400);
    expect((await post([usage(2004, { sim: { iccid: '12345' } })])).statusCode).toBe(400);
  });

  it('refuses more than 3,000 records', async () => {
    const before = await count('usage_records');
    const batch = Array.from({ length: 3001 }, (_, i) => usage(100_000 + i));
    const response = await post(batch);
    expect(response.statusCode).toBe(400);
    expect(await count('usage_records')).toBe(before);
  });

  it('adds new records that change nothing on the SIM to the rollup without rewriting the sims row', async () => {
    const db = t.deps.database.db;
    const before = await db.selectFrom('sims').select(['data_remaining_bytes', 'last_seen_at', 'updated_at']).where('id', '=', simId).executeTakeFirstOrThrow();
    const dayBefore = await db.selectFrom('sim_usage').select('data_total_bytes').where('sim_id', '=', simId).where('day', '=', '2025-03-01').executeTakeFirstOrThrow();
    // Zero bytes, and earlier than the SIM was last seen: stored and rolled up, but no column moves.
    const response = await post([usage(1101, { start_timestamp: '2025-03-01T08:00:00Z', end_timestamp: '2025-03-01T08:05:00Z', volume: { total: 0, tx: 0, rx: 0 } })]);
    expect(response.json()).toEqual({ received: 1, stored: 1, duplicates: 0, unmatched: 0 });
    const after = await db.selectFrom('sims').select(['data_remaining_bytes', 'last_seen_at', 'updated_at']).where('id', '=', simId).executeTakeFirstOrThrow();
    expect(after).toEqual(before);
    const dayAfter = await db.selectFrom('sim_usage').select('data_total_bytes').where('sim_id', '=', simId).where('day', '=', '2025-03-01').executeTakeFirstOrThrow();
    expect(dayAfter).toEqual(dayBefore);

    // A later record with bytes does move them (and the trigger-maintained updated_at).
    await post([usage(1102, { start_timestamp: '2025-03-01T12:00:00Z', end_timestamp: '2025-03-01T12:05:00Z', volume: { total: 1, tx: 0.5, rx: 0.5 } })]);
    const moved = await db.selectFrom('sims').select(['data_remaining_bytes', 'last_seen_at', 'updated_at']).where('id', '=', simId).executeTakeFirstOrThrow();
    expect(moved.data_remaining_bytes).toBe((before.data_remaining_bytes as number) - 1_048_576);
    expect(new Date(moved.last_seen_at as unknown as string).toISOString()).toBe('2025-03-01T12:05:00.000Z');
    expect(moved.updated_at).not.toEqual(before.updated_at);
  });

  it('stores events once and moves connectivity (offline -> online -> offline) with webhooks-ready transitions', async () => {
    const response = await post([
      event(3001, 1, '2025-03-01T11:00:00Z'),
      event(3002, 3, '2025-03-01T11:01:00Z'),
      event(3002, 3, '2025-03-01T11:01:00Z'), // duplicate inside one batch
    ]);
    expect(response.json()).toEqual({ received: 3, stored: 2, duplicates: 1, unmatched: 0 });
    const db = t.deps.database.db;
    let sim = await db.selectFrom('sims').select(['connectivity_status']).where('id', '=', simId).executeTakeFirstOrThrow();
    expect(sim.connectivity_status).toBe('ONLINE');

    // The purge arrives; an old "update location" replayed in the same batch must not win.
    expect((await post([event(3003, 15, '2025-03-01T12:00:00Z'), event(3001, 1, '2025-03-01T11:00:00Z')])).json()).toMatchObject({ stored: 1, duplicates: 1 });
    sim = await db.selectFrom('sims').select(['connectivity_status']).where('id', '=', simId).executeTakeFirstOrThrow();
    expect(sim.connectivity_status).toBe('OFFLINE');
    const snapshots = await db.selectFrom('sim_connectivity').select('status').where('sim_id', '=', simId).orderBy('observed_at').execute();
    expect(snapshots.map((s) => s.status)).toEqual(['ONLINE', 'OFFLINE']);
    expect(await count('sim_events')).toBe(3);
  });

  it('accepts Platform 2.0 usage and SMS events and data-quota-used-up events', async () => {
    const v2usage = {
      id: 'f5c1e1a2-0001',
      operator: { id: 2, name: 'T-Mobile', mnc: '01', country: { id: 74, mcc: '262', name: 'Germany' } },
      organisation: { id: 1234, name: '8100xxxx' },
      traffic_type: { id: 5, description: 'Data' },
      endpoint: { id: 1, name: ICCID, ip_address: '10.0.0.1', imei: '350000000000001' },
      volume: { total: 2, rx: 1, tx: 1 },
      sim: { id: 1, iccid: ICCID, msisdn: '882285100000001' },
      start_timestamp: '2025-03-02T06:24:47.000Z',
      end_timestamp: '2025-03-02T06:30:47.000Z',
      imsi: '901405100000001',
      imsi_id: 1,
      detail: { pdp_context: { rat_type: 6, ipcan_session_id: 'x' } },
    };
    const mo = { id: 6202, submit_date: '2025-03-02 07:01:00', pid: 0, organisation: { id: 1234 }, dest_address: '12345', source_address: '882285100000001', dcs: 0, payload: 'hello', endpoint: { id: 1, name: ICCID } };
    const response = await post([v2usage, mo, event(3010, 19, '2025-03-02T08:00:00Z')]);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ received: 3, stored: 3, duplicates: 0, unmatched: 0 });
    const db = t.deps.database.db;
    const record = await db.selectFrom('usage_records').select(['rat', 'total_bytes']).where('record_id', '=', 'f5c1e1a2-0001').executeTakeFirstOrThrow();
    expect(record).toEqual({ rat: '6', total_bytes: 2 * 1_048_576 });
    const sms = await db.selectFrom('sim_events').select(['event_type', 'sim_id']).where('event_key', '=', 'sms-mo:6202').executeTakeFirstOrThrow();
    expect(sms).toEqual({ event_type: 'SMS MO', sim_id: simId });
    const sim = await db.selectFrom('sims').select('data_remaining_bytes').where('id', '=', simId).executeTakeFirstOrThrow();
    expect(sim.data_remaining_bytes).toBe(0);
  });
});

describe('Data Streamer ingest when not configured', () => {
  it('answers 401 naming the missing configuration', async () => {
    const t = await buildTestApp();
    try {
      const response = await t.app.inject({ method: 'POST', url: '/api/v1/streams/1nce', headers: { authorization: basic('a', 'b') }, payload: [] });
      expect(response.statusCode).toBe(401);
      expect(response.json().detail).toMatch(/not configured/);
    } finally {
      await t.close();
    }
  });
});
