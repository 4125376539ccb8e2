/**
 * The mutable part of the fleet: only SIMs that were changed through the API get an overlay
 * (status, label, quota segments after top-ups, API events, SMS). Everything else is derived from
 * the seed, so a 100,000-SIM fleet with a handful of changes stays a few kilobytes.
 */
import { DAY_MS } from './formats.js';
import type { Fleet, SimBase } from './fleet.js';
import { dataQuotaAt, initialSegment, smsQuotaAt, type QuotaSegment, type SimTimeline } from './usage-model.js';

export type SimStatus = 'Enabled' | 'Disabled';

/** An SMS sent through the API (MT). Network MO-SMS are derived, not stored. */
export interface SmsRecord {
  id: number;
  submitMs: number;
  expiryMs: number;
  payload: string;
  sourceAddress: string;
  sourceAddressType: number;
  dcs: number;
  udh: string;
  /** When it reaches the device; undefined while the device is unreachable (buffered). */
  deliverMs: number | undefined;
  /** Refused because the SMS quota was used up. */
  failed: boolean;
}

/** An event caused by an API call (status change, reset). */
export interface ApiEvent {
  id: number;
  ms: number;
  type: number;
  description: string;
  source: number;
  severity: number;
  alert: boolean;
}

interface SimOverlay {
  status: SimStatus;
  label: string | undefined;
  imeiLock: boolean;
  expiryMs: number;
  segments: QuotaSegment[];
  events: ApiEvent[];
  sms: SmsRecord[];
  apiSmsMs: number[];
  autoTopup: boolean;
}

/** Current view of one SIM. */
export interface SimView {
  base: SimBase;
  status: SimStatus;
  label: string | undefined;
  imeiLock: boolean;
  expiryMs: number;
  autoTopup: boolean;
}

/** Fields a v1/v2 SIM update may carry. */
export interface SimUpdate {
  label?: string;
  imei_lock?: boolean;
  status?: SimStatus;
}

const TEN_YEARS_MS = 3652 * DAY_MS;
const TOPUP_DATA_MICRO = 500_000_000;
const TOPUP_SMS = 250;

/** The fleet's mutable overlay plus deferred operations (bulk updates, resets). */
export type SimStore = ReturnType<typeof createSimStore>;

