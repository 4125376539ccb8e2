import type { FieldError } from '../../errors.js';
import { isValidIccid, normalizeIccid } from '../../lib/identifiers.js';
import { sanitizeText } from '../../lib/text.js';
import { mbToBytes } from '../../lib/units.js';

/**
 * Validation and normalisation of Data Streamer records (1NCE reference section 11): Platform 1.0
 * usage and event records, Platform 2.0 usage, network and SMS events. Parsing is type-tolerant
 * where 1NCE is inconsistent (numbers as strings, "WARN"/"Warn"/"WARNING", zone-less dates, `null`
 * for empty objects) and strict where storing garbage would hurt (ids, timestamps, volumes).
 */

/** 1NCE streams at most this many records per POST. */
export const MAX_BATCH_RECORDS = 3000;

/** A usage record ready to store: bytes for data, counts for SMS. */
export interface UsageRecord {
  recordId: string;
  startedAt: Date;
  endedAt: Date | null;
  iccid: string | null;
  imsi: string | null;
  trafficType: 'data' | 'sms';
  rxBytes: number | null;
  txBytes: number | null;
  totalBytes: number | null;
  /** SMS records: messages (MO + MT). */
  smsCount: number | null;
  smsMo: number;
  smsMt: number;
  operator: string | null;
  country: string | null;
  rat: string | null;
  /** Position in the posted array: the record's raw form is that element of the stored payload. */
  index: number;
}

/** A network, quota or SMS event ready to store. */
export interface EventRecord {
  eventKey: string;
  occurredAt: Date;
  iccid: string | null;
  eventTypeId: number | null;
  eventType: string | null;
  severity: 'INFO' | 'WARN' | 'CRITICAL' | null;
  severityId: number | null;
  eventSource: string | null;
  eventSourceId: number | null;
  alert: boolean;
  description: string | null;
  /** 'sms' for Platform 2.0 SMS events (MO message or MT delivery report). */
  kind: 'event' | 'sms';
  /** MO SMS payload fields, for the `sms.received` webhook. */
  sms?: { direction: 'MO' | 'MT'; text: string | null; source: string | null; status: string | null };
  /** Position in the posted array (see UsageRecord.index). */
  index: number;
}

export interface ParsedBatch {
  usage: UsageRecord[];
  events: EventRecord[];
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj | undefined => (isObj(v) ? v : undefined);

/**
 * Record timestamps must fall in a sane window: 1NCE did not stream before 2010, and a record from
 * the future (beyond clock skew) would move `last_seen_at` to a date no later record could correct.
 */
export const EARLIEST_RECORD_TIME = Date.UTC(2010, 0, 1);
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * The largest volume one record may carry, in MB (10 TB): far above any real session, far below
 * what a bigint of bytes can hold, so `1e300` or a 30-digit number is refused instead of overflowing.
 */
export const MAX_RECORD_VOLUME_MB = 10_000_000;

/** ISO-8601 with zone, or 1NCE's zone-less `YYYY-MM-DD HH:mm:ss` / `YYYY-MM-DDTHH:mm:ss` (UTC). Group 1: the zone. */
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** One regular expression and the engine's own ISO parser: this runs twice per record (ADR 0017). */
function parseDate(value: unknown, nowMs: number): Date | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  const match = DATE_PATTERN.exec(text);
  if (match === null) return undefined;
  const iso = text.charCodeAt(10) === 32 ? `${text.slice(0, 10)}T${text.slice(11)}` : text;
  const ms = Date.parse(match[1] === undefined ? `${iso}Z` : iso);
  return Number.isNaN(ms) || ms < EARLIEST_RECORD_TIME || ms > nowMs + MAX_CLOCK_SKEW_MS ? undefined : new Date(ms);
}

const DATE_MESSAGE = 'must be an ISO-8601 UTC timestamp between 2010 and now';

function parseId(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  if (typeof value === 'string' && /^[A-Za-z0-9._:-]{1,100}$/.test(value)) return value;
  return undefined;
}

function parseInt32(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && Math.abs(n) < 2 ** 31 ? n : undefined;
}

/** A non-negative decimal (number or numeric string); undefined when absent, null when invalid. */
function parseAmount(value: unknown): number | string | null | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 && value <= MAX_RECORD_VOLUME_MB ? value : null;
  if (typeof value === 'string' && /^\d{0,12}\.?\d{1,12}$/.test(value.trim()) && Number(value) <= MAX_RECORD_VOLUME_MB) return value.trim();
  return null;
}

/** Free text from 1NCE, cleaned of control characters so it can always be stored (ADR 0009). */
function text(value: unknown): string | null {
  const cleaned = typeof value === 'string' ? sanitizeText(value) : typeof value === 'number' ? String(value) : '';
  return cleaned === '' ? null : cleaned;
}

function iccidOf(record: Obj): { iccid: string | null; bad: boolean } {
  const candidates = [obj(record.sim)?.iccid, obj(record.endpoint)?.name];
  for (const c of candidates) {
    if (typeof c === 'string' && /^\d{19,20}$/.test(c)) {
      return isValidIccid(c) ? { iccid: normalizeIccid(c), bad: false } : { iccid: null, bad: true };
    }
  }
  // sim.iccid present but not digits: malformed. endpoint.name is free text on Platform 1.
  const simIccid = obj(record.sim)?.iccid;
  if (simIccid !== undefined && simIccid !== null) return { iccid: null, bad: true };
  return { iccid: null, bad: false };
}

