/**
 * The verdict of a SIM diagnosis: pure rules over the facts the service gathers (status, IMEI lock,
 * connectivity, recent events, quota, last usage, open alerts, automatic actions), so every verdict
 * is unit-tested without a database. The most severe reason is the headline; each reason says what
 * to do next.
 */
import { DAY_MS, HOUR_MS } from '../../lib/time.js';


/** No data for this long while attached is worth a look (an APN problem, typically). */
export const NO_DATA_HOURS = 24;
/** Offline for this long is reported (a short loss of coverage is normal). */
export const OFFLINE_HOURS = 1;
/** Below this share of data left, or a forecast exhaustion this close, a top-up is due. */
export const LOW_QUOTA_SHARE = 0.2;
export const FORECAST_WARN_DAYS = 7;
/** A SIM with data on fewer of the last 28 days than this share is an occasional user, not a broken one. */
export const REGULAR_SHARE = 0.5;
/** Fewer known days than this say nothing about how regular a SIM is. */
export const MIN_KNOWN_DAYS = 3;

export type Severity = 'critical' | 'warning' | 'info';
export type Verdict = 'ok' | 'attention' | 'problem' | 'unknown';

export type ReasonCode =
  | 'not_synced'
  | 'disabled'
  | 'expired'
  | 'data_exhausted'
  | 'blocked'
  | 'device_changed'
  | 'usage_spike'
  | 'silent'
  | 'offline'
  | 'attached_no_data'
  | 'quota_low'
  | 'quota_forecast'
  | 'sms_exhausted'
  | 'new_country'
  | 'idle'
  | 'online'
  | 'attached';

export interface Reason {
  code: ReasonCode;
  severity: Severity;
  message: string;
  next_step: string;
}

/** An open alert of the SIM, as the diagnosis reads it. */
export interface OpenAlert {
  metric: string;
  rule_name: string | null;
  message: string | null;
  raised_at: Date;
  data: Record<string, unknown> | null;
}

/** Everything a diagnosis is made from. */
export interface DiagnosisFacts {
  iccid: string;
  status: string | null;
  imei: string | null;
  imeiLock: boolean;
  connectivity: string | null;
  lastSeenAt: Date | null;
  lastSyncedAt: Date | null;
  source: 'provider' | 'manual';
  dataTotalBytes: number | null;
  dataRemainingBytes: number | null;
  smsTotal: number | null;
  smsRemaining: number | null;
  expiryDate: Date | null;
  /** Last UTC day with data traffic, 'YYYY-MM-DD'. */
  lastDataDay: string | null;
  /** Latest data session event (PDP context created or deleted). */
  lastSessionAt: Date | null;
  /** Days with data in the last 28. */
  activeDays28: number;
  /** Days of the last 28 with usage history stored (from the first stored day on). */
  knownDays28: number;
  /** When the data quota was used up (event 19, or the quota's status change), when known. */
  exhaustedAt: Date | null;
  forecastExhaustionDate: string | null;
  openAlerts: OpenAlert[];
  /** The latest automatic action taken on the SIM. */
  lastAction: { action: 'disable' | 'imei_lock'; ruleName: string | null; at: Date } | null;
}

export interface Diagnosis {
  iccid: string;
  verdict: Verdict;
  code: ReasonCode | 'ok';
  headline: string;
  next_step: string;
  reasons: Reason[];
}

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** '3 Nov 2026' (UTC). */
export function humanDate(d: Date | string): string {
  const date = typeof d === 'string' ? new Date(`${d.slice(0, 10)}T00:00:00Z`) : d;
  return date.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
}

const hoursBetween = (from: Date, to: Date) => Math.max(0, Math.floor((to.getTime() - from.getTime()) / HOUR_MS));

/** When data last flowed: the latest session event, or the end of the last day with data (never in the future). */
export function lastDataAt(f: Pick<DiagnosisFacts, 'lastDataDay' | 'lastSessionAt'>, now: Date): Date | null {
  const dayEnd = f.lastDataDay === null ? null : Math.min(now.getTime(), Date.parse(`${f.lastDataDay}T00:00:00Z`) + DAY_MS);
  const candidates = [dayEnd, f.lastSessionAt?.getTime() ?? null].filter((v): v is number => v !== null);
  return candidates.length === 0 ? null : new Date(Math.max(...candidates));
}

