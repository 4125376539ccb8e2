/**
 * Row types of every table, as Kysely sees them. Hand-written to mirror src/db/migrations/*.sql
 * (not generated); docs/schema.md explains each table and docs/adr/0003-schema-conventions.md the
 * type choices. One file per domain under src/db/schema/, all re-exported here, so importers keep
 * importing from db/schema.js:
 *
 *   columns.ts     timestamp, numeric, day and jsonb column types (the driver contract)
 *   identity.ts    users, API keys, refresh tokens, audit log
 *   fleet.ts       provider accounts, SIMs, usage, quotas, connectivity, events
 *   messaging.ts   SMS
 *   commerce.ts    products, orders, support tickets
 *   alerts.ts      alert rules, alerts, anomalies, automatic top-ups
 *   operations.ts  webhooks, bulk jobs, idempotency keys, job runs, install markers
 *   streamer.ts    Data Streamer batches and payloads, live events
 *
 * Driver contract (src/db/client.ts configures pg and PGlite alike): int8 is read as a JS number,
 * DATE as 'YYYY-MM-DD' text, numeric and numeric[] as decimal strings, timestamptz as Date, jsonb
 * parsed. (node-postgres' stock numeric[] parser (OID 1231) yields floats; PGlite yields strings.)
 */
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { AlertRulesTable, AlertsTable, AnomalyActionsTable, AutoTopupsTable, SimObservationsTable } from './schema/alerts.js';
import type { OrderItemsTable, OrdersTable, ProductsTable, SupportTicketsTable } from './schema/commerce.js';
import type { ConnectivityResetsTable, ProviderAccountsTable, SimConnectivityTable, SimEventsTable, SimQuotasTable, SimUsageTable, SimsTable, UsageRecordsTable } from './schema/fleet.js';
import type { ApiKeysTable, AuditLogTable, RefreshTokensTable, UsersTable } from './schema/identity.js';
import type { SmsMessagesTable } from './schema/messaging.js';
import type { BulkJobItemsTable, BulkJobsTable, IdempotencyKeysTable, InstallMarkersTable, JobRunsTable, SweepProgressTable, WebhookDeliveriesTable, WebhookSubscriptionsTable } from './schema/operations.js';
import type { LiveEventStateTable, LiveEventsTable, StreamPayloadsTable, StreamerActivityTable, StreamerBatchesTable } from './schema/streamer.js';

export * from './schema/columns.js';
export * from './schema/identity.js';
export * from './schema/fleet.js';
export * from './schema/messaging.js';
export * from './schema/commerce.js';
export * from './schema/alerts.js';
export * from './schema/operations.js';
export * from './schema/streamer.js';

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
