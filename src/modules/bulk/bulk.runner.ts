import { createBulkRepo, type BulkJobRow, type ItemResult, type PendingItem } from './bulk.repo.js';
import type { BulkAction, BulkParams } from './bulk.schemas.js';
import type { SimUpdate } from '../../provider/provider.types.js';
import { type BulkRunnerDeps } from './bulk.context.js';
import { createPerSimActions } from './bulk.per-sim.js';
import { BULK_UPDATES, createBulkUpdates, PROVIDER_BULK_LIMIT } from './bulk.updates.js';

export type { BulkRunnerDeps } from './bulk.context.js';
export { PROVIDER_BULK_LIMIT } from './bulk.updates.js';

/** Per-SIM actions handle this many items per unit of work (and re-check cancellation between units). */
const PER_SIM_CHUNK = 10;
/**
 * Units of work in flight at once. With one, the job left the provider budget idle while it
 * recorded a chunk's results, and those slots went to background work; with a few, the next call
 * is always waiting in the governor, so a 10,000-SIM bulk update runs at 1NCE's 10 calls/s.
 */
export const PIPELINE_DEPTH = 3;
/** The live stream's bulk events carry at most this many progress updates per job and second. */
const PROGRESS_EVERY_MS = 500;

/** The counters of a bulk job as the live stream's `bulk.progress` / `bulk.finished` carry them. */
function progressOf(job: { id: string; action: string; status: string; total: number; processed: number; succeeded: number; failed: number; skipped: number }) {
  return { id: job.id, action: job.action, status: job.status, total: job.total, done: job.processed, succeeded: job.succeeded, failed: job.failed, skipped: job.skipped };
}

export type RunOutcome = 'completed' | 'cancelled' | 'interrupted' | 'not_runnable';

/**
 * Executes bulk jobs. Only pending items are ever picked up and each outcome is written with its
 * counter in one transaction, so a job resumed after a crash or an abort continues where it
 * stopped without repeating finished SIMs.
 */
