import { csvLine } from '../../lib/csv.js';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { BulkJobItemStatus, BulkJobStatus, DB, JsonObject } from '../../db/schema.js';
import { Conflict, NotFound, ValidationError } from '../../errors.js';
import type { JobSender } from '../../lib/job-sender.js';
import { iso, isoOrNull } from '../../lib/time.js';
import { actingUserId, type ActorContext } from '../sims/sim-ref.js';
import { simLookups } from '../sims/sims.repo.js';
import { createBulkRepo, type BulkItemRow, type BulkJobRow } from './bulk.repo.js';
import type { BulkAction, BulkJobDto, BulkParams, CreateBulkJobBody } from './bulk.schemas.js';
import { resolveSelection } from './bulk.selection.js';
import { pageReply } from '../../db/paging.js';

/** The job engine queue the runner listens on. */
export const BULK_JOB_NAME = 'bulk-job';
const DRY_RUN_SAMPLE = 20;
const CSV_BATCH = 1_000;

export interface BulkServiceDeps {
  db: Kysely<DB>;
  logger: Pick<Logger, 'warn'>;
  /** The job engine, read lazily (it is wired after the services); undefined until it runs. */
  jobs: () => JobSender | undefined;
  /** `bulk_job.finished` (webhooks) and `bulk.finished` (live stream) when a job is cancelled. */
  notify?: ((type: 'bulk_job.finished' | 'bulk.finished', payload: Record<string, unknown>) => void | Promise<void>) | undefined;
}

/** Actions on our own fields only: 1NCE's view of a SIM (expired or not) does not matter to them. */
const LOCAL_ACTIONS: ReadonlySet<BulkAction> = new Set(['add_tag', 'remove_tag']);

/**
 * Selected SIMs whose expiry date has passed (the sync records 1NCE's quota expiry, and the 422s
 * 1NCE answers for expired SIMs). 1NCE still lists them as Enabled but refuses every change except an
 * extension, so the job would fail them.
 */
function expiredAmong(db: Kysely<DB>, items: Array<{ simId: number | null }>): Promise<string[]> {
  return simLookups.expiredIccids(db, items.map((i) => i.simId).filter((id): id is number => id !== null));
}

/** The parameters each action needs; 400 naming the missing one. */
function checkParams(action: BulkAction, params: BulkParams): JsonObject {
  const need = (field: keyof BulkParams) => {
    if (params[field] === undefined) throw new ValidationError(`${action} needs params.${field}`, [{ field: `body.params.${field}`, message: 'is required for this action' }]);
  };
  if (action === 'label') need('label');
  if (action === 'add_tag' || action === 'remove_tag') need('tag');
  if (action === 'sms') need('message');
  const relevant: Partial<Record<BulkAction, Array<keyof BulkParams>>> = {
    label: ['label'],
    add_tag: ['tag'],
    remove_tag: ['tag'],
    sms: ['message'],
    topup: ['payment_method'],
  };
  const extra = Object.keys(params).filter((k) => !(relevant[action] ?? []).includes(k as keyof BulkParams));
  if (extra.length > 0) {
    throw new ValidationError(`${action} takes no params.${extra[0]}`, extra.map((k) => ({ field: `body.params.${k}`, message: `is not used by ${action}` })));
  }
  return { ...params };
}

/** A job as the API returns it, with derived progress. */
export function toJobDto(row: BulkJobRow): BulkJobDto {
  const pending = Math.max(0, row.total - row.processed);
  return {
    id: row.id,
    action: row.action,
    params: row.params,
    selection: row.selection,
    status: row.status,
    total: row.total,
    processed: row.processed,
    succeeded: row.succeeded,
    failed: row.failed,
    skipped: row.skipped,
    pending: row.status === 'cancelled' ? 0 : pending,
    progress_percent: row.total === 0 ? 100 : Math.round((row.processed / row.total) * 1000) / 10,
    error: row.error,
    created_by_user_id: row.created_by_user_id,
    created_at: iso(row.created_at),
    started_at: isoOrNull(row.started_at),
    finished_at: isoOrNull(row.finished_at),
    cancel_requested_at: isoOrNull(row.cancel_requested_at),
  };
}

function itemDto(row: BulkItemRow) {
  return {
    iccid: row.iccid,
    status: row.status,
    result: row.result as Record<string, unknown> | null,
    error: row.error,
    attempts: row.attempts,
    updated_at: row.updated_at.toISOString(),
  };
}

