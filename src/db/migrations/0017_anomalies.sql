-- 0017 fleet intelligence: anomaly alert types (usage spike, silence, device change, new country or
-- operator) on the existing alert rules and alerts, per-rule detector parameters and opt-in automatic
-- actions, what each SIM has been seen with, and the actions taken.

alter table alert_rules drop constraint alert_rules_metric_check;
alter table alert_rules add constraint alert_rules_metric_check check (metric in (
  'data_used_pct', 'sms_used_pct', 'expiry_days', 'offline_minutes', 'forecast_days',
  'usage_spike', 'silence_hours', 'device_change', 'new_country', 'new_operator'));
alter table alerts drop constraint alerts_metric_check;
alter table alerts add constraint alerts_metric_check check (metric in (
  'data_used_pct', 'sms_used_pct', 'expiry_days', 'offline_minutes', 'forecast_days',
  'usage_spike', 'silence_hours', 'device_change', 'new_country', 'new_operator'));

-- Detector parameters of anomaly rules (factor, floor, peer group, gap factor, ...); {} = defaults.
alter table alert_rules add column params jsonb not null default '{}' check (jsonb_typeof(params) = 'object');
-- Opt-in automatic action of an anomaly rule, capped per rule and period; dry-run records what it would do.
alter table alert_rules add column auto_action text check (auto_action in ('imei_lock', 'disable'));
alter table alert_rules add column auto_action_dry_run boolean not null default true;
alter table alert_rules add column auto_action_max_per_period integer check (auto_action_max_per_period between 1 and 10000);
alter table alert_rules add column auto_action_period text check (auto_action_period in ('day', 'week', 'month'));
alter table alert_rules add constraint alert_rules_auto_action_capped
  check (auto_action is null or (auto_action_max_per_period is not null and auto_action_period is not null));

-- Every IMEI, country and operator a SIM has been seen with. A value not in here for a SIM that
-- already has values of that kind is a device change or a roaming surprise; the first values of a
-- SIM are its baseline and raise nothing.
create table sim_observations (
  sim_id        bigint not null references sims (id) on delete cascade,
  kind          text not null check (kind in ('imei', 'country', 'operator')),
  value         text not null check (length(value) between 1 and 200),
  first_seen_at timestamptz not null default now(),
  primary key (sim_id, kind, value)
);

-- Automatic actions of anomaly rules (and their dry runs), counted per rule and period for the cap.
create table anomaly_actions (
  id         uuid primary key default gen_random_uuid(),
  rule_id    uuid references alert_rules (id) on delete set null,
  sim_id     bigint not null references sims (id) on delete cascade,
  alert_id   uuid references alerts (id) on delete set null,
  action     text not null check (action in ('imei_lock', 'disable')),
  dry_run    boolean not null,
  status     text not null check (status in ('requested', 'succeeded', 'failed', 'capped', 'skipped')),
  error      text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index anomaly_actions_rule_created_idx on anomaly_actions (rule_id, created_at desc);
create index anomaly_actions_sim_created_idx on anomaly_actions (sim_id, created_at desc);
create trigger anomaly_actions_set_updated_at before update on anomaly_actions
  for each row execute function set_updated_at();

-- Alerts of one metric in a period (monthly report, anomaly counts).
create index alerts_metric_raised_idx on alerts (metric, raised_at);
