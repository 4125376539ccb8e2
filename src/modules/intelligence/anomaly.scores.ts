import { DAY_MS, HOUR_MS } from '../../lib/time.js';
import type { AnomalyParams } from '../alerts/anomaly.params.js';

/**
 * Pure scoring of the anomaly detectors (the SQL in anomalies.repo.ts gathers the figures). No I/O,
 * so every case (tiny SIM, noisy SIM, flat SIM, peers) is unit-tested directly.
 */

/** Scales a MAD to a standard deviation for normally distributed data. */
export const MAD_SCALE = 1.4826;

const round2 = (n: number) => Math.round(n * 100) / 100;

/** What the usage_spike detector knows about one SIM. */
export interface SpikeFigures {
  /** The evaluated day's volume (bytes): the larger of the running day and yesterday. */
  value: number;
  /** Days the baseline covers; null without history. */
  span: number | null;
  median: number | null;
  mad: number | null;
}

export interface SpikeScore {
  /** min(own, peer) score; 0 below the floor; null when the history is too short to judge. */
  value: number | null;
  /** value / max(median, 1.4826 x MAD, floor / factor): "how many times its usual day". */
  own: number | null;
  /** value / max(peer group's typical day, floor / factor); null without a peer group. */
  peer: number | null;
  /** The SIM's typical day the own score divides by (bytes). */
  reference: number | null;
}

/**
 * How far a day stands out: against the SIM's own robust baseline (median and MAD, so one busy day
 * in the history does not move it and a noisy SIM needs a larger excursion) and against its peers.
 * The reference never drops below floor / factor, so a day under the floor never scores `factor`.
 */
export function spikeScore(f: SpikeFigures, params: AnomalyParams, factor: number, peerReference: number | undefined): SpikeScore {
  const none: SpikeScore = { value: null, own: null, peer: null, reference: null };
  if (f.value < params.floor_bytes) return { ...none, value: 0 };
  if (f.span === null || f.span < params.min_baseline_days || f.median === null || f.mad === null) return none;
  const minimum = params.floor_bytes / Math.max(factor, 1);
  const reference = Math.max(f.median, MAD_SCALE * f.mad, minimum, 1);
  const own = round2(f.value / reference);
  const peer = peerReference === undefined ? null : round2(f.value / Math.max(peerReference, minimum, 1));
  return { value: peer === null ? own : Math.min(own, peer), own, peer, reference: Math.round(reference) };
}

/** What the silence detector knows about one SIM. */
export interface SilenceFigures {
  lastActiveDay: string;
  activeDays: number;
  maxGapDays: number;
  spanDays: number;
}

export interface SilenceScore {
  /** Hours silent when past the learned limit, else 0; the rule's threshold is the minimum silence. */
  value: number;
  /** Hours since the end of the last active day (UTC). */
  silentHours: number;
  /** The SIM's own limit: gap_factor x its longest usual gap, in hours. */
  limitHours: number;
  /** Whether it reports often enough for silence to mean something. */
  regular: boolean;
}

/**
 * Silence is measured from the end of the last day with traffic (daily records carry no time of
 * day). A SIM counts as regular when it was active on most days it was known; its limit is learned
 * from its own longest gap between active days.
 */
export function silenceScore(f: SilenceFigures, params: AnomalyParams, minHours: number, at: Date): SilenceScore {
  const endOfLastDay = Date.parse(`${f.lastActiveDay}T00:00:00Z`) + DAY_MS;
  const silentHours = Math.max(0, Math.round(((at.getTime() - endOfLastDay) / HOUR_MS) * 10) / 10);
  const limitHours = Math.max(minHours, params.gap_factor * f.maxGapDays * 24);
  const regular = f.activeDays >= params.min_active_days && f.activeDays / Math.max(1, f.spanDays) >= params.min_active_share;
  return { value: regular && silentHours > limitHours ? silentHours : 0, silentHours, limitHours, regular };
}

/** Bytes as MiB with one decimal, for alert messages. */
export function mib(bytes: number): string {
  return `${round2(bytes / 1_048_576).toFixed(1)} MiB`;
}
