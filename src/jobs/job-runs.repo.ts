import { sql, type Kysely } from 'kysely';
import type { Selectable } from 'kysely';
import type { DB, JobRunOutcome, JobRunsTable } from '../db/schema.js';

/** One row of `job_runs` as the scheduler API shows it. */
export type JobRunRow = Omit<Selectable<JobRunsTable>, 'created_at' | 'updated_at'>;

/** Longest error text kept per run; stack traces belong in the logs. */
const MAX_ERROR_LENGTH = 2000;

/** Our own record of every job run (pg-boss keeps jobs, not a queryable run history). */
export function createJobRunsRepo(db: Kysely<DB>) {
  return {
    /**
     * Records the start of a run. Earlier runs of the same engine job still marked running were
     * abandoned (their worker died or was stopped); they are closed as failures here.
     */
    async start(run: { jobName: string; jobId: string; attempt: number; workerId: string }): Promise<number> {
      return db.transaction().execute(async (trx) => {
        await trx
          .updateTable('job_runs')
          .set({
            outcome: 'failure',
            finished_at: sql<Date>`now()`,
            error: 'abandoned: the worker stopped or died before finishing; retried',
          })
          .where('job_id', '=', run.jobId)
          .where('outcome', '=', 'running')
          .execute();
        const row = await trx
          .insertInto('job_runs')
          .values({ job_name: run.jobName, job_id: run.jobId, attempt: run.attempt, worker_id: run.workerId })
          .returning('id')
          .executeTakeFirstOrThrow();
        return row.id;
      });
    },

    /** Records how a run ended. */
    async finish(id: number, result: { outcome: Exclude<JobRunOutcome, 'running'>; durationMs: number; items?: number | undefined; error?: string | undefined }) {
      await db
        .updateTable('job_runs')
        .set({
          outcome: result.outcome,
          finished_at: sql<Date>`now()`,
          duration_ms: Math.max(0, Math.round(result.durationMs)),
          items: result.items ?? null,
          error: result.error === undefined ? null : result.error.slice(0, MAX_ERROR_LENGTH),
        })
        .where('id', '=', id)
        .execute();
    },

    /** The latest run of each named job. */
    async latest(jobNames: readonly string[]): Promise<Map<string, JobRunRow>> {
      if (jobNames.length === 0) return new Map();
      const rows = await db
        .selectFrom('job_runs')
        .selectAll()
        .distinctOn('job_name')
        .where('job_name', 'in', [...jobNames])
        .orderBy('job_name')
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .execute();
      return new Map(rows.map((r) => [r.job_name, toRow(r)]));
    },

    /** Failed runs of one job since `since`, newest first. */
    async recentFailures(jobName: string, since: Date, limit: number): Promise<JobRunRow[]> {
      const rows = await db
        .selectFrom('job_runs')
        .selectAll()
        .where('job_name', '=', jobName)
        .where('outcome', '=', 'failure')
        .where('started_at', '>=', since)
        .orderBy('started_at', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toRow);
    },

    /** Runs of one job, newest first. */
    async list(jobName: string, limit: number): Promise<JobRunRow[]> {
      const rows = await db.selectFrom('job_runs').selectAll().where('job_name', '=', jobName).orderBy('started_at', 'desc').limit(limit).execute();
      return rows.map(toRow);
    },
  };
}

function toRow(r: Selectable<JobRunsTable>): JobRunRow {
  const { created_at: _created, updated_at: _updated, ...row } = r;
  return row;
}

export type JobRunsRepo = ReturnType<typeof createJobRunsRepo>;
