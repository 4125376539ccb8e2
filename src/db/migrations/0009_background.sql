-- 0009 background work: job run bookkeeping per engine job, alert re-arming (hysteresis) and
-- Data Streamer health per provider account.

-- The engine's job id and attempt number, so a run abandoned by a killed worker can be closed when
-- its retry starts elsewhere.
alter table job_runs add column job_id text;
alter table job_runs add column attempt integer check (attempt >= 1);
create index job_runs_running_job_id_idx on job_runs (job_id) where outcome = 'running';
create index job_runs_failures_idx on job_runs (job_name, started_at desc) where outcome = 'failure';

-- Set when the metric moved back past threshold -/+ hysteresis. An alert without cleared_at is a
-- crossing still in force: no new alert is raised for the same rule, SIM and threshold until it
-- clears, even if someone resolved it by hand.
alter table alerts add column cleared_at timestamptz;
alter table alerts add column data jsonb;
create index alerts_uncleared_idx on alerts (rule_id, sim_id, threshold) where cleared_at is null;

-- Last Data Streamer record per provider account; while recent, per-SIM polling backs off.
create table streamer_activity (
  account_id       uuid primary key references provider_accounts (id) on delete cascade,
  last_received_at timestamptz not null,
  records_total    bigint not null default 0 check (records_total >= 0),
  updated_at       timestamptz not null default now()
);
