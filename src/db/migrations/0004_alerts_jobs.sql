-- 0004 alerts and jobs: alert rules and alerts, automatic top-ups, outgoing webhooks, bulk jobs,
-- HTTP idempotency keys, scheduled job runs and the Data Streamer ingest log.

create table alert_rules (
  id                       uuid primary key default gen_random_uuid(),
  name                     text not null check (length(btrim(name)) between 1 and 200),
  description              text,
  enabled                  boolean not null default true,
  scope                    text not null default 'global' check (scope in ('global', 'account', 'tag', 'sim')),
  -- account id, tag or ICCID depending on scope; none for global rules.
  scope_value              text,
  metric                   text not null
                           check (metric in ('data_used_pct', 'sms_used_pct', 'expiry_days', 'offline_minutes', 'forecast_days')),
  thresholds               numeric[] not null check (cardinality(thresholds) >= 1),
  hysteresis               numeric not null default 5 check (hysteresis >= 0),
  severity                 text not null default 'warning' check (severity in ('info', 'warning', 'critical')),
  auto_topup               boolean not null default false,
  auto_topup_max_per_period integer check (auto_topup_max_per_period > 0),
  auto_topup_period        text check (auto_topup_period in ('day', 'week', 'month')),
  created_by_user_id       bigint references users (id) on delete set null,
  created_at               timestamptz not null default now(),
  updated_at               timestamptz not null default now(),
  check ((scope = 'global') = (scope_value is null))
);
create index alert_rules_enabled_idx on alert_rules (enabled, metric);
create trigger alert_rules_set_updated_at before update on alert_rules
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
create table alerts (
  id                      uuid primary key default gen_random_uuid(),
  rule_id                 uuid references alert_rules (id) on delete set null,
  sim_id                  bigint not null references sims (id) on delete cascade,
  metric                  text not null
                          check (metric in ('data_used_pct', 'sms_used_pct', 'expiry_days', 'offline_minutes', 'forecast_days')),
  threshold               numeric not null,
  state                   text not null default 'open' check (state in ('open', 'acknowledged', 'resolved')),
  severity                text not null default 'warning' check (severity in ('info', 'warning', 'critical')),
  value                   numeric,
  message                 text,
  raised_at               timestamptz not null default now(),
  acknowledged_at         timestamptz,
  acknowledged_by_user_id bigint references users (id) on delete set null,
  resolved_at             timestamptz,
  created_at              timestamptz not null default now(),
  updated_at              timestamptz not null default now()
);
-- One live alert per rule, SIM and threshold crossing; resolved ones are history.
create unique index alerts_live_key on alerts (rule_id, sim_id, metric, threshold) where state <> 'resolved';
create index alerts_state_raised_idx on alerts (state, raised_at desc);
create index alerts_sim_raised_idx on alerts (sim_id, raised_at desc);
create index alerts_rule_id_idx on alerts (rule_id);
create trigger alerts_set_updated_at before update on alerts
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Top-ups placed by rules; counted per (rule, SIM, period) to enforce auto_topup_max_per_period.
create table auto_topups (
  id         uuid primary key default gen_random_uuid(),
  rule_id    uuid references alert_rules (id) on delete set null,
  sim_id     bigint not null references sims (id) on delete cascade,
  alert_id   uuid references alerts (id) on delete set null,
  order_id   bigint references orders (id) on delete set null,
  status     text not null default 'requested' check (status in ('requested', 'succeeded', 'failed')),
  error      text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index auto_topups_rule_sim_created_idx on auto_topups (rule_id, sim_id, created_at desc);
create index auto_topups_sim_created_idx on auto_topups (sim_id, created_at desc);
create trigger auto_topups_set_updated_at before update on auto_topups
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
create table webhook_subscriptions (
  id                   uuid primary key default gen_random_uuid(),
  url                  text not null check (url ~ '^https?://'),
  secret_ciphertext    text not null,
  events               text[] not null default '{}',
  enabled              boolean not null default true,
  description          text,
  consecutive_failures integer not null default 0 check (consecutive_failures >= 0),
  last_success_at      timestamptz,
  last_failure_at      timestamptz,
  disabled_at          timestamptz,
  disabled_reason      text,
  created_by_user_id   bigint references users (id) on delete set null,
  created_at           timestamptz not null default now(),
  updated_at           timestamptz not null default now()
);
create index webhook_subscriptions_events_idx on webhook_subscriptions using gin (events);
create trigger webhook_subscriptions_set_updated_at before update on webhook_subscriptions
  for each row execute function set_updated_at();

-- (subscription_id, event_id) makes enqueueing an event idempotent.
create table webhook_deliveries (
  id               uuid primary key default gen_random_uuid(),
  subscription_id  uuid not null references webhook_subscriptions (id) on delete cascade,
  event_id         uuid not null,
  event_type       text not null,
  payload          jsonb not null,
  status           text not null default 'pending' check (status in ('pending', 'delivered', 'failed', 'dead')),
  attempts         integer not null default 0 check (attempts >= 0),
  next_attempt_at  timestamptz default now(),
  last_status_code integer,
  last_error       text,
  response_ms      integer,
  created_at       timestamptz not null default now(),
  delivered_at     timestamptz,
  updated_at       timestamptz not null default now(),
  unique (subscription_id, event_id)
);
create index webhook_deliveries_due_idx on webhook_deliveries (status, next_attempt_at);
create index webhook_deliveries_subscription_idx on webhook_deliveries (subscription_id, created_at desc);
create trigger webhook_deliveries_set_updated_at before update on webhook_deliveries
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
create table bulk_jobs (
  id                  uuid primary key default gen_random_uuid(),
  action              text not null check (action ~ '^[a-z][a-z0-9_]*$'),
  params              jsonb not null default '{}',
  selection           jsonb not null,
  dry_run             boolean not null default false,
  status              text not null default 'queued'
                      check (status in ('queued', 'running', 'completed', 'failed', 'cancelled')),
  total               integer not null default 0 check (total >= 0),
  processed           integer not null default 0 check (processed >= 0),
  succeeded           integer not null default 0 check (succeeded >= 0),
  failed              integer not null default 0 check (failed >= 0),
  skipped             integer not null default 0 check (skipped >= 0),
  error               text,
  created_by_user_id  bigint references users (id) on delete set null,
  created_at          timestamptz not null default now(),
  started_at          timestamptz,
  finished_at         timestamptz,
  cancel_requested_at timestamptz,
  updated_at          timestamptz not null default now()
);
create index bulk_jobs_status_created_idx on bulk_jobs (status, created_at desc);
create index bulk_jobs_created_at_idx on bulk_jobs (created_at desc);
create trigger bulk_jobs_set_updated_at before update on bulk_jobs
  for each row execute function set_updated_at();

-- iccid is what the caller supplied (possibly invalid, which is then a failed item); sim_id is
-- resolved when it matches a known SIM.
create table bulk_job_items (
  job_id     uuid not null references bulk_jobs (id) on delete cascade,
  iccid      text not null,
  sim_id     bigint references sims (id) on delete set null,
  status     text not null default 'pending'
             check (status in ('pending', 'succeeded', 'failed', 'skipped', 'cancelled')),
  result     jsonb,
  error      text,
  attempts   integer not null default 0 check (attempts >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (job_id, iccid)
);
create index bulk_job_items_job_status_idx on bulk_job_items (job_id, status);
create trigger bulk_job_items_set_updated_at before update on bulk_job_items
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- Idempotency-Key replay store. status_code null means the first request is still running.
create table idempotency_keys (
  scope        text not null,
  key          text not null check (length(key) between 1 and 255),
  request_hash text not null,
  status_code  integer,
  response     jsonb,
  created_at   timestamptz not null default now(),
  updated_at   timestamptz not null default now(),
  primary key (scope, key)
);
create index idempotency_keys_created_at_idx on idempotency_keys (created_at);
create trigger idempotency_keys_set_updated_at before update on idempotency_keys
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
create table job_runs (
  id          bigint generated by default as identity primary key,
  job_name    text not null,
  started_at  timestamptz not null default now(),
  finished_at timestamptz,
  duration_ms integer check (duration_ms >= 0),
  outcome     text not null default 'running' check (outcome in ('running', 'success', 'failure')),
  items       integer,
  error       text,
  worker_id   text,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);
create index job_runs_job_started_idx on job_runs (job_name, started_at desc);
create index job_runs_started_at_idx on job_runs (started_at);
create trigger job_runs_set_updated_at before update on job_runs
  for each row execute function set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- One row per Data Streamer POST, for ingest auditing and duplicate statistics.
create table streamer_batches (
  id              uuid primary key default gen_random_uuid(),
  received_at     timestamptz not null default now(),
  kind            text not null check (kind in ('usage', 'event', 'sms')),
  record_count    integer not null check (record_count >= 0),
  duplicate_count integer not null default 0 check (duplicate_count >= 0),
  rejected_count  integer not null default 0 check (rejected_count >= 0),
  source_ip       text,
  created_at      timestamptz not null default now()
);
create index streamer_batches_received_at_idx on streamer_batches (received_at desc);
