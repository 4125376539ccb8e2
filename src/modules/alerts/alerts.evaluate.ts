import type { AlertMetric, AnomalyMetric } from '../../db/schema.js';
import { DAY_MS } from '../../lib/time.js';
import { daysUntilExhaustion } from '../quotas/forecast.js';

/**
 * Pure quota-intelligence logic: metric values of one SIM, the burn-rate forecast, and the
 * crossing/clearing decision with hysteresis. No I/O, so every case is unit-tested directly.
 */

/** What the evaluator knows about one SIM (from the sims table and its recent usage). */
export interface SimSnapshot {
  id: number;
  iccid: string;
  accountId: string;
  tags: string[];
  dataTotalBytes: number | null;
  dataRemainingBytes: number | null;
  smsTotal: number | null;
  smsRemaining: number | null;
  dataExpiryDate: Date | null;
  connectivityStatus: string | null;
  lastSeenAt: Date | null;
  /** Fitted data bytes per day (the quota forecast's burn rate, quotas/forecast.ts); null with too little history. */
  dataBytesPerDay: number | null;
}

/** Alert types computed by the anomaly detector (set-based SQL in src/modules/intelligence), not per SIM here. */
export const ANOMALY_METRICS: readonly AnomalyMetric[] = ['usage_spike', 'silence_hours', 'device_change', 'new_country', 'new_operator'];

/** True for an anomaly alert type. */
export function isAnomalyMetric(metric: AlertMetric): metric is AnomalyMetric {
  return (ANOMALY_METRICS as readonly string[]).includes(metric);
}

/** Anomaly types raised once per observed change (edge-triggered) rather than by a value crossing a threshold. */
export function isEventMetric(metric: AlertMetric): boolean {
  return metric === 'device_change' || metric === 'new_country' || metric === 'new_operator';
}

/** Higher is worse for used percentages and offline time; lower is worse for days left. */
export function worseWhenLower(metric: AlertMetric): boolean {
  return metric === 'expiry_days' || metric === 'forecast_days';
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * Days until the data quota runs out at the forecast burn rate (the quota API's
 * `days_until_exhaustion`, to two decimals rather than one); 0 when already exhausted.
 */
export function forecastDays(sim: Pick<SimSnapshot, 'dataRemainingBytes' | 'dataBytesPerDay'>): number | null {
  if (sim.dataRemainingBytes === null) return null;
  if (sim.dataRemainingBytes <= 0) return 0;
  const days = daysUntilExhaustion(sim.dataRemainingBytes, sim.dataBytesPerDay);
  return days === null ? null : round2(days);
}

/** The value of `metric` for a SIM now, or null when it cannot be known (no quota, no expiry). */
export function metricValue(metric: AlertMetric, sim: SimSnapshot, now: Date): number | null {
  switch (metric) {
    case 'data_used_pct':
      if (sim.dataTotalBytes === null || sim.dataTotalBytes <= 0 || sim.dataRemainingBytes === null) return null;
      return round2(((sim.dataTotalBytes - sim.dataRemainingBytes) * 100) / sim.dataTotalBytes);
    case 'sms_used_pct':
      if (sim.smsTotal === null || sim.smsTotal <= 0 || sim.smsRemaining === null) return null;
      return round2(((sim.smsTotal - sim.smsRemaining) * 100) / sim.smsTotal);
    case 'expiry_days':
      return sim.dataExpiryDate === null ? null : round2((sim.dataExpiryDate.getTime() - now.getTime()) / DAY_MS);
    case 'forecast_days':
      return forecastDays(sim);
    case 'offline_minutes':
      if (sim.connectivityStatus !== 'OFFLINE' || sim.lastSeenAt === null) return null;
      return Math.floor((now.getTime() - sim.lastSeenAt.getTime()) / 60_000);
    // Evaluated fleet-wide by the anomaly detector (src/modules/intelligence).
    case 'usage_spike':
    case 'silence_hours':
    case 'device_change':
    case 'new_country':
    case 'new_operator':
      return null;
  }
}

/** What to do about one (rule, SIM, threshold). */
export type Decision = 'raise' | 'clear' | 'none';

/**
 * One alert per crossing: raise when the value reaches the threshold and no earlier crossing is
 * still in force; clear (re-arm) only once the value is back past the threshold by `hysteresis`,
 * so a value hovering around the threshold does not raise an alert on every check.
 */
export function decide(metric: AlertMetric, value: number | null, threshold: number, hysteresis: number, armed: boolean): Decision {
  if (value === null) return 'none';
  const lower = worseWhenLower(metric);
  const crossed = lower ? value <= threshold : value >= threshold;
  const cleared = lower ? value > threshold + hysteresis : value < threshold - hysteresis;
  if (crossed && armed) return 'raise';
  if (cleared && !armed) return 'clear';
  return 'none';
}

/** Rule scope test: global, one account, one tag or one SIM. */
export function inScope(rule: { scope: string; scope_value: string | null }, sim: Pick<SimSnapshot, 'accountId' | 'tags' | 'iccid'>): boolean {
  switch (rule.scope) {
    case 'global':
      return true;
    case 'account':
      return rule.scope_value === sim.accountId;
    case 'tag':
      return rule.scope_value !== null && sim.tags.includes(rule.scope_value);
    case 'sim':
      return rule.scope_value === sim.iccid;
    default:
      return false;
  }
}
