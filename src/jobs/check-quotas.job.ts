import type { Cache } from '../cache.js';
import type { Config } from '../config.js';
import type { AlertsService } from '../modules/alerts/alerts.service.js';
import type { Intelligence } from '../modules/intelligence/intelligence.js';
import type { JobDefinition } from './engine.js';
import { QUOTA_FORECAST_CACHE_KEY } from '../modules/observability/platform-probes.js';

/** The shared fleet forecast outlives two missed runs at most; after that the metric goes absent rather than stale. */
const FORECAST_TTL_FACTOR = 3;

/**
 * 'check-quotas': evaluates the alert rules against the quota figures the sync and the Data Streamer
 * keep in the database (no provider call per SIM), raising and clearing alerts with hysteresis and
 * placing capped automatic top-ups. Idempotent: an alert is raised once per crossing.
 */
export function checkQuotasJob(deps: { alerts: AlertsService; cache: Cache; config: Pick<Config, 'schedules'>; intelligence?: Pick<Intelligence, 'anomalies'> }): JobDefinition {
  return {
    name: 'check-quotas',
    retryLimit: 2,
    expireInSeconds: 30 * 60,
    async handler(_data, ctx) {
      const created = await deps.alerts.ensureDefaultRules();
      if (created > 0) ctx.logger.info({ rules: created }, 'created the default alert rules');
      const { forecast, ...result } = await deps.alerts.evaluate({ signal: ctx.signal });
      ctx.logger.info({ ...result, exhausting_within_days: forecast.withinDays }, 'quota check finished');
      // Shared through the cache (Redis with several replicas) so every replica's /metrics reports it.
      await deps.cache
        .set(QUOTA_FORECAST_CACHE_KEY, forecast, deps.config.schedules.checkQuotasMinutes * 60 * FORECAST_TTL_FACTOR)
        .catch((error: unknown) => ctx.logger.warn({ err: error }, 'could not store the fleet quota forecast'));
      // The anomaly sweep: every anomaly rule over the whole fleet, set-based (src/modules/intelligence).
      // After the quota part, so a failing anomaly sweep (the run fails and is retried) never costs the quota forecast.
      if (deps.intelligence !== undefined) {
        const anomalies = await deps.intelligence.anomalies.sweep();
        ctx.logger.info({ ...anomalies }, 'anomaly sweep finished');
      }
      return { items: result.sims };
    },
  };
}
