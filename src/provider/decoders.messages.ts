/** Decoders of 1NCE's SMS and event payloads. */
import { checked, parseProviderDate, toInt, toIdString, str, bool } from './decode.js';
import { validators } from './provider.schemas.js';
import type { EventSeverity, ProviderEvent, ProviderSms, SmsStatus } from './provider.types.js';

const SMS_STATUS_BY_ID: Record<number, SmsStatus> = {
  2: 'PENDING',
  3: 'BUFFERED',
  4: 'DELIVERED',
  5: 'FAILED',
  6: 'EXPIRED',
};
const SMS_STATUSES: ReadonlySet<string> = new Set(['PENDING', 'BUFFERED', 'DELIVERED', 'FAILED', 'EXPIRED']);

/** `SMS-Data` (v1) / `SimsSms` (v2) to ProviderSms. */
export function decodeSms(value: unknown): ProviderSms {
  const raw = checked(validators.sms, value, 'SMS');
  const statusText = str(raw.status?.description)?.toUpperCase() ?? null;
  const statusId = toInt(raw.status?.id);
  const status: SmsStatus =
    statusText !== null && SMS_STATUSES.has(statusText)
      ? (statusText as SmsStatus)
      : statusId === null
        ? 'UNKNOWN'
        : (SMS_STATUS_BY_ID[statusId] ?? 'UNKNOWN');
  const typeText = str(raw.sms_type?.description)?.toUpperCase();
  const typeId = toInt(raw.sms_type?.id);
  return {
    id: String(raw.id),
    iccid: str(raw.iccid),
    msisdn: str(raw.msisdn),
    direction:
      typeText === 'MT' || typeId === 1 ? 'MT' : typeText === 'MO' || typeId === 2 ? 'MO' : 'UNKNOWN',
    status,
    providerStatus: statusText,
    submittedAt: parseProviderDate(raw.submit_date),
    deliveredAt: parseProviderDate(raw.delivery_date),
    expiresAt: parseProviderDate(raw.expiry_date),
    finalAt: parseProviderDate(raw.final_date),
    lastDeliveryAttemptAt: parseProviderDate(raw.last_delivery_attempt),
    retryCount: toInt(raw.retry_count),
    sourceAddress: str(raw.source_address),
    payload: raw.payload ?? null,
    udh: str(raw.udh),
    dcs: toInt(raw.dcs),
    raw,
  };
}

/** `{ "id": ... }` to the id string. */
export function decodeIdResponse(value: unknown): string {
  return String(checked(validators.idResponse, value, 'id response').id);
}

function pairOf(value: unknown): { id: number | null; text: string | null } {
  if (value === null || value === undefined) return { id: null, text: null };
  if (typeof value === 'string') return { id: null, text: str(value) };
  const pair = value as { id?: unknown; description?: unknown };
  return { id: toInt(pair.id), text: typeof pair.description === 'string' ? str(pair.description) : null };
}

function severityOf(id: number | null, text: string | null): EventSeverity {
  const upper = text?.toUpperCase();
  if (upper === 'INFO' || id === 0) return 'INFO';
  if (upper === 'WARN' || upper === 'WARNING' || id === 1) return 'WARN';
  if (upper === 'CRITICAL' || id === 2) return 'CRITICAL';
  return 'UNKNOWN';
}

/** v2 `Event` (nested) or v1 `SIM_Event` (flat strings) to ProviderEvent. */
export function decodeEvent(value: unknown): ProviderEvent {
  const raw = checked(validators.event, value, 'event');
  const type = pairOf(raw.event_type);
  const source = pairOf(raw.event_source);
  const severity = pairOf(raw.event_severity);
  const imsi = typeof raw.imsi === 'string' ? str(raw.imsi) : str(raw.imsi?.imsi);
  return {
    id: toIdString(raw.id),
    timestamp: parseProviderDate(raw.timestamp),
    typeId: type.id,
    type: type.text,
    sourceId: source.id,
    source: source.text,
    severity: severityOf(severity.id, severity.text),
    alert: bool(raw.alert) ?? false,
    description: str(raw.description) ?? (typeof raw.event_type === 'string' ? raw.event_type : null),
    iccid: str(raw.sim?.iccid) ?? str(raw.iccid),
    imsi,
    imei: str(raw.endpoint?.imei) ?? str(raw.imei),
    ipAddress: str(raw.endpoint?.ip_address),
    detail: raw.detail ?? null,
    raw,
  };
}

/** Unwraps the v1 events envelope; a v2 bare array passes through. */
export function unwrapEvents(value: unknown): unknown {
  return validators.eventEnvelope.check(value) ? value.events : value;
}
