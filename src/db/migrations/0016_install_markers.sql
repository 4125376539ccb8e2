-- 0016 install markers: one-time facts about this installation, recorded once whatever the number
-- of replicas (docs/adr/0008). A replica that inserts a key first does the one-time work; the
-- others find the key and skip it. First use: 'first-sweep:<account id>', the fleet sweep queued
-- on a fresh install.
create table install_markers (
  key        text primary key check (length(key) between 1 and 200),
  created_at timestamptz not null default now(),
  created_by text
);
