/**
 * JSON shapes of 1NCE's answers (reference §6, §7, §9, §11), built from the model. Field order
 * follows recorded traffic; optional fields are omitted, never null, in v1.
 */
import type { SimulatorMode } from '../config.js';
import { DAY_MS, dayString, isoDate, mbNumber, mbString, quotaDate, springDate } from './formats.js';
import { EVENT_TYPES, connectivityAt, lastLocationUpdate, operatorAt, type NetworkEvent, type Operator } from './network-model.js';
import { intBetween, unit } from './prng.js';
import type { SimStore } from './sim-store.js';
import { QUOTA_STATUS_TEXT, lastQuotaChange, quotaStatusId, type SmsView } from './sim-views.js';
import { dataQuotaAt, smsQuotaAt, usageBetween, type SimTimeline } from './usage-model.js';

const HOUR_MS = 3_600_000;

/** v1 `SIM_card` (also v2 `SimsSim`). */
export function simCard(store: SimStore, index: number, nowMs: number): Record<string, unknown> {
  const view = store.view(index);
  const t = store.timeline(index);
  const data = dataQuotaAt(t, nowMs);
  const sms = smsQuotaAt(t, nowMs);
  const dataStatus = quotaStatusId(data);
  const smsStatus = quotaStatusId(sms);
  const b = view.base;
  return {
    iccid: b.iccid,
    iccid_with_luhn: b.iccidWithLuhn,
    imsi: b.imsi,
    msisdn: b.msisdn,
    ...(b.imei === undefined ? {} : { imei: b.imei }),
    imei_lock: view.imeiLock,
    status: view.status,
    activation_date: springDate(b.activationMs),
    ip_address: b.ipAddress,
    current_quota: mbNumber(data.total),
    quota_status: { id: dataStatus, description: QUOTA_STATUS_TEXT[dataStatus] },
    current_quota_SMS: sms.total,
    quota_status_SMS: { id: smsStatus, description: QUOTA_STATUS_TEXT[smsStatus] },
    ...(view.label === undefined ? {} : { label: view.label }),
  };
}

/** v1 `Quota` for data or SMS. */
export function quotaV1(store: SimStore, index: number, kind: 'data' | 'sms', nowMs: number, mode: SimulatorMode): Record<string, unknown> {
  const t = store.timeline(index);
  const q = kind === 'data' ? dataQuotaAt(t, nowMs) : smsQuotaAt(t, nowMs);
  const value = (v: number) => (kind === 'data' ? mbNumber(v) : v);
  return {
    volume: value(Math.max(0, q.remaining)),
    total_volume: value(q.total),
    expiry_date: quotaDate(mode, store.view(index).expiryMs),
    ...(kind === 'data' ? { peak_throughput: 128000 } : {}),
    last_volume_added: value(q.lastAdded),
    last_status_change_date: quotaDate(mode, lastQuotaChange(t, kind, nowMs)),
    threshold_percentage: 20,
  };
}

/** v2 `SimsQuota`: status 0 EXHAUSTED, 1 ACTIVE, 2 EXPIRED (the spec's text mapping). */
export function quotaV2(store: SimStore, index: number, kind: 'data' | 'sms', nowMs: number): Record<string, unknown> {
  const t = store.timeline(index);
  const q = kind === 'data' ? dataQuotaAt(t, nowMs) : smsQuotaAt(t, nowMs);
  const value = (v: number) => (kind === 'data' ? mbNumber(v) : v);
  const expiryMs = store.view(index).expiryMs;
  const status = nowMs >= expiryMs ? { id: 2, description: 'EXPIRED' } : q.remaining <= 0 ? { id: 0, description: 'EXHAUSTED' } : { id: 1, description: 'ACTIVE' };
  return {
    id: t.base.index * 2 + (kind === 'data' ? 1 : 2),
    status,
    volume: value(q.remaining),
    total_volume: value(q.total),
    accumulated_total_volume: value(q.accumulated),
    last_volume_added: value(q.lastAdded),
    service: kind,
    threshold_percentage: 20,
    threshold_volume: kind === 'data' ? mbNumber(q.total * 0.2) : Math.round(q.total * 0.2),
    expiry_date: isoDate(expiryMs),
    created_at: isoDate(q.segmentStartMs === t.epochMs && t.segments.length === 1 ? t.base.activationMs : q.segmentStartMs),
  };
}

