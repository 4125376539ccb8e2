/**
 * Usage and quota as pure functions of (seed, SIM, time). Traffic accrues linearly through each
 * day from a per-day hash; quota consumption is the sum of that same traffic since the last quota
 * change, clipped at zero, so polled usage and quota always agree.
 */
import { DAY_MS } from './formats.js';
import type { SimBase } from './fleet.js';
import { unit } from './prng.js';

/** One stretch of time with a fixed quota baseline and SIM state (a top-up or status change starts the next). */
export interface QuotaSegment {
  startMs: number;
  active: boolean;
  dataLeftMicro: number;
  dataTotalMicro: number;
  dataLastAddedMicro: number;
  dataAccumulatedMicro: number;
  smsLeft: number;
  smsTotal: number;
  smsLastAdded: number;
  smsAccumulated: number;
}

/** What the model needs to know about a SIM beyond its seed-derived base. */
export interface SimTimeline {
  base: SimBase;
  seed: number;
  epochMs: number;
  expiryMs: number;
  segments: readonly QuotaSegment[];
  /** Submit times of SMS sent through the API (charged as MT-SMS). */
  apiSmsMs: readonly number[];
}

/** The initial segment: the SIM as the seed describes it at the clock's start. */
export function initialSegment(base: SimBase, epochMs: number): QuotaSegment {
  return {
    startMs: epochMs,
    active: base.profile !== 'disabled' && base.profile !== 'expired',
    dataLeftMicro: base.dataLeftMicro,
    dataTotalMicro: base.dataTotalMicro,
    dataLastAddedMicro: 500_000_000,
    dataAccumulatedMicro: base.dataTotalMicro,
    smsLeft: base.smsLeft,
    smsTotal: base.smsTotal,
    smsLastAdded: 250,
    smsAccumulated: base.smsTotal,
  };
}

/** A runaway SIM's daily volume against its normal one (a stuck firmware update loop, say). */
const RUNAWAY_FACTOR = 40;

/** Raw (unclipped) data traffic of a SIM on a day, micro-MB. */
export function rawDataDay(seed: number, base: SimBase, day: number): number {
  if (base.anomalyFromDay !== undefined && day >= base.anomalyFromDay) {
    if (base.profile === 'silent') return 0;
    // Runaway: every day, far above its usual volume.
    return Math.round(base.dataPerDayMicro * RUNAWAY_FACTOR * (0.8 + 0.4 * unit(seed, base.index, day, 102)));
  }
  if (unit(seed, base.index, day, 101) < base.quietDayRate) return 0;
  return Math.round(base.dataPerDayMicro * (0.25 + 1.5 * unit(seed, base.index, day, 102)));
}

/** Raw SMS counts of a SIM on a day (MO from the device, MT from its backend). */
export function rawSmsDay(seed: number, base: SimBase, day: number): { mo: number; mt: number } {
  if (base.profile === 'silent' && base.anomalyFromDay !== undefined && day >= base.anomalyFromDay) return { mo: 0, mt: 0 };
  const mean = base.smsPerDay;
  return {
    mo: Math.floor(mean * 2 * unit(seed, base.index, day, 103) + unit(seed, base.index, day, 104)),
    mt: Math.floor(mean * unit(seed, base.index, day, 105) + unit(seed, base.index, day, 106) * 0.5),
  };
}

/** Raw traffic accrued in [fromMs, toMs), honouring activation and expiry. */
function rawBetween(t: SimTimeline, fromMs: number, toMs: number, perDay: (day: number) => number): number {
  const from = Math.max(fromMs, t.base.activationMs);
  const to = Math.min(toMs, t.expiryMs);
  if (to <= from) return 0;
  let total = 0;
  for (let day = Math.floor(from / DAY_MS); day * DAY_MS < to; day++) {
    const dayStart = day * DAY_MS;
    const daily = perDay(day);
    if (daily === 0) continue;
    const a = Math.max(from, dayStart) - dayStart;
    const b = Math.min(to, dayStart + DAY_MS) - dayStart;
    total += Math.floor((daily * b) / DAY_MS) - Math.floor((daily * a) / DAY_MS);
  }
  return total;
}

const dataPerDay = (t: SimTimeline) => (day: number) => rawDataDay(t.seed, t.base, day);
const smsPerDay = (t: SimTimeline) => (day: number) => {
  const s = rawSmsDay(t.seed, t.base, day);
  return s.mo + s.mt;
};

function apiSmsBetween(t: SimTimeline, fromMs: number, toMs: number): number {
  let n = 0;
  for (const ms of t.apiSmsMs) if (ms >= fromMs && ms < toMs) n++;
  return n;
}

/** Data used inside a segment from its start to `atMs` (clipped to what the segment had left). */
function segmentDataUsed(t: SimTimeline, seg: QuotaSegment, atMs: number): number {
  if (!seg.active || atMs <= seg.startMs || seg.dataLeftMicro <= 0) return 0;
  return Math.min(seg.dataLeftMicro, rawBetween(t, seg.startMs, atMs, dataPerDay(t)));
}

