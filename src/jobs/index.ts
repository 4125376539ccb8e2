import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { checkQuotasJob } from './check-quotas.job.js';
import { cleanupJob } from './cleanup.job.js';
import type { JobDefinition, JobEngine } from './engine.js';
import { configuredSchedules } from './schedules.js';
import { webhookDeliverJob } from './webhook-deliver.job.js';
import { syncSimsJob } from './sync-sims.job.js';
import { syncUsageJob } from './sync-usage.job.js';
import { bulkJobJob } from './bulk-job.job.js';

/**
 * Every job of the platform, one factory per file. Schedules come from the configuration here
 * (SYNC_SIMS_INTERVAL_MINUTES -> 'sync-sims', ... CLEANUP_CRON -> 'cleanup'), so job files stay free
 * of configuration. To add a job: import its factory and add one line to the list.
 */
/** What the jobs need, each factory naming its own narrow dependencies (no import of deps.ts). */
export type JobDeps = Parameters<typeof checkQuotasJob>[0] &
  Parameters<typeof cleanupJob>[0] &
  Parameters<typeof webhookDeliverJob>[0] &
  Parameters<typeof syncSimsJob>[0] &
  Parameters<typeof syncUsageJob>[0] &
  Parameters<typeof bulkJobJob>[0];

export function jobDefinitions(deps: JobDeps): JobDefinition[] {
  return [checkQuotasJob(deps), cleanupJob(deps), webhookDeliverJob(deps), syncSimsJob(deps), syncUsageJob(deps), bulkJobJob(deps)];
}

/** Registers every job on `deps.jobs`, attaching its configured schedule. */
export function registerJobs(deps: JobDeps & { config: Pick<Config, 'schedules'>; logger: Pick<Logger, 'warn'>; jobs: Pick<JobEngine, 'register'> }): void {
  const schedules = configuredSchedules(deps.config);
  for (const def of jobDefinitions(deps)) {
    const schedule = schedules[def.name];
    if (schedule?.rounded === true) {
      deps.logger.warn({ job: def.name, cron: schedule.cron }, 'interval does not divide an hour or a day evenly; rounded to the nearest one that does');
    }
    deps.jobs.register(schedule === undefined ? def : { ...def, schedule: { cron: schedule.cron } });
  }
}
