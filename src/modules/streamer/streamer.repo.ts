import { sql, type Kysely, type Transaction } from 'kysely';
import type { ConnectivityStatus, DB } from '../../db/schema.js';
import { booleanArray, epochSeconds, numberArray, textArray } from './streamer.arrays.js';
import type { EventRecord, UsageRecord } from './streamer.parse.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** A known SIM a batch refers to. */
export interface SimRef {
  id: number;
  iccid: string;
  account_id: string;
  connectivity_status: ConnectivityStatus | null;
}

/**
 * How records are inserted. `fresh`: a plain INSERT, the common case (1NCE sends each record once);
 * a retransmitted record makes it fail with a unique violation and the batch is written again in
 * `replay` mode: `ON CONFLICT DO NOTHING`, which costs a speculative insertion per row (ADR 0017).
 */
export type InsertMode = 'fresh' | 'replay';

/** What one batch's events do to a SIM (only SIMs with an effect are listed). */
export interface SimEffect {
  simId: number;
  /** The new connectivity status, when it changed; `at` moves last_seen_at forward. */
  connectivity: { status: ConnectivityStatus; at: Date } | undefined;
  dataExhausted: boolean;
  smsExhausted: boolean;
}

/** Positions (into `records`) of the rows returned by an insert, matched on payload_index. */
function positionsOf(records: ReadonlyArray<{ index: number }>, inserted: ReadonlyArray<{ payload_index: number }>): Set<number> {
  const position = new Map<number, number>();
  records.forEach((r, i) => position.set(r.index, i));
  const fresh = new Set<number>();
  for (const row of inserted) {
    const i = position.get(row.payload_index);
    if (i !== undefined) fresh.add(i);
  }
  return fresh;
}

const all = (n: number) => new Set(Array.from({ length: n }, (_, i) => i));

/**
 * The SQL of Data Streamer ingest, taking the batch as array parameters (`unnest`): a batch of
 * usage records is one statement (one round trip, its own transaction) whatever its size; a batch
 * with events is four (lock, events, the rest, commit) inside BEGIN/COMMIT.
 */
