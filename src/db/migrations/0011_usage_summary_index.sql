-- Usage summaries read one SIM's days over a range. Daily rows of one SIM arrive a day apart, so they
-- sit on as many heap pages as there are days (90 random page reads for a 90-day summary once the
-- table outgrows memory). A covering index answers the summary from the index alone (index-only scan,
-- a handful of pages), at the cost of a second copy of these narrow columns.
create index sim_usage_summary_idx on sim_usage (sim_id, day)
  include (data_rx_bytes, data_tx_bytes, data_total_bytes, sms_mo, sms_mt);
