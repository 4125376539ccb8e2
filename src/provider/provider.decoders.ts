/**
 * Tolerant decoders from 1NCE wire objects to the domain types. Each `decodeX(value)` checks the
 * value against its compiled schema and throws `DecodeError` (turned into ProviderBadResponse by
 * the client) when a field we need is missing; everything optional degrades to null.
 */
import { mbToBytes } from '../lib/units.js';
import { validators, type RawQuotaStatus, type Validator } from './provider.schemas.js';
import type { Static } from 'typebox';
import type {
  ConnectivityStatus,
  EventSeverity,
  ProviderConnectivity,
  ProviderConnectivityInfo,
  ProviderEvent,
  ProviderLimit,
  ProviderLimits,
  ProviderOrder,
  ProviderPdpContext,
  ProviderProduct,
  ProviderQuota,
  ProviderQuotaStatus,
  ProviderSim,
  ProviderSms,
  ProviderSupportTicket,
  ProviderUsage,
  ProviderUsageRow,
  QuotaState,
  SimState,
  SmsStatus,
} from './provider.types.js';

/** A provider payload that does not match what we can work with. */
export class DecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

function checked<T>(validator: Validator<T>, value: unknown, what: string): T {
  if (validator.check(value)) return value;
  throw new DecodeError(`${what}: ${validator.firstError(value)}`);
}

// Covers `2021-08-26T12:13:06.000+0000`, `2019-01-21T09:36:17Z`, `2028-03-14T16:10:29.000+00:00`,
// `2031-11-26 00:00:00` (1NCE means UTC) and `2021-11-14`. A missing zone is read as UTC, never
// local time, which is what `new Date()` would do with the space-separated form.
const DATE_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?$/;

/** Parses every date format 1NCE emits; returns null for absent, empty or unparseable values. */
export function parseProviderDate(value: unknown): Date | null {
  if (typeof value !== 'string' || value === '') return null;
  const m = DATE_PATTERN.exec(value.trim());
  if (m === null) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = m[4] === undefined ? 0 : Number(m[4]);
  const minute = m[5] === undefined ? 0 : Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  const millis = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  let time = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC silently rolls 2021-02-30 into March; reject instead.
  if (new Date(time).getUTCDate() !== day) return null;
  const zone = m[8];
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetMinutes = Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2, 4)) : 0);
    time -= sign * offsetMinutes * 60_000;
  }
  return new Date(time);
}

/** Number from a JSON number or numeric string; null for anything else. */
export function toNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return null;
    const parsed = Number(text);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

/** Integer from a number or numeric string (rounded); null otherwise. */
export function toInt(value: unknown): number | null {
  const parsed = toNumber(value);
  return parsed === null ? null : Math.round(parsed);
}

/** Id-like value as a string (ids arrive as numbers or strings). */
export function toIdString(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

function str(value: string | null | undefined): string | null {
  return value === undefined || value === null || value === '' ? null : value;
}

function bool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return null;
}

/** MB value (number or decimal string) to integer bytes; null when absent or garbage. */
function bytes(value: unknown): number | null {
  if (typeof value === 'number' || typeof value === 'string') return mbToBytes(value);
  return null;
}

