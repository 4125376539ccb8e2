import { sql, type Kysely } from 'kysely';
import type { DB } from './schema.js';

/**
 * Planner statistics that follow bulk writes (docs/adr/0012-sim-lists.md).
 *
 * Without statistics PostgreSQL guesses: right after a 100,000-SIM import it estimated 721 rows
 * where 92,950 matched and sorted them all for every page. Autovacuum would analyze within
 * minutes, but operators tune or disable it (this project's own server runs `autovacuum = off`).
 * So whoever changes many rows - the sweep, the Data Streamer, bulk jobs - calls `refresh()`
 * afterwards, and the list path calls it too (for rows written by anything else, e.g. a restore).
 *
 * `refresh()` is cheap when nothing is due: at most one look at `pg_stat_user_tables` per table
 * every `checkIntervalMs`, and an ANALYZE only where autovacuum's own rule says one is due (more
 * than 50 rows + 10 % of the table changed since the last one, or never analyzed). Where
 * autovacuum is off, it also VACUUMs tables with many dead rows (50 + 20 %), as autovacuum would,
 * so the visibility map that index-only scans need exists and updates find room on their page.
 */

/** Tables whose statistics drive list and search plans; each refreshed separately. */
export type TrackedTable = 'sims' | 'sim_usage' | 'usage_records' | 'sim_events' | 'bulk_job_items';

export interface StatisticsKeeperOptions {
  /**
   * Embedded PGlite: one backend, so its own pending activity counters must be flushed before
   * they can be read, and no autovacuum worker ever runs (whatever the setting says).
   */
  embedded?: boolean;
  /** Minimum time between two looks at one table's counters (per process). */
  checkIntervalMs?: number;
  now?: () => number;
  logger?: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Told of every ANALYZE / VACUUM run (metrics, tests). */
  onRun?: (run: StatisticsRun) => void;
}

export interface StatisticsRun {
  table: TrackedTable;
  action: 'analyze' | 'vacuum analyze';
  changedRows: number;
  ms: number;
}

/** Autovacuum's defaults (autovacuum_analyze_threshold / _scale_factor, and the vacuum pair). */
const ANALYZE_BASE = 50;
const ANALYZE_FRACTION = 0.1;
const VACUUM_BASE = 50;
const VACUUM_FRACTION = 0.2;
/** Half a minute: a sweep page or a stream batch every few hundred ms costs one look per table per 30 s. */
const CHECK_INTERVAL_MS = 30_000;

interface TableCounters {
  reltuples: number;
  n_mod_since_analyze: number;
  n_dead_tup: number;
  analyzed: boolean;
  autovacuum: boolean;
}

/** Creates the keeper; one per process (its rate limit and single-flight are per process). */
export function createStatisticsKeeper(db: Kysely<DB>, options: StatisticsKeeperOptions = {}) {
  const checkIntervalMs = options.checkIntervalMs ?? CHECK_INTERVAL_MS;
  const now = options.now ?? Date.now;
  const lastCheck = new Map<TrackedTable, number>();
  const running = new Map<TrackedTable, Promise<StatisticsRun | undefined>>();

  async function countersOf(table: TrackedTable): Promise<TableCounters | undefined> {
    if (options.embedded === true) await sql`select pg_stat_force_next_flush()`.execute(db);
    const { rows } = await sql<TableCounters>`
      select c.reltuples::float8 as reltuples, s.n_mod_since_analyze::float8 as n_mod_since_analyze,
             s.n_dead_tup::float8 as n_dead_tup,
             (s.last_analyze is not null or s.last_autoanalyze is not null) as analyzed,
             current_setting('autovacuum') = 'on'
               and coalesce((select option_value from pg_options_to_table(c.reloptions) where option_name = 'autovacuum_enabled'), 'true') <> 'false'
               as autovacuum
        from pg_class c join pg_stat_user_tables s on s.relid = c.oid
       where c.oid = to_regclass(${table})`.execute(db);
    const row = rows[0];
    return row === undefined ? undefined : { ...row, reltuples: Number(row.reltuples), n_mod_since_analyze: Number(row.n_mod_since_analyze), n_dead_tup: Number(row.n_dead_tup) };
  }

  async function refreshTable(table: TrackedTable): Promise<StatisticsRun | undefined> {
    const counters = await countersOf(table);
    if (counters === undefined) return undefined;
    // reltuples is -1 before the first VACUUM or ANALYZE (PostgreSQL 14+).
    const size = Math.max(0, counters.reltuples);
    const analyzeDue = counters.n_mod_since_analyze > ANALYZE_BASE + ANALYZE_FRACTION * size || (!counters.analyzed && counters.n_mod_since_analyze > ANALYZE_BASE);
    const autovacuum = counters.autovacuum && options.embedded !== true;
    const vacuumDue = !autovacuum && counters.n_dead_tup > VACUUM_BASE + VACUUM_FRACTION * size;
    if (!analyzeDue && !vacuumDue) return undefined;
    const action = vacuumDue ? 'vacuum analyze' : 'analyze';
    const started = performance.now();
    // Identifiers from the TrackedTable union only; VACUUM cannot run inside a transaction, and
    // Kysely runs a plain statement outside one.
    await sql.raw(`${action} ${table}`).execute(db);
    const run: StatisticsRun = { table, action, changedRows: counters.n_mod_since_analyze, ms: Math.round(performance.now() - started) };
    options.logger?.info({ ...run }, 'planner statistics refreshed');
    options.onRun?.(run);
    return run;
  }

  return {
    /**
     * Analyzes (and, where autovacuum is off, vacuums) the tables whose statistics are due.
     * Never throws: a failure is logged and the next call tries again. Concurrent calls for one
     * table share one run; `force` skips the per-table rate limit (after a known bulk write).
     */
    async refresh(tables: TrackedTable[], force = false): Promise<StatisticsRun[]> {
      const runs = tables.map((table) => {
        const current = running.get(table);
        if (current !== undefined) return current;
        if (!force && now() - (lastCheck.get(table) ?? -Infinity) < checkIntervalMs) return Promise.resolve(undefined);
        lastCheck.set(table, now());
        const run = refreshTable(table)
          .catch((error: unknown) => {
            options.logger?.warn({ table, err: error instanceof Error ? error.message : String(error) }, 'planner statistics refresh failed');
            return undefined;
          })
          .finally(() => running.delete(table));
        running.set(table, run);
        return run;
      });
      return (await Promise.all(runs)).filter((run): run is StatisticsRun => run !== undefined);
    },
  };
}

export type StatisticsKeeper = ReturnType<typeof createStatisticsKeeper>;
