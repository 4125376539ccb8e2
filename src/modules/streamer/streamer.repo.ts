import { sql, type Kysely, type Transaction } from 'kysely';
import type { ConnectivityStatus, DB } from '../../db/schema.js';
import type { EventRecord, UsageRecord } from './streamer.parse.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** A known SIM a batch refers to. */
export interface SimRef {
  id: number;
  iccid: string;
  account_id: string;
  connectivity_status: ConnectivityStatus | null;
}

/** A usage record that was new (not a retransmission). */
export interface StoredUsage {
  sim_id: number | null;
  traffic_type: 'data' | 'sms';
  started_at: Date;
  ended_at: Date | null;
  rx_bytes: number | null;
  tx_bytes: number | null;
  total_bytes: number | null;
  sms_count: number | null;
  sms_mo: number;
  sms_mt: number;
}

/**
 * Maps the payload positions of inserted rows back to positions in `records`. A record repeated
 * within one batch is inserted once, from its first occurrence (rows are inserted in key order, then
 * payload order).
 */
function positionsOf(
  records: ReadonlyArray<{ index: number }>,
  inserted: ReadonlyArray<{ payload_index: number }>,
): Set<number> {
  const position = new Map<number, number>();
  records.forEach((r, i) => position.set(r.index, i));
  const fresh = new Set<number>();
  for (const row of inserted) {
    const i = position.get(row.payload_index);
    if (i !== undefined) fresh.add(i);
  }
  return fresh;
}

