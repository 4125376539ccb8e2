import type { Config } from '../config.js';

/**
 * A cron expression for "every N minutes" (UTC). Cron can only express intervals that divide an
 * hour (or hour counts that divide a day) evenly; other values are rounded to the nearest interval
 * that does, and `rounded` says so, so the engine can warn instead of silently drifting.
 */
export function everyMinutesCron(minutes: number): { cron: string; minutes: number; rounded: boolean } {
  const m = Math.max(1, Math.round(minutes));
  const candidates = [
    ...[1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30].map((n) => ({ minutes: n, cron: n === 1 ? '* * * * *' : `*/${n} * * * *` })),
    ...[1, 2, 3, 4, 6, 8, 12].map((h) => ({ minutes: h * 60, cron: h === 1 ? '0 * * * *' : `0 */${h} * * *` })),
    { minutes: 1440, cron: '0 0 * * *' },
  ];
  let best = candidates[0]!;
  for (const c of candidates) {
    if (Math.abs(c.minutes - m) < Math.abs(best.minutes - m)) best = c;
  }
  return { cron: best.cron, minutes: best.minutes, rounded: best.minutes !== m };
}

/** The configured schedule of each scheduled job, by job name. */
export function configuredSchedules(config: Pick<Config, 'schedules'>): Record<string, { cron: string; rounded: boolean }> {
  const s = config.schedules;
  return {
    'sync-sims': everyMinutesCron(s.syncSimsMinutes),
    'sync-usage': everyMinutesCron(s.syncUsageMinutes),
    'check-quotas': everyMinutesCron(s.checkQuotasMinutes),
    cleanup: { cron: s.cleanupCron, rounded: false },
    // Fallback sweep for deliveries whose nudge was lost (e.g. enqueued inside a transaction).
    'webhook-deliver': { cron: '* * * * *', rounded: false },
  };
}
