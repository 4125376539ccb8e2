/**
 * The exhaustion forecast of forecast.ts as one SQL aggregate, for the set-based readers (alert
 * rules' `forecast_days`, the exhaustions list, the dashboard's count) that cannot fetch each SIM's
 * history. It is the same least-squares fit, not an approximation:
 *
 * the slope of the least-squares line through the cumulative series y_t (t = 0..n-1) of daily
 * consumption u_i on day offset a_i is sum_t (t - m) y_t / sum_t (t - m)^2 with m = (n - 1) / 2.
 * Each u_i adds to every y_t with t >= a_i, and sum_{t=a}^{n-1} (t - m) = a (n - a) / 2, while
 * sum_t (t - m)^2 = n (n^2 - 1) / 12, so
 *
 *     burn = 6 * sum_i u_i * a_i * (n - a_i) / (n * (n^2 - 1))
 *
 * over the stored days alone (a day without a record adds nothing), with n the days from the first
 * stored day of the window to the newest. test/modules/quotas/forecast.test.ts holds the two equal.
 */
import { sql, type RawBuilder } from 'kysely';
import { FORECAST_MIN_DAYS, FORECAST_WINDOW_DAYS } from './forecast.js';

/**
 * `select sim_id, per_day` (numeric, null with too little history) for the SIMs with data usage
 * since `from` (`forecastHistoryStart(now)`) that `where` (on sim_usage columns) selects.
 */
export function dataBurnRates(from: string, where: RawBuilder<unknown> = sql`true`): RawBuilder<{ sim_id: number; per_day: string | null }> {
  return sql<{ sim_id: number; per_day: string | null }>`
    select sim_id,
           case when count(*) >= ${FORECAST_MIN_DAYS}::int
                then 6 * sum(used * (day - first) * (last - day + 1))
                     / ((max(last) - max(first) + 1) * ((max(last) - max(first) + 1) * (max(last) - max(first) + 1) - 1))::numeric
           end as per_day
      from (select sim_id, day, used, last, min(day) over (partition by sim_id) as first
              from (select sim_id, day, greatest(data_total_bytes, 0)::numeric as used, max(day) over (partition by sim_id) as last
                      from sim_usage
                     where day >= ${from}::date and ${where}) history
             where day > last - ${FORECAST_WINDOW_DAYS}::int) fitted
     group by sim_id`;
}