/** Parses the order number (or SMS id) from a `Location` header: the last path segment. */
export function idFromLocation(location: string | null | undefined): string | null {
  if (location === null || location === undefined) return null;
  const path = location.split(/[?#]/)[0] ?? '';
  const segments = path.split('/').filter((s) => s !== '');
  const last = segments.at(-1);
  return last === undefined || !/^[A-Za-z0-9_-]+$/.test(last) ? null : last;
}

export function simStateOf(status: string | null): SimState {
  switch (status?.toLowerCase()) {
    case 'enabled':
    case 'activated':
    case 'active':
      return 'enabled';
    case 'disabled':
    case 'deactivated':
    case 'suspended':
      return 'disabled';
    case 'expired':
      return 'expired';
    case undefined:
    default:
      return 'unknown';
  }
}

function quotaStatusOf(value: Static<typeof RawQuotaStatus> | null | undefined): ProviderQuotaStatus | null {
  if (value === null || value === undefined) return null;
  return {
    id: toInt(value.id),
    description: str(value.description),
    thresholdReachedAt: parseProviderDate(value.threshold_reached_date),
    exceededAt: parseProviderDate(value.quota_exceeded_date),
  };
}

/** `SIM_card` / `SimsSim` to ProviderSim. */
export function decodeSim(value: unknown): ProviderSim {
  const raw = checked(validators.sim, value, 'SIM');
  const status = str(raw.status);
  return {
    iccid: raw.iccid,
    iccidWithLuhn: str(raw.iccid_with_luhn),
    imsi: str(raw.imsi),
    imsi2: str(raw.imsi_2),
    currentImsi: str(raw.current_imsi),
    msisdn: str(raw.msisdn),
    imei: str(raw.imei),
    imeiLock: bool(raw.imei_lock) ?? false,
    state: simStateOf(status),
    providerStatus: status,
    activationDate: parseProviderDate(raw.activation_date),
    ipAddress: str(raw.ip_address),
    label: str(raw.label),
    dataQuotaBytes: bytes(raw.current_quota),
    smsQuota: toNumber(raw.current_quota_SMS),
    dataQuotaStatus: quotaStatusOf(raw.quota_status),
    smsQuotaStatus: quotaStatusOf(raw.quota_status_SMS),
    raw,
  };
}

/** Decodes an array of items, dropping (and counting) the ones that fail; a non-array is a bad response. */
export function decodeList<T>(
  value: unknown,
  decode: (item: unknown) => T,
  onInvalid?: (index: number, error: DecodeError) => void,
): { items: T[]; invalid: number } {
  if (!Array.isArray(value)) throw new DecodeError(`expected a JSON array, got ${value === null ? 'null' : typeof value}`);
  const items: T[] = [];
  let invalid = 0;
  for (let i = 0; i < value.length; i++) {
    try {
      items.push(decode(value[i]));
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      invalid++;
      onInvalid?.(i, error);
    }
  }
  return { items, invalid };
}

const CONNECTIVITY: ReadonlySet<string> = new Set(['ONLINE', 'ATTACHED', 'OFFLINE', 'BLOCKED']);

function ratOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') {
    const rat = value as { description?: unknown; rat_type_id?: unknown };
    if (typeof rat.description === 'string' && rat.description !== '') return rat.description;
    return ratOf(rat.rat_type_id);
  }
  // Data Streamer numeric codes (1 3G, 2 2G, 5 HSPA+, 6 LTE, 8 NB-IoT, 9 CAT-M).
  const names: Record<string, string> = { '1': '3G', '2': '2G', '5': 'HSPA+', '6': '4G', '8': 'NB-IoT', '9': 'LTE-M' };
  const key = toIdString(value);
  return key === null ? null : (names[key] ?? key);
}

/** `Connectivity` (v1) or `SimsConnectivityDetail` (v2) to ProviderConnectivity. */
export function decodeConnectivity(value: unknown): ProviderConnectivity {
  const raw = checked(validators.connectivity, value, 'connectivity status');
  const providerStatus = typeof raw.status === 'string' ? raw.status : str(raw.status.description);
  const upper = providerStatus?.toUpperCase() ?? '';
  const status = (CONNECTIVITY.has(upper) ? upper : 'UNKNOWN') as ConnectivityStatus;
  const pdp = raw.pdp_contexts?.[0] ?? raw.pdp_context ?? null;
  const pdpContext: ProviderPdpContext | null =
    pdp === null
      ? null
      : {
          id: toIdString(pdp.pdp_context_id),
          createdAt: parseProviderDate(pdp.created),
          ueIpAddress: str(pdp.ue_ip_address),
          apn: str(pdp.apn),
          imeisv: str(pdp.imeisv),
          mcc: toIdString(pdp.mcc),
          mnc: toIdString(pdp.mnc),
          region: str(pdp.region),
          rat: ratOf(pdp.rat_type),
        };
  const location = raw.location ?? null;
  const operator = location?.operator ?? null;
  const country = location?.country ?? operator?.country ?? null;
  const limitState = str(raw.data_traffic_limit_state?.description)?.toUpperCase() ?? null;
  return {
    status,
    providerStatus,
    trafficLimitReached: limitState === null ? null : limitState === 'REACHED',
    services: raw.services ?? [],
    operator:
      operator === null && location?.operator_id == null
        ? null
        : {
            id: toIdString(operator?.id ?? location?.operator_id),
            name: str(operator?.name),
            mnc: toIdString(operator?.mnc ?? pdpContext?.mnc),
          },
    country:
      country === null
        ? null
        : {
            name: str(country.name),
            isoCode: str(country.iso_code)?.toUpperCase() ?? null,
            mcc: toIdString(country.mcc),
            dialCode: str(country.country_code),
          },
    lastUpdated: parseProviderDate(location?.last_updated_gprs) ?? parseProviderDate(location?.last_updated),
    rat: pdpContext?.rat ?? null,
    pdpContext,
    raw,
  };
}

