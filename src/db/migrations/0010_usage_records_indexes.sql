-- 0010 usage_records indexes: cheaper Data Streamer ingest (every index is written once per record).
-- Readers of usage_records: retention cleanup (`started_at < cutoff`), the sims foreign-key cascade
-- (sim_id, kept: usage_records_sim_started_idx) and linking records whose ICCID was not synced yet.
--
-- Records arrive roughly in time order, so a BRIN index serves the cleanup's range delete at a tiny
-- fraction of a btree's write cost and size.
drop index if exists usage_records_started_at_idx;
create index usage_records_started_at_brin on usage_records using brin (started_at);

-- Looking records up by ICCID is only needed for those not linked to a SIM yet (sim_id is null):
-- a partial index stays near-empty in steady state instead of growing with every record.
drop index if exists usage_records_iccid_started_idx;
create index usage_records_unlinked_iccid_idx on usage_records (iccid, started_at desc) where sim_id is null;
