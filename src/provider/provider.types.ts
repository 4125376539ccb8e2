/**
 * Normalised domain types the client hands out: camelCase, Date objects, data volumes in integer
 * bytes, SMS as counts, open enums folded into known values plus the provider's original string.
 * Every record keeps the raw provider object in `raw` so callers can store it verbatim.
 */
import type {
  RawConnectivity,
  RawConnectivityInfo,
  RawEvent,
  RawLimits,
  RawOrder,
  RawProduct,
  RawQuota,
  RawSim,
  RawSms,
  RawSupportTicket,
  RawUsage,
} from './provider.schemas.js';

/** Scheduling class of a call: interactive work is served before bulk, bulk before background. */
export type Priority = 'interactive' | 'bulk' | 'background';

/** Per-call options accepted by every client method. */
export interface CallOptions {
  priority?: Priority;
  signal?: AbortSignal;
}

/** SIM state folded from 1NCE's open status string (`Enabled`, `Activated`, `Disabled`, `Deactivated`, `Expired`...). */
export type SimState = 'enabled' | 'disabled' | 'expired' | 'unknown';

export interface ProviderQuotaStatus {
  /** 0 = more than 20 % left, 1 = less than 20 %, 2 = nothing left. */
  id: number | null;
  description: string | null;
  thresholdReachedAt: Date | null;
  exceededAt: Date | null;
}

export interface ProviderSim {
  iccid: string;
  iccidWithLuhn: string | null;
  imsi: string | null;
  imsi2: string | null;
  currentImsi: string | null;
  msisdn: string | null;
  imei: string | null;
  imeiLock: boolean;
  state: SimState;
  /** 1NCE's status string as sent. */
  providerStatus: string | null;
  activationDate: Date | null;
  ipAddress: string | null;
  label: string | null;
  /** Overall data quota (`current_quota`, MB) in bytes. */
  dataQuotaBytes: number | null;
  smsQuota: number | null;
  dataQuotaStatus: ProviderQuotaStatus | null;
  smsQuotaStatus: ProviderQuotaStatus | null;
  raw: RawSim;
}

/** One page of a paged listing; totals come from the `X-Total-*` headers when 1NCE sends them. */
export interface ProviderPage<T> {
  items: T[];
  page: number;
  pageSize: number;
  totalPages: number | null;
  totalCount: number | null;
  /** Items dropped because they failed decoding (logged as warnings). */
  invalid: number;
}

export type ConnectivityStatus = 'ONLINE' | 'ATTACHED' | 'OFFLINE' | 'BLOCKED' | 'UNKNOWN';

export interface ProviderPdpContext {
  id: string | null;
  createdAt: Date | null;
  ueIpAddress: string | null;
  apn: string | null;
  imeisv: string | null;
  mcc: string | null;
  mnc: string | null;
  region: string | null;
  /** Radio access technology (`2G`, `3G`, `4G`, `5G`, `NB-IoT`, `LTE-M`...). */
  rat: string | null;
}

export interface ProviderConnectivity {
  status: ConnectivityStatus;
  providerStatus: string | null;
  /** v2 `data_traffic_limit_state`: true when the self-set monthly limit is reached. */
  trafficLimitReached: boolean | null;
  services: string[];
  operator: { id: string | null; name: string | null; mnc: string | null } | null;
  country: { name: string | null; isoCode: string | null; mcc: string | null; dialCode: string | null } | null;
  lastUpdated: Date | null;
  rat: string | null;
  pdpContext: ProviderPdpContext | null;
  raw: RawConnectivity;
}

export interface ProviderConnectivityInfo {
  success: boolean | null;
  state: string | null;
  error: string | null;
  location: {
    currentLocationRetrieved: boolean | null;
    ageOfLocationMinutes: number | null;
    cellGlobalId: { mcc: string | null; mnc: string | null; lac: number | null; cid: number | null } | null;
  } | null;
  ussd: { success: boolean | null; error: string | null } | null;
  requestedAt: Date | null;
  repliedAt: Date | null;
  raw: RawConnectivityInfo;
}

export interface ProviderUsageRow {
  /** `YYYY-MM-DD` (UTC day as reported by 1NCE). */
  date: string;
  dataBytes: number;
  /** Upstream, from the device. */
  dataTxBytes: number;
  /** Downstream, to the device. */
  dataRxBytes: number;
  smsCount: number;
  /** MT SMS (to the device). */
  smsTx: number;
  /** MO SMS (from the device). */
  smsRx: number;
}

export interface ProviderUsage {
  days: ProviderUsageRow[];
  total: Omit<ProviderUsageRow, 'date'> | null;
  raw: RawUsage;
}

export type QuotaState = 'ACTIVE' | 'EXHAUSTED' | 'EXPIRED' | 'UNKNOWN';