/** The SQL of Data Streamer ingest: set-based (unnest) so a 3,000-record batch is a handful of statements. */
export function createStreamerRepo() {
  return {
    async simsByIccid(trx: Executor, iccids: string[]): Promise<Map<string, SimRef>> {
      if (iccids.length === 0) return new Map();
      const rows = await sql<SimRef>`
        select id, iccid, account_id, connectivity_status from sims where iccid = any (${iccids}::text[]) order by id for update`.execute(
        trx,
      );
      return new Map(rows.rows.map((r) => [r.iccid, r]));
    },

    /**
     * Reserves the id of this batch's payload row before the records that point to it are written,
     * so the payload itself is stored only once we know some record was new.
     */
    async reservePayloadId(trx: Executor): Promise<number> {
      const result = await sql<{
        id: number;
      }>`select nextval(pg_get_serial_sequence('stream_payloads', 'id')) as id`.execute(trx);
      return Number(result.rows[0]!.id);
    },

    /** Keeps the POSTed body verbatim: the raw form of every record pointing into it. */
    async insertPayload(trx: Executor, id: number, body: string, recordCount: number): Promise<void> {
      await sql`insert into stream_payloads (id, record_count, body) values (${id}, ${recordCount}, ${body}::json)`.execute(
        trx,
      );
    },

    /** Inserts usage records, skipping ids already stored; returns the indexes (into `records`) that were new. */
    async insertUsage(
      trx: Executor,
      records: UsageRecord[],
      simIds: Array<number | null>,
      payloadId: number,
    ): Promise<Set<number>> {
      if (records.length === 0) return new Set();
      // One JSON document for the whole batch: far cheaper to send and parse than 15 array literals.
      // Inserted in key order, so two concurrent batches carrying the same ids (a retransmission racing
      // the original) wait for each other on the unique index instead of deadlocking.
      const rows = records.map((r, i) => ({
        record_id: r.recordId,
        started_at: r.startedAt.toISOString(),
        ended_at: r.endedAt?.toISOString() ?? null,
        sim_id: simIds[i] ?? null,
        iccid: r.iccid,
        imsi: r.imsi,
        traffic_type: r.trafficType,
        rx_bytes: r.rxBytes,
        tx_bytes: r.txBytes,
        total_bytes: r.totalBytes,
        sms_count: r.smsCount,
        operator: r.operator,
        country: r.country,
        rat: r.rat,
        payload_index: r.index,
      }));
      const result = await sql<{ payload_index: number }>`
        insert into usage_records (record_id, started_at, ended_at, sim_id, iccid, imsi, traffic_type, rx_bytes, tx_bytes,
                                   total_bytes, sms_count, operator, country, rat, payload_id, payload_index)
        select record_id, started_at, ended_at, sim_id, iccid, imsi, traffic_type, rx_bytes, tx_bytes,
               total_bytes, sms_count, operator, country, rat, ${payloadId}::bigint, payload_index
        from json_to_recordset(${JSON.stringify(rows)}::json) as t(
          record_id text, started_at timestamptz, ended_at timestamptz, sim_id bigint, iccid text, imsi text, traffic_type text,
          rx_bytes bigint, tx_bytes bigint, total_bytes bigint, sms_count bigint, operator text, country text, rat text,
          payload_index integer)
        order by record_id, started_at, payload_index
        on conflict (record_id, started_at) do nothing
        returning payload_index`.execute(trx);
      return positionsOf(records, result.rows);
    },

    /** Adds new records to the daily rollup (one row per SIM and UTC day). */
    async addDailyUsage(
      trx: Executor,
      rows: Array<{
        simId: number;
        day: string;
        rx: number;
        tx: number;
        total: number;
        mo: number;
        mt: number;
      }>,
    ) {
      if (rows.length === 0) return;
      await sql`
        insert into sim_usage (sim_id, day, data_rx_bytes, data_tx_bytes, data_total_bytes, sms_mo, sms_mt, source, synced_at)
        select "simId", day, rx, tx, total, mo, mt, 'stream', now()
        from json_to_recordset(${JSON.stringify(rows)}::json)
             as t("simId" bigint, day date, rx bigint, tx bigint, total bigint, mo bigint, mt bigint)
        on conflict (sim_id, day) do update set
          data_rx_bytes = sim_usage.data_rx_bytes + excluded.data_rx_bytes,
          data_tx_bytes = sim_usage.data_tx_bytes + excluded.data_tx_bytes,
          data_total_bytes = sim_usage.data_total_bytes + excluded.data_total_bytes,
          sms_mo = sim_usage.sms_mo + excluded.sms_mo,
          sms_mt = sim_usage.sms_mt + excluded.sms_mt,
          synced_at = now()`.execute(trx);
    },

    /**
     * Consumes new usage from the SIMs' remaining quota and moves last_seen_at forward. Rows whose
     * values would not change are skipped: rewriting a sims row writes an entry in each of its indexes.
     */
    async applyUsageToSims(
      trx: Executor,
      rows: Array<{ simId: number; dataBytes: number; sms: number; lastSeen: Date }>,
    ) {
      if (rows.length === 0) return;
      await sql`
        update sims s set
          data_remaining_bytes = case when s.data_remaining_bytes is null or t.data_bytes = 0 then s.data_remaining_bytes
                                      else s.data_remaining_bytes - t.data_bytes end,
          sms_remaining = case when s.sms_remaining is null or t.sms = 0 then s.sms_remaining
                               else greatest(0, s.sms_remaining - t.sms) end,
          last_seen_at = greatest(s.last_seen_at, t.last_seen)
        from json_to_recordset(${JSON.stringify(rows.map((r) => ({ sim_id: r.simId, data_bytes: r.dataBytes, sms: r.sms, last_seen: r.lastSeen.toISOString() })))}::json)
             as t(sim_id bigint, data_bytes bigint, sms bigint, last_seen timestamptz)
        where s.id = t.sim_id
          and ((t.data_bytes <> 0 and s.data_remaining_bytes is not null)
               or (t.sms <> 0 and s.sms_remaining <> 0)
               or s.last_seen_at is null or t.last_seen > s.last_seen_at)`.execute(trx);
    },

    /** Inserts events, skipping ids already stored; returns the indexes that were new. */
    async insertEvents(
      trx: Executor,
      records: EventRecord[],
      simIds: Array<number | null>,
      payloadId: number,
    ): Promise<Set<number>> {
      if (records.length === 0) return new Set();
      const rows = records.map((r, i) => ({
        event_key: r.eventKey,
        occurred_at: r.occurredAt.toISOString(),
        sim_id: simIds[i] ?? null,
        iccid: r.iccid,
        event_type_id: r.eventTypeId,
        event_type: r.eventType,
        severity: r.severity,
        severity_id: r.severityId,
        event_source: r.eventSource,
        event_source_id: r.eventSourceId,
        alert: r.alert,
        description: r.description,
        payload_index: r.index,
      }));
      const result = await sql<{ payload_index: number }>`
        insert into sim_events (event_key, occurred_at, sim_id, iccid, event_type_id, event_type, severity, severity_id,
                                event_source, event_source_id, source, alert, description, payload_id, payload_index)
        select event_key, occurred_at, sim_id, iccid, event_type_id, event_type, severity, severity_id,
               event_source, event_source_id, 'stream', alert, description, ${payloadId}::bigint, payload_index
        from json_to_recordset(${JSON.stringify(rows)}::json) as t(
          event_key text, occurred_at timestamptz, sim_id bigint, iccid text, event_type_id int, event_type text, severity text,
          severity_id smallint, event_source text, event_source_id smallint, alert boolean, description text, payload_index integer)
        order by event_key, occurred_at, payload_index
        on conflict (event_key, occurred_at) do nothing
        returning payload_index`.execute(trx);
      return positionsOf(records, result.rows);
    },

    /** Records a connectivity change (snapshot + the denormalised column on sims). */
    async setConnectivity(
      trx: Executor,
      rows: Array<{ simId: number; status: ConnectivityStatus; at: Date }>,
    ) {
      if (rows.length === 0) return;
      const ids = rows.map((r) => r.simId);
      const statuses = rows.map((r) => r.status);
      const times = rows.map((r) => r.at.toISOString());
      await sql`
        insert into sim_connectivity (sim_id, observed_at, status)
        select * from unnest(${ids}::bigint[], ${times}::timestamptz[], ${statuses}::text[])
        on conflict (sim_id, observed_at) do nothing`.execute(trx);
      await sql`
        update sims s set connectivity_status = t.status, last_seen_at = greatest(s.last_seen_at, t.at)
        from unnest(${ids}::bigint[], ${statuses}::text[], ${times}::timestamptz[]) as t(sim_id, status, at)
        where s.id = t.sim_id`.execute(trx);
    },

    /** Quota used up (events 19 and 21): nothing remains until the next top-up or sync says otherwise. */
    async markExhausted(trx: Executor, dataSimIds: number[], smsSimIds: number[]) {
      if (dataSimIds.length > 0) {
        await sql`update sims set data_remaining_bytes = least(coalesce(data_remaining_bytes, 0), 0) where id = any (${dataSimIds}::bigint[])`.execute(
          trx,
        );
      }
      if (smsSimIds.length > 0) {
        await sql`update sims set sms_remaining = 0 where id = any (${smsSimIds}::bigint[])`.execute(trx);
      }
    },

    async recordBatch(
      trx: Executor,
      row: {
        kind: 'usage' | 'event' | 'sms';
        record_count: number;
        duplicate_count: number;
        source_ip: string | null;
      },
    ) {
      await trx.insertInto('streamer_batches').values(row).execute();
    },

    async touchActivity(trx: Executor, counts: Map<string, number>) {
      if (counts.size === 0) return;
      const ids = [...counts.keys()];
      const n = [...counts.values()];
      await sql`
        insert into streamer_activity (account_id, last_received_at, records_total)
        select account_id, now(), n from unnest(${ids}::uuid[], ${n}::bigint[]) as t(account_id, n)
        on conflict (account_id) do update set
          last_received_at = now(),
          records_total = streamer_activity.records_total + excluded.records_total,
          updated_at = now()`.execute(trx);
    },

    async lastReceivedAt(db: Executor, accountId: string): Promise<Date | undefined> {
      const row = await db
        .selectFrom('streamer_activity')
        .select('last_received_at')
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return row === undefined ? undefined : new Date(row.last_received_at);
    },
  };
}

export type StreamerRepo = ReturnType<typeof createStreamerRepo>;
