import { sql, type Kysely } from 'kysely';
import type { BulkJobItemStatus, BulkJobStatus, DB, JsonObject, Row } from '../../db/schema.js';
import type { SelectedItem } from './bulk.selection.js';
import { pageOf } from '../../db/paging.js';

export type BulkJobRow = Row<'bulk_jobs'>;
export type BulkItemRow = Row<'bulk_job_items'>;

/** A pending item with what the runner needs of its SIM. */
export interface PendingItem {
  iccid: string;
  simId: number | null;
  accountId: string | null;
  msisdn: string | null;
  source: string | null;
  attempts: number;
}

/** The outcome of one item. */
export interface ItemResult {
  iccid: string;
  status: Exclude<BulkJobItemStatus, 'pending'>;
  result?: JsonObject | undefined;
  error?: string | undefined;
}

const INSERT_BATCH = 1_000;

/** Queries on `bulk_jobs` and `bulk_job_items`. */
export function createBulkRepo(db: Kysely<DB>) {
  return {
    /** Creates the job and one item per SIM in one transaction; malformed/unknown inputs start failed. */
    createJob(job: { action: string; params: JsonObject; selection: JsonObject; createdByUserId: number | null }, items: SelectedItem[]) {
      const failed = items.filter((i) => i.error !== null).length;
      return db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('bulk_jobs')
          .values({
            action: job.action,
            params: job.params,
            selection: job.selection,
            created_by_user_id: job.createdByUserId,
            total: items.length,
            processed: failed,
            failed,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        for (let start = 0; start < items.length; start += INSERT_BATCH) {
          await trx
            .insertInto('bulk_job_items')
            .values(
              items.slice(start, start + INSERT_BATCH).map((i) => ({
                job_id: row.id,
                iccid: i.iccid,
                sim_id: i.simId,
                status: i.error === null ? ('pending' as const) : ('failed' as const),
                error: i.error,
              })),
            )
            .execute();
        }
        return row;
      });
    },

    findJob(id: string) {
      return db.selectFrom('bulk_jobs').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async pageJobs(status: BulkJobStatus | undefined, page: number, pageSize: number) {
      let query = db.selectFrom('bulk_jobs');
      if (status !== undefined) query = query.where('status', '=', status);
      const { rows, total } = await pageOf(query, (q) => q.selectAll().orderBy('created_at', 'desc').orderBy('id'), page, pageSize);
      return { items: rows, total };
    },

    async pageItems(jobId: string, status: BulkJobItemStatus | undefined, page: number, pageSize: number) {
      let query = db.selectFrom('bulk_job_items').where('job_id', '=', jobId);
      if (status !== undefined) query = query.where('status', '=', status);
      const { rows, total } = await pageOf(query, (q) => q.selectAll().orderBy('iccid'), page, pageSize);
      return { items: rows, total };
    },

    /** Items after `afterIccid` in ICCID order (keyset), for the result CSV. */
    itemsAfter(jobId: string, afterIccid: string | undefined, limit: number) {
      let query = db.selectFrom('bulk_job_items').selectAll().where('job_id', '=', jobId);
      if (afterIccid !== undefined) query = query.where('iccid', '>', afterIccid);
      return query.orderBy('iccid').limit(limit).execute();
    },

    /** The next pending items with their SIM (a SIM deleted since selection has no account). */
    async pendingChunk(jobId: string, limit: number): Promise<PendingItem[]> {
      const rows = await db
        .selectFrom('bulk_job_items as i')
        .leftJoin('sims as s', 's.id', 'i.sim_id')
        .select(['i.iccid', 'i.sim_id', 'i.attempts', 's.account_id', 's.msisdn', 's.source'])
        .where('i.job_id', '=', jobId)
        .where('i.status', '=', 'pending')
        .orderBy('i.iccid')
        .limit(limit)
        .execute();
      return rows.map((r) => ({ iccid: r.iccid, simId: r.sim_id, accountId: r.account_id, msisdn: r.msisdn, source: r.source, attempts: r.attempts }));
    },

    /** Counts an attempt before a non-idempotent call, so a crash mid-call is recognised on resume. */
    async markAttempt(jobId: string, iccid: string): Promise<void> {
      await db
        .updateTable('bulk_job_items')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('job_id', '=', jobId)
        .where('iccid', '=', iccid)
        .execute();
    },

    /**
     * Records outcomes and moves the job's counters in one transaction. Only items still pending
     * are changed, so a result can never be counted twice.
     */
    /** Stores item outcomes and advances the job's counters; returns the counters after it (undefined when nothing was recorded). */
    async recordResults(jobId: string, results: ItemResult[]) {
      if (results.length === 0) return undefined;
      return db.transaction().execute(async (trx) => {
        const counts = { succeeded: 0, failed: 0, skipped: 0, cancelled: 0 };
        for (const r of results) {
          const updated = await trx
            .updateTable('bulk_job_items')
            .set({ status: r.status, result: r.result ?? null, error: r.error ?? null })
            .where('job_id', '=', jobId)
            .where('iccid', '=', r.iccid)
            .where('status', '=', 'pending')
            .executeTakeFirst();
          if (updated.numUpdatedRows > 0n) counts[r.status]++;
        }
        const processed = counts.succeeded + counts.failed + counts.skipped;
        await trx
          .updateTable('bulk_jobs')
          .set((eb) => ({
            processed: eb('processed', '+', processed),
            succeeded: eb('succeeded', '+', counts.succeeded),
            failed: eb('failed', '+', counts.failed),
            skipped: eb('skipped', '+', counts.skipped),
          }))
          .where('id', '=', jobId)
          .returning(['id', 'action', 'status', 'total', 'processed', 'succeeded', 'failed', 'skipped'])
          .executeTakeFirst();
      });
    },

    markRunning(id: string) {
      return db
        .updateTable('bulk_jobs')
        .set({ status: 'running', started_at: sql<Date>`coalesce(started_at, now())` })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .returningAll()
        .executeTakeFirst();
    },

    /** Ends a job: remaining pending items are cancelled when it was cancelled. */
    finish(id: string, status: Extract<BulkJobStatus, 'completed' | 'cancelled' | 'failed'>, error: string | null = null) {
      return db.transaction().execute(async (trx) => {
        if (status !== 'completed') {
          await trx.updateTable('bulk_job_items').set({ status: 'cancelled' }).where('job_id', '=', id).where('status', '=', 'pending').execute();
        }
        return trx
          .updateTable('bulk_jobs')
          .set({ status, error, finished_at: new Date() })
          .where('id', '=', id)
          .where('status', 'in', ['queued', 'running'])
          .returningAll()
          .executeTakeFirst();
      });
    },

    requestCancel(id: string) {
      return db
        .updateTable('bulk_jobs')
        .set({ cancel_requested_at: new Date() })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'running'])
        .returningAll()
        .executeTakeFirst();
    },

    async pendingCount(jobId: string): Promise<number> {
      const row = await db
        .selectFrom('bulk_job_items')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('job_id', '=', jobId)
        .where('status', '=', 'pending')
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

export type BulkRepo = ReturnType<typeof createBulkRepo>;
