-- 0005 optional extensions. Nothing here is required: the schema is complete without it. When
-- an operator has already installed an extension in this database (we never CREATE EXTENSION:
-- that needs privileges the app should not have, and PGlite does not bundle these), use it.
-- Installing an extension later needs these statements run by hand; see docs/schema.md.

-- TimescaleDB: the time-series tables become hypertables partitioned on their time column.
-- Every primary/unique key of these tables includes that column, and nothing references them by
-- foreign key, which is what create_hypertable requires. Our own (sim_id, time desc) and time
-- indexes already exist, so Timescale's default indexes are not created.
do $$
declare
  ext_schema name;
  spec record;
begin
  select n.nspname into ext_schema
    from pg_extension e join pg_namespace n on n.oid = e.extnamespace
   where e.extname = 'timescaledb';
  if ext_schema is not null then
    for spec in
      select * from (values
        ('sim_usage', 'day', interval '30 days'),
        ('usage_records', 'started_at', interval '7 days'),
        ('sim_quotas', 'captured_at', interval '30 days'),
        ('sim_connectivity', 'observed_at', interval '7 days'),
        ('sim_events', 'occurred_at', interval '7 days')
      ) as t (table_name, time_column, chunk_interval)
    loop
      -- Dynamic SQL so that this block also compiles where create_hypertable does not exist.
      execute format(
        'select %I.create_hypertable(%L::regclass, %L::name, chunk_time_interval => %L::interval, '
          || 'create_default_indexes => false, if_not_exists => true, migrate_data => true)',
        ext_schema, spec.table_name, spec.time_column, spec.chunk_interval
      );
    end loop;
  end if;
end;
$$;

-- pg_trgm: substring search (q=%foo%) on labels without a sequential scan. Prefix search on the
-- identifiers is served by the btree text_pattern_ops indexes from 0002 in every case.
do $$
declare
  ext_schema name;
begin
  select n.nspname into ext_schema
    from pg_extension e join pg_namespace n on n.oid = e.extnamespace
   where e.extname = 'pg_trgm';
  if ext_schema is not null then
    -- Schema-qualified: the extension may live outside the search_path (e.g. "extensions").
    execute format(
      'create index if not exists sims_label_trgm_idx on sims using gin (lower(label) %I.gin_trgm_ops)',
      ext_schema
    );
  end if;
end;
$$;