function segmentSmsUsed(t: SimTimeline, seg: QuotaSegment, atMs: number): number {
  if (atMs <= seg.startMs) return 0;
  const network = seg.active ? rawBetween(t, seg.startMs, atMs, smsPerDay(t)) : 0;
  return Math.min(Math.max(seg.smsLeft, 0), network + apiSmsBetween(t, seg.startMs, atMs));
}

function segmentAt(t: SimTimeline, atMs: number): { seg: QuotaSegment; endMs: number } {
  let chosen = t.segments[0]!;
  let endMs = Number.POSITIVE_INFINITY;
  for (let i = 0; i < t.segments.length; i++) {
    const seg = t.segments[i]!;
    if (seg.startMs <= atMs) {
      chosen = seg;
      endMs = t.segments[i + 1]?.startMs ?? Number.POSITIVE_INFINITY;
    }
  }
  return { seg: chosen, endMs };
}

/** Quota view of one service at a time. */
export interface QuotaState {
  remaining: number;
  total: number;
  lastAdded: number;
  accumulated: number;
  segmentStartMs: number;
}

/** Remaining data (micro-MB) and its segment at `atMs`. */
export function dataQuotaAt(t: SimTimeline, atMs: number): QuotaState {
  const { seg } = segmentAt(t, atMs);
  return {
    remaining: seg.dataLeftMicro - segmentDataUsed(t, seg, atMs),
    total: seg.dataTotalMicro,
    lastAdded: seg.dataLastAddedMicro,
    accumulated: seg.dataAccumulatedMicro,
    segmentStartMs: seg.startMs,
  };
}

/** Remaining SMS and its segment at `atMs`. */
export function smsQuotaAt(t: SimTimeline, atMs: number): QuotaState {
  const { seg } = segmentAt(t, atMs);
  return {
    remaining: seg.smsLeft - segmentSmsUsed(t, seg, atMs),
    total: seg.smsTotal,
    lastAdded: seg.smsLastAdded,
    accumulated: seg.smsAccumulated,
    segmentStartMs: seg.startMs,
  };
}

/** True when the SIM can pass traffic at `atMs` (enabled, not expired). */
export function isActiveAt(t: SimTimeline, atMs: number): boolean {
  return atMs < t.expiryMs && segmentAt(t, atMs).seg.active;
}

/** Whether the pre-simulation history shows traffic for this profile. */
function historicallyActive(t: SimTimeline): boolean {
  return t.base.profile !== 'disabled' && t.base.profile !== 'expired';
}

/** Data and SMS used in [fromMs, toMs), consistent with quota consumption after the epoch. */
export function usageBetween(t: SimTimeline, fromMs: number, toMs: number): { dataMicro: number; mo: number; mt: number } {
  if (toMs <= fromMs) return { dataMicro: 0, mo: 0, mt: 0 };
  let dataMicro = 0;
  let mo = 0;
  let mt = 0;
  const moPerDay = (day: number) => rawSmsDay(t.seed, t.base, day).mo;
  const mtPerDay = (day: number) => rawSmsDay(t.seed, t.base, day).mt;
  if (fromMs < t.epochMs && historicallyActive(t)) {
    const end = Math.min(toMs, t.epochMs);
    dataMicro += rawBetween(t, fromMs, end, dataPerDay(t));
    mo += rawBetween(t, fromMs, end, moPerDay);
    mt += rawBetween(t, fromMs, end, mtPerDay);
  }
  for (let i = 0; i < t.segments.length; i++) {
    const seg = t.segments[i]!;
    const segEnd = t.segments[i + 1]?.startMs ?? Number.POSITIVE_INFINITY;
    const a = Math.max(fromMs, seg.startMs);
    const b = Math.min(toMs, segEnd);
    if (b <= a) continue;
    dataMicro += segmentDataUsed(t, seg, b) - segmentDataUsed(t, seg, a);
    const smsUsed = segmentSmsUsed(t, seg, b) - segmentSmsUsed(t, seg, a);
    const api = apiSmsBetween(t, a, b);
    // Split the charged SMS into MO and MT with the network's raw ratio; API sends are MT.
    const rawMo = seg.active ? rawBetween(t, a, b, moPerDay) : 0;
    const moPart = Math.min(rawMo, Math.max(0, smsUsed - Math.min(api, smsUsed)));
    mo += moPart;
    mt += smsUsed - moPart;
  }
  return { dataMicro, mo, mt };
}

/** First time in [fromMs, toMs] at which `predicate` holds, assuming it stays true once true. */
export function firstTimeWhen(fromMs: number, toMs: number, predicate: (ms: number) => boolean): number | undefined {
  if (toMs < fromMs || !predicate(toMs)) return undefined;
  if (predicate(fromMs)) return fromMs;
  let lo = fromMs;
  let hi = toMs;
  while (hi - lo > 1000) {
    const mid = Math.floor((lo + hi) / 2);
    if (predicate(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}