/** `ConnectivityInfo` (v1) to ProviderConnectivityInfo; accepts the older flat subscriber_info variant. */
export function decodeConnectivityInfo(value: unknown): ProviderConnectivityInfo {
  const raw = checked(validators.connectivityInfo, value, 'connectivity info');
  const subscriber = raw.subscriber_info ?? null;
  const location = subscriber?.location ?? (subscriber?.cell_global_id == null && subscriber?.age_of_location == null ? null : subscriber);
  const cgi = location?.cell_global_id ?? null;
  return {
    success: bool(subscriber?.success),
    state: str(subscriber?.state),
    error: str(subscriber?.error),
    location:
      location === null || location === undefined
        ? null
        : {
            currentLocationRetrieved: bool(location.current_location_retrieved),
            ageOfLocationMinutes: toNumber(location.age_of_location),
            cellGlobalId:
              cgi === null
                ? null
                : { mcc: toIdString(cgi.mcc), mnc: toIdString(cgi.mnc), lac: toInt(cgi.lac), cid: toInt(cgi.cid) },
          },
    ussd: raw.ussd_info == null ? null : { success: bool(raw.ussd_info.success), error: str(raw.ussd_info.error) },
    requestedAt: parseProviderDate(raw.request_timestamp),
    repliedAt: parseProviderDate(raw.reply_timestamp),
    raw,
  };
}

/** `DailyUsage` (v1) to ProviderUsage: data MB strings to bytes, SMS strings to counts, TOTAL row split out. */
export function decodeUsage(value: unknown): ProviderUsage {
  const raw = checked(validators.usage, value, 'usage');
  const days: ProviderUsageRow[] = [];
  let total: Omit<ProviderUsageRow, 'date'> | null = null;
  for (const row of raw.stats) {
    const dataTx = bytes(row.data?.volume_tx) ?? 0;
    const dataRx = bytes(row.data?.volume_rx) ?? 0;
    const smsTx = toInt(row.sms?.volume_tx) ?? 0;
    const smsRx = toInt(row.sms?.volume_rx) ?? 0;
    const values = {
      dataBytes: bytes(row.data?.volume) ?? dataTx + dataRx,
      dataTxBytes: dataTx,
      dataRxBytes: dataRx,
      smsCount: toInt(row.sms?.volume) ?? smsTx + smsRx,
      smsTx,
      smsRx,
    };
    if (row.date.toUpperCase() === 'TOTAL') {
      total = values;
      continue;
    }
    const day = parseProviderDate(row.date);
    if (day === null) throw new DecodeError(`usage: unparseable date "${row.date.slice(0, 40)}"`);
    days.push({ date: day.toISOString().slice(0, 10), ...values });
  }
  days.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { days, total, raw };
}

function quotaStateOf(status: unknown): QuotaState | null {
  if (status === null || status === undefined) return null;
  const text = typeof status === 'string' ? status : (status as { description?: unknown }).description;
  if (typeof text === 'string' && text !== '') {
    const upper = text.toUpperCase();
    return upper === 'ACTIVE' || upper === 'EXHAUSTED' || upper === 'EXPIRED' ? upper : 'UNKNOWN';
  }
  // The v2 spec text maps 0 EXHAUSTED, 1 ACTIVE, 2 EXPIRED (its example contradicts it); only used without a description.
  const id = toInt((status as { id?: unknown }).id);
  return id === 0 ? 'EXHAUSTED' : id === 1 ? 'ACTIVE' : id === 2 ? 'EXPIRED' : 'UNKNOWN';
}