const SEVERITIES: Record<string, 'INFO' | 'WARN' | 'CRITICAL'> = {
  info: 'INFO',
  warn: 'WARN',
  warning: 'WARN',
  critical: 'CRITICAL',
};
const SEVERITY_BY_ID: Record<number, 'INFO' | 'WARN' | 'CRITICAL'> = { 0: 'INFO', 1: 'WARN', 2: 'CRITICAL' };

function parseUsage(record: Obj, index: number, errors: FieldError[], nowMs: number): UsageRecord | undefined {
  const at = `/body/${index}`;
  const id = parseId(record.id);
  if (id === undefined)
    errors.push({ field: `${at}/id`, message: 'must be a non-negative integer or an id string' });
  const startedAt = parseDate(record.start_timestamp, nowMs);
  if (startedAt === undefined) errors.push({ field: `${at}/start_timestamp`, message: DATE_MESSAGE });
  const endedAt =
    record.end_timestamp === undefined || record.end_timestamp === null
      ? null
      : parseDate(record.end_timestamp, nowMs);
  if (endedAt === undefined) errors.push({ field: `${at}/end_timestamp`, message: `${DATE_MESSAGE}, or null` });
  const traffic = obj(record.traffic_type);
  const trafficId = parseInt32(traffic?.id);
  const description = typeof traffic?.description === 'string' ? traffic.description.toLowerCase() : '';
  const trafficType =
    trafficId === 5 || description === 'data'
      ? 'data'
      : trafficId === 6 || description === 'sms'
        ? 'sms'
        : undefined;
  if (trafficType === undefined)
    errors.push({ field: `${at}/traffic_type`, message: 'must be Data (id 5) or SMS (id 6)' });
  const volume = obj(record.volume);
  if (volume === undefined)
    errors.push({ field: `${at}/volume`, message: 'must be an object with total, rx and tx' });
  const total = parseAmount(volume?.total);
  const rx = parseAmount(volume?.rx);
  const tx = parseAmount(volume?.tx);
  const amount = `must be a non-negative number of MB, at most ${MAX_RECORD_VOLUME_MB}`;
  if (total === null) errors.push({ field: `${at}/volume/total`, message: amount });
  if (rx === null) errors.push({ field: `${at}/volume/rx`, message: amount });
  if (tx === null) errors.push({ field: `${at}/volume/tx`, message: amount });
  if (volume !== undefined && total === undefined && rx === undefined && tx === undefined) {
    errors.push({ field: `${at}/volume`, message: 'carries no total, rx or tx' });
  }
  const { iccid, bad } = iccidOf(record);
  if (bad) errors.push({ field: `${at}/sim/iccid`, message: 'is not a valid ICCID' });
  const imsi = typeof record.imsi === 'string' ? text(record.imsi) : text(obj(record.imsi)?.imsi);
  if (
    id === undefined ||
    startedAt === undefined ||
    endedAt === undefined ||
    trafficType === undefined ||
    volume === undefined
  )
    return undefined;
  if (total === null || rx === null || tx === null) return undefined;

  const operator = obj(record.operator);
  const pdp = obj(obj(record.detail)?.pdp_context);
  const rat =
    typeof pdp?.rat_type === 'number' || typeof pdp?.rat_type === 'string' ? text(pdp.rat_type) : null;
  // Bytes for data; counts, not MB, for SMS: tx = MO messages, rx = MT messages (reference 11.2;
  // wording ambiguous). One object literal either way: this runs 3,000 times per batch.
  const data = trafficType === 'data';
  const count = (v: number | string | undefined) => (v === undefined ? 0 : Math.round(Number(v)));
  const rxBytes = data ? mbToBytes(rx ?? null) : null;
  const txBytes = data ? mbToBytes(tx ?? null) : null;
  const smsMo = data ? 0 : count(tx);
  const smsMt = data ? 0 : count(rx);
  return {
    recordId: id,
    startedAt,
    endedAt,
    iccid,
    imsi,
    trafficType,
    rxBytes,
    txBytes,
    totalBytes: data ? (mbToBytes(total ?? null) ?? (rxBytes ?? 0) + (txBytes ?? 0)) : null,
    smsCount: data ? null : total === undefined ? smsMo + smsMt : count(total),
    smsMo,
    smsMt,
    operator: text(operator?.name),
    country: text(obj(operator?.country)?.name),
    rat,
    index,
  };
}