function sessionStart(t: SimTimeline, nowMs: number): number {
  const hour = Math.floor(nowMs / HOUR_MS);
  return Math.max(t.base.activationMs, hour * HOUR_MS - intBetween(0, 3000, t.seed, t.base.index, hour, 501) * 1000);
}

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

function cell(t: SimTimeline, nowMs: number): { lac: number; cid: number } {
  const day = Math.floor(nowMs / DAY_MS);
  return { lac: intBetween(1000, 60000, t.seed, t.base.index, day, 502), cid: intBetween(1, 65000, t.seed, t.base.index, day, 503) };
}

/** v1 `Connectivity` (status endpoint). */
export function statusV1(store: SimStore, index: number, nowMs: number, mode: SimulatorMode): Record<string, unknown> {
  const t = store.timeline(index);
  const status = connectivityAt(t, nowMs);
  const op = operatorAt(t, nowMs);
  const seenMs = lastLocationUpdate(t, nowMs);
  const result: Record<string, unknown> = { status };
  if (t.base.profile !== 'idle' || status !== 'OFFLINE') {
    result.location = {
      iccid: t.base.iccid,
      imsi: t.base.imsi,
      last_updated: quotaDate(mode, seenMs),
      last_updated_gprs: quotaDate(mode, seenMs - intBetween(0, 7200, t.seed, t.base.index, 504) * 1000),
      sgsn_number: `${op.country.countryCode}${String(intBetween(100000000, 999999999, t.seed, op.id, 505))}`,
      sgsn_number_np: '1',
      operator_id: String(op.id),
      operator: { id: op.id, name: op.name, country: { id: op.country.id, name: op.country.name, iso_code: op.country.isoCode } },
      country: countryV1(op),
      sgsn_ip_address: op.sgsnIp,
    };
  }
  if (status === 'ONLINE') result.pdp_context = pdpContextV1(t, nowMs, op);
  result.services = status === 'OFFLINE' ? [] : ['GPRS'];
  return result;
}

function countryV1(op: Operator) {
  const c = op.country;
  return { country_id: String(c.id), name: c.name, country_code: c.countryCode, mcc: c.mcc, iso_code: c.isoCode, latitude: c.latitude, longitude: c.longitude };
}

function pdpContextV1(t: SimTimeline, nowMs: number, op: Operator): Record<string, unknown> {
  const created = sessionStart(t, nowMs);
  const { lac, cid } = cell(t, nowMs);
  const teid = String(intBetween(1000, 999999, t.seed, t.base.index, Math.floor(created / 1000), 506));
  return {
    pdp_context_id: String(intBetween(10000, 9999999, t.seed, t.base.index, Math.floor(created / 1000), 507)),
    endpoint_id: String(t.base.endpointId),
    tariff_profile_id: '1',
    tariff_id: '398',
    ratezone_id: '2067',
    organisation_id: '4567',
    imsi_id: String(t.base.imsiId),
    imsi: t.base.imsi,
    sim_id: String(t.base.simId),
    teid_data_plane: teid,
    teid_control_plane: teid,
    gtp_version: '1',
    nsapi: '5',
    sgsn_control_plane_ip_address: op.sgsnIp,
    sgsn_data_plane_ip_address: op.sgsnIp,
    ggsn_control_plane_ip_address: '185.43.32.10',
    ggsn_data_plane_ip_address: '185.43.32.11',
    created: springDate(created),
    mcc: op.country.mcc,
    mnc: op.mnc,
    operator_id: String(op.id),
    lac: String(lac),
    ci: String(cid),
    ue_ip_address: t.base.ipAddress,
    ...(t.base.imei === undefined ? {} : { imeisv: t.base.imei.slice(0, 14) + '01' }),
    duration: duration(nowMs - created),
    rat_type: { rat_type_id: '6', description: '4G' },
  };
}

