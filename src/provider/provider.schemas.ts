/**
 * Wire-format schemas of the 1NCE Management API (v1 and v2), written from the public fact base,
 * deliberately tolerant: only fields we cannot work without are required, numbers may arrive as
 * strings, optional fields may be omitted or null, enums are open strings, extra fields pass.
 * Validators are compiled once at import so decoding 100,000 SIMs stays cheap.
 */
import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';

/** A number 1NCE sometimes sends as a decimal string ("0.002803", "3"). */
const Numeric = Type.Union([Type.Number(), Type.String()]);
const OptNumeric = Type.Optional(Type.Union([Type.Number(), Type.String(), Type.Null()]));
const OptString = Type.Optional(Type.Union([Type.String(), Type.Null()]));
/** Ids are integers in some payloads and strings in others. */
const OptId = Type.Optional(Type.Union([Type.Number(), Type.String(), Type.Null()]));
const OptBool = Type.Optional(Type.Union([Type.Boolean(), Type.String(), Type.Null()]));
/** `{id, description}` pairs used for statuses, types, severities. */
const IdDescription = Type.Object({ id: OptId, description: OptString });
const OptIdDescription = Type.Optional(Type.Union([IdDescription, Type.Null()]));

export const RawQuotaStatus = Type.Object({
  id: OptId,
  description: OptString,
  threshold_reached_date: OptString,
  quota_exceeded_date: OptString,
});

/** `SIM_card` (v1) / `SimsSim` (v2). */
export const RawSim = Type.Object({
  iccid: Type.String({ minLength: 1 }),
  iccid_with_luhn: OptString,
  imsi: OptString,
  imsi_2: OptString,
  current_imsi: OptString,
  msisdn: OptString,
  imei: OptString,
  imei_lock: OptBool,
  status: OptString,
  activation_date: OptString,
  ip_address: OptString,
  current_quota: OptNumeric,
  quota_status: Type.Optional(Type.Union([RawQuotaStatus, Type.Null()])),
  current_quota_SMS: OptNumeric,
  quota_status_SMS: Type.Optional(Type.Union([RawQuotaStatus, Type.Null()])),
  label: OptString,
});
export type RawSim = Static<typeof RawSim>;

const RawCountry = Type.Object({
  id: OptId,
  country_id: OptId,
  name: OptString,
  country_code: OptString,
  mcc: OptId,
  iso_code: OptString,
});

const RawOperator = Type.Object({
  id: OptId,
  name: OptString,
  mnc: OptId,
  country: Type.Optional(Type.Union([RawCountry, Type.Null()])),
});

const RawRatType = Type.Object({ rat_type_id: OptId, description: OptString });

const RawPdpContext = Type.Object({
  pdp_context_id: OptId,
  created: OptString,
  ue_ip_address: OptString,
  apn: OptString,
  imeisv: OptString,
  mcc: OptId,
  mnc: OptId,
  region: OptString,
  rat_type: Type.Optional(Type.Union([RawRatType, Type.Number(), Type.String(), Type.Null()])),
});

const RawLocation = Type.Object({
  last_updated: OptString,
  last_updated_gprs: OptString,
  operator_id: OptId,
  operator: Type.Optional(Type.Union([RawOperator, Type.Null()])),
  country: Type.Optional(Type.Union([RawCountry, Type.Null()])),
});

/** `Connectivity` (v1: status string, `pdp_context`) and `SimsConnectivityDetail` (v2: status object, `pdp_contexts[]`). */
export const RawConnectivity = Type.Object({
  status: Type.Union([Type.String(), Type.Object({ description: OptString })]),
  data_traffic_limit_state: Type.Optional(Type.Union([Type.Object({ description: OptString }), Type.Null()])),
  location: Type.Optional(Type.Union([RawLocation, Type.Null()])),
  pdp_context: Type.Optional(Type.Union([RawPdpContext, Type.Null()])),
  pdp_contexts: Type.Optional(Type.Union([Type.Array(RawPdpContext), Type.Null()])),
  services: Type.Optional(Type.Union([Type.Array(Type.String()), Type.Null()])),
});
export type RawConnectivity = Static<typeof RawConnectivity>;

const RawCellGlobalId = Type.Object({ mcc: OptId, mnc: OptId, lac: OptId, cid: OptId });
const RawSubscriberLocation = Type.Object({
  current_location_retrieved: OptBool,
  age_of_location: OptNumeric,
  cell_global_id: Type.Optional(Type.Union([RawCellGlobalId, Type.Null()])),
});

