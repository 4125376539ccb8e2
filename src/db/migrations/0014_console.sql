-- 0014 console: what the web console reads that the schema did not keep yet (docs/adr/0013).
--
-- 1. The network a SIM was last seen on, denormalised from sim_connectivity like connectivity_status,
--    so "SIMs by operator / country" is one GROUP BY over sims instead of a latest-row-per-SIM scan of
--    the snapshot history. Not indexed: the stream updates sims rows constantly and an indexed column
--    would cost those updates their HOT path (0012); the aggregate scans the heap anyway.
alter table sims
  add column operator_name text,
  add column country_name text,
  add column country_iso text;

update sims s
   set operator_name = c.operator_name, country_name = c.country_name, country_iso = c.country_iso
  from (
    select distinct on (sim_id) sim_id, operator_name, country_name, country_iso
      from sim_connectivity
     where operator_name is not null or country_iso is not null or country_name is not null
     order by sim_id, observed_at desc
  ) c
 where c.sim_id = s.id;

-- 2. The live event stream's replay buffer (GET /api/v1/events/stream). Every event is inserted here
--    and announced with NOTIFY in the same transaction, so every replica delivers the same events in
--    the same order and a client resumes with Last-Event-ID from any replica. Ids are taken under an
--    advisory lock, so they commit in id order (a resuming client can never skip a late commit).
--    Rows older than the replay window are pruned; live_event_state remembers the newest pruned id so
--    a client resuming from before it is told to resynchronise instead of silently missing events.
create table live_events (
  id         bigint generated always as identity primary key,
  type       text not null,
  -- The lowest role that may receive the event (viewer < operator < admin).
  min_role   text not null check (min_role in ('viewer', 'operator', 'admin')),
  data       jsonb not null,
  created_at timestamptz not null default now()
);
create index live_events_created_at_idx on live_events (created_at);

create table live_event_state (
  singleton      boolean primary key default true check (singleton),
  pruned_through bigint not null default 0
);
insert into live_event_state default values;
