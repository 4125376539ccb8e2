/**
 * Model-level answers about one SIM at a time (quota states, event and SMS lists), shared by
 * the v1 and v2 renderers and the Data Streamer.
 */
import { DAY_MS } from './formats.js';
import { connectivityAt, networkEventsOfDay, quotaEvents, type NetworkEvent } from './network-model.js';
import { intBetween, unit } from './prng.js';
import type { SimStore, SmsRecord } from './sim-store.js';
import { dataQuotaAt, firstTimeWhen, rawSmsDay, smsQuotaAt, type QuotaState, type SimTimeline } from './usage-model.js';

/** How far back events are kept (1NCE shows recent history only). */
export const EVENT_WINDOW_DAYS = 30;
/** SMS are retained at most 7 days (reference §7.6). */
export const SMS_RETENTION_DAYS = 7;

/** 0 = more than 20 % left, 1 = less than 20 %, 2 = nothing left. */
export function quotaStatusId(q: QuotaState): 0 | 1 | 2 {
  if (q.remaining <= 0) return 2;
  return q.remaining <= q.total * 0.2 ? 1 : 0;
}

export const QUOTA_STATUS_TEXT = ['More than 20% available', 'Less than 20% available', 'No volume available'] as const;

/** When the quota last changed status (or was last set), for `last_status_change_date`. */
export function lastQuotaChange(t: SimTimeline, kind: 'data' | 'sms', nowMs: number): number {
  const at = (ms: number) => (kind === 'data' ? dataQuotaAt(t, ms) : smsQuotaAt(t, ms));
  const current = at(nowMs);
  const start = current.segmentStartMs;
  let last = start === t.epochMs && t.segments.length === 1 ? t.base.activationMs + 16_000 : start;
  const startStatus = quotaStatusId(at(start));
  if (startStatus > 0 && last < start) {
    // Already low when the simulation began: it crossed at some earlier, seed-chosen moment.
    last = Math.max(t.base.activationMs, start - intBetween(3_600, 40 * 86_400, t.seed, t.base.index, kind === 'data' ? 301 : 302) * 1000);
  }
  for (const level of [1, 2]) {
    if (startStatus >= level) continue;
    const crossed = firstTimeWhen(start, nowMs, (ms) => quotaStatusId(at(ms)) >= level);
    if (crossed !== undefined) last = crossed;
  }
  return last;
}

/** Every event of a SIM within the retention window up to `nowMs`, oldest first. */
export function simEvents(store: SimStore, index: number, nowMs: number): NetworkEvent[] {
  const t = store.timeline(index);
  const fromMs = nowMs - EVENT_WINDOW_DAYS * DAY_MS;
  return eventsBetween(store, index, t, fromMs, nowMs);
}

/** Events of a SIM with timestamps in [fromMs, toMs], oldest first. */
export function eventsBetween(store: SimStore, index: number, t: SimTimeline, fromMs: number, toMs: number): NetworkEvent[] {
  const events: NetworkEvent[] = [];
  for (let day = Math.floor(fromMs / DAY_MS); day * DAY_MS <= toMs; day++) {
    for (const e of networkEventsOfDay(t, day, toMs)) if (e.ms >= fromMs) events.push(e);
  }
  events.push(...quotaEvents(t, Math.max(fromMs, t.epochMs), toMs));
  for (const e of store.apiEvents(index)) if (e.ms >= fromMs && e.ms <= toMs) events.push(e);
  return events.sort((a, b) => a.ms - b.ms || a.id - b.id);
}

/** SMS delivery states (v1 ids; v2 has no BUFFERED). */
export type SmsState = { id: 2 | 3 | 4 | 5 | 6; description: 'PENDING' | 'BUFFERED' | 'DELIVERED' | 'FAILED' | 'EXPIRED'; finalMs?: number; retries: number };

/** An SMS of either direction, ready for rendering. */
export interface SmsView {
  record: SmsRecord;
  type: 'MT' | 'MO';
  state: SmsState;
}

/** State of an API-sent MT-SMS at `nowMs`. */
export function smsState(sms: SmsRecord, nowMs: number): SmsState {
  const retries = Math.max(0, Math.floor((nowMs - sms.submitMs) / 3_600_000));
  if (nowMs < sms.submitMs + 2000) return { id: 2, description: 'PENDING', retries: 0 };
  if (sms.failed) return { id: 5, description: 'FAILED', finalMs: sms.submitMs + 2000, retries: 0 };
  if (sms.deliverMs !== undefined) {
    return nowMs >= sms.deliverMs ? { id: 4, description: 'DELIVERED', finalMs: sms.deliverMs, retries: 0 } : { id: 2, description: 'PENDING', retries: 0 };
  }
  if (nowMs < sms.expiryMs) return { id: 3, description: 'BUFFERED', retries };
  return { id: 6, description: 'EXPIRED', finalMs: sms.expiryMs, retries };
}

/** Delivery time for a new MT-SMS: soon when the device is reachable, otherwise it is buffered. */
export function deliveryTime(t: SimTimeline, submitMs: number, salt: number): number | undefined {
  const reachable = connectivityAt(t, submitMs) !== 'OFFLINE';
  return reachable ? submitMs + intBetween(3, 20, t.seed, t.base.index, salt, 401) * 1000 : undefined;
}

/** Device-originated SMS of the last 7 days, derived from the usage model's MO counts. */
function moSms(t: SimTimeline, nowMs: number): SmsView[] {
  const out: SmsView[] = [];
  const fromDay = Math.floor((nowMs - SMS_RETENTION_DAYS * DAY_MS) / DAY_MS);
  for (let day = fromDay; day * DAY_MS <= nowMs; day++) {
    const { mo } = rawSmsDay(t.seed, t.base, day);
    for (let k = 0; k < mo; k++) {
      const submitMs = day * DAY_MS + Math.floor(unit(t.seed, t.base.index, day, 410 + k) * DAY_MS);
      if (submitMs > nowMs || submitMs < nowMs - SMS_RETENTION_DAYS * DAY_MS || submitMs < t.base.activationMs || submitMs >= t.expiryMs) continue;
      const record: SmsRecord = {
        id: 2_000_000_000 + ((day - 18_000) * 1_048_576 + t.base.index) * 8 + k,
        submitMs,
        expiryMs: submitMs + DAY_MS,
        payload: `{"bat":${intBetween(20, 100, t.seed, t.base.index, day, 420 + k)},"seq":${k + 1}}`,
        sourceAddress: t.base.msisdn,
        sourceAddressType: 145,
        dcs: 0,
        udh: '',
        deliverMs: submitMs + 1000,
        failed: false,
      };
      out.push({ record, type: 'MO', state: { id: 4, description: 'DELIVERED', finalMs: submitMs + 1000, retries: 0 } });
    }
  }
  return out;
}

/** All SMS of a SIM kept at `nowMs` (MT from the API, MO from the device), newest first. */
export function simSms(store: SimStore, index: number, nowMs: number): SmsView[] {
  const t = store.timeline(index);
  const retentionStart = nowMs - SMS_RETENTION_DAYS * DAY_MS;
  const mt: SmsView[] = store
    .smsRecords(index)
    .filter((r) => r.submitMs >= retentionStart && r.submitMs <= nowMs)
    .map((record) => ({ record, type: 'MT' as const, state: smsState(record, nowMs) }));
  return [...mt, ...moSms(t, nowMs)].sort((a, b) => b.record.submitMs - a.record.submitMs || b.record.id - a.record.id);
}
