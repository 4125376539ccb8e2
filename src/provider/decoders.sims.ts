/**
 * Decoders of 1NCE's SIM payloads: a SIM, its connectivity (status and the detailed info), its
 * daily usage and its quotas.
 */
import type { Static } from 'typebox';
import {
  DecodeError,
  checked,
  parseProviderDate,
  toNumber,
  toInt,
  toIdString,
  str,
  bool,
  bytes,
} from './decode.js';
import { validators, type RawQuotaStatus } from './provider.schemas.js';
import type {
  ConnectivityStatus,
  ProviderConnectivity,
  ProviderConnectivityInfo,
  ProviderPdpContext,
  ProviderQuota,
  ProviderQuotaStatus,
  ProviderSim,
  ProviderUsage,
  ProviderUsageRow,
  QuotaState,
  SimState,
} from './provider.types.js';

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

const CONNECTIVITY: ReadonlySet<string> = new Set(['ONLINE', 'ATTACHED', 'OFFLINE', 'BLOCKED']);

function ratOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object') {
    const rat = value as { description?: unknown; rat_type_id?: unknown };
    if (typeof rat.description === 'string' && rat.description !== '') return rat.description;
    return ratOf(rat.rat_type_id);
  }
  // Data Streamer numeric codes (1 3G, 2 2G, 5 HSPA+, 6 LTE, 8 NB-IoT, 9 CAT-M).
  const names: Record<string, string> = {
    '1': '3G',
    '2': '2G',
    '5': 'HSPA+',
    '6': '4G',
    '8': 'NB-IoT',
    '9': 'LTE-M',
  };
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
  const location =
    subscriber?.location ??
    (subscriber?.cell_global_id == null && subscriber?.age_of_location == null ? null : subscriber);
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
                : {
                    mcc: toIdString(cgi.mcc),
                    mnc: toIdString(cgi.mnc),
                    lac: toInt(cgi.lac),
                    cid: toInt(cgi.cid),
                  },
          },
    ussd:
      raw.ussd_info == null
        ? null
        : { success: bool(raw.ussd_info.success), error: str(raw.ussd_info.error) },
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