/** v2 `SimsConnectivityDetail`: object status and an array of PDP contexts. */
export function statusV2(store: SimStore, index: number, nowMs: number): Record<string, unknown> {
  const t = store.timeline(index);
  const status = connectivityAt(t, nowMs);
  const op = operatorAt(t, nowMs);
  const seenMs = lastLocationUpdate(t, nowMs);
  const exhausted = dataQuotaAt(t, nowMs).remaining <= 0;
  const { lac, cid } = cell(t, nowMs);
  const created = sessionStart(t, nowMs);
  const teid = String(intBetween(1000, 999999, t.seed, t.base.index, Math.floor(created / 1000), 506));
  return {
    status: { description: status },
    data_traffic_limit_state: { description: exhausted ? 'REACHED' : 'NOT_REACHED' },
    location: {
      iccid: t.base.iccid,
      imsi: t.base.imsi,
      last_updated: isoDate(seenMs),
      sgsn_number: `mmec01.mmegi8001.mme.epc.mnc${op.mnc.padStart(3, '0')}.mcc${op.country.mcc}.3gppnetwork.org`,
      operator_id: String(op.id),
      sgsn_ip_address: op.sgsnIp,
      operator: { id: op.id, name: op.name, mnc: op.mnc, country: { id: op.country.id, name: op.country.name, iso_code: op.country.isoCode } },
      country: { country_id: String(op.country.id), name: op.country.name, country_code: op.country.countryCode, mcc: op.country.mcc, iso_code: op.country.isoCode },
    },
    pdp_contexts:
      status === 'ONLINE'
        ? [
            {
              pdp_context_id: String(intBetween(10000, 9999999, t.seed, t.base.index, Math.floor(created / 1000), 507)),
              endpoint_id: String(t.base.endpointId),
              tariff_id: '398',
              ratezone_id: '2067',
              organisation_id: '4567',
              imsi_id: String(t.base.imsiId),
              imsi: t.base.imsi,
              sim_id: String(t.base.simId),
              tx_teid_data_plane: teid,
              tx_teid_control_plane: teid,
              rx_teid: teid,
              rx_teid_data_plane: teid,
              rx_teid_control_plane: teid,
              gtp_version: '2',
              nsapi: '5',
              sgsn_control_plane_ip_address: op.sgsnIp,
              sgsn_data_plane_ip_address: op.sgsnIp,
              ggsn_control_plane_ip_address: '185.43.32.10',
              ggsn_data_plane_ip_address: '185.43.32.11',
              created: isoDate(created),
              mcc: op.country.mcc,
              mnc: op.mnc,
              operator_id: String(op.id),
              lac: String(lac),
              ci: String(cid),
              sac: '0',
              rac: '0',
              ue_ip_address: t.base.ipAddress,
              imeisv: t.base.imei === undefined ? '' : t.base.imei.slice(0, 14) + '01',
              rat_type: { rat_type_id: 6, description: '4G' },
              region: 'eu-central-1',
              apn: 'iot.1nce.net',
              ipcan_session_id: String(intBetween(1, 99999, t.seed, t.base.index, 508)),
            },
          ]
        : [],
    services: status === 'OFFLINE' ? [] : ['GPRS'],
  };
}

