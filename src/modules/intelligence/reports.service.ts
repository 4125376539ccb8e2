import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { csvLine } from '../../lib/csv.js';
import { ValidationError } from '../../errors.js';
import { ANOMALY_METRICS } from '../alerts/alerts.evaluate.js';
import type { MonthlyReport, ReportFigures } from './intelligence.schemas.js';

/**
 * The monthly report: per provider account and per tag, the month's data and SMS usage, top-ups
 * (1NCE top-up orders and automatic top-ups), alerts and anomalies. A SIM with several tags counts
 * in each of its tags. JSON for programs, CSV (formula-guarded) for spreadsheets.
 */

export const REPORT_CSV_COLUMNS = ['group', 'account_id', 'account_name', 'tag', 'sims', 'data_bytes', 'sms_mo', 'sms_mt', 'topups', 'auto_topups', 'alerts', 'anomalies'] as const;

/** 'YYYY-MM' -> the month's first day and the next month's first day (UTC); a 422 for a month that does not exist. */
export function monthRange(month: string): { from: string; to: string } {
  const match = /^(\d{4})-(\d{2})$/.exec(month);
  const year = Number(match?.[1]);
  const m = Number(match?.[2]);
  if (match === null || m < 1 || m > 12 || year < 2000 || year > 2100) {
    throw new ValidationError('month must be YYYY-MM between 2000-01 and 2100-12', [{ field: '/querystring/month', message: 'must be YYYY-MM between 2000-01 and 2100-12' }]);
  }
  const next = m === 12 ? `${year + 1}-01` : `${year}-${String(m + 1).padStart(2, '0')}`;
  return { from: `${month}-01`, to: `${next}-01` };
}

type Row = { account_id: string; account_name: string | null; tag?: string } & Record<keyof ReportFigures, string | number>;

const figures = (r: Row): ReportFigures => ({
  sims: Number(r.sims),
  data_bytes: Number(r.data_bytes),
  sms_mo: Number(r.sms_mo),
  sms_mt: Number(r.sms_mt),
  topups: Number(r.topups),
  auto_topups: Number(r.auto_topups),
  alerts: Number(r.alerts),
  anomalies: Number(r.anomalies),
});

/** Creates the report service. */
export function createReportsService(deps: { db: Kysely<DB>; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());

  /** One aggregate pass per grouping over a per-SIM CTE of the month's figures. */
  async function grouped(from: string, to: string, byTag: boolean): Promise<Row[]> {
    const anomalies = [...ANOMALY_METRICS];
    const tagJoin = byTag ? sql`cross join lateral unnest(s.tags) as t(tag)` : sql``;
    const tagCol = byTag ? sql`, t.tag` : sql``;
    const { rows } = await sql<Row>`
      with su as (
        select sim_id, sum(data_total_bytes) as data_bytes, sum(sms_mo) as sms_mo, sum(sms_mt) as sms_mt
        from sim_usage where day >= ${from}::date and day < ${to}::date group by sim_id
      ),
      tu as (
        select s.id as sim_id, sum(oi.quantity) as n
        from orders o join order_items oi on oi.order_id = o.id
        join sims s on s.iccid = oi.iccid or s.iccid_with_luhn = oi.iccid
        where o.order_type in ('TOPUP', 'BULK_TOPUP')
          and coalesce(o.order_date, o.created_at) >= ${from}::date and coalesce(o.order_date, o.created_at) < ${to}::date
        group by s.id
      ),
      au as (
        select sim_id, count(*) as n from auto_topups
        where status = 'succeeded' and created_at >= ${from}::date and created_at < ${to}::date group by sim_id
      ),
      al as (
        select sim_id,
               count(*) filter (where not (metric = any(${anomalies}::text[]))) as alerts,
               count(*) filter (where metric = any(${anomalies}::text[])) as anomalies
        from alerts where raised_at >= ${from}::date and raised_at < ${to}::date group by sim_id
      )
      select s.account_id::text as account_id, pa.name as account_name ${tagCol},
             count(*) as sims,
             coalesce(sum(su.data_bytes), 0) as data_bytes, coalesce(sum(su.sms_mo), 0) as sms_mo, coalesce(sum(su.sms_mt), 0) as sms_mt,
             coalesce(sum(tu.n), 0) as topups, coalesce(sum(au.n), 0) as auto_topups,
             coalesce(sum(al.alerts), 0) as alerts, coalesce(sum(al.anomalies), 0) as anomalies
      from sims s ${tagJoin}
      left join provider_accounts pa on pa.id = s.account_id
      left join su on su.sim_id = s.id
      left join tu on tu.sim_id = s.id
      left join au on au.sim_id = s.id
      left join al on al.sim_id = s.id
      group by s.account_id, pa.name ${tagCol}
      order by pa.name, s.account_id ${tagCol}`.execute(deps.db);
    return rows;
  }

  async function monthly(month: string): Promise<MonthlyReport> {
    const { from, to } = monthRange(month);
    const [accounts, tags] = await Promise.all([grouped(from, to, false), grouped(from, to, true)]);
    const totals = accounts.map(figures).reduce<ReportFigures>(
      (sum, f) => {
        for (const k of Object.keys(sum) as Array<keyof ReportFigures>) sum[k] += f[k];
        return sum;
      },
      { sims: 0, data_bytes: 0, sms_mo: 0, sms_mt: 0, topups: 0, auto_topups: 0, alerts: 0, anomalies: 0 },
    );
    return {
      month,
      from,
      to,
      generated_at: now().toISOString(),
      totals,
      accounts: accounts.map((r) => ({ account_id: r.account_id, account_name: r.account_name, ...figures(r) })),
      tags: tags.map((r) => ({ account_id: r.account_id, account_name: r.account_name, tag: r.tag ?? '', ...figures(r) })),
    };
  }

  return {
    /** GET /reports/monthly?month=YYYY-MM. */
    monthly,

    /** The same report as CSV: a header, one line per account ('account'), then one per account and tag ('tag'). */
    async monthlyCsv(month: string): Promise<string> {
      const report = await monthly(month);
      const line = (group: string, r: ReportFigures & { account_id: string; account_name: string | null; tag?: string }) =>
        csvLine([group, r.account_id, r.account_name, r.tag ?? '', r.sims, r.data_bytes, r.sms_mo, r.sms_mt, r.topups, r.auto_topups, r.alerts, r.anomalies]);
      return [csvLine(REPORT_CSV_COLUMNS), ...report.accounts.map((a) => line('account', a)), ...report.tags.map((t) => line('tag', t))].join('');
    },
  };
}

export type ReportsService = ReturnType<typeof createReportsService>;
