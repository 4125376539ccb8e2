import type { WebhooksService } from '../modules/webhooks/webhooks.service.js';
import type { JobDefinition, JobEngine } from './engine.js';

/** A retry due sooner than this is nudged with a delayed job instead of waiting for the next minute's sweep. */
const NUDGE_WITHIN_MS = 60_000;

/**
 * 'webhook-deliver': attempts every due webhook delivery (claimed with SKIP LOCKED, so several
 * workers can run it at once), then schedules itself for the next retry that falls due soon. The
 * minute cron is the safety net for nudges that were never sent.
 */
export function webhookDeliverJob(deps: { webhooks: Pick<WebhooksService, 'deliverDue' | 'nextDueAt'>; jobs: Pick<JobEngine, 'started' | 'send'> }): JobDefinition {
  return {
    name: 'webhook-deliver',
    retryLimit: 1,
    retryDelaySeconds: 5,
    expireInSeconds: 10 * 60,
    async handler(_data, ctx) {
      const result = await deps.webhooks.deliverDue({ signal: ctx.signal });
      const next = await deps.webhooks.nextDueAt();
      if (deps.jobs.started && next !== undefined && next.getTime() - Date.now() < NUDGE_WITHIN_MS) {
        await deps.jobs.send('webhook-deliver', {}, { startAfter: new Date(Math.max(Date.now(), next.getTime()) + 1_000) });
      }
      if (result.attempted > 0) ctx.logger.info(result, 'webhook deliveries attempted');
      return { items: result.attempted };
    },
  };
}
