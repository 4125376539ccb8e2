import type { UsageSync } from '../modules/usage/usage.sync.js';
import type { Notify } from '../modules/notify/notify.service.js';
import type { JobDefinition } from './engine.js';

/** Data of a 'sync-usage' job. */
export interface SyncUsageData {
  /** Only these SIMs (default: every SIM with gaps). */
  iccids?: string[];
  /** Look-back window in days (default and maximum: the six months 1NCE keeps). */
  days?: number;
  /** SIMs per run (default 1,000). */
  limit?: number;
}

/**
 * Each SIM back-filled costs one 1NCE request; 1,000 per hourly run stays well inside the 36,000
 * requests an hour of the /sims budget, leaving room for sweeps and interactive calls.
 */
const DEFAULT_LIMIT = 1_000;

/**
 * 'sync-usage': finds SIMs with missing days of usage in the last six months (most behind first)
 * and back-fills them from 1NCE, upserting on (SIM, day). Days 1NCE reports nothing for are stored
 * as zero, so a SIM stops being a candidate once filled; re-running is harmless.
 */
export function syncUsageJob(deps: { fleet: { usageSync: Pick<UsageSync, 'backfillUsage'> }; notify?: Notify }): JobDefinition<SyncUsageData> {
  return {
    name: 'sync-usage',
    retryLimit: 2,
    retryDelaySeconds: 120,
    expireInSeconds: 2 * 3600,
    async handler(data, ctx) {
      let result;
      try {
        result = await deps.fleet.usageSync.backfillUsage({
          priority: 'background',
          signal: ctx.signal,
          limit: data?.limit ?? DEFAULT_LIMIT,
          ...(data?.days !== undefined && { days: data.days }),
          ...(data?.iccids !== undefined && { iccids: data.iccids }),
        });
      } catch (error) {
        await deps.notify?.('sync.finished', { job: 'sync-usage', status: 'failure', error: error instanceof Error ? error.message : String(error) });
        throw error;
      }
      ctx.logger.info(result, 'sync-usage: back-fill finished');
      await deps.notify?.('sync.finished', { job: 'sync-usage', status: 'success', processed: result.synced, total: result.candidates });
      if (result.synced > 0) await deps.notify?.('usage.updated', { source: 'poll', sims: result.synced, iccids: [] });
      return { items: result.synced };
    },
  };
}