function parseEvent(record: Obj, index: number, errors: FieldError[], nowMs: number): EventRecord | undefined {
  const at = `/body/${index}`;
  const id = parseId(record.id);
  if (id === undefined)
    errors.push({ field: `${at}/id`, message: 'must be a non-negative integer or an id string' });
  const occurredAt = parseDate(record.timestamp, nowMs);
  if (occurredAt === undefined) errors.push({ field: `${at}/timestamp`, message: DATE_MESSAGE });
  const type = obj(record.event_type);
  const typeId = parseInt32(type?.id);
  if (typeId === undefined) errors.push({ field: `${at}/event_type/id`, message: 'must be an integer' });
  const severityObj = obj(record.event_severity);
  const severityId = parseInt32(severityObj?.id) ?? null;
  const severityText =
    typeof severityObj?.description === 'string' ? severityObj.description.toLowerCase() : '';
  const sourceObj = obj(record.event_source);
  const { iccid, bad } = iccidOf(record);
  if (bad) errors.push({ field: `${at}/sim/iccid`, message: 'is not a valid ICCID' });
  if (id === undefined || occurredAt === undefined || typeId === undefined) return undefined;
  return {
    eventKey: id,
    occurredAt,
    iccid,
    eventTypeId: typeId,
    eventType: text(type?.description),
    severity: SEVERITIES[severityText] ?? (severityId === null ? null : (SEVERITY_BY_ID[severityId] ?? null)),
    severityId,
    eventSource: text(sourceObj?.description),
    eventSourceId: parseInt32(sourceObj?.id) ?? null,
    alert: record.alert === true,
    description: text(record.description),
    kind: 'event',
    index,
  };
}

/** Platform 2.0 SMS events: MO message (`payload`, `source_address`) or MT delivery report (`status`). */
function parseSmsEvent(record: Obj, index: number, errors: FieldError[], nowMs: number): EventRecord | undefined {
  const at = `/body/${index}`;
  const id = parseId(record.id);
  if (id === undefined)
    errors.push({ field: `${at}/id`, message: 'must be a non-negative integer or an id string' });
  const occurredAt = parseDate(record.final_date ?? record.submit_date, nowMs);
  if (occurredAt === undefined)
    errors.push({ field: `${at}/submit_date`, message: 'must be a date (YYYY-MM-DD HH:mm:ss, UTC) between 2010 and now' });
  const { iccid, bad } = iccidOf(record);
  if (bad) errors.push({ field: `${at}/endpoint/name`, message: 'is not a valid ICCID' });
  if (id === undefined || occurredAt === undefined) return undefined;
  const status = text(obj(record.status)?.status);
  const mo = status === null;
  return {
    // SMS ids live in their own namespace next to network event ids.
    eventKey: `sms-${mo ? 'mo' : 'dlr'}:${id}`,
    occurredAt,
    iccid,
    eventTypeId: null,
    eventType: mo ? 'SMS MO' : 'SMS delivery report',
    severity: 'INFO',
    severityId: 0,
    eventSource: 'SMS',
    eventSourceId: null,
    alert: false,
    description: mo ? 'Mobile-originated SMS received' : `MT SMS ${status ?? ''}`.trim(),
    kind: 'sms',
    sms: {
      direction: mo ? 'MO' : 'MT',
      text: text(record.payload),
      source: text(record.source_address),
      status,
    },
    index,
  };
}

/** Most errors reported for one rejected batch; the rest are summarised. */
const MAX_REPORTED_ERRORS = 50;

/**
 * Validates a whole batch before anything is stored. Returns the records, or every problem found
 * (as JSON pointers into the body) so a malformed batch is rejected whole.
 */
export function parseStreamBatch(
  body: unknown,
  now: Date = new Date(),
): { ok: true; batch: ParsedBatch } | { ok: false; errors: FieldError[] } {
  const nowMs = now.getTime();
  if (!Array.isArray(body))
    return { ok: false, errors: [{ field: '/body', message: 'must be a JSON array of records' }] };
  if (body.length > MAX_BATCH_RECORDS) {
    return {
      ok: false,
      errors: [
        { field: '/body', message: `holds ${body.length} records; at most ${MAX_BATCH_RECORDS} per request` },
      ],
    };
  }
  const errors: FieldError[] = [];
  const batch: ParsedBatch = { usage: [], events: [] };
  body.forEach((record: unknown, index) => {
    if (!isObj(record)) {
      errors.push({ field: `/body/${index}`, message: 'must be an object' });
      return;
    }
    if (record.traffic_type !== undefined) {
      const usage = parseUsage(record, index, errors, nowMs);
      if (usage !== undefined) batch.usage.push(usage);
    } else if (record.event_type !== undefined) {
      const event = parseEvent(record, index, errors, nowMs);
      if (event !== undefined) batch.events.push(event);
    } else if (record.submit_date !== undefined) {
      const event = parseSmsEvent(record, index, errors, nowMs);
      if (event !== undefined) batch.events.push(event);
    } else {
      errors.push({
        field: `/body/${index}`,
        message:
          'is neither a usage record (traffic_type), an event (event_type) nor an SMS event (submit_date)',
      });
    }
  });
  if (errors.length > 0) {
    const shown = errors.slice(0, MAX_REPORTED_ERRORS);
    if (errors.length > MAX_REPORTED_ERRORS)
      shown.push({
        field: '/body',
        message: `${errors.length - MAX_REPORTED_ERRORS} more problems not listed`,
      });
    return { ok: false, errors: shown };
  }
  return { ok: true, batch };
}
