import { utcDay } from '../../lib/time.js';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { AnomalyParams, PeerGroup } from '../alerts/anomaly.params.js';

/**
 * The anomaly detectors' SQL. Each detector is one set-based statement over the SIMs in a rule's
 * scope (the whole fleet on a sweep, a batch's SIMs after a Data Streamer batch), never a query per
 * SIM: 100,000 SIMs x 28 days is evaluated in seconds. Statements return only the SIMs that matter:
 * candidates past the threshold and SIMs whose alert of the rule is still in force (to clear it).
 */

/** Which SIMs a detector looks at: a rule's scope, optionally narrowed to some SIM ids. */
export interface DetectorScope {
  scope: string;
  scopeValue: string | null;
  simIds?: number[] | undefined;
}

/** A SIM row every detector returns. */
interface SimCols {
  id: string | number;
  iccid: string;
  account_id: string;
  tags: string[];
}

export interface SpikeRow {
  id: number;
  iccid: string;
  accountId: string;
  tags: string[];
  /** The larger of today's (running) and yesterday's data bytes. */
  value: number;
  /** Days the baseline spans (first known day to the day before yesterday); null without history. */
  span: number | null;
  median: number | null;
  mad: number | null;
}

export interface SilenceRow {
  id: number;
  iccid: string;
  accountId: string;
  tags: string[];
  lastActiveDay: string;
  activeDays: number;
  /** Longest gap between consecutive active days in the baseline, in days (1 = daily). */
  maxGapDays: number;
  /** Days from the first to the last active day of the baseline. */
  spanDays: number;
}

export interface ObservationRow {
  id: number;
  iccid: string;
  accountId: string;
  tags: string[];
  kind: 'imei' | 'country' | 'operator';
  value: string;
  /** Values of this kind the SIM was seen with before, newest first. */
  previous: string[];
}

/** How far back the silence detector looks for a SIM's last active day. */
const SILENCE_LOOKBACK_DAYS = 90;

const utcDayOf = (at: Date) => utcDay(at.getTime());

/**
 * Runs one detector statement in its own transaction with JIT off: the planner's cost estimates for
 * these set-based statements cross the JIT thresholds, and compiling them costs more than it saves.
 */
async function detect<T>(db: Kysely<DB>, run: (trx: Kysely<DB>) => Promise<T>): Promise<T> {
  return db.transaction().execute(async (trx) => {
    await sql`set local jit = off`.execute(trx);
    return run(trx);
  });
}

function scopeWhere(s: DetectorScope): RawBuilder<unknown> {
  const parts: RawBuilder<unknown>[] = [];
  switch (s.scope) {
    case 'account':
      parts.push(sql`s.account_id::text = ${s.scopeValue}`);
      break;
    case 'tag':
      parts.push(sql`${s.scopeValue}::text = any(s.tags)`);
      break;
    case 'sim':
      parts.push(sql`s.iccid = ${s.scopeValue}`);
      break;
    default:
      break;
  }
  if (s.simIds !== undefined) parts.push(sql`s.id = any(${s.simIds}::bigint[])`);
  return parts.length === 0 ? sql`true` : sql.join(parts, sql` and `);
}

const simOf = (r: SimCols) => ({ id: Number(r.id), iccid: r.iccid, accountId: r.account_id, tags: r.tags });
const numOrNull = (v: unknown) => (v === null || v === undefined ? null : Number(v));

/** The key of a SIM's peer group (the same expression the peer baseline groups by). */
function peerKey(group: PeerGroup): RawBuilder<string> {
  return group === 'tag' ? sql<string>`coalesce('tag:' || s.tags[1], 'account:' || s.account_id::text)` : sql<string>`'account:' || s.account_id::text`;
}

