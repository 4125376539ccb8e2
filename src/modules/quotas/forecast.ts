/**
 * The platform's one exhaustion forecast, from the recent burn rate: an ordinary least-squares line
 * through the cumulative daily consumption of the last 7-14 stored days. Its slope is the burn rate
 * per day; the remaining volume divided by it gives the days left. A fit (rather than the last day
 * alone) keeps one unusually busy or quiet day from swinging the date.
 *
 * Every forecast in the platform is this model: GET /sims/{iccid}/quota/{service} (here, per SIM),
 * and, through the same fit written as one SQL aggregate in forecast.sql.ts, the alert rules'
 * `forecast_days`, the exhaustions list (quotas/exhaustions.ts) and the dashboard's count. The
 * dashboard's lowest SIMs, the fleet forecast and the SIM diagnosis call `forecastExhaustion`.
 */
import { DAY_MS, dayStartMs, utcDay } from '../../lib/time.js';

/** Days of usage read for a forecast, counted back from now (the fit itself uses the newest 14). */
export const FORECAST_HISTORY_DAYS = 21;
/** Days of history the line is fitted to, counted back from the newest stored day. */
export const FORECAST_WINDOW_DAYS = 14;
/** Fewer stored days than this in the window: no forecast. */
export const FORECAST_MIN_DAYS = 7;
/** Beyond this many days (~27 years) a date would still be valid, but meaningless as a forecast. */
export const MAX_FORECAST_DAYS = 10_000;

/** Consumption of one UTC day (bytes for data, messages for SMS). */
export interface DailyConsumption {
  day: string;
  used: number;
}

export interface Forecast {
  /** Fitted consumption per day; null when there is too little history. */
  burn_rate_per_day: number | null;
  /** Days until the remaining volume is used up at that rate; null when not burning. */
  days_until_exhaustion: number | null;
  /** The UTC day the quota runs out; null when not burning or already exhausted. */
  forecast_exhaustion_date: string | null;
}

export interface ForecastOptions {
  /** Days of history used, counted back from the newest day (default 14). */
  windowDays?: number;
  /** Fewer stored days than this in the window: no forecast (default 7). */
  minDays?: number;
}

/** First UTC day of the usage a forecast made at `atMs` reads. */
export function forecastHistoryStart(atMs: number): string {
  return utcDay(atMs - FORECAST_HISTORY_DAYS * DAY_MS);
}

/** Slope of the least-squares line through (i, values[i]). */
export function leastSquaresSlope(values: number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - meanX) * (values[i]! - meanY);
    den += (i - meanX) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** The fitted consumption per day of `history`; null with fewer than `minDays` stored days in the window. */
export function burnRate(history: DailyConsumption[], options: ForecastOptions = {}): number | null {
  const windowDays = options.windowDays ?? FORECAST_WINDOW_DAYS;
  const minDays = options.minDays ?? FORECAST_MIN_DAYS;
  if (history.length === 0) return null;
  const lastMs = Math.max(...history.map((d) => dayStartMs(d.day)));
  const firstMs = lastMs - (windowDays - 1) * DAY_MS;
  const byDay = new Map(history.filter((d) => dayStartMs(d.day) >= firstMs).map((d) => [d.day, d.used]));
  if (byDay.size < minDays) return null;
  // Cumulative series over the window from its first stored day; a day without a record used nothing.
  const startMs = Math.min(...[...byDay.keys()].map(dayStartMs));
  const cumulative: number[] = [];
  let total = 0;
  for (let t = startMs; t <= lastMs; t += DAY_MS) {
    total += Math.max(0, byDay.get(utcDay(t)) ?? 0);
    cumulative.push(total);
  }
  return leastSquaresSlope(cumulative);
}

/** Days until `remaining` is used up at `burn` per day; null when not burning or too far off to mean anything. */
export function daysUntilExhaustion(remaining: number, burn: number | null): number | null {
  if (burn === null || !(burn > 0)) return null;
  const days = Math.max(0, remaining) / burn;
  return days > MAX_FORECAST_DAYS ? null : days;
}

/** Forecasts when `remaining` runs out, as seen at `asOf`. */
export function forecastExhaustion(history: DailyConsumption[], remaining: number | null, asOf: Date, options: ForecastOptions = {}): Forecast {
  const none: Forecast = { burn_rate_per_day: null, days_until_exhaustion: null, forecast_exhaustion_date: null };
  const burn = burnRate(history, options);
  if (burn === null) return none;
  if (!(burn > 0)) return { ...none, burn_rate_per_day: 0 };
  if (remaining === null || remaining <= 0) return { burn_rate_per_day: burn, days_until_exhaustion: remaining === null ? null : 0, forecast_exhaustion_date: null };
  const days = daysUntilExhaustion(remaining, burn);
  if (days === null) return { burn_rate_per_day: burn, days_until_exhaustion: null, forecast_exhaustion_date: null };
  return {
    burn_rate_per_day: burn,
    days_until_exhaustion: Math.round(days * 10) / 10,
    forecast_exhaustion_date: exhaustionDate(asOf.getTime(), days),
  };
}

/** The UTC day `days` days after `atMs`: the forecast exhaustion date. */
export function exhaustionDate(atMs: number, days: number): string {
  return utcDay(atMs + days * DAY_MS);
}
