import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

/** The reads behind the scrape-time probes: job successes, Data Streamer activity and fleet counts. */
export function createPlatformProbesRepo(db: Kysely<DB>) {
  return {
    /** When each named job last finished successfully (jobs that never did are left out). */
    async lastJobSuccess(jobNames: readonly string[]): Promise<Array<{ job_name: string; finished_at: Date | string | null }>> {
      // One index probe per job (job_name, started_at desc): the newest success, however long the history.
      const { rows } = await sql<{ job_name: string; finished_at: Date | string | null }>`
        select j.name as job_name, last.finished_at
        from unnest(${sql.val([...jobNames])}::text[]) as j(name)
        cross join lateral (
          select r.finished_at from job_runs r
          where r.job_name = j.name and r.outcome = 'success'
          order by r.started_at desc limit 1
        ) last`.execute(db);
      return rows;
    },

    /** The last Data Streamer record received per account, by account name. */
    streamerLastReceived() {
      return db
        .selectFrom('streamer_activity as s')
        .innerJoin('provider_accounts as a', 'a.id', 's.account_id')
        .select(['a.name', 's.last_received_at'])
        .execute();
    },

    /** SIMs per status and connectivity ('unknown' for none). */
    async fleetCounts(): Promise<Array<{ status: string; connectivity: string; sims: number }>> {
      const rows = await db
        .selectFrom('sims')
        .select([
          sql<string>`coalesce(status, 'unknown')`.as('status'),
          sql<string>`coalesce(connectivity_status, 'unknown')`.as('connectivity'),
          sql<string>`count(*)`.as('sims'),
        ])
        .groupBy(['status', 'connectivity_status'])
        .execute();
      return rows.map((row) => ({ status: row.status, connectivity: row.connectivity, sims: Number(row.sims) }));
    },
  };
}