export interface ProviderQuota {
  service: 'data' | 'sms';
  /** Remaining volume: bytes for data, messages for SMS. May be negative (overuse). */
  remaining: number;
  total: number | null;
  accumulatedTotal: number | null;
  lastVolumeAdded: number | null;
  thresholdPercentage: number | null;
  thresholdVolume: number | null;
  /** Data only, bit/s. */
  peakThroughputBps: number | null;
  expiresAt: Date | null;
  createdAt: Date | null;
  lastStatusChangeAt: Date | null;
  state: QuotaState | null;
  raw: RawQuota;
}

export type SmsStatus = 'PENDING' | 'BUFFERED' | 'DELIVERED' | 'FAILED' | 'EXPIRED' | 'UNKNOWN';

export interface ProviderSms {
  id: string;
  iccid: string | null;
  msisdn: string | null;
  direction: 'MT' | 'MO' | 'UNKNOWN';
  status: SmsStatus;
  providerStatus: string | null;
  submittedAt: Date | null;
  deliveredAt: Date | null;
  expiresAt: Date | null;
  finalAt: Date | null;
  lastDeliveryAttemptAt: Date | null;
  retryCount: number | null;
  sourceAddress: string | null;
  payload: string | null;
  udh: string | null;
  dcs: number | null;
  raw: RawSms;
}

export interface SendSmsInput {
  payload: string;
  sourceAddress?: string;
  /** Hex user data header for concatenated SMS. */
  udh?: string;
  /** 0 = GSM 7-bit text, 4 = 8-bit binary (hex payload), 8 = UCS-2. */
  dcs?: 0 | 4 | 8;
  sourceAddressType?: 145 | 161 | 208;
  expiresAt?: Date;
}

export type EventSeverity = 'INFO' | 'WARN' | 'CRITICAL' | 'UNKNOWN';

export interface ProviderEvent {
  id: string | null;
  timestamp: Date | null;
  typeId: number | null;
  type: string | null;
  sourceId: number | null;
  source: string | null;
  severity: EventSeverity;
  alert: boolean;
  description: string | null;
  iccid: string | null;
  imsi: string | null;
  imei: string | null;
  ipAddress: string | null;
  detail: unknown;
  raw: RawEvent;
}

export interface ProviderOrder {
  orderNumber: string;
  type: string | null;
  status: string | null;
  orderedAt: Date | null;
  invoiceNumber: string | null;
  /** Gross amount as the decimal string 1NCE sends (money is never a float here). */
  invoiceAmount: string | null;
  currency: string | null;
  iccids: string[];
  products: Array<{ productId: string | null; quantity: number | null }>;
  raw: RawOrder;
}

export interface CreateOrderInput {
  products: Array<{ productId: number; quantity: number }>;
  deliveryAddress?: Record<string, string>;
  customerReference?: string;
}

export interface ProviderCharge {
  name: string | null;
  amountNet: number | null;
  currency: string | null;
}

export interface ProviderProduct {
  id: string;
  name: string | null;
  material: string | null;
  packageSize: number | null;
  minQuantity: number | null;
  maxQuantity: number | null;
  maxQuantityPerCustomer: number | null;
  minContractDurationMonths: number | null;
  oneTimeCharges: ProviderCharge[];
  recurringCharges: ProviderCharge[];
  raw: RawProduct;
}

export interface ProviderSupportTicket {
  caseId: string;
  subject: string | null;
  text: string | null;
  status: string | null;
  createdAt: Date | null;
  solvedAt: Date | null;
  communications: Array<{
    id: string | null;
    at: Date | null;
    direction: string | null;
    originator: string | null;
    subject: string | null;
    text: string | null;
    type: string | null;
  }>;
  raw: RawSupportTicket;
}

export interface CreateSupportTicketInput {
  replyToMail: string;
  senderName: string;
  subject: string;
  text: string;
}

export interface ProviderLimit {
  id: number | null;
  limit: number | null;
  unit: string | null;
}

export interface ProviderLimits {
  data: ProviderLimit | null;
  smsMt: ProviderLimit | null;
  smsMo: ProviderLimit | null;
  raw: RawLimits;
}

export interface SimUpdate {
  label?: string;
  status?: 'Enabled' | 'Disabled';
  imeiLock?: boolean;
}

export type PaymentMethod = 'banktransfer' | 'creditcard' | 'monthlyinvoice' | 'boleto';

/** Result of an order-creating call: the order number parsed from `Location` (null when 1NCE sent none). */
export interface OrderReference {
  orderNumber: string | null;
  location: string | null;
}

/** The OAuth token source the transport calls through (implemented by token-manager.ts). */
export interface TokenManager {
  /** A valid access token (cached or freshly fetched). */
  get(signal?: AbortSignal): Promise<string>;
  /** Forgets `token` because 1NCE rejected it; a newer token is kept. */
  invalidate(token: string): Promise<void>;
}
