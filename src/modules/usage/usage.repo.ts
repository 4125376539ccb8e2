import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

/** One stored day of usage (integer bytes and SMS counts). */
export interface UsageDay {
  day: string;
  data_rx_bytes: number;
  data_tx_bytes: number;
  data_total_bytes: number;
  sms_mo: number;
  sms_mt: number;
}

/** One aggregated period of a usage answer. */
export interface UsagePeriod extends UsageDay {
  /** Days of the period that have a stored row. */
  days: number;
}

export type Granularity = 'day' | 'week' | 'month';

/** Range totals and the peak day. */
export interface UsageTotals {
  days_with_data: number;
  data_rx_bytes: number;
  data_tx_bytes: number;
  data_total_bytes: number;
  sms_mo: number;
  sms_mt: number;
  peak_day: string | null;
  peak_bytes: number | null;
}

/** A SIM whose daily usage has holes in the back-fill window. */
export interface UsageGapCandidate {
  id: number;
  iccid: string;
  account_id: string;
  have: number;
  expected: number;
  last_day: string | null;
}

/** Kysely queries over `sim_usage`: idempotent upserts keyed (sim_id, day) and range reads. */
export function createUsageRepo(db: Kysely<DB>) {
  return {
    /**
     * Writes polled daily totals: 1NCE's numbers replace the row (the poll is authoritative), in one
     * multi-row statement. `zeroDays` are days 1NCE reported nothing for: inserted as zero rows only
     * where no row exists, so a stream-fed day is never zeroed and gap detection converges.
     */
    async upsertPolledDays(simId: number, days: UsageDay[], zeroDays: string[], trx: Kysely<DB> = db): Promise<number> {
      let written = 0;
      if (days.length > 0) {
        const result = await trx
          .insertInto('sim_usage')
          .values(days.map((d) => ({ sim_id: simId, ...d, source: 'poll', synced_at: new Date() })))
          .onConflict((oc) =>
            oc.columns(['sim_id', 'day']).doUpdateSet((eb) => ({
              data_rx_bytes: eb.ref('excluded.data_rx_bytes'),
              data_tx_bytes: eb.ref('excluded.data_tx_bytes'),
              data_total_bytes: eb.ref('excluded.data_total_bytes'),
              sms_mo: eb.ref('excluded.sms_mo'),
              sms_mt: eb.ref('excluded.sms_mt'),
              source: eb.ref('excluded.source'),
              synced_at: eb.ref('excluded.synced_at'),
            })),
          )
          .executeTakeFirst();
        written += Number(result.numInsertedOrUpdatedRows ?? 0n);
      }
      if (zeroDays.length > 0) {
        const result = await trx
          .insertInto('sim_usage')
          .values(zeroDays.map((day) => ({ sim_id: simId, day, source: 'poll' })))
          .onConflict((oc) => oc.columns(['sim_id', 'day']).doNothing())
          .executeTakeFirst();
        written += Number(result.numInsertedOrUpdatedRows ?? 0n);
      }
      return written;
    },

    /** Stored days in [from, to] (inclusive, 'YYYY-MM-DD'), oldest first. */
    days(simId: number, from: string, to: string): Promise<UsageDay[]> {
      return db
        .selectFrom('sim_usage')
        .select(['day', 'data_rx_bytes', 'data_tx_bytes', 'data_total_bytes', 'sms_mo', 'sms_mt'])
        .where('sim_id', '=', simId)
        .where('day', '>=', from)
        .where('day', '<=', to)
        .orderBy('day')
        .execute();
    },

    /** Each stored day's data and SMS counts from `from` on, oldest first (what the quota forecast fits). */
    consumptionSince(simId: number, from: string): Promise<Array<Pick<UsageDay, 'day' | 'data_total_bytes' | 'sms_mo' | 'sms_mt'>>> {
      return db
        .selectFrom('sim_usage')
        .select(['day', 'data_total_bytes', 'sms_mo', 'sms_mt'])
        .where('sim_id', '=', simId)
        .where('day', '>=', from)
        .orderBy('day')
        .execute();
    },

    /** Usage aggregated per day, ISO week (Monday) or calendar month. */
    async periods(simId: number, from: string, to: string, granularity: Granularity): Promise<UsagePeriod[]> {
      if (granularity === 'day') return (await this.days(simId, from, to)).map((d) => ({ ...d, days: 1 }));
      // A literal (granularity is one of three known words), so SELECT and GROUP BY are the same expression.
      const period = sql<string>`to_char(date_trunc(${sql.lit(granularity)}, day::timestamp), 'YYYY-MM-DD')`;
      const rows = await db
        .selectFrom('sim_usage')
        .select([
          period.as('day'),
          sql<number>`sum(data_rx_bytes)::bigint`.as('data_rx_bytes'),
          sql<number>`sum(data_tx_bytes)::bigint`.as('data_tx_bytes'),
          sql<number>`sum(data_total_bytes)::bigint`.as('data_total_bytes'),
          sql<number>`sum(sms_mo)::bigint`.as('sms_mo'),
          sql<number>`sum(sms_mt)::bigint`.as('sms_mt'),
          sql<number>`count(*)::int`.as('days'),
        ])
        .where('sim_id', '=', simId)
        .where('day', '>=', from)
        .where('day', '<=', to)
        .groupBy(period)
        .orderBy(period)
        .execute();
      return rows.map((r) => ({ ...r, data_rx_bytes: Number(r.data_rx_bytes), data_tx_bytes: Number(r.data_tx_bytes), data_total_bytes: Number(r.data_total_bytes), sms_mo: Number(r.sms_mo), sms_mt: Number(r.sms_mt) }));
    },

    /** Range totals and the peak day in one query (served by the (sim_id, day) primary key). */
    async totals(simId: number, from: string, to: string): Promise<UsageTotals> {
      const row = await db
        .selectFrom('sim_usage')
        .select([
          sql<number>`count(*)::int`.as('days_with_data'),
          sql<number>`coalesce(sum(data_rx_bytes), 0)::bigint`.as('data_rx_bytes'),
          sql<number>`coalesce(sum(data_tx_bytes), 0)::bigint`.as('data_tx_bytes'),
          sql<number>`coalesce(sum(data_total_bytes), 0)::bigint`.as('data_total_bytes'),
          sql<number>`coalesce(sum(sms_mo), 0)::bigint`.as('sms_mo'),
          sql<number>`coalesce(sum(sms_mt), 0)::bigint`.as('sms_mt'),
          sql<string | null>`to_char((array_agg(day order by data_total_bytes desc, day desc))[1], 'YYYY-MM-DD')`.as('peak_day'),
          sql<number | null>`max(data_total_bytes)`.as('peak_bytes'),
        ])
        .where('sim_id', '=', simId)
        .where('day', '>=', from)
        .where('day', '<=', to)
        .executeTakeFirstOrThrow();
      return {
        days_with_data: Number(row.days_with_data),
        data_rx_bytes: Number(row.data_rx_bytes),
        data_tx_bytes: Number(row.data_tx_bytes),
        data_total_bytes: Number(row.data_total_bytes),
        sms_mo: Number(row.sms_mo),
        sms_mt: Number(row.sms_mt),
        peak_day: row.days_with_data === 0 ? null : row.peak_day,
        peak_bytes: row.peak_bytes === null ? null : Number(row.peak_bytes),
      };
    },

    /** The newest stored day of a SIM, or null. */
    async lastDay(simId: number): Promise<string | null> {
      const row = await db.selectFrom('sim_usage').select('day').where('sim_id', '=', simId).orderBy('day', 'desc').limit(1).executeTakeFirst();
      return row?.day ?? null;
    },

    /**
     * SIMs with fewer stored days than expected between `from` (or their activation, if later) and
     * `to`, most behind first. Expired SIMs are skipped: 1NCE answers 422 for them.
     */
    async gapCandidates(from: string, to: string, limit: number, iccids?: string[]): Promise<UsageGapCandidate[]> {
      const expected = sql<number>`(${to}::date - greatest(${from}::date, coalesce(s.activation_date::date, ${from}::date)) + 1)`;
      const rows = await db
        .selectFrom('sims as s')
        .leftJoin('sim_usage as u', (join) => join.onRef('u.sim_id', '=', 's.id').on('u.day', '>=', from).on('u.day', '<=', to))
        .select([
          's.id as id',
          's.iccid as iccid',
          's.account_id as account_id',
          sql<number>`count(u.day)::int`.as('have'),
          expected.as('expected'),
          sql<string | null>`to_char(max(u.day), 'YYYY-MM-DD')`.as('last_day'),
        ])
        .where('s.source', '=', 'provider')
        .where((eb) => eb.or([eb('s.status', 'is', null), eb(sql`lower(s.status)`, '<>', 'expired')]))
        // 1NCE answers 422 for expired SIMs (the sync records their expiry when it meets one).
        .where((eb) => eb.or([eb('s.data_expiry_date', 'is', null), eb('s.data_expiry_date', '>', new Date())]))
        .$if(iccids !== undefined, (q) => q.where('s.iccid', 'in', iccids!))
        .groupBy(['s.id', 's.iccid', 's.account_id', 's.activation_date'])
        .having(sql`count(u.day)`, '<', expected)
        .orderBy(sql`max(u.day)`, (ob) => ob.asc().nullsFirst())
        .orderBy('s.id')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ ...r, have: Number(r.have), expected: Number(r.expected) }));
    },

    /** The first day in [from, to] a SIM has no usage row for (`from` when none is missing). */
    async firstMissingDay(simId: number, from: string, to: string): Promise<string> {
      const row = await db
        .selectFrom(sql<{ d: string }>`(select to_char(g, 'YYYY-MM-DD') as d from generate_series(${from}::date, ${to}::date, interval '1 day') g)`.as('days'))
        .select('days.d')
        .where((eb) => eb.not(eb.exists(eb.selectFrom('sim_usage').select('sim_usage.day').where('sim_usage.sim_id', '=', simId).whereRef(sql`sim_usage.day`, '=', sql`days.d::date`))))
        .orderBy('days.d')
        .limit(1)
        .executeTakeFirst();
      return row?.d ?? from;
    },
  };
}

export type UsageRepo = ReturnType<typeof createUsageRepo>;
