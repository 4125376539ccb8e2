/**
 * Row types of every table, as Kysely sees them. Mirrors src/db/migrations/*.sql; docs/schema.md
 * explains each table and docs/adr/0003-schema-conventions.md the type choices.
 *
 * Driver contract (src/db/client.ts configures pg and PGlite alike): int8 is read as a JS number,
 * DATE as 'YYYY-MM-DD' text, numeric and numeric[] as decimal strings, timestamptz as Date, jsonb
 * parsed. (node-postgres' stock numeric[] parser (OID 1231) yields floats; PGlite yields strings.)
 */
import type { ColumnType, Generated, GeneratedAlways, Selectable, Insertable, Updateable } from 'kysely';

/** timestamptz: read as Date; written as a Date or an ISO-8601 string with zone. */
export type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** A timestamptz with a database default: optional on insert, read as Date (Kysely unwraps only one ColumnType level). */
export type GeneratedTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;

/** numeric (money, MB, percentages): read as a decimal string so no float ever touches it. */
export type Numeric = ColumnType<string, string | number, string | number>;

/** numeric[]: read as decimal strings. */
export type NumericArray = ColumnType<string[], Array<string | number>, Array<string | number>>;

/** A calendar day 'YYYY-MM-DD' (UTC). */
export type DateString = string;

/**
 * What may be written to a jsonb column: a plain object (type alias or Record, not an interface)
 * or pre-serialised JSON text. Arrays must be JSON.stringify'd first, because node-postgres
 * encodes a JS array parameter as a Postgres array literal, which jsonb rejects.
 */
export type JsonWrite = string | { [key: string]: unknown };

/** jsonb column read as `S`. */
export type Json<S = unknown> = ColumnType<S, JsonWrite, JsonWrite>;

/** jsonb column holding an array: read as `S[]`, written as JSON text. */
export type JsonArray<S = unknown> = ColumnType<S[], string, string>;

/** jsonb with a database default: optional on insert (`Generated<Json>` would nest two ColumnTypes, which Kysely does not unwrap). */
export type GeneratedJson<S = unknown> = ColumnType<S, JsonWrite | undefined, JsonWrite>;

/** jsonb array with a database default: optional on insert, written as JSON text. */
export type GeneratedJsonArray<S = unknown> = ColumnType<S[], string | undefined, string>;

/** Plain JSON object as stored in jsonb object columns. */
export type JsonObject = { [key: string]: unknown };

export type UserRole = 'admin' | 'operator' | 'viewer';
export type AuditActorType = 'user' | 'api_key' | 'system' | 'streamer' | 'anonymous';
export type AuditOutcome = 'success' | 'failure' | 'denied';
export type SimSource = 'provider' | 'manual';
export type ConnectivityStatus = 'ONLINE' | 'ATTACHED' | 'OFFLINE' | 'BLOCKED' | 'UNKNOWN';
export type IngestSource = 'poll' | 'stream';
export type TrafficType = 'data' | 'sms';
export type QuotaService = 'data' | 'sms';
export type ConnectivityResetStatus = 'requested' | 'completed' | 'failed';
export type EventSeverity = 'INFO' | 'WARN' | 'CRITICAL';
export type SmsDirection = 'MT' | 'MO';
export type SmsStatus =
  'QUEUED' | 'PENDING' | 'BUFFERED' | 'DELIVERED' | 'FAILED' | 'EXPIRED' | 'CANCELLED' | 'UNKNOWN';
export type SmsEncoding = 'GSM7' | 'UCS2' | 'BINARY';
export type AlertScope = 'global' | 'account' | 'tag' | 'sim';
export type AlertMetric =
  'data_used_pct' | 'sms_used_pct' | 'expiry_days' | 'offline_minutes' | 'forecast_days' | AnomalyMetric;
/** Alert types of the anomaly detector (src/modules/intelligence; migration 0017). */
export type AnomalyMetric = 'usage_spike' | 'silence_hours' | 'device_change' | 'new_country' | 'new_operator';
export type AnomalyAction = 'imei_lock' | 'disable';
export type AlertSeverity = 'info' | 'warning' | 'critical';
export type AlertState = 'open' | 'acknowledged' | 'resolved';
export type TopupPeriod = 'day' | 'week' | 'month';
export type AutoTopupStatus = 'requested' | 'succeeded' | 'failed';
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dead';
export type BulkJobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export type BulkJobItemStatus = 'pending' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
export type JobRunOutcome = 'running' | 'success' | 'failure';
export type StreamerBatchKind = 'usage' | 'event' | 'sms';