export function createBulkRunner(deps: BulkRunnerDeps) {
  const repo = createBulkRepo(deps.db);

  const updates = createBulkUpdates(deps);
  const perSim = createPerSimActions(deps);

  // bulk.progress at most every PROGRESS_EVERY_MS per job (the last counters always follow in bulk.finished).
  const lastProgress = new Map<string, number>();
  async function record(jobId: string, results: ItemResult[]): Promise<void> {
    const counters = await repo.recordResults(jobId, results);
    if (counters === undefined) return;
    const at = Date.now();
    if (at - (lastProgress.get(jobId) ?? 0) < PROGRESS_EVERY_MS) return;
    lastProgress.set(jobId, at);
    await deps.notify?.('bulk.progress', progressOf(counters));
  }

  async function isCancelled(jobId: string): Promise<boolean> {
    const job = await repo.findJob(jobId);
    return job === undefined || job.status === 'cancelled';
  }

  async function finish(job: BulkJobRow): Promise<RunOutcome> {
    const done = await repo.finish(job.id, 'completed');
    // A job changes up to every SIM of a fleet and writes one result row per SIM.
    await deps.statistics?.refresh(['sims', 'bulk_job_items'], true);
    lastProgress.delete(job.id);
    if (done !== undefined) {
      deps.logger.info({ bulkJob: job.id, status: done.status, processed: done.processed, failed: done.failed }, 'bulk job finished');
      await deps.notify?.('bulk_job.finished', { id: done.id, action: done.action, status: done.status, total: done.total, succeeded: done.succeeded, failed: done.failed });
      await deps.notify?.('bulk.finished', progressOf(done));
    }
    return 'completed';
  }

  /** One unit of work: a chunk of items through the action, its results recorded in one statement. */
  async function work(job: BulkJobRow, items: PendingItem[], params: BulkParams, update: SimUpdate | undefined, aborted: () => boolean): Promise<void> {
    const action = job.action as BulkAction;
    if (update !== undefined) {
      await record(job.id, await updates.runBulkUpdate(job, items, update));
    } else if (action === 'add_tag' || action === 'remove_tag') {
      const results = await perSim.runTags(items, params.tag ?? '', action === 'add_tag');
      await record(job.id, results);
      const changed = results.filter((r) => r.status === 'succeeded').map((r) => r.iccid);
      if (changed.length > 0) await deps.notify?.('sim.updated', { iccids: changed, fields: ['tags'], bulk_job_id: job.id });
    } else {
      for (const item of items) {
        // Stops between SIMs; the rest of the chunk stays pending for the retry.
        if (aborted() || (await isCancelled(job.id))) return;
        await record(job.id, [await perSim.runOne(job, item, params)]);
      }
    }
  }

  /** Settles the in-flight items of a job whose worker died; `cancelled` when the job was cancelled meanwhile. */
  async function settleInFlight(job: BulkJobRow, update: SimUpdate | undefined, cancelled: boolean): Promise<number> {
    let settled = 0;
    // Keyset: items left pending (not applied at 1NCE) are not read again; the run sends them.
    for (let after: string | undefined; ; ) {
      const stale = await repo.inFlight(job.id, PROVIDER_BULK_LIMIT, after);
      if (stale.length === 0) return settled;
      after = stale[stale.length - 1]!.iccid;
      const results = await updates.reconcile(job, stale, update, cancelled);
      await repo.recordResults(job.id, results);
      settled += results.length;
    }
  }

  return {
    /**
     * Works through a job's pending items until none are left, the job is cancelled, or `signal`
     * aborts (then it returns 'interrupted' and a later run resumes). Items a dead run left in
     * flight are reconciled with 1NCE first. Up to PIPELINE_DEPTH chunks are in flight at once
     * (keyset over ICCIDs, so none is handed out twice). In-flight provider calls are never
     * aborted: a cancelled top-up request would leave its outcome unknown.
     */
    async run(jobId: string, signal?: AbortSignal): Promise<RunOutcome> {
      // A function, not an inline check: TypeScript would narrow `signal.aborted` to false after the first test.
      const aborted = () => signal?.aborted === true;
      const job = await repo.markRunning(jobId);
      if (job === undefined) {
        // Cancelled (or finished) while a worker that died was on it: give its in-flight items their outcome.
        const ended = await repo.findJob(jobId);
        if (ended?.status === 'cancelled') {
          const settled = await settleInFlight(ended, BULK_UPDATES[ended.action as BulkAction]?.(ended.params), true);
          if (settled > 0) deps.logger.info({ bulkJob: jobId, settled }, 'bulk job: in-flight items of a cancelled job reconciled with 1NCE');
        }
        return 'not_runnable';
      }
      const action = job.action as BulkAction;
      const params = job.params as BulkParams;
      const update = BULK_UPDATES[action]?.(params);
      const chunkSize = update !== undefined || action === 'add_tag' || action === 'remove_tag' ? PROVIDER_BULK_LIMIT : PER_SIM_CHUNK;

      const settled = await settleInFlight(job, update, false);
      if (settled > 0) deps.logger.info({ bulkJob: jobId, settled }, 'bulk job: items in flight when an earlier run stopped reconciled with 1NCE');

      for (;;) {
        let cursor: string | undefined;
        let exhausted = false;
        let stop: 'interrupted' | 'cancelled' | undefined;
        let failure: unknown;
        const running = new Set<Promise<void>>();
        for (;;) {
          while (!exhausted && stop === undefined && failure === undefined && running.size < PIPELINE_DEPTH) {
            if (aborted()) stop = 'interrupted';
            else if (await isCancelled(jobId)) stop = 'cancelled';
            if (stop !== undefined) break;
            await deps.statistics?.refresh(['bulk_job_items']);
            const items = await repo.pendingChunk(jobId, chunkSize, cursor);
            if (items.length === 0) {
              exhausted = true;
              break;
            }
            cursor = items[items.length - 1]!.iccid;
            const unit: Promise<void> = work(job, items, params, update, aborted)
              .catch((error: unknown) => {
                failure ??= error;
              })
              .finally(() => running.delete(unit));
            running.add(unit);
          }
          if (running.size === 0) break;
          await Promise.race(running);
        }
        if (failure !== undefined) throw failure instanceof Error ? failure : new Error("a bulk job chunk failed", { cause: failure });
        if (stop !== undefined) {
          lastProgress.delete(jobId);
          return stop;
        }
        // Everything handed out was recorded; anything still pending (a SIM left for a resend) gets another pass.
        if ((await repo.pendingChunk(jobId, 1)).length === 0) return finish(job);
      }
    },
  };
}

export type BulkRunner = ReturnType<typeof createBulkRunner>;
