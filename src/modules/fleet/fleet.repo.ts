import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { dataBurnRates } from '../quotas/forecast.sql.js';
/** Data remaining below this percentage counts as near quota (GET /sims?quota_below=20). */
export const NEAR_QUOTA_PCT = 20;
/** Expiry and forecast horizon of the dashboard, in days. */
export const HORIZON_DAYS = 30;

const num = (value: unknown): number => (value === null || value === undefined ? 0 : Number(value));
const numOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

/**
 * The dashboard's aggregate queries. Each is one pass over one table (sims, sim_usage, alerts, ...),
 * so a summary of 100,000 SIMs costs a handful of scans, never a query per SIM.
 */
export function createFleetRepo(db: Kysely<DB>) {
  return {
    /** SIM counts by status and by connectivity state, and the total, in one scan. */
    async simCounts() {
      const { rows } = await sql<{ status: string | null; connectivity: string | null; gs: number; gc: number; n: number }>`
        select status, connectivity_status as connectivity, grouping(status) as gs, grouping(connectivity_status) as gc, count(*) as n
          from sims
         group by grouping sets ((status), (connectivity_status), ())`.execute(db);
      const byCount = (a: { count: number }, b: { count: number }) => b.count - a.count;
      return {
        total: num(rows.find((r) => num(r.gs) === 1 && num(r.gc) === 1)?.n),
        byStatus: rows.filter((r) => num(r.gs) === 0).map((r) => ({ status: r.status, count: num(r.n) })).sort(byCount),
        byConnectivity: rows.filter((r) => num(r.gc) === 0 && num(r.gs) === 1).map((r) => ({ status: r.connectivity, count: num(r.n) })).sort(byCount),
      };
    },

    /** SIMs per network and country (latest snapshot naming one), largest first. */
    async operators(limit: number) {
      const { rows } = await sql<{ operator_name: string | null; country_name: string | null; country_iso: string | null; n: number }>`
        select operator_name, country_name, country_iso, count(*) as n
          from sims
         group by operator_name, country_name, country_iso
         order by n desc, operator_name nulls last, country_iso nulls last
         limit ${limit}`.execute(db);
      return rows.map((r) => ({ operator: r.operator_name, country: r.country_name ?? r.country_iso, country_iso: r.country_iso, count: num(r.n) }));
    },

    /** Near quota, exhausted and near expiry in one scan of sims. */
    async quotaCounts() {
      const { rows } = await sql<{ near_quota: number; exhausted: number; near_expiry: number }>`
        select count(*) filter (where data_remaining_pct < ${NEAR_QUOTA_PCT}) as near_quota,
               count(*) filter (where data_remaining_pct <= 0) as exhausted,
               count(*) filter (where data_expiry_date >= now() and data_expiry_date < now() + make_interval(days => ${HORIZON_DAYS})) as near_expiry
          from sims`.execute(db);
      const row = rows[0];
      return { nearQuota: num(row?.near_quota), exhausted: num(row?.exhausted), nearExpiry: num(row?.near_expiry) };
    },

    /**
     * SIMs with data left that run out within the horizon at the quota forecast's burn rate (fitted
     * over usage since `from`, quotas/forecast.sql.ts): the exhaustions list's count for 30 days.
     */
    async forecastExhaustions(from: string): Promise<number> {
      const { rows } = await sql<{ n: number }>`
        with burn as (${dataBurnRates(from)})
        select count(*) as n
          from sims s
          join burn b on b.sim_id = s.id
         where s.data_remaining_bytes > 0 and b.per_day > 0 and s.data_remaining_bytes / b.per_day <= ${HORIZON_DAYS}`.execute(db);
      return num(rows[0]?.n);
    },

    /** The SIMs with the lowest percentage of data remaining. */
    async lowestQuota(limit: number) {
      const { rows } = await sql<{
        id: number;
        iccid: string;
        label: string | null;
        data_remaining_pct: string | null;
        data_remaining_bytes: number | null;
        data_expiry_date: Date | null;
      }>`
        select id, iccid, label, data_remaining_pct, data_remaining_bytes, data_expiry_date
          from sims
         where data_remaining_pct is not null
         order by data_remaining_pct, iccid
         limit ${limit}`.execute(db);
      return rows.map((r) => ({ ...r, id: Number(r.id), data_remaining_pct: numOrNull(r.data_remaining_pct), data_remaining_bytes: numOrNull(r.data_remaining_bytes) }));
    },

    /** Daily data consumption of some SIMs since `from` (for their exhaustion forecasts). */
    async dailyData(simIds: number[], from: string) {
      if (simIds.length === 0) return [];
      return db
        .selectFrom('sim_usage')
        .select(['sim_id', 'day', 'data_total_bytes'])
        .where('sim_id', 'in', simIds)
        .where('day', '>=', from)
        .orderBy('day')
        .execute();
    },

    /** Fleet usage per UTC day since `from` (one aggregate over the days' rows). */
    async usageByDay(from: string) {
      const { rows } = await sql<{ day: string; rx: number; tx: number; total: number; sms: number }>`
        select day, sum(data_rx_bytes)::bigint as rx, sum(data_tx_bytes)::bigint as tx,
               sum(data_total_bytes)::bigint as total, sum(sms_mo + sms_mt)::bigint as sms
          from sim_usage
         where day >= ${from}::date
         group by day`.execute(db);
      return rows.map((r) => ({ day: String(r.day), rx: num(r.rx), tx: num(r.tx), total: num(r.total), sms: num(r.sms) }));
    },

    /** Alerts not resolved, by state and severity. */
    async liveAlerts() {
      const { rows } = await sql<{ state: string; severity: string; n: number }>`
        select state, severity, count(*) as n from alerts where state <> 'resolved' group by state, severity`.execute(db);
      return rows.map((r) => ({ state: r.state, severity: r.severity, count: num(r.n) }));
    },

    recentEvents(limit: number) {
      return db
        .selectFrom('sim_events')
        .select(['event_key', 'iccid', 'event_type', 'event_type_id', 'severity', 'description', 'occurred_at'])
        .orderBy('occurred_at', 'desc')
        .orderBy('event_key')
        .limit(limit)
        .execute();
    },

    lastRun(jobName: string) {
      return db
        .selectFrom('job_runs')
        .select(['outcome', 'started_at', 'finished_at', 'items', 'error'])
        .where('job_name', '=', jobName)
        .orderBy('started_at', 'desc')
        .limit(1)
        .executeTakeFirst();
    },

    /** The newest Data Streamer batch and the records received in the last hour. */
    async streamer() {
      const { rows } = await sql<{ last: Date | null; records: number }>`
        select (select max(last_received_at) from streamer_activity) as last,
               (select coalesce(sum(record_count), 0) from streamer_batches where received_at > now() - interval '1 hour')::bigint as records`.execute(db);
      return { lastBatchAt: rows[0]?.last ?? null, recordsLastHour: num(rows[0]?.records) };
    },
  };
}

export type FleetRepo = ReturnType<typeof createFleetRepo>;