export interface UsersTable {
  id: Generated<number>;
  username: string;
  email: string | null;
  password_hash: string;
  role: Generated<UserRole>;
  is_active: Generated<boolean>;
  last_login_at: Timestamp | null;
  password_changed_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface ApiKeysTable {
  id: Generated<string>;
  user_id: number;
  name: string;
  prefix: string;
  secret_hash: string;
  role_cap: UserRole | null;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  /** Why the key was revoked (migration 0015). */
  revoked_reason: Generated<ApiKeyRevokedReason | null>;
  /** The key this one was created with; null for keys created by a signed-in user (migration 0015). */
  parent_key_id: Generated<string | null>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** Why an API key stopped working: revoked itself, with its parent, or by its owner's password change. */
export type ApiKeyRevokedReason = 'revoked' | 'parent_revoked' | 'password_changed' | 'password_reset';

export interface RefreshTokensTable {
  id: Generated<string>;
  user_id: number;
  family_id: string;
  token_hash: string;
  expires_at: Timestamp;
  used_at: Timestamp | null;
  replaced_by: string | null;
  revoked_at: Timestamp | null;
  revoked_reason: string | null;
  ip: string | null;
  user_agent: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** Append-only: the database rejects UPDATE, DELETE and TRUNCATE (SQLSTATE AUD01). */
export interface AuditLogTable {
  id: Generated<number>;
  occurred_at: GeneratedTimestamp;
  actor_type: AuditActorType;
  actor_user_id: number | null;
  actor_username: string | null;
  actor_api_key_id: string | null;
  actor_role: string | null;
  ip: string | null;
  user_agent: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  before: Json | null;
  after: Json | null;
  outcome: AuditOutcome;
  status_code: number | null;
  request_id: string | null;
  detail: Json | null;
  created_at: GeneratedTimestamp;
}

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

export interface SmsMessagesTable {
  id: Generated<number>;
  sim_id: number;
  provider_sms_id: string | null;
  direction: SmsDirection;
  status: Generated<SmsStatus>;
  status_id: number | null;
  payload: string | null;
  udh: string | null;
  dcs: number | null;
  source_address: string | null;
  destination_address: string | null;
  encoding: SmsEncoding | null;
  part_number: number | null;
  part_total: number | null;
  concat_ref: number | null;
  message_group: string | null;
  submit_date: Timestamp | null;
  delivery_date: Timestamp | null;
  expiry_date: Timestamp | null;
  final_date: Timestamp | null;
  last_delivery_attempt: Timestamp | null;
  retry_count: number | null;
  last_error: string | null;
  created_by_user_id: number | null;
  raw: Json | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface ProductsTable {
  account_id: string;
  product_id: number;
  name: string;
  material: string | null;
  package_size: number | null;
  min_quantity: number | null;
  max_quantity: number | null;
  max_quantity_per_customer: number | null;
  min_contract_duration_months: number | null;
  one_time_charges: GeneratedJsonArray;
  recurring_charges: GeneratedJsonArray;
  raw: Json | null;
  synced_at: GeneratedTimestamp;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface OrdersTable {
  id: Generated<number>;
  account_id: string;
  order_number: string | null;
  order_type: string | null;
  status: string | null;
  order_date: Timestamp | null;
  invoice_number: string | null;
  invoice_amount: Numeric | null;
  currency: string | null;
  shipping_address: Json<JsonObject> | null;
  customer_reference: string | null;
  idempotency_key: string | null;
  created_by_user_id: number | null;
  raw: Json | null;
  last_synced_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** Either a product line (`iccid` null) or a SIM line (`iccid` set). */
export interface OrderItemsTable {
  id: Generated<number>;
  order_id: number;
  product_id: number | null;
  iccid: string | null;
  quantity: Generated<number>;
  unit_price: Numeric | null;
  description: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface SupportTicketsTable {
  id: Generated<number>;
  account_id: string;
  case_id: string | null;
  subject: string | null;
  text: string | null;
  status: string | null;
  reply_to_mail: string | null;
  sender_name: string | null;
  create_date: Timestamp | null;
  solved_date: Timestamp | null;
  communications: GeneratedJsonArray;
  created_by_user_id: number | null;
  raw: Json | null;
  last_synced_at: Timestamp | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface AlertRulesTable {
  id: Generated<string>;
  name: string;
  description: string | null;
  enabled: Generated<boolean>;
  scope: Generated<AlertScope>;
  /** Account id, tag or ICCID for non-global scopes; null exactly when scope is global. */
  scope_value: string | null;
  metric: AlertMetric;
  thresholds: NumericArray;
  hysteresis: Generated<Numeric>;
  severity: Generated<AlertSeverity>;
  auto_topup: Generated<boolean>;
  auto_topup_max_per_period: number | null;
  auto_topup_period: TopupPeriod | null;
  /** Anomaly detector parameters ({} = defaults; 0017). */
  params: GeneratedJson<JsonObject>;
  auto_action: AnomalyAction | null;
  auto_action_dry_run: Generated<boolean>;
  auto_action_max_per_period: number | null;
  auto_action_period: TopupPeriod | null;
  created_by_user_id: number | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface AlertsTable {
  id: Generated<string>;
  rule_id: string | null;
  sim_id: number;
  metric: AlertMetric;
  threshold: Numeric;
  state: Generated<AlertState>;
  severity: Generated<AlertSeverity>;
  value: Numeric | null;
  message: string | null;
  raised_at: GeneratedTimestamp;
  acknowledged_at: Timestamp | null;
  acknowledged_by_user_id: number | null;
  resolved_at: Timestamp | null;
  /** When the metric moved back past threshold -/+ hysteresis (re-arms the rule for this SIM; 0009). */
  cleared_at: Timestamp | null;
  /** Context at raise time: forecast, quota figures (0009). */
  data: Json<JsonObject> | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** IMEIs, countries and operators each SIM has been seen with (0017). */
export interface SimObservationsTable {
  sim_id: number;
  kind: 'imei' | 'country' | 'operator';
  value: string;
  first_seen_at: GeneratedTimestamp;
}

/** Automatic actions of anomaly rules, dry runs included (0017). */
export interface AnomalyActionsTable {
  id: Generated<string>;
  rule_id: string | null;
  sim_id: number;
  alert_id: string | null;
  action: AnomalyAction;
  dry_run: boolean;
  status: 'requested' | 'succeeded' | 'failed' | 'capped' | 'skipped';
  error: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface AutoTopupsTable {
  id: Generated<string>;
  rule_id: string | null;
  sim_id: number;
  alert_id: string | null;
  order_id: number | null;
  status: Generated<AutoTopupStatus>;
  error: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface WebhookSubscriptionsTable {
  id: Generated<string>;
  url: string;
  secret_ciphertext: string;
  events: Generated<string[]>;
  enabled: Generated<boolean>;
  description: string | null;
  consecutive_failures: Generated<number>;
  last_success_at: Timestamp | null;
  last_failure_at: Timestamp | null;
  disabled_at: Timestamp | null;
  disabled_reason: string | null;
  created_by_user_id: number | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface WebhookDeliveriesTable {
  id: Generated<string>;
  subscription_id: string;
  event_id: string;
  event_type: string;
  payload: Json<JsonObject>;
  status: Generated<WebhookDeliveryStatus>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Timestamp | null>;
  last_status_code: number | null;
  last_error: string | null;
  response_ms: number | null;
  created_at: GeneratedTimestamp;
  delivered_at: Timestamp | null;
  updated_at: GeneratedTimestamp;
}

export interface BulkJobsTable {
  id: Generated<string>;
  action: string;
  params: GeneratedJson<JsonObject>;
  selection: Json<JsonObject>;
  dry_run: Generated<boolean>;
  status: Generated<BulkJobStatus>;
  total: Generated<number>;
  processed: Generated<number>;
  succeeded: Generated<number>;
  failed: Generated<number>;
  skipped: Generated<number>;
  error: string | null;
  created_by_user_id: number | null;
  created_at: GeneratedTimestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
  cancel_requested_at: Timestamp | null;
  updated_at: GeneratedTimestamp;
}

export interface BulkJobItemsTable {
  job_id: string;
  /** As supplied by the caller; may be invalid (then the item fails). */
  iccid: string;
  sim_id: number | null;
  status: Generated<BulkJobItemStatus>;
  result: Json | null;
  error: string | null;
  attempts: Generated<number>;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** `status_code` null means the first request with this key is still in flight. */
export interface IdempotencyKeysTable {
  scope: string;
  key: string;
  request_hash: string;
  status_code: number | null;
  response: Json | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface JobRunsTable {
  id: Generated<number>;
  job_name: string;
  started_at: GeneratedTimestamp;
  finished_at: Timestamp | null;
  duration_ms: number | null;
  outcome: Generated<JobRunOutcome>;
  items: number | null;
  error: string | null;
  worker_id: string | null;
  /** The job engine's id of the job this run executed (0009). */
  job_id: string | null;
  /** 1 for the first attempt, 2 for the first retry, ... (0009). */
  attempt: number | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface StreamerBatchesTable {
  id: Generated<string>;
  received_at: GeneratedTimestamp;
  kind: StreamerBatchKind;
  record_count: number;
  duplicate_count: Generated<number>;
  rejected_count: Generated<number>;
  source_ip: string | null;
  created_at: GeneratedTimestamp;
}

/** Each stored Data Streamer POST, verbatim (0012): the raw form of the records that point into it. */
export interface StreamPayloadsTable {
  id: Generated<number>;
  received_at: GeneratedTimestamp;
  record_count: number;
  body: Json;
}

/** Last Data Streamer record per provider account (0009). */
export interface StreamerActivityTable {
  account_id: string;
  last_received_at: Timestamp;
  records_total: Generated<number>;
  updated_at: GeneratedTimestamp;
}

/** The live event stream's replay buffer (0014). */
export interface LiveEventsTable {
  id: GeneratedAlways<number>;
  type: string;
  min_role: UserRole;
  data: Json<JsonObject>;
  created_at: GeneratedTimestamp;
}

/** One row: the newest live event id pruned from the replay buffer (0014). */
export interface LiveEventStateTable {
  singleton: Generated<boolean>;
  pruned_through: Generated<number>;
}

/** One-time facts about the installation (0016), e.g. that the first sweep was queued. */
export interface InstallMarkersTable {
  key: string;
  created_at: GeneratedTimestamp;
  created_by: string | null;
}

/** Where each account's list sweep stands, so a pass resumes where it stopped (0021). */
export interface SweepProgressTable {
  account_id: string;
  next_page: Generated<number>;
  total_pages: number | null;
  pass_started_at: Date | null;
  updated_at: GeneratedTimestamp;
  last_pass_completed_at: Date | null;
  last_pass_seconds: number | null;
  last_pass_pages: number | null;
}

/** The Kysely database type: every table the migrations create. */
export interface DB {
  users: UsersTable;
  api_keys: ApiKeysTable;
  refresh_tokens: RefreshTokensTable;
  audit_log: AuditLogTable;
  provider_accounts: ProviderAccountsTable;
  sims: SimsTable;
  sim_usage: SimUsageTable;
  usage_records: UsageRecordsTable;
  sim_quotas: SimQuotasTable;
  sim_connectivity: SimConnectivityTable;
  connectivity_resets: ConnectivityResetsTable;
  sim_events: SimEventsTable;
  sms_messages: SmsMessagesTable;
  products: ProductsTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  support_tickets: SupportTicketsTable;
  alert_rules: AlertRulesTable;
  alerts: AlertsTable;
  auto_topups: AutoTopupsTable;
  sim_observations: SimObservationsTable;
  anomaly_actions: AnomalyActionsTable;
  webhook_subscriptions: WebhookSubscriptionsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  bulk_jobs: BulkJobsTable;
  bulk_job_items: BulkJobItemsTable;
  idempotency_keys: IdempotencyKeysTable;
  job_runs: JobRunsTable;
  streamer_batches: StreamerBatchesTable;
  stream_payloads: StreamPayloadsTable;
  streamer_activity: StreamerActivityTable;
  live_events: LiveEventsTable;
  live_event_state: LiveEventStateTable;
  install_markers: InstallMarkersTable;
  sweep_progress: SweepProgressTable;
}

/** A table's row as read, e.g. `Row<'sims'>`. */
export type Row<T extends keyof DB> = Selectable<DB[T]>;
/** Insert payload of a table. */
export type NewRow<T extends keyof DB> = Insertable<DB[T]>;
/** Update payload of a table. */
export type RowUpdate<T extends keyof DB> = Updateable<DB[T]>;
