-- 0013 SIM search: `q` finds any part (3 characters or more) of a SIM's identifiers and label
-- (docs/adr/0012-sim-lists.md).
--
-- One trigram index over one expression holding every searchable field, so a substring search is
-- one GIN scan instead of six. src/modules/sims/sims.filter.ts (SEARCH_TEXT) writes the very same
-- expression: the planner only uses the index for an identical expression. Fields are joined by a
-- newline, which a search term cannot contain (control characters are refused at the edge), so a
-- match never spans two fields. ILIKE is served too: pg_trgm folds case when it extracts trigrams.
--
-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner can install it without
-- superuser rights. Unlike 0005 (extensions the operator installs) we install it ourselves when we
-- can, into `public` when that schema exists, so that dropping an application schema never drops
-- it. Where it cannot be installed (not shipped with the server, no CREATE right on the database)
-- nothing fails: searches of 3+ characters then scan `sims` (measured in docs/performance.md).
-- PGlite loads its pg_trgm build at start (src/db/pglite-pool.ts), so the same statements apply.
do $$
declare
  ext_schema name;
begin
  select n.nspname into ext_schema
    from pg_extension e join pg_namespace n on n.oid = e.extnamespace
   where e.extname = 'pg_trgm';
  if ext_schema is null and exists (select 1 from pg_available_extensions where name = 'pg_trgm') then
    begin
      if exists (select 1 from pg_namespace where nspname = 'public') then
        create extension if not exists pg_trgm schema public;
      else
        create extension if not exists pg_trgm;
      end if;
    exception when others then
      -- insufficient_privilege, or another replica installing it right now: search still works.
      raise notice 'pg_trgm not installed (%): substring search will scan sims', sqlerrm;
    end;
    select n.nspname into ext_schema
      from pg_extension e join pg_namespace n on n.oid = e.extnamespace
     where e.extname = 'pg_trgm';
  end if;
  if ext_schema is not null then
    -- Schema-qualified operator class: the extension may live outside the search_path.
    execute format(
      'create index if not exists sims_search_trgm_idx on sims using gin (('
        || 'coalesce(iccid_with_luhn, iccid) || E''\n'' || coalesce(imsi, '''') || E''\n'' || coalesce(msisdn, '''')'
        || ' || E''\n'' || coalesce(imei, '''') || E''\n'' || coalesce(label, '''')) %I.gin_trgm_ops)',
      ext_schema
    );
  end if;
end;
$$;

-- The label-only trigram index of 0005 is covered by the index above.
drop index if exists sims_label_trgm_idx;