/** v1 `ConnectivityInfo` (2G/3G network query). */
export function connectivityInfo(store: SimStore, index: number, nowMs: number, subscriber: boolean, ussd: boolean): Record<string, unknown> {
  const t = store.timeline(index);
  const status = connectivityAt(t, nowMs);
  const op = operatorAt(t, nowMs);
  const { lac, cid } = cell(t, nowMs);
  const result: Record<string, unknown> = {};
  if (subscriber) {
    result.subscriber_info =
      status === 'OFFLINE'
        ? { success: true, state: 'not_provided_from_vlr' }
        : {
            success: true,
            state: status === 'ONLINE' ? 'assumed_idle' : 'camped_on_cell',
            location: { current_location_retrieved: false, age_of_location: intBetween(0, 30, t.seed, index, 509), cell_global_id: { mcc: op.country.mcc, mnc: String(Number(op.mnc)), lac, cid } },
          };
  }
  if (ussd) result.ussd_info = status === 'OFFLINE' ? { success: false, error: 'Absent subscriber' } : { success: true };
  result.request_timestamp = springDate(nowMs);
  result.reply_timestamp = springDate(nowMs + 202);
  return result;
}

/** v1 `DailyUsage`: rows from `lastDay` down to `firstDay`, then the TOTAL row; values are strings. */
export function usageV1(store: SimStore, index: number, firstDay: number, lastDay: number, nowMs: number): { stats: unknown[] } {
  const t = store.timeline(index);
  const rows: unknown[] = [];
  const total = { data: 0, tx: 0, mo: 0, mt: 0 };
  for (let day = lastDay; day >= firstDay; day--) {
    const u = usageBetween(t, day * DAY_MS, Math.min((day + 1) * DAY_MS, nowMs));
    // Devices mostly send: the upstream share varies per day between 55 and 85 %.
    const tx = Math.round(u.dataMicro * (0.55 + 0.3 * unit(t.seed, index, day, 601)));
    total.data += u.dataMicro;
    total.tx += tx;
    total.mo += u.mo;
    total.mt += u.mt;
    rows.push(usageRow(dayString(day), u.dataMicro, tx, u.mo, u.mt));
  }
  rows.push(usageRow('TOTAL', total.data, total.tx, total.mo, total.mt));
  return { stats: rows };
}

function usageRow(date: string, data: number, tx: number, mo: number, mt: number) {
  return {
    date,
    data: { volume: mbString(data), volume_tx: mbString(tx), volume_rx: mbString(data - tx) },
    sms: { volume: String(mo + mt), volume_tx: String(mt), volume_rx: String(mo) },
  };
}

const SEVERITY_V1 = ['Info', 'Warn', 'Critical'];
const SEVERITY = ['INFO', 'WARN', 'CRITICAL'];
const SOURCE = ['Network', 'Policy Control', 'API'];

/** v1 flat `SIM_Event` with string descriptions. */
export function eventV1(t: SimTimeline, e: NetworkEvent): Record<string, unknown> {
  const op = operatorAt(t, e.ms);
  return {
    timestamp: springDate(e.ms),
    event_type: e.description,
    iccid: t.base.iccid,
    ...(t.base.imei === undefined ? {} : { imei: t.base.imei }),
    imsi: t.base.imsi,
    country: op.country.name,
    operator: op.name,
    mcc: op.country.mcc,
    mnc: op.mnc,
    alert: e.alert,
    event_severity: SEVERITY_V1[e.severity] ?? 'Info',
  };
}

