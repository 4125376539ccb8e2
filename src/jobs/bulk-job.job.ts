import type { JobDefinition } from './engine.js';
import type { BulkRunner } from '../modules/bulk/bulk.runner.js';
import { BULK_JOB_NAME } from '../modules/bulk/bulk.service.js';

/** Payload of a 'bulk-job' job: the bulk_jobs row to work through. */
export interface BulkJobData {
  jobId: string;
}

/**
 * Runs one bulk job. A run that is aborted (shutdown, expiry) or crashes leaves the remaining
 * items pending; the retry resumes with exactly those, so finished SIMs are never repeated.
 */
export function bulkJobJob(deps: { bulkRunner: BulkRunner }): JobDefinition<BulkJobData> {
  return {
    name: BULK_JOB_NAME,
    // Retries are resumptions, not repeats: they only ever see pending items.
    retryLimit: 10,
    // A retry is mostly a take-over after a worker died (its lease lapsed): resume promptly.
    retryDelaySeconds: 5,
    // The longest run: 10,000 per-SIM calls at 1NCE's 10/s take ~17 minutes; the budget is shared.
    // A dead worker's run is taken over after the engine's lease (JOB_LEASE_SECONDS), not this.
    expireInSeconds: 4 * 3600,
    async handler(data, ctx) {
      const outcome = await deps.bulkRunner.run(data.jobId, ctx.signal);
      if (outcome === 'interrupted') throw new Error(`bulk job ${data.jobId} interrupted; the retry resumes its pending items`);
      ctx.logger.info({ bulkJob: data.jobId, outcome }, 'bulk job run ended');
    },
  };
}
