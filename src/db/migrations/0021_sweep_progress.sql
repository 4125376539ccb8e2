-- Where each account's list sweep stands (issue 14: 1,000,000 SIMs). A full pass over 10,000 list
-- pages at 1NCE's 10 requests/s takes at least 1,000 s, longer than the 15-minute schedule: a pass
-- is resumed where it stopped (a deploy, a killed worker, a lost lease) instead of starting again
-- at page 1, and the scheduler status reports passes that outlast the schedule (continuous mode).
create table sweep_progress (
  account_id uuid primary key references provider_accounts (id) on delete cascade,
  -- The first page the next run fetches: 1 when no pass is under way.
  next_page integer not null default 1 check (next_page >= 1),
  -- 1NCE's page count as of the last page read (null when the list does not say).
  total_pages integer check (total_pages >= 0),
  -- When the pass under way started (null when none is).
  pass_started_at timestamptz,
  -- Last page consumed (progress) or pass completed.
  updated_at timestamptz not null default now(),
  last_pass_completed_at timestamptz,
  -- Wall time of the last complete pass, from its first page to its last, resumptions included.
  last_pass_seconds double precision check (last_pass_seconds >= 0),
  last_pass_pages integer check (last_pass_pages >= 0)
);
