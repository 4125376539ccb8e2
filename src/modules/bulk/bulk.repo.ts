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

function toPending(r: { iccid: string; sim_id: number | null; attempts: number; account_id: string | null; msisdn: string | null; source: string | null }): PendingItem {
  return { iccid: r.iccid, simId: r.sim_id, accountId: r.account_id, msisdn: r.msisdn, source: r.source, attempts: r.attempts };
}

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

    /**
     * The next pending items with their SIM (a SIM deleted since selection has no account), in
     * ICCID order after `afterIccid` (keyset: items already handed out but still in flight are not
     * read again). Served by the (job_id, status, iccid) index: reads `limit` rows, not every pending one.
     */
    async pendingChunk(jobId: string, limit: number, afterIccid?: string): Promise<PendingItem[]> {
      let query = db
        .selectFrom('bulk_job_items as i')
        .leftJoin('sims as s', 's.id', 'i.sim_id')
        .select(['i.iccid', 'i.sim_id', 'i.attempts', 's.account_id', 's.msisdn', 's.source'])
        .where('i.job_id', '=', jobId)
        .where('i.status', '=', 'pending');
      if (afterIccid !== undefined) query = query.where('i.iccid', '>', afterIccid);
      const rows = await query.orderBy('i.iccid').limit(limit).execute();
      return rows.map(toPending);
    },

    /**
     * Items whose provider call was sent by a run that never recorded the outcome (its worker died):
     * pending, or cancelled while in flight, with an attempt counted and no outcome. They are
     * reconciled with 1NCE before anything else.
     */
    async inFlight(jobId: string, limit: number, afterIccid?: string): Promise<PendingItem[]> {
      let query = db
        .selectFrom('bulk_job_items as i')
        .leftJoin('sims as s', 's.id', 'i.sim_id')
        .select(['i.iccid', 'i.sim_id', 'i.attempts', 's.account_id', 's.msisdn', 's.source'])
        .where('i.job_id', '=', jobId)
        .where('i.status', 'in', ['pending', 'cancelled'])
        .where('i.attempts', '>', 0)
        .where('i.result', 'is', null)
        .where('i.error', 'is', null);
      if (afterIccid !== undefined) query = query.where('i.iccid', '>', afterIccid);
      const rows = await query.orderBy('i.iccid').limit(limit).execute();
      return rows.map(toPending);
    },

    /** Counts an attempt on each item before its provider call (one statement), so a crash mid-call is recognised on resume. */
    async markInFlight(jobId: string, iccids: string[]): Promise<void> {
      if (iccids.length === 0) return;
      await db
        .updateTable('bulk_job_items')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('job_id', '=', jobId)
        .where('iccid', '=', sql<string>`any(${iccids}::text[])`)
        .where('status', 'in', ['pending', 'cancelled'])
        .execute();
    },

    /**
     * Stores item outcomes and advances the job's counters: two statements for the whole chunk (an
     * UPDATE ... FROM unnest over the primary key, then the counters) in one transaction. Only items
     * still pending - or cancelled while their call was in flight, whose real outcome this is -
     * change, so a result is never counted twice. Returns the counters after it (undefined when
     * nothing was given).
     */
    async recordResults(jobId: string, results: ItemResult[]) {
      if (results.length === 0) return undefined;
      const iccids = results.map((r) => r.iccid);
      const statuses = results.map((r) => r.status);
      const payloads = results.map((r) => (r.result === undefined ? null : JSON.stringify(r.result)));
      const errors = results.map((r) => r.error ?? null);
      return db.transaction().execute(async (trx) => {
        const changed = await sql<{ status: string; n: string }>`
          with r as (
            select * from unnest(${iccids}::text[], ${statuses}::text[], ${payloads}::text[], ${errors}::text[])
              as r(iccid, status, result, error)
          ), changed as (
            update bulk_job_items i
               set status = r.status, result = r.result::jsonb, error = r.error
              from r
             where i.job_id = ${jobId} and i.iccid = r.iccid
               and (i.status = 'pending'
                    or (i.status = 'cancelled' and i.attempts > 0 and i.result is null and i.error is null))
            returning i.status
          )
          select status, count(*) as n from changed group by status
        `.execute(trx);
        const counts = { succeeded: 0, failed: 0, skipped: 0 };
        for (const row of changed.rows) if (row.status in counts) counts[row.status as keyof typeof counts] += Number(row.n);
        const processed = counts.succeeded + counts.failed + counts.skipped;
        return trx
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

    /**
     * Ends a queued or running job as cancelled at once, whether or not a worker is still on it:
     * pending items become `cancelled`. An item whose call is in flight keeps its attempt, so its
     * real outcome is still recorded when the call returns (or reconciled with 1NCE by the next run
     * when the worker died).
     */
    cancel(id: string) {
      return db.transaction().execute(async (trx) => {
        const job = await trx
          .updateTable('bulk_jobs')
          .set({ status: 'cancelled', cancel_requested_at: sql<Date>`coalesce(cancel_requested_at, now())`, finished_at: sql<Date>`now()` })
          .where('id', '=', id)
          .where('status', 'in', ['queued', 'running'])
          .returningAll()
          .executeTakeFirst();
        if (job === undefined) return undefined;
        await trx.updateTable('bulk_job_items').set({ status: 'cancelled' }).where('job_id', '=', id).where('status', '=', 'pending').execute();
        return job;
      });
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
