/** Row types of the fleet: provider accounts, SIMs and what is stored about each (usage, quotas, connectivity, events). */
import type { Generated, GeneratedAlways } from 'kysely';
import type { DateString, GeneratedJson, GeneratedTimestamp, Json, JsonObject, Numeric, Timestamp } from './columns.js';

export type SimSource = 'provider' | 'manual';

export type ConnectivityStatus = 'ONLINE' | 'ATTACHED' | 'OFFLINE' | 'BLOCKED' | 'UNKNOWN';

export type IngestSource = 'poll' | 'stream';

export type TrafficType = 'data' | 'sms';

export type QuotaService = 'data' | 'sms';

export type ConnectivityResetStatus = 'requested' | 'completed' | 'failed';

export type EventSeverity = 'INFO' | 'WARN' | 'CRITICAL';

export interface ProviderAccountsTable {
  id: Generated<string>;
  name: string;
  provider: Generated<string>;
  api_url: string;
  client_id: string;
  /** AES-256-GCM output encoded by the app; never plaintext. */
  secret_ciphertext: string;
  is_default: Generated<boolean>;
  is_active: Generated<boolean>;
  last_verified_at: Timestamp | null;
  last_error: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface SimsTable {
  id: Generated<number>;
  account_id: string;
  /** 19 digits, 1NCE's form. */
  iccid: string;
  /** 20 digits: `iccid` plus its Luhn check digit. */
  iccid_with_luhn: string | null;
  imsi: string | null;
  imsi_2: string | null;
  current_imsi: string | null;
  msisdn: string | null;
  imei: string | null;
  imei_lock: Generated<boolean>;
  /** Raw provider status string (Enabled, Disabled, Activated, ...). */
  status: string | null;
  activation_date: Timestamp | null;
  ip_address: string | null;
  current_quota_mb: Numeric | null;
  quota_status_id: number | null;
  quota_status_description: string | null;
  current_quota_sms: number | null;
  quota_status_sms_id: number | null;
  quota_status_sms_description: string | null;
  label: string | null;
  tags: Generated<string[]>;
  custom_fields: GeneratedJson<JsonObject>;
  provider_raw: Json | null;
  connectivity_status: ConnectivityStatus | null;
  last_seen_at: Timestamp | null;
  data_total_bytes: number | null;
  data_remaining_bytes: number | null;
  sms_total: number | null;
  sms_remaining: number | null;
  data_expiry_date: Timestamp | null;
  /** Network of the latest connectivity snapshot that named one (0014). */
  operator_name: string | null;
  country_name: string | null;
  country_iso: string | null;
  /** Stored generated column: percent of data remaining (2 decimals), null when total unknown or 0. */
  data_remaining_pct: GeneratedAlways<string | null>;
  source: Generated<SimSource>;
  last_synced_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface SimUsageTable {
  sim_id: number;
  day: DateString;
  data_rx_bytes: Generated<number>;
  data_tx_bytes: Generated<number>;
  data_total_bytes: Generated<number>;
  sms_mo: Generated<number>;
  sms_mt: Generated<number>;
  source: IngestSource;
  synced_at: GeneratedTimestamp;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface UsageRecordsTable {
  record_id: string;
  started_at: Timestamp;
  ended_at: Timestamp | null;
  sim_id: number | null;
  iccid: string | null;
  imsi: string | null;
  traffic_type: TrafficType;
  rx_bytes: number | null;
  tx_bytes: number | null;
  total_bytes: number | null;
  sms_count: number | null;
  operator: string | null;
  country: string | null;
  rat: string | null;
  /** Records stored before 0012; streamed records point into their payload instead. */
  raw: Json | null;
  /** The stream payload holding this record verbatim (0012), and its position in that batch. */
  payload_id: number | null;
  payload_index: number | null;
  received_at: GeneratedTimestamp;
  created_at: GeneratedTimestamp;
}

/** Snapshot history. Volumes are bytes for `data`, messages for `sms`; remaining may be negative. */
export interface SimQuotasTable {
  sim_id: number;
  service: QuotaService;
  captured_at: GeneratedTimestamp;
  volume_total: number | null;
  volume_remaining: number | null;
  volume_used: number | null;
  last_volume_added: number | null;
  expiry_date: Timestamp | null;
  threshold_percentage: number | null;
  threshold_volume: number | null;
  peak_throughput: number | null;
  status: string | null;
  last_status_change_date: Timestamp | null;
  raw: Json | null;
  created_at: GeneratedTimestamp;
}

export interface SimConnectivityTable {
  sim_id: number;
  observed_at: GeneratedTimestamp;
  status: ConnectivityStatus;
  operator_name: string | null;
  operator_id: string | null;
  country_name: string | null;
  country_iso: string | null;
  mcc: string | null;
  mnc: string | null;
  rat: string | null;
  pdp_context: Json | null;
  location: Json | null;
  services: string[] | null;
  raw: Json | null;
  created_at: GeneratedTimestamp;
}

export interface ConnectivityResetsTable {
  id: Generated<string>;
  sim_id: number;
  requested_at: GeneratedTimestamp;
  requested_by_user_id: number | null;
  status: Generated<ConnectivityResetStatus>;
  completed_at: Timestamp | null;
  detail: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface SimEventsTable {
  /** Provider event id, or the app's deterministic hash for v1 events without one. */
  event_key: string;
  occurred_at: Timestamp;
  sim_id: number | null;
  iccid: string | null;
  event_type_id: number | null;
  event_type: string | null;
  severity: EventSeverity | null;
  severity_id: number | null;
  /** Provider's event_source description (Network, Policy Control, API). */
  event_source: string | null;
  event_source_id: number | null;
  /** How the event reached us. */
  source: IngestSource;
  alert: Generated<boolean>;
  description: string | null;
  /** Polled events (and streamed ones stored before 0012); streamed events point into their payload. */
  raw: Json | null;
  payload_id: number | null;
  payload_index: number | null;
  received_at: GeneratedTimestamp;
  created_at: GeneratedTimestamp;
}