/** `ConnectivityInfo` (v1 only). Older variant put the location fields directly under subscriber_info. */
export const RawConnectivityInfo = Type.Object({
  subscriber_info: Type.Optional(
    Type.Union([
      Type.Object({
        success: OptBool,
        state: OptString,
        error: OptString,
        location: Type.Optional(Type.Union([RawSubscriberLocation, Type.Null()])),
        current_location_retrieved: OptBool,
        age_of_location: OptNumeric,
        cell_global_id: Type.Optional(Type.Union([RawCellGlobalId, Type.Null()])),
      }),
      Type.Null(),
    ]),
  ),
  ussd_info: Type.Optional(Type.Union([Type.Object({ success: OptBool, error: OptString }), Type.Null()])),
  request_timestamp: OptString,
  reply_timestamp: OptString,
});
export type RawConnectivityInfo = Static<typeof RawConnectivityInfo>;

const RawVolume = Type.Object({ volume: OptNumeric, volume_tx: OptNumeric, volume_rx: OptNumeric });
export const RawUsageRow = Type.Object({
  date: Type.String(),
  data: Type.Optional(Type.Union([RawVolume, Type.Null()])),
  sms: Type.Optional(Type.Union([RawVolume, Type.Null()])),
});
/** `DailyUsage` (v1 only): daily rows plus a `"TOTAL"` row; volumes are decimal strings. */
export const RawUsage = Type.Object({ stats: Type.Array(RawUsageRow) });
export type RawUsage = Static<typeof RawUsage>;

/** `Quota` (v1) and `SimsQuota` (v2; adds id, status, service, accumulated totals; volume may be negative). */
export const RawQuota = Type.Object({
  id: OptId,
  status: Type.Optional(Type.Union([IdDescription, Type.String(), Type.Null()])),
  volume: Numeric,
  total_volume: OptNumeric,
  accumulated_total_volume: OptNumeric,
  last_volume_added: OptNumeric,
  service: OptString,
  threshold_percentage: OptNumeric,
  threshold_volume: OptNumeric,
  peak_throughput: OptNumeric,
  expiry_date: OptString,
  created_at: OptString,
  last_status_change_date: OptString,
});
export type RawQuota = Static<typeof RawQuota>;

/** `SMS-Data` (v1) / `SimsSms` (v2). */
export const RawSms = Type.Object({
  id: Type.Union([Type.Number(), Type.String()]),
  iccid: OptString,
  msisdn: OptString,
  submit_date: OptString,
  delivery_date: OptString,
  expiry_date: OptString,
  final_date: OptString,
  retry_date: OptString,
  last_delivery_attempt: OptString,
  retry_count: OptNumeric,
  source_address: OptString,
  payload: OptString,
  udh: OptString,
  dcs: OptNumeric,
  gsm_map_error: OptString,
  status: OptIdDescription,
  sms_type: OptIdDescription,
});
export type RawSms = Static<typeof RawSms>;

/** `{ "id": "..." }` returned by v2 SMS create and SMS delete. */
export const RawIdResponse = Type.Object({ id: Type.Union([Type.Number(), Type.String()]) });

/** `Event` (v2, nested objects) and `SIM_Event` (v1, flat strings); both tolerated. */
export const RawEvent = Type.Object({
  id: OptId,
  timestamp: Type.String(),
  alert: OptBool,
  description: OptString,
  user: OptString,
  event_type: Type.Optional(Type.Union([IdDescription, Type.String(), Type.Null()])),
  event_source: Type.Optional(Type.Union([IdDescription, Type.String(), Type.Null()])),
  event_severity: Type.Optional(Type.Union([IdDescription, Type.String(), Type.Null()])),
  organisation: Type.Optional(Type.Union([Type.Object({ id: OptId, name: OptString }), Type.Null()])),
  endpoint: Type.Optional(
    Type.Union([Type.Object({ id: OptId, name: OptString, ip_address: OptString, imei: OptString }), Type.Null()]),
  ),
  sim: Type.Optional(Type.Union([Type.Object({ id: OptId, iccid: OptString, msisdn: OptString }), Type.Null()])),
  imsi: Type.Optional(Type.Union([Type.Object({ id: OptId, imsi: OptString }), Type.String(), Type.Null()])),
  iccid: OptString,
  imei: OptString,
  detail: Type.Optional(Type.Unknown()),
});
export type RawEvent = Static<typeof RawEvent>;
/** v1 events envelope `{events, totalEvents, totalPages}`. */
export const RawEventEnvelope = Type.Object({
  events: Type.Array(Type.Unknown()),
  totalEvents: OptNumeric,
  totalPages: OptNumeric,
});

