/**
 * Exhaustion forecast from the recent burn rate: an ordinary least-squares line through the
 * cumulative daily consumption of the last 7-14 days. Its slope is the burn rate per day; the
 * remaining volume divided by it gives the days left. A fit (rather than the last day alone) keeps
 * one unusually busy or quiet day from swinging the date.
 */
import { DAY_MS } from '../../lib/time.js';
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

/** Forecasts when `remaining` runs out, as seen at `asOf`. */
export function forecastExhaustion(history: DailyConsumption[], remaining: number | null, asOf: Date, options: ForecastOptions = {}): Forecast {
  const windowDays = options.windowDays ?? 14;
  const minDays = options.minDays ?? 7;
  const none: Forecast = { burn_rate_per_day: null, days_until_exhaustion: null, forecast_exhaustion_date: null };
  if (history.length === 0) return none;
  const sorted = [...history].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  const lastMs = Date.parse(`${sorted[sorted.length - 1]!.day}T00:00:00Z`);
  const firstMs = lastMs - (windowDays - 1) * DAY_MS;
  const byDay = new Map(sorted.filter((d) => Date.parse(`${d.day}T00:00:00Z`) >= firstMs).map((d) => [d.day, d.used]));
  if (byDay.size < minDays) return none;
  // Cumulative series over the window from its first stored day; a day without a record used nothing.
  const startMs = Math.min(...[...byDay.keys()].map((d) => Date.parse(`${d}T00:00:00Z`)));
  const cumulative: number[] = [];
  let total = 0;
  for (let t = startMs; t <= lastMs; t += DAY_MS) {
    total += Math.max(0, byDay.get(new Date(t).toISOString().slice(0, 10)) ?? 0);
    cumulative.push(total);
  }
  const burn = leastSquaresSlope(cumulative);
  if (!(burn > 0)) return { ...none, burn_rate_per_day: 0 };
  if (remaining === null || remaining <= 0) return { burn_rate_per_day: burn, days_until_exhaustion: remaining === null ? null : 0, forecast_exhaustion_date: null };
  const days = remaining / burn;
  // Past ~27 years a Date would still be valid, but such a date is meaningless as a forecast.
  if (days > 10_000) return { burn_rate_per_day: burn, days_until_exhaustion: null, forecast_exhaustion_date: null };
  return {
    burn_rate_per_day: burn,
    days_until_exhaustion: Math.round(days * 10) / 10,
    forecast_exhaustion_date: new Date(asOf.getTime() + days * DAY_MS).toISOString().slice(0, 10),
  };
}
