import { sql, type Kysely } from 'kysely';
import type { DB, NewRow, QuotaService, Row } from '../../db/schema.js';
import { pageOf } from '../../db/paging.js';
import { simWrites } from '../sims/sims.writes.js';
import { dataBurnRates } from './forecast.sql.js';

export type QuotaRow = Row<'sim_quotas'>;

/** Which SIMs the fleet exhaustion list reads (see exhaustions.ts). */
export interface ExhaustionSelection {
  /** First day of the usage the burn rates are fitted on (`forecastHistoryStart`). */
  historyFrom: string;
  /** SIMs that run out within this many days at their burn rate. */
  horizonDays: number;
  /** Also SIMs already out of data. */
  includeExhausted: boolean;
  /** Only SIMs with one of these tags / in one of these accounts. */
  tags?: string[] | undefined;
  accounts?: string[] | undefined;
  limit: number;
}

/** A SIM of the exhaustion list with its burn rate, the days it has left and the whole list's count. */
export interface ExhaustionRow {
  iccid: string;
  label: string | null;
  account_id: string;
  tags: string[];
  status: string | null;
  data_total_bytes: string | number | null;
  data_remaining_bytes: string | number | null;
  data_remaining_pct: string | null;
  data_expiry_date: Date | null;
  per_day: string | null;
  days_left: string;
  total: string | number;
}

/** Kysely queries over `sim_quotas` (snapshot history) and the latest state copied into `sims`. */
export function createQuotasRepo(db: Kysely<DB>) {
  return {
    /**
     * SIMs that run out of data within the horizon at their burn rate (the quota forecast's fit in
     * SQL, forecast.sql.ts), soonest first, each row carrying the count of all matches. One set-based
     * statement over `sims` joined to the burn rates of `sim_usage`.
     */
    async exhaustions(q: ExhaustionSelection): Promise<ExhaustionRow[]> {
      const tagCondition = q.tags === undefined ? sql`true` : sql`s.tags && ${sql.val(q.tags)}::text[]`;
      const accountCondition = q.accounts === undefined ? sql`true` : sql`s.account_id::text = any(${sql.val(q.accounts)}::text[])`;
      const exhaustedCondition = q.includeExhausted ? sql`s.data_remaining_bytes <= 0` : sql`false`;
      const { rows } = await sql<ExhaustionRow>`
        with burn as (${dataBurnRates(q.historyFrom)}), hits as (
          select s.iccid, s.label, s.account_id, s.tags, s.status, s.data_total_bytes, s.data_remaining_bytes,
                 s.data_remaining_pct, s.data_expiry_date, b.per_day,
                 case when s.data_remaining_bytes <= 0 then 0 else s.data_remaining_bytes / b.per_day end as days_left
            from sims s
            left join burn b on b.sim_id = s.id
           where ${tagCondition} and ${accountCondition}
             and ((s.data_remaining_bytes > 0 and b.per_day > 0 and s.data_remaining_bytes / b.per_day <= ${q.horizonDays})
                  or ${exhaustedCondition})
        )
        select *, count(*) over () as total from hits order by days_left, iccid limit ${q.limit}`.execute(db);
      return rows;
    },

    /**
     * Stores a snapshot and copies it into the SIM's denormalised columns, in one transaction so
     * list filters (`quota_below`) never disagree with the history. A repeated capture at the same
     * instant is an upsert on the primary key.
     */
    async capture(snapshot: Omit<NewRow<'sim_quotas'>, 'captured_at'> & { captured_at: Date }): Promise<QuotaRow> {
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('sim_quotas')
          .values({ ...snapshot, captured_at: snapshot.captured_at })
          .onConflict((oc) =>
            oc.columns(['sim_id', 'service', 'captured_at']).doUpdateSet((eb) => ({
              volume_total: eb.ref('excluded.volume_total'),
              volume_remaining: eb.ref('excluded.volume_remaining'),
              volume_used: eb.ref('excluded.volume_used'),
              last_volume_added: eb.ref('excluded.last_volume_added'),
              expiry_date: eb.ref('excluded.expiry_date'),
              threshold_percentage: eb.ref('excluded.threshold_percentage'),
              threshold_volume: eb.ref('excluded.threshold_volume'),
              peak_throughput: eb.ref('excluded.peak_throughput'),
              status: eb.ref('excluded.status'),
              last_status_change_date: eb.ref('excluded.last_status_change_date'),
              raw: eb.ref('excluded.raw'),
            })),
          )
          .returningAll()
          .executeTakeFirstOrThrow();
        await simWrites.copyQuota(trx, snapshot.sim_id, snapshot.service, {
          total: snapshot.volume_total ?? null,
          remaining: snapshot.volume_remaining ?? null,
          expiry: snapshot.expiry_date ?? null,
        });
        return row;
      });
    },

    latest(simId: number, service: QuotaService): Promise<QuotaRow | undefined> {
      return db
        .selectFrom('sim_quotas')
        .selectAll()
        .where('sim_id', '=', simId)
        .where('service', '=', service)
        .orderBy('captured_at', 'desc')
        .limit(1)
        .executeTakeFirst();
    },

    async history(simId: number, service: QuotaService, range: { from?: Date | undefined; to?: Date | undefined }, page: number, pageSize: number) {
      const base = db
        .selectFrom('sim_quotas')
        .where('sim_id', '=', simId)
        .where('service', '=', service)
        .$if(range.from !== undefined, (q) => q.where('captured_at', '>=', range.from as never))
        .$if(range.to !== undefined, (q) => q.where('captured_at', '<', range.to as never));
      return pageOf(base, (q) => q.selectAll().orderBy('captured_at', 'desc'), page, pageSize);
    },
  };
}

export type QuotasRepo = ReturnType<typeof createQuotasRepo>;
