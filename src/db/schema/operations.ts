/** Row types of the platform's own work: webhooks and their deliveries, bulk jobs, idempotency keys, job runs and install markers. */
import type { Generated } from 'kysely';
import type { GeneratedJson, GeneratedTimestamp, Json, JsonObject, Timestamp } from './columns.js';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dead';

export type BulkJobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export type BulkJobItemStatus = 'pending' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export type JobRunOutcome = 'running' | 'success' | 'failure';

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
