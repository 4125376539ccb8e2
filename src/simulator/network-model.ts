/**
 * Connectivity, location and network events, derived from (seed, SIM, hour/day) like usage, so
 * they change as simulated time passes without any background work.
 */
import { DAY_MS } from './formats.js';
import { intBetween, unit } from './prng.js';
import { dataQuotaAt, firstTimeWhen, isActiveAt, rawDataDay, type SimTimeline } from './usage-model.js';

const HOUR_MS = 3_600_000;

/** A roaming partner network with its country. */
export interface Operator {
  id: number;
  name: string;
  mnc: string;
  country: { id: number; name: string; mcc: string; isoCode: string; countryCode: string; latitude: string; longitude: string };
  sgsnIp: string;
}

/** The partner networks the simulated fleet roams on. */
export const OPERATORS: readonly Operator[] = [
  { id: 2, name: 'T-Mobile', mnc: '01', country: { id: 74, name: 'Germany', mcc: '262', isoCode: 'de', countryCode: '49', latitude: '51.000000', longitude: '9.000000' }, sgsnIp: '80.187.128.10' },
  { id: 90, name: 'Plus', mnc: '01', country: { id: 157, name: 'Poland', mcc: '260', isoCode: 'pl', countryCode: '48', latitude: '52.000000', longitude: '20.000000' }, sgsnIp: '92.60.128.122' },
  { id: 5, name: 'Vodafone', mnc: '02', country: { id: 74, name: 'Germany', mcc: '262', isoCode: 'de', countryCode: '49', latitude: '51.000000', longitude: '9.000000' }, sgsnIp: '139.7.64.5' },
  { id: 31, name: 'Orange', mnc: '01', country: { id: 68, name: 'France', mcc: '208', isoCode: 'fr', countryCode: '33', latitude: '46.000000', longitude: '2.000000' }, sgsnIp: '193.252.1.20' },
  { id: 44, name: 'Telia', mnc: '01', country: { id: 195, name: 'Sweden', mcc: '240', isoCode: 'se', countryCode: '46', latitude: '62.000000', longitude: '15.000000' }, sgsnIp: '81.236.2.30' },
  { id: 61, name: 'AT&T', mnc: '410', country: { id: 225, name: 'United States', mcc: '310', isoCode: 'us', countryCode: '1', latitude: '38.000000', longitude: '-97.000000' }, sgsnIp: '12.23.107.88' },
];

export type ConnectivityStatus = 'ONLINE' | 'ATTACHED' | 'OFFLINE';

/** Operator the SIM is on at a time (devices occasionally roam to a second network). */
export function operatorAt(t: SimTimeline, atMs: number): Operator {
  const day = Math.floor(atMs / DAY_MS);
  const shift = unit(t.seed, t.base.index, day, 201) < 0.1 ? 1 : 0;
  return OPERATORS[(t.base.operator + shift) % OPERATORS.length]!;
}

/** Connectivity state at a time, stable within an hour. */
export function connectivityAt(t: SimTimeline, atMs: number): ConnectivityStatus {
  if (atMs < t.base.activationMs || !isActiveAt(t, atMs)) return 'OFFLINE';
  const hour = Math.floor(atMs / HOUR_MS);
  const u = unit(t.seed, t.base.index, hour, 202);
  if (t.base.profile === 'idle') return u < 0.3 ? 'ATTACHED' : 'OFFLINE';
  // Registered on the network but never opening a data session (a wrong APN, typically).
  if (t.base.profile === 'silent' && t.base.anomalyFromDay !== undefined && atMs >= t.base.anomalyFromDay * DAY_MS) return 'ATTACHED';
  if (dataQuotaAt(t, atMs).remaining <= 0) return u < 0.85 ? 'ATTACHED' : 'OFFLINE';
  const usesToday = rawDataDay(t.seed, t.base, Math.floor(atMs / DAY_MS)) > 0;
  if (usesToday && u < 0.55) return 'ONLINE';
  return u < 0.9 ? 'ATTACHED' : 'OFFLINE';
}

