-- 0019 Data Streamer write path, second round (docs/adr/0017-streamer-ingest-at-scale.md).
--
-- 1. No foreign keys from the stream's fact tables to sims. Each key check is a per-row trigger
--    running `select 1 from sims where id = $1 for key share`: 6,000 of them for a 3,000-record
--    usage batch (records and rollup), more than half of the cost of those inserts (measured:
--    68 ms -> 22 ms for 3,000 records). The ingest takes every sim_id from sims, under a row lock,
--    in the same transaction, and the application never deletes SIMs (accounts restrict it). What
--    the keys also did - delete a SIM's history with it - a statement-level trigger on sims still
--    does, set-based.
alter table usage_records drop constraint if exists usage_records_sim_id_fkey;
alter table sim_usage drop constraint if exists sim_usage_sim_id_fkey;
alter table sim_events drop constraint if exists sim_events_sim_id_fkey;

create or replace function sims_delete_stream_rows() returns trigger language plpgsql as $$
begin
  delete from usage_records r using deleted_sims d where r.sim_id = d.id;
  delete from sim_usage u using deleted_sims d where u.sim_id = d.id;
  delete from sim_events e using deleted_sims d where e.sim_id = d.id;
  return null;
end
$$;

create trigger sims_delete_stream_rows after delete on sims
  referencing old table as deleted_sims
  for each statement execute function sims_delete_stream_rows();

-- 2. The kept batch is text, not json: json input re-validates the whole 3 MB body (the route has
--    parsed it already), a tenth of a batch's database time. A record's raw form is now
--    `body::json -> payload_index`. json -> text rewrites the table once (each kept batch is
--    decompressed and compressed again): a one-time cost proportional to the payloads kept.
--    lz4 where the server has it, as in 0012 (a type change resets the column's compression).
do $$
begin
  if exists (select 1 from pg_settings where name = 'default_toast_compression' and 'lz4' = any (enumvals)) then
    execute 'alter table stream_payloads alter column body type text, alter column body set compression lz4';
  else
    execute 'alter table stream_payloads alter column body type text';
  end if;
end
$$;

-- 3. The updated_at triggers of sims and sim_usage run only when the statement did not set
--    updated_at itself. A PL/pgSQL call per row was ~5 us of each of the 6,000 row writes a usage
--    batch makes; the stream's statements now set `updated_at = now()` themselves, which is what
--    the trigger would have written. Every other UPDATE behaves as before.
drop trigger if exists sims_set_updated_at on sims;
create trigger sims_set_updated_at before update on sims
  for each row when (old.updated_at is not distinct from new.updated_at) execute function set_updated_at();
drop trigger if exists sim_usage_set_updated_at on sim_usage;
create trigger sim_usage_set_updated_at before update on sim_usage
  for each row when (old.updated_at is not distinct from new.updated_at) execute function set_updated_at();
