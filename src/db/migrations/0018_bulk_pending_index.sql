-- Bulk job items are read in ICCID order per job and status (the runner's next pending chunk,
-- keyset after the last ICCID handed out; the items list filtered by status). The former
-- (job_id, status) index made the runner read and sort every pending item of a job for each chunk
-- of 100 (4.3 ms per chunk at 9,600 pending); this one returns the next chunk in order.
create index bulk_job_items_job_status_iccid_idx on bulk_job_items (job_id, status, iccid);
drop index bulk_job_items_job_status_idx;