/** Last location update: a few minutes to hours before `atMs`, stable within the hour. */
export function lastLocationUpdate(t: SimTimeline, atMs: number): number {
  const hour = Math.floor(atMs / HOUR_MS);
  return Math.max(t.base.activationMs, hour * HOUR_MS - intBetween(0, 5 * 3600, t.seed, t.base.index, hour, 203) * 1000);
}

/** A network or policy event in the model's own terms; renderers shape it per API version. */
export interface NetworkEvent {
  id: number;
  ms: number;
  type: number;
  description: string;
  source: number;
  severity: number;
  alert: boolean;
}

/** Event type descriptions (Data Streamer / v2 wording, reference §11.3). */
export const EVENT_TYPES: Record<number, string> = {
  1: 'Update location',
  2: 'Update GPRS location',
  3: 'Create PDP Context',
  5: 'Delete PDP Context',
  8: 'SIM activation',
  9: 'SIM suspension',
  18: 'Data Quota Threshold reached',
  19: 'Data Quota used up',
};

/** Event ids are unique per (day, SIM, slot): day offset * 2^20 SIMs * 16 slots stays below 2^53. */
function eventId(day: number, index: number, slot: number): number {
  return ((day - 18_000) * 1_048_576 + index) * 16 + slot;
}

/** Network events of one day (at most 12), only those at or before `untilMs`. */
export function networkEventsOfDay(t: SimTimeline, day: number, untilMs: number): NetworkEvent[] {
  const events: NetworkEvent[] = [];
  const dayStart = day * DAY_MS;
  const { seed, base } = t;
  const traffic = rawDataDay(seed, base, day) > 0;
  const sessions = traffic ? intBetween(1, base.profile === 'heavy' ? 5 : 2, seed, base.index, day, 210) : 0;
  if (unit(seed, base.index, day, 211) < (traffic ? 0.5 : 0.15)) {
    const ms = dayStart + intBetween(0, 86_399, seed, base.index, day, 212) * 1000;
    events.push({ id: eventId(day, base.index, 0), ms, type: 1, description: 'New location received from VLR for IMSI=' + base.imsi + '.', source: 0, severity: 0, alert: false });
  }
  for (let s = 0; s < sessions; s++) {
    const start = dayStart + intBetween(0, 80_000, seed, base.index, day, 220 + s) * 1000;
    const end = start + intBetween(60, 6_000, seed, base.index, day, 230 + s) * 1000;
    events.push({ id: eventId(day, base.index, 1 + 2 * s), ms: start, type: 3, description: 'PDP Context created.', source: 0, severity: 0, alert: false });
    events.push({ id: eventId(day, base.index, 2 + 2 * s), ms: end, type: 5, description: 'PDP Context deleted.', source: 0, severity: 0, alert: false });
  }
  return events.filter((e) => e.ms <= untilMs && e.ms >= base.activationMs && isActiveAt(t, e.ms) && e.ms < dayStart + DAY_MS);
}

/** Threshold (20 %) and used-up events of every quota segment, crossed in [fromMs, untilMs]. */
export function quotaEvents(t: SimTimeline, fromMs: number, untilMs: number): NetworkEvent[] {
  const events: NetworkEvent[] = [];
  t.segments.forEach((seg, i) => {
    const end = Math.min(untilMs, t.segments[i + 1]?.startMs ?? Number.POSITIVE_INFINITY);
    if (end < fromMs) return;
    const threshold = seg.dataTotalMicro * 0.2;
    const crossings: Array<[number, number, string]> = [
      [threshold, 18, 'Endpoint quota threshold reached, volume is below 20%.'],
      [0, 19, 'Quota volume is completely used up and data access denied for endpoint.'],
    ];
    for (const [level, type, description] of crossings) {
      if (seg.dataLeftMicro <= level) continue;
      const at = firstTimeWhen(seg.startMs, end, (ms) => dataQuotaAt(t, ms).remaining <= level);
      if (at === undefined || at < fromMs) continue;
      const day = Math.floor(at / DAY_MS);
      events.push({ id: eventId(day, t.base.index, type === 18 ? 13 : 14), ms: at, type, description, source: 1, severity: type === 18 ? 1 : 2, alert: true });
    }
  });
  return events;
}

