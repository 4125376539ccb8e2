import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { ValidationError } from '../../errors.js';
import { DAY_MS, utcDay } from '../../lib/time.js';
import { exhaustionDate, FORECAST_WINDOW_DAYS, forecastHistoryStart } from './forecast.js';
import { createQuotasRepo } from './quotas.repo.js';

/**
 * Fleet-wide data exhaustion forecast: which SIMs run out of data before a date, at the burn rate
 * of the platform's one forecast model (forecast.ts, fitted in SQL by forecast.sql.ts). The same
 * measure as GET /sims/{iccid}/quota/data, the alert rules' `forecast_days` and the dashboard's
 * `quota.forecast_exhaustions` (GET /fleet/summary), so they always agree on a SIM.
 * One aggregate over the last 21 days of `sim_usage` joined to `sims` (quotas.repo.ts `exhaustions`);
 * set-based at 100,000 SIMs.
 */

/** The furthest horizon asked about: beyond a year a burn rate of the last two weeks says nothing. */
export const MAX_HORIZON_DAYS = 366;

export interface ExhaustionQuery {
  /** Last UTC day (inclusive) of the horizon; default: the last day of the current month. */
  by?: string | undefined;
  /** Alternatively, the horizon in days from now. */
  withinDays?: number | undefined;
  /** Also list SIMs that have already run out (0 bytes left). */
  includeExhausted?: boolean | undefined;
  tags?: string[] | undefined;
  accounts?: string[] | undefined;
  limit: number;
}

export interface ExhaustionItem {
  iccid: string;
  label: string | null;
  account_id: string;
  tags: string[];
  status: string | null;
  data_total_bytes: number | null;
  data_remaining_bytes: number | null;
  data_remaining_pct: number | null;
  burn_rate_bytes_per_day: number;
  days_until_exhaustion: number;
  forecast_exhaustion_date: string;
  quota_expiry_date: string | null;
}

export interface ExhaustionForecast {
  as_of: string;
  horizon_end: string;
  horizon_days: number;
  burn_rate_days: number;
  total: number;
  items: ExhaustionItem[];
}

/** The horizon as [last day, days from now]; 400 for a day in the past or too far ahead. */
function horizonOf(query: ExhaustionQuery, at: number): { end: string; days: number } {
  if (query.by !== undefined && query.withinDays !== undefined) {
    throw new ValidationError('Give either by or within_days, not both', [{ field: 'by', message: 'cannot be combined with within_days' }]);
  }
  if (query.withinDays !== undefined) return { end: utcDay(at + query.withinDays * DAY_MS), days: query.withinDays };
  let end = query.by;
  if (end === undefined) {
    const d = new Date(at);
    end = utcDay(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0));
  }
  const endMs = Date.parse(`${end}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(end) || Number.isNaN(endMs)) throw new ValidationError('by must be a date (YYYY-MM-DD)', [{ field: 'by', message: 'must be a date (YYYY-MM-DD)' }]);
  // The horizon runs to the end of that day.
  const days = (endMs + DAY_MS - at) / DAY_MS;
  if (days <= 0) throw new ValidationError('by must not be in the past', [{ field: 'by', message: 'must be today or later' }]);
  if (days > MAX_HORIZON_DAYS) throw new ValidationError(`by must be within ${MAX_HORIZON_DAYS} days`, [{ field: 'by', message: `must be within ${MAX_HORIZON_DAYS} days` }]);
  return { end, days: Math.round(days * 100) / 100 };
}

/** Creates the forecast over `db`; `now` is injectable for tests. */
export function createExhaustionForecast(db: Kysely<DB>, now: () => number = Date.now) {
  const repo = createQuotasRepo(db);
  return {
    /** SIMs that run out of data within the horizon, soonest first, with the total count. */
    async forecast(query: ExhaustionQuery): Promise<ExhaustionForecast> {
      const at = now();
      const horizon = horizonOf(query, at);
      const rows = await repo.exhaustions({
        historyFrom: forecastHistoryStart(at),
        horizonDays: horizon.days,
        includeExhausted: query.includeExhausted === true,
        tags: query.tags,
        accounts: query.accounts,
        limit: query.limit,
      });
      const num = (v: string | number | null) => (v === null ? null : Number(v));
      return {
        as_of: new Date(at).toISOString(),
        horizon_end: horizon.end,
        horizon_days: horizon.days,
        burn_rate_days: FORECAST_WINDOW_DAYS,
        total: rows.length === 0 ? 0 : Number(rows[0]!.total),
        items: rows.map((r) => {
          const days = Math.round(Number(r.days_left) * 10) / 10;
          return {
            iccid: r.iccid,
            label: r.label,
            account_id: r.account_id,
            tags: r.tags,
            status: r.status,
            data_total_bytes: num(r.data_total_bytes),
            data_remaining_bytes: num(r.data_remaining_bytes),
            data_remaining_pct: num(r.data_remaining_pct),
            burn_rate_bytes_per_day: Math.round(Number(r.per_day ?? 0)),
            days_until_exhaustion: days,
            forecast_exhaustion_date: exhaustionDate(at, Number(r.days_left)),
            quota_expiry_date: r.data_expiry_date === null ? null : new Date(r.data_expiry_date).toISOString(),
          };
        }),
      };
    },
  };
}

export type ExhaustionForecastService = ReturnType<typeof createExhaustionForecast>;