/** Creates an empty overlay over `fleet`. */
export function createSimStore(fleet: Fleet) {
  const overlays = new Map<number, SimOverlay>();
  const removed: number[] = [];
  const pending: Array<{ dueMs: number; run: (atMs: number) => void }> = [];
  let nextSmsId = 7_363_280 + (fleet.seed % 1000) * 1000;
  let nextEventId = 900_000_000_000_000;

  const baseStatus = (base: SimBase): SimStatus => (base.profile === 'disabled' ? 'Disabled' : 'Enabled');

  const overlay = (index: number): SimOverlay => {
    let o = overlays.get(index);
    if (o === undefined) {
      const base = fleet.sim(index);
      o = {
        status: baseStatus(base),
        label: base.label,
        imeiLock: false,
        expiryMs: base.expiryMs,
        segments: [initialSegment(base, fleet.epochMs)],
        events: [],
        sms: [],
        apiSmsMs: [],
        autoTopup: false,
      };
      overlays.set(index, o);
    }
    return o;
  };

  const timeline = (index: number): SimTimeline => {
    const base = fleet.sim(index);
    const o = overlays.get(index);
    return {
      base,
      seed: fleet.seed,
      epochMs: fleet.epochMs,
      expiryMs: o?.expiryMs ?? base.expiryMs,
      segments: o?.segments ?? [initialSegment(base, fleet.epochMs)],
      apiSmsMs: o?.apiSmsMs ?? [],
    };
  };

  const addEvent = (index: number, event: Omit<ApiEvent, 'id'>): void => {
    overlay(index).events.push({ ...event, id: nextEventId++ });
  };

  /** Starts a new quota segment at `atMs`, carrying over what is left. */
  const newSegment = (index: number, atMs: number, change: { active?: boolean; addData?: number; addSms?: number; renew?: boolean }) => {
    const o = overlay(index);
    const t = timeline(index);
    const data = dataQuotaAt(t, atMs);
    const sms = smsQuotaAt(t, atMs);
    const prev = o.segments[o.segments.length - 1]!;
    const addData = change.addData ?? 0;
    const addSms = change.addSms ?? 0;
    const dataLeft = change.renew === true ? TOPUP_DATA_MICRO : Math.max(0, data.remaining) + addData;
    const smsLeft = change.renew === true ? TOPUP_SMS : Math.max(0, sms.remaining) + addSms;
    const topped = addData > 0 || change.renew === true;
    const seg: QuotaSegment = {
      startMs: atMs,
      active: change.active ?? prev.active,
      dataLeftMicro: dataLeft,
      dataTotalMicro: topped ? dataLeft : prev.dataTotalMicro,
      dataLastAddedMicro: topped ? (change.renew === true ? TOPUP_DATA_MICRO : addData) : prev.dataLastAddedMicro,
      dataAccumulatedMicro: prev.dataAccumulatedMicro + (topped ? (change.renew === true ? TOPUP_DATA_MICRO : addData) : 0),
      smsLeft,
      smsTotal: topped ? smsLeft : prev.smsTotal,
      smsLastAdded: topped ? (change.renew === true ? TOPUP_SMS : addSms) : prev.smsLastAdded,
      smsAccumulated: prev.smsAccumulated + (topped ? (change.renew === true ? TOPUP_SMS : addSms) : 0),
    };
    // A change at the exact start of the previous segment replaces it instead of stacking.
    if (prev.startMs === atMs && o.segments.length > 1) o.segments[o.segments.length - 1] = seg;
    else o.segments.push(seg);
  };

  const isRemoved = (index: number): boolean => binarySearch(removed, index) >= 0;

  const store = {
    fleet,
    /** True when the index is a SIM of this organisation (not transferred away). */
    exists(index: number): boolean {
      return index >= 0 && index < fleet.size && !isRemoved(index);
    },
    /** Resolves an ICCID (19 or 20 digits) to a present SIM index, or -1. */
    find(iccid: string): number {
      const index = fleet.indexOfIccid(iccid);
      return store.exists(index) ? index : -1;
    },
    timeline,
    view(index: number): SimView {
      const base = fleet.sim(index);
      const o = overlays.get(index);
      return {
        base,
        status: o?.status ?? baseStatus(base),
        label: o === undefined ? base.label : o.label,
        imeiLock: o?.imeiLock ?? false,
        expiryMs: o?.expiryMs ?? base.expiryMs,
        autoTopup: o?.autoTopup ?? false,
      };
    },
    isExpired(index: number, atMs: number): boolean {
      return atMs >= store.view(index).expiryMs;
    },
    apiEvents(index: number): readonly ApiEvent[] {
      return overlays.get(index)?.events ?? [];
    },
    smsRecords(index: number): readonly SmsRecord[] {
      return overlays.get(index)?.sms ?? [];
    },
    update(index: number, update: SimUpdate, atMs: number): void {
      const o = overlay(index);
      if (update.label !== undefined) o.label = update.label === '' ? undefined : update.label;
      if (update.imei_lock !== undefined) o.imeiLock = update.imei_lock;
      if (update.status !== undefined && update.status !== o.status) {
        const from = o.status === 'Enabled' ? 'Activated' : 'Suspended';
        const to = update.status === 'Enabled' ? 'Activated' : 'Suspended';
        o.status = update.status;
        newSegment(index, atMs, { active: update.status === 'Enabled' });
        addEvent(index, {
          ms: atMs,
          type: update.status === 'Enabled' ? 8 : 9,
          description: `Status of SIM changed from '${from}' to '${to}'`,
          source: 2,
          severity: 0,
          alert: false,
        });
      }
    },
    topUp(index: number, atMs: number): void {
      newSegment(index, atMs, { addData: TOPUP_DATA_MICRO, addSms: TOPUP_SMS });
    },
    extend(index: number, atMs: number): void {
      const o = overlay(index);
      const wasExpired = atMs >= o.expiryMs;
      o.expiryMs = Math.max(o.expiryMs, atMs) + TEN_YEARS_MS;
      newSegment(index, atMs, { renew: true, active: o.status === 'Enabled' || wasExpired });
      if (wasExpired) o.status = 'Enabled';
    },
    setAutoTopup(index: number, enabled: boolean): void {
      overlay(index).autoTopup = enabled;
    },
    /** A connectivity reset: the network drops and re-creates the data session. */
    reset(index: number, atMs: number): void {
      addEvent(index, { ms: atMs, type: 5, description: 'PDP Context deleted.', source: 2, severity: 0, alert: false });
      addEvent(index, { ms: atMs + 2000, type: 3, description: 'PDP Context created.', source: 0, severity: 0, alert: false });
    },
    sendSms(index: number, sms: Omit<SmsRecord, 'id' | 'failed'>): SmsRecord {
      const o = overlay(index);
      const failed = smsQuotaAt(timeline(index), sms.submitMs).remaining <= 0;
      const record: SmsRecord = { ...sms, id: nextSmsId++, failed };
      o.sms.push(record);
      if (!failed) o.apiSmsMs.push(sms.submitMs);
      return record;
    },
    deleteSms(index: number, id: number): boolean {
      const o = overlays.get(index);
      if (o === undefined) return false;
      const at = o.sms.findIndex((s) => s.id === id);
      if (at < 0) return false;
      o.sms.splice(at, 1);
      return true;
    },
    /** Moves SIMs to another organisation: they disappear from this fleet. */
    transfer(indices: number[]): void {
      for (const index of indices) {
        const at = binarySearch(removed, index);
        if (at < 0) removed.splice(-at - 1, 0, index);
      }
    },
    /** Queues work that 1NCE performs asynchronously (bulk updates, resets). */
    schedule(dueMs: number, run: (atMs: number) => void): void {
      pending.push({ dueMs, run });
      pending.sort((a, b) => a.dueMs - b.dueMs);
    },
    /** Applies every queued operation that is due, at its own due time. */
    settle(nowMs: number): void {
      while (pending.length > 0 && pending[0]!.dueMs <= nowMs) {
        const op = pending.shift()!;
        op.run(op.dueMs);
      }
    },
    presentCount(): number {
      return fleet.size - removed.length;
    },
    /** The k-th (0-based) SIM that has not been transferred away, in index order. */
    presentAt(k: number): number {
      let index = k;
      for (;;) {
        const skipped = countAtMost(removed, index);
        const candidate = k + skipped;
        if (candidate === index) return isRemoved(index) ? presentAtSlow(k) : index;
        index = candidate;
      }
    },
  };

  // Fallback for the rare case the fixed-point lands on a removed index.
  const presentAtSlow = (k: number): number => {
    let seen = -1;
    for (let i = 0; i < fleet.size; i++) {
      if (!isRemoved(i)) seen++;
      if (seen === k) return i;
    }
    return -1;
  };

  return store;
}

function binarySearch(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const v = sorted[mid]!;
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

function countAtMost(sorted: number[], value: number): number {
  const at = binarySearch(sorted, value);
  return at >= 0 ? at + 1 : -at - 1;
}