/** Nested event object shared by v2 (`Event`) and the Data Streamer (Platform 1 event record). */
export function eventNested(t: SimTimeline, e: NetworkEvent, organisation: { id: number; name: string }, forStreamer: boolean): Record<string, unknown> {
  const op = operatorAt(t, e.ms);
  const b = t.base;
  const detail = e.type === 1 ? { id: op.id, name: op.name, country: { id: op.country.id, name: op.country.name, country_code: op.country.countryCode, mcc: op.country.mcc, iso_code: op.country.isoCode }, mnc: [{ id: op.id * 10, mnc: op.mnc }], tapcode: [] } : null;
  return {
    id: e.id,
    ...(forStreamer ? { timestamp: streamerTs(e.ms) } : {}),
    event_type: { id: e.type, description: EVENT_TYPES[e.type] ?? 'Generic' },
    ...(forStreamer ? {} : { timestamp: isoDate(e.ms) }),
    alert: e.alert,
    user: null,
    description: e.description,
    event_source: { id: e.source, description: SOURCE[e.source] ?? 'Network' },
    event_severity: { id: e.severity, description: SEVERITY[e.severity] ?? 'INFO' },
    organisation,
    endpoint: { id: b.endpointId, name: b.iccid, ip_address: b.ipAddress, ...(forStreamer ? { tags: null } : {}), imei: b.imei ?? '' },
    sim: { id: b.simId, iccid: b.iccid, msisdn: b.msisdn, ...(forStreamer ? { production_date: streamerTs(b.activationMs - 30 * DAY_MS) } : {}) },
    imsi: { id: b.imsiId, imsi: b.imsi, ...(forStreamer ? { import_date: streamerTs(b.activationMs - 30 * DAY_MS) } : {}) },
    detail,
  };
}

function streamerTs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

/** v1 `SMS-Data`: string retry_count, `+0000` dates. */
export function smsV1(t: SimTimeline, s: SmsView): Record<string, unknown> {
  const r = s.record;
  const final = s.state.finalMs;
  return {
    id: r.id,
    submit_date: springDate(r.submitMs),
    ...(s.state.id === 4 && final !== undefined ? { delivery_date: springDate(final) } : {}),
    expiry_date: springDate(r.expiryMs),
    ...(final === undefined ? {} : { final_date: springDate(final), last_delivery_attempt: springDate(final) }),
    ...(s.state.id === 3 ? { retry_date: springDate(r.submitMs + (s.state.retries + 1) * HOUR_MS) } : {}),
    retry_count: String(s.state.retries),
    source_address: r.sourceAddress,
    iccid: t.base.iccid,
    msisdn: t.base.msisdn,
    imsi: '',
    msc: '',
    udh: r.udh,
    payload: r.payload,
    status: { id: s.state.id, description: s.state.description },
    sms_type: s.type === 'MT' ? { id: 1, description: 'MT' } : { id: 2, description: 'MO' },
    source_address_type: r.sourceAddressType === 145 ? { id: 145, description: 'International' } : r.sourceAddressType === 208 ? { id: 208, description: 'Alphanumeric' } : { id: 161, description: 'National' },
  };
}

/** v2 `SimsSms`: ISO dates, integer retry_count, no BUFFERED state (reported as PENDING). */
export function smsV2(t: SimTimeline, s: SmsView): Record<string, unknown> {
  const r = s.record;
  const final = s.state.finalMs;
  const state = s.state.id === 3 ? { id: 2, description: 'PENDING' } : { id: s.state.id, description: s.state.description };
  return {
    submit_date: isoDate(r.submitMs),
    delivery_date: s.state.id === 4 && final !== undefined ? isoDate(final) : null,
    expiry_date: isoDate(r.expiryMs),
    final_date: final === undefined ? null : isoDate(final),
    retry_date: s.state.id === 3 ? isoDate(r.submitMs + (s.state.retries + 1) * HOUR_MS) : null,
    last_delivery_attempt: final === undefined ? null : isoDate(final),
    retry_count: s.state.retries,
    gsm_map_error: null,
    dcs: r.dcs,
    pid: 0,
    source_address: r.sourceAddress,
    endpoint: { id: t.base.endpointId, name: t.base.iccid },
    sim_id: t.base.simId,
    iccid: t.base.iccid,
    msisdn: t.base.msisdn,
    imsi: t.base.imsi,
    msc: 491770940000,
    udh: r.udh,
    payload: r.payload,
    id: r.id,
    status: state,
    sms_type: s.type === 'MT' ? { id: 1, description: 'MT' } : { id: 2, description: 'MO' },
    source_address_type: r.sourceAddressType === 145 ? { id: 145, description: 'International' } : r.sourceAddressType === 208 ? { id: 208, description: 'Alphanumeric' } : { id: 161, description: 'National' },
  };
}