/** Creates the detector queries over `db`. */
export function createAnomaliesRepo(db: Kysely<DB>) {
  return {
    /**
     * usage_spike: per SIM in scope, the larger of today's and yesterday's volume, and the median and
     * MAD of its daily volumes over the baseline window before yesterday (days without a record from
     * its first known day on count as zero). Only SIMs at or above `floorBytes`, or with a live alert
     * of `ruleId`, are returned; statistics are computed for those only.
     */
    async spikeCandidates(scope: DetectorScope, ruleId: string, params: AnomalyParams, at: Date): Promise<SpikeRow[]> {
      const today = utcDayOf(at);
      const ids = scope.simIds === undefined ? sql`true` : sql`u.sim_id = any(${scope.simIds}::bigint[])`;
      return detect(db, async (trx) => {
        // Only days at or above the floor can score; the statistics are computed for those SIMs only,
        // each with one range scan of its own history (primary key), never over the whole table.
        const { rows } = await sql<SimCols & { value: number; span: number | null; median: number | null; mad: number | null }>`
          with recent as (
            select u.sim_id, max(u.data_total_bytes)::float8 as value
            from sim_usage u
            where u.day between ${today}::date - 1 and ${today}::date and u.data_total_bytes >= ${params.floor_bytes} and ${ids}
            group by u.sim_id
          ),
          cand as (
            select sim_id from recent
            union
            select a.sim_id from alerts a where a.rule_id = ${ruleId}::uuid and a.cleared_at is null
          )
          select s.id, s.iccid, s.account_id, s.tags, coalesce(r.value, 0) as value, p.span, m.median, d.mad
          from cand c
          join sims s on s.id = c.sim_id
          left join recent r on r.sim_id = s.id
          cross join lateral (
            select array_agg(u.data_total_bytes::float8) as vals, min(u.day) as first_day
            from sim_usage u
            where u.sim_id = s.id and u.day between ${today}::date - 1 - ${params.baseline_days}::int and ${today}::date - 2
          ) b
          left join lateral (
            select (${today}::date - 2) - b.first_day + 1 as span,
                   b.vals || array_fill(0::float8, array[greatest(0, ((${today}::date - 2) - b.first_day + 1) - cardinality(b.vals))]) as xs
          ) p on b.first_day is not null
          left join lateral (select percentile_cont(0.5) within group (order by x) as median from unnest(p.xs) x) m on true
          left join lateral (select percentile_cont(0.5) within group (order by abs(x - m.median)) as mad from unnest(p.xs) x) d on true
          where ${scopeWhere(scope)}
          order by s.id`.execute(trx);
        return rows.map((r) => ({ ...simOf(r), value: Number(r.value), span: numOrNull(r.span), median: numOrNull(r.median), mad: numOrNull(r.mad) }));
      });
    },

    /**
     * The typical day of each peer group: the median over the group's SIMs of their mean daily
     * volume in the baseline window. One aggregate over the window, cached by the caller.
     */
    async peerBaselines(group: PeerGroup, params: AnomalyParams, at: Date): Promise<Map<string, number>> {
      if (group === 'none') return new Map();
      const today = utcDayOf(at);
      const { rows } = await detect(db, (trx) => sql<{ grp: string; ref: number }>`
        with means as (
          select u.sim_id, sum(u.data_total_bytes)::float8 / greatest(1, (${today}::date - 2) - min(u.day) + 1) as mean
          from sim_usage u
          where u.day between ${today}::date - 1 - ${params.baseline_days}::int and ${today}::date - 2
          group by u.sim_id
        )
        select ${peerKey(group)} as grp, percentile_cont(0.5) within group (order by m.mean) as ref
        from means m join sims s on s.id = m.sim_id
        group by 1`.execute(trx));
      return new Map(rows.map((r) => [r.grp, Number(r.ref)]));
    },

    /** The peer group key of each SIM (same expression as `peerBaselines`). */
    peerKeyOf(group: PeerGroup, sim: { accountId: string; tags: string[] }): string {
      if (group === 'tag' && sim.tags[0] !== undefined) return `tag:${sim.tags[0]}`;
      return `account:${sim.accountId}`;
    },

    /**
     * silence_hours: per SIM in scope, its last active day (data or SMS) in the last 90 days and, over
     * the baseline window ending on that day, its active days and longest gap between them. Returns
     * SIMs silent past `max(minHours, gapFactor x longest gap)` that report often enough, and SIMs
     * with a live alert of `ruleId`.
     */
    async silenceCandidates(scope: DetectorScope, ruleId: string, params: AnomalyParams, minHours: number, at: Date): Promise<SilenceRow[]> {
      const today = utcDayOf(at);
      // A SIM with traffic on one of the last floor(minHours / 24) days cannot be silent for minHours yet.
      const recentDays = Math.max(0, Math.floor(minHours / 24));
      const ids = scope.simIds === undefined ? sql`true` : sql`u.sim_id = any(${scope.simIds}::bigint[])`;
      return detect(db, async (trx) => {
        const { rows } = await sql<SimCols & { last_day: string; active_days: number; max_gap: number; span: number }>`
          with recent_active as (
            select distinct u.sim_id from sim_usage u
            where u.day >= ${today}::date - ${recentDays}::int and (u.data_total_bytes > 0 or u.sms_mo + u.sms_mt > 0) and ${ids}
          ),
          live as (select a.sim_id from alerts a where a.rule_id = ${ruleId}::uuid and a.cleared_at is null),
          cand as (
            select s.id, s.iccid, s.account_id, s.tags from sims s
            where ${scopeWhere(scope)}
              and (not exists (select 1 from recent_active ra where ra.sim_id = s.id) or s.id in (select sim_id from live))
          )
          select c.id, c.iccid, c.account_id, c.tags, to_char(l.last_day, 'YYYY-MM-DD') as last_day, g.active_days, g.max_gap,
                 (l.last_day - g.first_day + 1)::int as span
          from cand c
          cross join lateral (
            select max(u.day) as last_day from sim_usage u
            where u.sim_id = c.id and u.day >= ${today}::date - ${SILENCE_LOOKBACK_DAYS}::int and (u.data_total_bytes > 0 or u.sms_mo + u.sms_mt > 0)
          ) l
          cross join lateral (
            select count(*)::int as active_days, coalesce(max(w.gap), 1)::int as max_gap, min(w.day) as first_day
            from (
              select u.day, u.day - lag(u.day) over (order by u.day) as gap
              from sim_usage u
              where u.sim_id = c.id and u.day > l.last_day - ${params.baseline_days}::int and u.day <= l.last_day
                and (u.data_total_bytes > 0 or u.sms_mo + u.sms_mt > 0)
            ) w
          ) g
          where l.last_day is not null
            and (
              (
                extract(epoch from (${at}::timestamptz - ((l.last_day + 1)::timestamp at time zone 'utc'))) / 3600
                  > greatest(${minHours}::float8, ${params.gap_factor}::float8 * g.max_gap * 24)
                and g.active_days >= ${params.min_active_days}::int
                and g.active_days::float8 / (l.last_day - g.first_day + 1) >= ${params.min_active_share}::float8
              )
              or c.id in (select sim_id from live)
            )
          order by c.id`.execute(trx);
        return rows.map((r) => ({
          ...simOf(r),
          lastActiveDay: r.last_day,
          activeDays: Number(r.active_days),
          maxGapDays: Number(r.max_gap),
          spanDays: Number(r.span),
        }));
      });
    },

    /**
     * Records the IMEI, country and operator each SIM in scope is seen with now (stored fields, and
     * Data Streamer records since `recordsSince`) and returns the values never seen before for SIMs
     * that already had values of that kind. A SIM's first values are its baseline and return nothing.
     * One statement: the insert's rows are not visible to the look-ups of the same statement.
     */
    async observe(scope: Omit<DetectorScope, 'scope' | 'scopeValue'>, recordsSince: Date): Promise<ObservationRow[]> {
      const where = scopeWhere({ scope: 'global', scopeValue: null, simIds: scope.simIds });
      const { rows } = await detect(db, (trx) => sql<SimCols & { kind: 'imei' | 'country' | 'operator'; value: string; previous: string[] }>`
        with scope as (
          select s.id, s.imei, s.country_name, s.operator_name from sims s where ${where}
        ),
        seen as (
          select sc.id as sim_id, k.kind, left(k.value, 200) as value
          from scope sc cross join lateral (values ('imei', sc.imei), ('country', sc.country_name), ('operator', sc.operator_name)) k(kind, value)
          where k.value is not null and k.value <> ''
          union
          select r.sim_id, k.kind, left(k.value, 200)
          from usage_records r join scope sc on sc.id = r.sim_id
          cross join lateral (values ('country', r.country), ('operator', r.operator)) k(kind, value)
          where r.started_at >= ${recordsSince}::timestamptz and k.value is not null and k.value <> ''
        ),
        fresh as (
          select d.sim_id, d.kind, d.value,
                 (select array_agg(o.value order by o.first_seen_at desc) from sim_observations o where o.sim_id = d.sim_id and o.kind = d.kind) as previous
          from (select distinct se.sim_id, se.kind, se.value from seen se) d
          where not exists (select 1 from sim_observations o where o.sim_id = d.sim_id and o.kind = d.kind and o.value = d.value)
        ),
        ins as (
          insert into sim_observations (sim_id, kind, value)
          select sim_id, kind, value from fresh
          on conflict do nothing
          returning sim_id, kind, value
        )
        select s.id, s.iccid, s.account_id, s.tags, i.kind, i.value, f.previous
        from ins i
        join fresh f on f.sim_id = i.sim_id and f.kind = i.kind and f.value = i.value
        join sims s on s.id = i.sim_id
        where f.previous is not null
        order by s.id, i.kind, i.value`.execute(trx));
      return rows.map((r) => ({ ...simOf(r), kind: r.kind, value: r.value, previous: r.previous }));
    },

    /** Ids of these SIMs (by ICCID). */
    async simIds(iccids: string[]): Promise<number[]> {
      if (iccids.length === 0) return [];
      const rows = await db.selectFrom('sims').select('id').where('iccid', 'in', iccids).execute();
      return rows.map((r) => Number(r.id));
    },
  };
}

export type AnomaliesRepo = ReturnType<typeof createAnomaliesRepo>;
