import type { Deps } from '../deps.js';
import type { JobDefinition } from './engine.js';

/**
 * 'check-quotas': evaluates the alert rules against the quota figures the sync and the Data Streamer
 * keep in the database (no provider call per SIM), raising and clearing alerts with hysteresis and
 * placing capped automatic top-ups. Idempotent: an alert is raised once per crossing.
 */
export function checkQuotasJob(deps: Pick<Deps, 'alerts'>): JobDefinition {
  return {
    name: 'check-quotas',
    retryLimit: 2,
    expireInSeconds: 30 * 60,
    async handler(_data, ctx) {
      const created = await deps.alerts.ensureDefaultRules();
      if (created > 0) ctx.logger.info({ rules: created }, 'created the default alert rules');
      const result = await deps.alerts.evaluate({ signal: ctx.signal });
      ctx.logger.info(result, 'quota check finished');
      return { items: result.sims };
    },
  };
}