const RawOrderProduct = Type.Object({ product_id: OptId, productId: OptId, quantity: OptNumeric });
/** `Order` (v1 order management). */
export const RawOrder = Type.Object({
  order_number: Type.Union([Type.Number(), Type.String()]),
  order_type: OptString,
  order_date: OptString,
  order_status: OptString,
  invoice_number: OptString,
  invoice_amount: OptNumeric,
  currency: OptString,
  sims: Type.Optional(Type.Union([Type.Array(Type.Object({ iccid: OptString })), Type.Null()])),
  products: Type.Optional(Type.Union([Type.Array(RawOrderProduct), Type.Null()])),
});
export type RawOrder = Static<typeof RawOrder>;

const RawCharge = Type.Object({ name: OptString, amount_net: OptNumeric, currency: OptString });
/** `Product` (v1 product information). */
export const RawProduct = Type.Object({
  id: Type.Union([Type.Number(), Type.String()]),
  product: OptString,
  material: OptString,
  package_size: OptNumeric,
  minQuantity: OptNumeric,
  maxQuantity: OptNumeric,
  maxQuantityPerCustomer: OptNumeric,
  min_contract_duration: OptNumeric,
  one_time_charges: Type.Optional(Type.Union([Type.Array(RawCharge), Type.Null()])),
  recurring_charges: Type.Optional(Type.Union([Type.Array(RawCharge), Type.Null()])),
});
export type RawProduct = Static<typeof RawProduct>;

const RawCommunication = Type.Object({
  id: OptId,
  communicationDate: OptString,
  direction: OptString,
  originator: OptString,
  subject: OptString,
  text: OptString,
  type: OptString,
});
/** `Service_request` (v1 support management). */
export const RawSupportTicket = Type.Object({
  caseId: Type.Union([Type.String(), Type.Number()]),
  subject: OptString,
  text: OptString,
  status: OptString,
  createDate: OptString,
  solvedDate: OptString,
  communications: Type.Optional(Type.Union([Type.Array(RawCommunication), Type.Null()])),
});
export type RawSupportTicket = Static<typeof RawSupportTicket>;

const RawLimit = Type.Object({ id: OptId, limit: OptNumeric, unit: OptString });
/** `Values_for_Limits` (v1): organisation-wide self-set monthly limits. */
export const RawLimits = Type.Object({
  data: Type.Optional(Type.Union([RawLimit, Type.Null()])),
  smsMt: Type.Optional(Type.Union([RawLimit, Type.Null()])),
  smsMo: Type.Optional(Type.Union([RawLimit, Type.Null()])),
});
export type RawLimits = Static<typeof RawLimits>;

/** Token endpoint 200 body. */
export const RawToken = Type.Object({
  access_token: Type.String({ minLength: 1 }),
  token_type: OptString,
  expires_in: OptNumeric,
});
export type RawToken = Static<typeof RawToken>;

/** A compiled validator with a cheap check and a lazily computed first error for messages. */
export interface Validator<T> {
  check(value: unknown): value is T;
  firstError(value: unknown): string;
}

function compile<S extends TSchema>(schema: S): Validator<Static<S>> {
  const compiled = Compile(schema);
  return {
    check: (value: unknown): value is Static<S> => compiled.Check(value),
    firstError(value) {
      for (const error of compiled.Errors(value)) return `${error.instancePath || '/'} ${error.message}`;
      return 'invalid value';
    },
  };
}

/** Compiled validators, one per wire schema. */
export const validators = {
  sim: compile(RawSim),
  connectivity: compile(RawConnectivity),
  connectivityInfo: compile(RawConnectivityInfo),
  usage: compile(RawUsage),
  quota: compile(RawQuota),
  sms: compile(RawSms),
  idResponse: compile(RawIdResponse),
  event: compile(RawEvent),
  eventEnvelope: compile(RawEventEnvelope),
  order: compile(RawOrder),
  product: compile(RawProduct),
  supportTicket: compile(RawSupportTicket),
  limits: compile(RawLimits),
  token: compile(RawToken),
};
