import type { AlertMetric, AnomalyAction } from '../../db/schema.js';
import { isAnomalyMetric } from './alerts.evaluate.js';

/**
 * Parameters of the anomaly detectors, stored per rule in `alert_rules.params` ({} = defaults). The
 * rule's thresholds and hysteresis keep their usual meaning: for `usage_spike` the threshold is the
 * factor (5 = five times the SIM's robust baseline), for `silence_hours` the minimum silence in hours.
 */

const MIB = 1_048_576;

export type PeerGroup = 'account' | 'tag' | 'none';

/** Everything the detectors read, with every default filled in. */
export interface AnomalyParams {
  /** usage_spike: a day below this many bytes is never a spike, so tiny SIMs do not flap. */
  floor_bytes: number;
  /** usage_spike: the day must also be `factor` times the peer group's typical day ('none': own history only). */
  peer_group: PeerGroup;
  /** usage_spike and silence_hours: days of history the baseline is learned from. */
  baseline_days: number;
  /** usage_spike: fewer known days than this before the evaluated day: no verdict. */
  min_baseline_days: number;
  /** silence_hours: silent longer than this many times the SIM's longest usual gap between active days. */
  gap_factor: number;
  /** silence_hours: the SIM must have been active on at least this share of the days it was known. */
  min_active_share: number;
  /** silence_hours: and on at least this many days. */
  min_active_days: number;
}

export const DEFAULT_ANOMALY_PARAMS: AnomalyParams = {
  floor_bytes: 10 * MIB,
  peer_group: 'account',
  baseline_days: 28,
  min_baseline_days: 5,
  gap_factor: 2,
  min_active_share: 0.8,
  min_active_days: 3,
};

/** The stored params of a rule with defaults for what is missing (unknown keys were refused on the way in). */
export function anomalyParams(stored: unknown): AnomalyParams {
  const p = typeof stored === 'object' && stored !== null ? (stored as Partial<Record<keyof AnomalyParams, unknown>>) : {};
  const num = (key: keyof AnomalyParams, fallback: number) => (typeof p[key] === 'number' && Number.isFinite(p[key]) ? p[key] : fallback);
  const peer = p.peer_group === 'tag' || p.peer_group === 'none' || p.peer_group === 'account' ? p.peer_group : DEFAULT_ANOMALY_PARAMS.peer_group;
  return {
    floor_bytes: num('floor_bytes', DEFAULT_ANOMALY_PARAMS.floor_bytes),
    peer_group: peer,
    baseline_days: num('baseline_days', DEFAULT_ANOMALY_PARAMS.baseline_days),
    min_baseline_days: num('min_baseline_days', DEFAULT_ANOMALY_PARAMS.min_baseline_days),
    gap_factor: num('gap_factor', DEFAULT_ANOMALY_PARAMS.gap_factor),
    min_active_share: num('min_active_share', DEFAULT_ANOMALY_PARAMS.min_active_share),
    min_active_days: num('min_active_days', DEFAULT_ANOMALY_PARAMS.min_active_days),
  };
}

/** Which automatic actions an alert type may take: a lock only makes sense for a device change. */
export function actionAllowed(metric: AlertMetric, action: AnomalyAction): boolean {
  if (!isAnomalyMetric(metric)) return false;
  if (action === 'imei_lock') return metric === 'device_change';
  return metric !== 'silence_hours';
}