export function createStreamerRepo() {
  return {
    /**
     * The batch's SIMs, locked in id order, and the id its payload row will have (batches with
     * events: their connectivity replay needs each SIM's status before the events are written).
     * Every SIM row a batch changes is locked first, so two concurrent batches touching the same
     * SIMs queue in one order and never deadlock, and the replay reads a status no one changes under
     * it. `for no key update` (what an UPDATE takes) still lets other transactions insert rows
     * referencing these SIMs. The payload id is reserved before the records that point to it are
     * written, so the payload itself is stored only once some record was new.
     */
    async lockSims(trx: Executor, iccids: string[]): Promise<{ sims: Map<string, SimRef>; payloadId: number }> {
      // One JSON text instead of 3,000 result rows: the driver's per-row decoding cost more than the lookup.
      const result = await sql<{ payload_id: number | string; sims: string | null }>`
        select nextval(pg_get_serial_sequence('stream_payloads', 'id')) as payload_id,
               (select json_agg(json_build_array(id, iccid, account_id, connectivity_status))::text
                from (select id, iccid, account_id, connectivity_status from sims where iccid = any (${textArray(iccids)}::text[])
                      order by id for no key update) locked) as sims`.execute(trx);
      const row = result.rows[0]!;
      const rows = JSON.parse(row.sims ?? '[]') as Array<[number, string, string, ConnectivityStatus | null]>;
      return {
        sims: new Map(rows.map(([id, iccid, account_id, connectivity_status]) => [iccid, { id, iccid, account_id, connectivity_status }])),
        payloadId: Number(row.payload_id),
      };
    },

    /**
     * Inserts events (no two with the same key: the service drops repeats within a batch). Returns
     * the positions that were new: all of them in `fresh` mode (or it throws a unique violation).
     */
    async insertEvents(trx: Executor, records: EventRecord[], simIds: Array<number | null>, payloadId: number, mode: InsertMode): Promise<Set<number>> {
      if (records.length === 0) return new Set();
      const statement = sql<{ payload_index: number }>`
        insert into sim_events (event_key, occurred_at, sim_id, iccid, event_type_id, event_type, severity, severity_id,
                                event_source, event_source_id, source, alert, description, payload_id, payload_index)
        select event_key, to_timestamp(occurred), sim_id, iccid, event_type_id, event_type, severity, severity_id,
               event_source, event_source_id, 'stream', alert, description, ${payloadId}::bigint, payload_index
        from unnest(${textArray(records.map((r) => r.eventKey))}::text[], ${numberArray(records.map((r) => epochSeconds(r.occurredAt)))}::float8[],
                    ${numberArray(simIds)}::bigint[], ${textArray(records.map((r) => r.iccid))}::text[],
                    ${numberArray(records.map((r) => r.eventTypeId))}::int[], ${textArray(records.map((r) => r.eventType))}::text[],
                    ${textArray(records.map((r) => r.severity))}::text[], ${numberArray(records.map((r) => r.severityId))}::smallint[],
                    ${textArray(records.map((r) => r.eventSource))}::text[], ${numberArray(records.map((r) => r.eventSourceId))}::smallint[],
                    ${booleanArray(records.map((r) => r.alert))}::boolean[], ${textArray(records.map((r) => r.description))}::text[],
                    ${numberArray(records.map((r) => r.index))}::int[])
             as t(event_key, occurred, sim_id, iccid, event_type_id, event_type, severity, severity_id, event_source, event_source_id,
                  alert, description, payload_index)
        -- Key order: two batches carrying the same events wait for each other on the key instead of deadlocking.
        order by event_key, occurred
        ${mode === 'replay' ? sql`on conflict (event_key, occurred_at) do nothing returning payload_index` : sql``}`;
      const result = await statement.execute(trx);
      return mode === 'replay' ? positionsOf(records, result.rows) : all(records.length);
    },

    /**
     * One statement for everything a batch writes after its events (for a batch of usage records
     * only - the common kind - the whole batch, committed on its own without BEGIN/COMMIT round
     * trips):
     * - locks the batch's SIMs in id order, before any row is written (the one-time filter on
     *   `src` runs the `locked` scan to its end first), so concurrent batches never deadlock;
     *   SIMs a batch with events locked already are not locked again;
     * - inserts the records (key order: a retransmission racing its original waits on the key);
     * - adds the new ones to the daily rollup (summed per SIM and UTC day, in key order);
     * - updates each SIM once - remaining data and SMS, last seen, plus the events' `effects`
     *   (connectivity, quota used up); a SIM row is rewritten only when a value changes;
     * - and the bookkeeping: the payload (the POSTed body, kept verbatim, unless nothing in it was
     *   new), a `streamer_batches` row per record kind, the per-account activity the sync's back-off
     *   reads (records as received, repeats included), and a connectivity snapshot per SIM whose
     *   status changed.
     * Returns the positions of the new records, the ICCIDs whose usage advanced and how many
     * received records name no known SIM.
     */
    async writeBatch(
      db: Executor,
      batch: {
        /** Every ICCID the batch names (usage and events), locked here in id order. */
        iccids: string[];
        /** Usage records, no key twice. */
        usage: UsageRecord[];
        mode: InsertMode;
        effects: SimEffect[];
        /** Reserved by `lockSims` (batches with events); otherwise taken here. */
        payloadId: number | undefined;
        payload: { body: string; recordCount: number };
        /** New events written before in the same transaction: the payload is kept for them too. */
        freshEvents: number;
        /** Usage records as received (repeats included): the `usage` row of streamer_batches. */
        usageReceived: number;
        /** The event kinds' streamer_batches rows (their duplicates are known already). */
        kinds: Array<{ kind: 'event' | 'sms'; count: number; duplicates: number }>;
        /** ICCIDs of received records not in `usage` (events, repeats): counted as activity and unmatched. */
        alsoReceived: Array<string | null>;
        sourceIp: string | null;
        connectivity: Array<{ simId: number; status: ConnectivityStatus; at: Date }>;
      },
    ): Promise<{ fresh: Set<number>; advanced: string[]; unmatched: number }> {
      const { usage: records, mode, effects, kinds, connectivity } = batch;
      const conflict = mode === 'replay' ? sql`on conflict (record_id, started_at) do nothing` : sql``;
      const result = await sql<{ unmatched: number; advanced: string | null; fresh: string | null }>`
        with locked as materialized (
          select id from sims where iccid = any (${textArray(batch.iccids)}::text[]) order by id for no key update
        ), pid as materialized (
          select coalesce(${batch.payloadId ?? null}::bigint, nextval(pg_get_serial_sequence('stream_payloads', 'id'))) as id
        ), src as materialized (
          select t.*, s.id as sim_id, s.account_id
          from unnest(
            ${textArray(records.map((r) => r.recordId))}::text[], ${numberArray(records.map((r) => epochSeconds(r.startedAt)))}::float8[],
            ${numberArray(records.map((r) => (r.endedAt === null ? null : epochSeconds(r.endedAt))))}::float8[],
            ${textArray(records.map((r) => r.iccid))}::text[], ${textArray(records.map((r) => r.imsi))}::text[],
            ${textArray(records.map((r) => r.trafficType))}::text[], ${numberArray(records.map((r) => r.rxBytes))}::bigint[],
            ${numberArray(records.map((r) => r.txBytes))}::bigint[], ${numberArray(records.map((r) => r.totalBytes))}::bigint[],
            ${numberArray(records.map((r) => r.smsCount))}::bigint[], ${numberArray(records.map((r) => r.smsMo))}::bigint[],
            ${numberArray(records.map((r) => r.smsMt))}::bigint[], ${textArray(records.map((r) => r.operator))}::text[],
            ${textArray(records.map((r) => r.country))}::text[], ${textArray(records.map((r) => r.rat))}::text[],
            ${numberArray(records.map((r) => r.index))}::int[])
          as t(record_id, started, ended, iccid, imsi, traffic_type, rx_bytes, tx_bytes, total_bytes, sms_count, sms_mo, sms_mt,
               operator, country, rat, payload_index)
          -- Joined with sims itself, not with "locked": the planner knows iccid is unique there, while a
          -- join on a CTE is estimated 15 times too large per level - enough to push the statement's
          -- cost past jit_above_cost, and JIT compiling it cost 2 s (measured). The row versions
          -- locked are the ones the UPDATE below rewrites (it follows a newer version itself).
          left join sims s on s.iccid = t.iccid
          -- A one-time filter: every SIM is locked, in id order, before the first record is written.
          where (select count(*) from locked) >= 0
        ), ins as (
          insert into usage_records (record_id, started_at, ended_at, sim_id, iccid, imsi, traffic_type, rx_bytes, tx_bytes,
                                     total_bytes, sms_count, operator, country, rat, payload_id, payload_index)
          select record_id, to_timestamp(started), to_timestamp(ended), sim_id, iccid, imsi, traffic_type, rx_bytes, tx_bytes,
                 total_bytes, sms_count, operator, country, rat, (select id from pid), payload_index
          from src
          -- Key order: a retransmission racing its original waits on the key instead of deadlocking.
          order by record_id, started
          ${conflict}
          returning payload_index
        ), fresh as (
          select src.* from src join ins using (payload_index) where src.sim_id is not null
        ), rollup as (
          insert into sim_usage (sim_id, day, data_rx_bytes, data_tx_bytes, data_total_bytes, sms_mo, sms_mt, source, synced_at)
          select sim_id, (to_timestamp(started) at time zone 'UTC')::date,
                 sum(coalesce(rx_bytes, 0))::bigint, sum(coalesce(tx_bytes, 0))::bigint, sum(coalesce(total_bytes, 0))::bigint,
                 sum(sms_mo)::bigint, sum(sms_mt)::bigint, 'stream', now()
          from fresh group by 1, 2 order by 1, 2
          on conflict (sim_id, day) do update set
            data_rx_bytes = sim_usage.data_rx_bytes + excluded.data_rx_bytes,
            data_tx_bytes = sim_usage.data_tx_bytes + excluded.data_tx_bytes,
            data_total_bytes = sim_usage.data_total_bytes + excluded.data_total_bytes,
            sms_mo = sim_usage.sms_mo + excluded.sms_mo,
            sms_mt = sim_usage.sms_mt + excluded.sms_mt,
            synced_at = now(),
            updated_at = now()
        ), per_sim as (
          select sim_id, sum(coalesce(total_bytes, 0))::bigint as data_bytes, sum(coalesce(sms_count, 0))::bigint as sms,
                 max(greatest(started, ended)) as seen
          from fresh group by sim_id
        ), effects as (
          select * from unnest(${numberArray(effects.map((e) => e.simId))}::bigint[],
                               ${textArray(effects.map((e) => e.connectivity?.status ?? null))}::text[],
                               ${numberArray(effects.map((e) => (e.connectivity === undefined ? null : epochSeconds(e.connectivity.at))))}::float8[],
                               ${booleanArray(effects.map((e) => e.dataExhausted))}::boolean[],
                               ${booleanArray(effects.map((e) => e.smsExhausted))}::boolean[])
            as e(sim_id, status, at, data_exhausted, sms_exhausted)
        ), changes as (
          select coalesce(p.sim_id, e.sim_id) as sim_id, coalesce(p.data_bytes, 0) as data_bytes, coalesce(p.sms, 0) as sms,
                 to_timestamp(greatest(p.seen, e.at)) as seen, e.status,
                 coalesce(e.data_exhausted, false) as data_exhausted, coalesce(e.sms_exhausted, false) as sms_exhausted
          from per_sim p full join effects e on e.sim_id = p.sim_id
        ), upd as (
          update sims s set
            data_remaining_bytes = case
              when c.data_exhausted then least(coalesce(case when c.data_bytes = 0 then s.data_remaining_bytes else s.data_remaining_bytes - c.data_bytes end, 0), 0)
              when s.data_remaining_bytes is null or c.data_bytes = 0 then s.data_remaining_bytes
              else s.data_remaining_bytes - c.data_bytes end,
            sms_remaining = case
              when c.sms_exhausted then 0
              when s.sms_remaining is null or c.sms = 0 then s.sms_remaining
              else greatest(0, s.sms_remaining - c.sms) end,
            last_seen_at = greatest(s.last_seen_at, c.seen),
            connectivity_status = coalesce(c.status, s.connectivity_status),
            updated_at = now()
          from changes c
          where s.id = c.sim_id
            and (c.status is not null or c.data_exhausted or c.sms_exhausted
                 or (c.data_bytes <> 0 and s.data_remaining_bytes is not null)
                 or (c.sms <> 0 and s.sms_remaining <> 0)
                 or s.last_seen_at is null or c.seen > s.last_seen_at)
        ), received as materialized (
          select account_id from src
          union all
          select s.account_id from unnest(${textArray(batch.alsoReceived)}::text[]) as r(iccid) left join sims s on s.iccid = r.iccid
        ), payload as (
          insert into stream_payloads (id, record_count, body)
          select (select id from pid), ${batch.payload.recordCount}::int, ${batch.payload.body}::text
          -- A batch that was entirely a retransmission is already stored under its first payload.
          where ${batch.freshEvents}::int > 0 or exists (select 1 from ins)
        ), batches as (
          insert into streamer_batches (kind, record_count, duplicate_count, source_ip)
          select 'usage', ${batch.usageReceived}::int, ${batch.usageReceived}::int - (select count(*) from ins)::int, ${batch.sourceIp}::text
          where ${batch.usageReceived}::int > 0
          union all
          select kind, n, d, ${batch.sourceIp}::text
          from unnest(${textArray(kinds.map((k) => k.kind))}::text[], ${numberArray(kinds.map((k) => k.count))}::int[],
                      ${numberArray(kinds.map((k) => k.duplicates))}::int[]) as t(kind, n, d)
        ), activity as (
          insert into streamer_activity (account_id, last_received_at, records_total)
          select account_id, now(), count(*) from received where account_id is not null
          group by account_id order by account_id
          on conflict (account_id) do update set
            last_received_at = now(),
            records_total = streamer_activity.records_total + excluded.records_total,
            updated_at = now()
        ), snapshots as (
          insert into sim_connectivity (sim_id, observed_at, status)
          select sim_id, to_timestamp(at), status
          from unnest(${numberArray(connectivity.map((c) => c.simId))}::bigint[], ${numberArray(connectivity.map((c) => epochSeconds(c.at)))}::float8[],
                      ${textArray(connectivity.map((c) => c.status))}::text[]) as t(sim_id, at, status)
          on conflict (sim_id, observed_at) do nothing
        )
        select (select count(*) from received where account_id is null)::int as unmatched,
               (select string_agg(f.iccid, ',') from (select distinct iccid from fresh) f) as advanced,
               ${mode === 'replay' ? sql`(select string_agg(payload_index::text, ',') from ins)` : sql`null::text`} as fresh`.execute(db);
      const row = result.rows[0]!;
      const inserted = mode === 'replay' ? (row.fresh ?? '').split(',').filter((v) => v !== '').map((v) => ({ payload_index: Number(v) })) : [];
      return {
        fresh: mode === 'replay' ? positionsOf(records, inserted) : all(records.length),
        advanced: row.advanced === null || row.advanced === '' ? [] : row.advanced.split(','),
        unmatched: Number(row.unmatched),
      };
    },

    async lastReceivedAt(db: Executor, accountId: string): Promise<Date | undefined> {
      const row = await db.selectFrom('streamer_activity').select('last_received_at').where('account_id', '=', accountId).executeTakeFirst();
      return row === undefined ? undefined : new Date(row.last_received_at);
    },
  };
}

export type StreamerRepo = ReturnType<typeof createStreamerRepo>;