/** `Quota` (v1) / `SimsQuota` (v2) to ProviderQuota; data volumes become bytes. */
export function decodeQuota(value: unknown, service: 'data' | 'sms'): ProviderQuota {
  const raw = checked(validators.quota, value, `${service} quota`);
  const volume = service === 'data' ? bytes : toNumber;
  const remaining = volume(raw.volume);
  if (remaining === null) throw new DecodeError(`${service} quota: volume is not a number`);
  return {
    service,
    remaining,
    total: volume(raw.total_volume),
    accumulatedTotal: volume(raw.accumulated_total_volume),
    lastVolumeAdded: volume(raw.last_volume_added),
    thresholdPercentage: toNumber(raw.threshold_percentage),
    thresholdVolume: volume(raw.threshold_volume),
    peakThroughputBps: toNumber(raw.peak_throughput),
    expiresAt: parseProviderDate(raw.expiry_date),
    createdAt: parseProviderDate(raw.created_at),
    lastStatusChangeAt: parseProviderDate(raw.last_status_change_date),
    state: quotaStateOf(raw.status),
    raw,
  };
}

const SMS_STATUS_BY_ID: Record<number, SmsStatus> = { 2: 'PENDING', 3: 'BUFFERED', 4: 'DELIVERED', 5: 'FAILED', 6: 'EXPIRED' };
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
    direction: typeText === 'MT' || typeId === 1 ? 'MT' : typeText === 'MO' || typeId === 2 ? 'MO' : 'UNKNOWN',
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

/** `Order` to ProviderOrder. */
export function decodeOrder(value: unknown): ProviderOrder {
  const raw = checked(validators.order, value, 'order');
  return {
    orderNumber: String(raw.order_number),
    type: str(raw.order_type),
    status: str(raw.order_status),
    orderedAt: parseProviderDate(raw.order_date),
    invoiceNumber: str(raw.invoice_number),
    invoiceAmount: raw.invoice_amount === null || raw.invoice_amount === undefined ? null : String(raw.invoice_amount),
    currency: str(raw.currency),
    iccids: (raw.sims ?? []).flatMap((s) => (typeof s.iccid === 'string' && s.iccid !== '' ? [s.iccid] : [])),
    products: (raw.products ?? []).map((p) => ({
      productId: toIdString(p.product_id ?? p.productId),
      quantity: toInt(p.quantity),
    })),
    raw,
  };
}

function chargesOf(list: Array<{ name?: string | null; amount_net?: unknown; currency?: string | null }> | null | undefined) {
  return (list ?? []).map((c) => ({ name: str(c.name), amountNet: toNumber(c.amount_net), currency: str(c.currency) }));
}

/** `Product` to ProviderProduct. */
export function decodeProduct(value: unknown): ProviderProduct {
  const raw = checked(validators.product, value, 'product');
  return {
    id: String(raw.id),
    name: str(raw.product),
    material: str(raw.material),
    packageSize: toNumber(raw.package_size),
    minQuantity: toNumber(raw.minQuantity),
    maxQuantity: toNumber(raw.maxQuantity),
    maxQuantityPerCustomer: toNumber(raw.maxQuantityPerCustomer),
    minContractDurationMonths: toNumber(raw.min_contract_duration),
    oneTimeCharges: chargesOf(raw.one_time_charges),
    recurringCharges: chargesOf(raw.recurring_charges),
    raw,
  };
}

/** `Service_request` to ProviderSupportTicket. */
export function decodeSupportTicket(value: unknown): ProviderSupportTicket {
  const raw = checked(validators.supportTicket, value, 'support ticket');
  return {
    caseId: String(raw.caseId),
    subject: str(raw.subject),
    text: str(raw.text),
    status: str(raw.status),
    createdAt: parseProviderDate(raw.createDate),
    solvedAt: parseProviderDate(raw.solvedDate),
    communications: (raw.communications ?? []).map((c) => ({
      id: toIdString(c.id),
      at: parseProviderDate(c.communicationDate),
      direction: str(c.direction),
      originator: str(c.originator),
      subject: str(c.subject),
      text: str(c.text),
      type: str(c.type),
    })),
    raw,
  };
}

function limitOf(value: { id?: unknown; limit?: unknown; unit?: string | null } | null | undefined): ProviderLimit | null {
  if (value === null || value === undefined) return null;
  return { id: toInt(value.id), limit: toNumber(value.limit), unit: str(value.unit) };
}

/** `Values_for_Limits` to ProviderLimits. */
export function decodeLimits(value: unknown): ProviderLimits {
  const raw = checked(validators.limits, value, 'limits');
  return { data: limitOf(raw.data), smsMt: limitOf(raw.smsMt), smsMo: limitOf(raw.smsMo), raw };
}