/** Bulk actions: selection, dry runs, job records, progress, cancellation and results. */
export function createBulkService(deps: BulkServiceDeps) {
  const repo = createBulkRepo(deps.db);

  async function requireJob(id: string): Promise<BulkJobRow> {
    const job = await repo.findJob(id);
    if (job === undefined) throw new NotFound('bulk_job', id);
    return job;
  }

  return {
    /**
     * Resolves the selection; a dry run reports it, otherwise a job with one pending item per SIM
     * is stored and handed to the job engine (which runs it at 1NCE's 'bulk' priority).
     */
    async create(body: CreateBulkJobBody, acting: ActorContext) {
      const params = checkParams(body.action, body.params ?? {});
      const selection = await resolveSelection(deps.db, body);
      const invalid = selection.items.filter((i) => i.error !== null);
      if (body.dry_run === true) {
        const expired = LOCAL_ACTIONS.has(body.action) ? [] : await expiredAmong(deps.db, selection.items);
        return {
          dryRun: true as const,
          body: {
            dry_run: true as const,
            action: body.action,
            selection: selection.describe,
            total: selection.items.length,
            valid: selection.items.length - invalid.length,
            invalid: invalid.length,
            sample: selection.items.filter((i) => i.error === null).slice(0, DRY_RUN_SAMPLE).map((i) => i.iccid),
            invalid_sample: invalid.slice(0, DRY_RUN_SAMPLE).map((i) => ({ iccid: i.iccid, error: i.error! })),
            expired: expired.length,
            expired_sample: expired.slice(0, DRY_RUN_SAMPLE),
          },
        };
      }
      const job = await repo.createJob(
        { action: body.action, params, selection: selection.describe, createdByUserId: actingUserId(acting) },
        selection.items,
      );
      const jobs = deps.jobs();
      if (jobs === undefined) {
        deps.logger.warn({ bulkJob: job.id }, 'job engine not running; the bulk job waits queued until a worker starts');
      } else {
        await jobs.send(BULK_JOB_NAME, { jobId: job.id }, { singletonKey: job.id });
      }
      return { dryRun: false as const, body: toJobDto(job) };
    },

    async get(id: string): Promise<BulkJobDto> {
      return toJobDto(await requireJob(id));
    },

    async list(status: BulkJobStatus | undefined, page: number, pageSize: number) {
      const { items, total } = await repo.pageJobs(status, page, pageSize);
      return pageReply(items.map(toJobDto), total, page, pageSize);
    },

    async items(id: string, status: BulkJobItemStatus | undefined, page: number, pageSize: number) {
      await requireJob(id);
      const { items, total } = await repo.pageItems(id, status, page, pageSize);
      return pageReply(items.map(itemDto), total, page, pageSize);
    },

    /**
     * Cancels a job at once, queued or running, whether or not its worker is alive: the job ends
     * `cancelled` and its pending items become `cancelled`. A live worker stops before its next
     * chunk; calls already sent to 1NCE complete and their outcome is still recorded (a dead
     * worker's in-flight items are reconciled with 1NCE by the engine's retry of the job).
     */
    async cancel(id: string): Promise<BulkJobDto> {
      const job = await requireJob(id);
      const cancelled = await repo.cancel(id);
      if (cancelled === undefined) throw new Conflict(`Bulk job ${id} is ${job.status} and can no longer be cancelled`, 'bulk_job_finished');
      const done = { id: cancelled.id, action: cancelled.action, status: cancelled.status, total: cancelled.total, succeeded: cancelled.succeeded, failed: cancelled.failed };
      await deps.notify?.('bulk_job.finished', done);
      await deps.notify?.('bulk.finished', { ...done, done: cancelled.processed, skipped: cancelled.skipped });
      return toJobDto(cancelled);
    },

    /** Per-SIM results as CSV lines (header first), read in ICCID order in batches. */
    async *resultsCsv(id: string): AsyncGenerator<string> {
      await requireJob(id);
      yield 'iccid,status,error,result\r\n';
      let after: string | undefined;
      for (;;) {
        const rows = await repo.itemsAfter(id, after, CSV_BATCH);
        if (rows.length === 0) return;
        yield rows
          .map((r) => csvLine([r.iccid, r.status, r.error, r.result]))
          .join('');
        after = rows[rows.length - 1]!.iccid;
        if (rows.length < CSV_BATCH) return;
      }
    },
  };
}

export type BulkService = ReturnType<typeof createBulkService>;