/** Diagnoses one SIM at `now`. */
export function diagnose(f: DiagnosisFacts, now: Date): Diagnosis {
  const reasons: Reason[] = [];
  const add = (code: ReasonCode, severity: Severity, message: string, next_step: string) => reasons.push({ code, severity, message, next_step });
  const alertOf = (metric: string) => f.openAlerts.find((a) => a.metric === metric);
  const byRule = (name: string | null) => (name === null ? 'an anomaly rule' : `rule "${name}"`);

  if (f.source === 'provider' && f.lastSyncedAt === null) add('not_synced', 'info', 'Not synced from 1NCE yet', 'Sync the SIM (POST /sims/{iccid}/sync)');

  if (f.status === 'Disabled') {
    const byAction = f.lastAction?.action === 'disable' ? f.lastAction : null;
    add(
      'disabled',
      'critical',
      byAction === null ? 'The SIM is disabled' : `Disabled by ${byRule(byAction.ruleName)} on ${humanDate(byAction.at)}`,
      byAction === null ? 'Enable the SIM if the device should be in service' : 'Check the device and the alert that triggered it, then enable the SIM',
    );
  }

  if (f.expiryDate !== null && f.expiryDate.getTime() <= now.getTime()) {
    add('expired', 'critical', `The SIM's lifetime ended on ${humanDate(f.expiryDate)}`, 'Order a lifetime extension for the SIM');
  }

  const exhausted = f.dataTotalBytes !== null && f.dataTotalBytes > 0 && f.dataRemainingBytes !== null && f.dataRemainingBytes <= 0;
  if (exhausted) {
    add('data_exhausted', 'critical', f.exhaustedAt === null ? 'Data quota exhausted' : `Data quota exhausted on ${humanDate(f.exhaustedAt)}`, 'Top up the SIM (POST /sims/{iccid}/topup)');
  }

  if (f.connectivity === 'BLOCKED') add('blocked', 'critical', 'The network blocked the SIM', 'Check the SIM status and quota in 1NCE; contact support if both are fine');

  const device = alertOf('device_change');
  if (device !== undefined) {
    const locked = f.imeiLock && f.lastAction?.action === 'imei_lock';
    const values = device.data?.new_values;
    const newImei = Array.isArray(values) && typeof values[0] === 'string' ? ` to ${values[0]}` : '';
    add(
      'device_changed',
      'critical',
      locked ? `IMEI changed${newImei}: locked by ${byRule(f.lastAction?.ruleName ?? null)}` : `IMEI changed${newImei} on ${humanDate(device.raised_at)}`,
      locked ? 'Confirm the device swap, then unlock the IMEI (PATCH imei_lock: false)' : 'Check whether the device was swapped or stolen; lock the IMEI or disable the SIM',
    );
  }

  const spike = alertOf('usage_spike');
  if (spike !== undefined) {
    add('usage_spike', 'warning', spike.message ?? 'Usage spike', 'Check the device for a runaway process (update loop, misconfigured reporting); disable the SIM if it is not yours');
  }

  const silence = alertOf('silence_hours');
  const dataAt = lastDataAt(f, now);
  const hoursNoData = dataAt === null ? null : hoursBetween(dataAt, now);
  // Judged on the history we have: a SIM first synced last week has at most 7 known days.
  const regular = (f.knownDays28 >= MIN_KNOWN_DAYS && f.activeDays28 >= REGULAR_SHARE * f.knownDays28) || silence !== undefined;
  const usable = f.status !== 'Disabled' && !exhausted && !(f.expiryDate !== null && f.expiryDate.getTime() <= now.getTime());

  // An occasional user being offline is its normal state: reported as 'idle' below, not as a problem.
  if (usable && f.connectivity === 'OFFLINE' && regular) {
    const hours = f.lastSeenAt === null ? null : hoursBetween(f.lastSeenAt, now);
    if (hours === null || hours >= OFFLINE_HOURS) {
      add(
        'offline',
        'warning',
        hours === null ? 'Offline, never seen on the network' : `Offline for ${hours} h (last seen ${humanDate(f.lastSeenAt!)})`,
        'Check the device has power, its antenna and coverage; then reset connectivity',
      );
    }
  } else if (usable && f.connectivity === 'ATTACHED' && regular && hoursNoData !== null && hoursNoData >= NO_DATA_HOURS) {
    add('attached_no_data', 'warning', `Attached, no data session for ${hoursNoData} h: check the APN`, "Check the device's APN (iot.1nce.net) and data settings, then reset connectivity");
  }
  if (silence !== undefined && !reasons.some((r) => r.code === 'attached_no_data' || r.code === 'offline')) {
    add('silent', 'warning', silence.message ?? 'The SIM went silent', 'Check the device: power, firmware, APN; then reset connectivity');
  }

  if (usable && f.dataTotalBytes !== null && f.dataTotalBytes > 0 && f.dataRemainingBytes !== null) {
    const share = f.dataRemainingBytes / f.dataTotalBytes;
    const forecastDays = f.forecastExhaustionDate === null ? null : (Date.parse(`${f.forecastExhaustionDate}T00:00:00Z`) - now.getTime()) / DAY_MS;
    if (share < LOW_QUOTA_SHARE) {
      const pct = Math.round((1 - share) * 100);
      add(
        'quota_low',
        'warning',
        `Data quota ${pct}% used` + (f.forecastExhaustionDate === null ? '' : `; forecast to run out on ${humanDate(f.forecastExhaustionDate)}`),
        f.forecastExhaustionDate === null ? 'Top up before it runs out' : `Top up before ${humanDate(f.forecastExhaustionDate)}`,
      );
    } else if (forecastDays !== null && forecastDays <= FORECAST_WARN_DAYS) {
      add('quota_forecast', 'warning', `Data quota forecast to run out on ${humanDate(f.forecastExhaustionDate!)}`, `Top up before ${humanDate(f.forecastExhaustionDate!)}`);
    }
  }

  if (f.smsTotal !== null && f.smsTotal > 0 && f.smsRemaining !== null && f.smsRemaining <= 0) add('sms_exhausted', 'warning', 'SMS quota exhausted', 'Top up the SIM to send SMS again');

  const country = alertOf('new_country');
  if (country !== undefined) add('new_country', 'info', country.message ?? 'In a new country', 'Confirm the device is meant to be there (roaming costs, theft)');

  if (usable && !regular && !reasons.some((r) => r.severity !== 'info')) {
    add('idle', 'info', `Occasional user: data on ${f.activeDays28} of the last ${f.knownDays28} days` + (hoursNoData === null ? ', none recorded' : `, last ${hoursNoData} h ago`), 'Nothing to do unless the device should report more often');
  }
  if (usable && f.connectivity === 'ONLINE') add('online', 'info', 'Online with a data session', 'Nothing to do');
  if (usable && f.connectivity === 'ATTACHED' && !reasons.some((r) => r.code === 'attached_no_data')) add('attached', 'info', 'Attached to the network', 'Nothing to do');

  reasons.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  const top = reasons[0];
  const worst = top?.severity;
  if (top === undefined || worst === 'info') {
    const unknown = f.status === null && f.connectivity === null && f.lastDataDay === null;
    const summary = top?.code === 'not_synced' || unknown ? top ?? null : null;
    if (summary !== null) return { iccid: f.iccid, verdict: 'unknown', code: summary.code, headline: summary.message, next_step: summary.next_step, reasons };
    const flowing = hoursNoData === null ? 'no data recorded' : hoursNoData < NO_DATA_HOURS ? 'data flowing' : `last data ${hoursNoData} h ago`;
    return {
      iccid: f.iccid,
      verdict: 'ok',
      code: top?.code === 'idle' ? 'idle' : 'ok',
      headline: top?.code === 'idle' ? top.message : `Working normally: ${(f.connectivity ?? 'unknown').toLowerCase()}, ${flowing}`,
      next_step: 'Nothing to do',
      reasons,
    };
  }
  return { iccid: f.iccid, verdict: worst === 'critical' ? 'problem' : 'attention', code: top.code, headline: top.message, next_step: top.next_step, reasons };
}
