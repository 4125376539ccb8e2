import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.js';
import type { SimSync } from '../modules/sims/sims.sync.js';
import type { UsageSync } from '../modules/usage/usage.sync.js';
import type { Notify } from '../modules/notify/notify.service.js';
import type { SmsService } from '../modules/sms/sms.service.js';
import type { JobDefinition } from './engine.js';
import { createSweepProgressRepo } from './sweep-progress.repo.js';

/** Data of a 'sync-sims' job: one account, or every active account when omitted. */
export interface SyncSimsData {
  accountId?: string;
  /** Fetch quotas and recent usage of SIMs whose status or quota status changed (default true). */
  details?: boolean;
  /** Never-detailed SIMs to fetch details for per account in this run (default: as many as the time budget allows). */
  firstDetailsLimit?: number;
}

/** The live stream hears about a running sweep at most this often. */
const PROGRESS_EVERY_MS = 1_000;

/**
 * SIMs new to us get this many days of daily usage right after the sweep that found them: the anomaly
 * baselines (src/modules/intelligence) learn from four weeks, so a first import (and demo mode) can
 * spot a runaway SIM within its first sweep instead of after the hourly back-fill reached it.
 */
export const NEW_SIM_HISTORY_DAYS = 35;
/** At most this many new SIMs' history per run (one request each); the hourly 'sync-usage' does the rest. */
const NEW_SIM_HISTORY_LIMIT = 1_000;

/** Share of the schedule interval a sweep may spend on first-time details of new SIMs. */
export const FIRST_DETAILS_SHARE_OF_INTERVAL = 0.5;

/**
 * 'sync-sims': sweeps every 1NCE list page (100 SIMs each) at background priority and bulk-upserts
 * each page; quotas and usage are fetched only for SIMs whose status or quota status changed. New
 * SIMs get their first quotas and usage until half of the schedule interval has passed since the
 * run started (about 1,500 SIMs per 15-minute run at 10 requests/s), so a large first import is
 * detailed within hours, not days, and never crowds out the next run. SIMs with SMS parts of unknown
 * outcome get their SMS synced, so those parts resolve.
 *
 * Each account's pass is resumable (`sweep_progress`): the next page is recorded after every page
 * stored, so a run that stops part-way (a deploy, a killed worker whose lease lapsed) is continued
 * by the next run from that page, not from page 1 (every write is an upsert: a page read twice
 * duplicates nothing). At 1,000,000 SIMs a pass (10,000 pages, >= 1,000 s at 10 requests/s)
 * outlasts the 15-minute schedule: the queue holds one run at a time (stately) plus the next
 * tick's, so passes run back to back - a continuous sweep, reported as such by
 * `GET /scheduler/status` - while the Data Streamer carries freshness between passes.
 */
export function syncSimsJob(deps: {
  fleet: { sync: Pick<SimSync, 'sweep' | 'activeAccountIds'>; usageSync: Pick<UsageSync, 'backfillUsage'> };
  sms: Pick<SmsService, 'reconcileUnknown'>;
  config: { schedules: { syncSimsMinutes: number } };
  /** `sync.progress` / `sync.finished` for the live stream. */
  notify?: Notify;
  database: { db: Kysely<DB> };
  now?: () => Date;
}): JobDefinition<SyncSimsData> {
  const sweeps = createSweepProgressRepo(deps.database.db);
  const now = deps.now ?? (() => new Date());
  const firstDetailsUntilMs = deps.config.schedules.syncSimsMinutes * 60_000 * FIRST_DETAILS_SHARE_OF_INTERVAL;
  return {
    name: 'sync-sims',
    retryLimit: 2,
    // A retry is mostly a take-over after a worker died (its lease lapsed): resume promptly.
    retryDelaySeconds: 5,
    // The longest run: 100,000 SIMs are 1,000 pages at 10 requests/s, plus the changed SIMs'
    // details. A dead worker's run is taken over after the engine's lease (JOB_LEASE_SECONDS).
    expireInSeconds: 2 * 3600,
    async handler(data, ctx) {
      const accounts = data?.accountId !== undefined ? [data.accountId] : await deps.fleet.sync.activeAccountIds();
      let listed = 0;
      let inserted = 0;
      let lastProgress = 0;
      // Pages of every account swept so far, plus the current account's.
      let pagesBefore = 0;
      let pagesDone = 0;
      try {
        for (const accountId of accounts) {
          const pass = await sweeps.begin(accountId, now());
          if (pass.resumed) ctx.logger.info({ accountId, fromPage: pass.fromPage, passStartedAt: pass.passStartedAt }, 'sync-sims: resuming the pass under way');
          const result = await deps.fleet.sync.sweep(accountId, {
            fromPage: pass.fromPage,
            priority: 'background',
            signal: ctx.signal,
            details: data?.details ?? true,
            firstDetailsUntilMs,
            ...(data?.firstDetailsLimit !== undefined && { firstDetailsLimit: data.firstDetailsLimit }),
            onPage: async (page, totalPages) => {
              await sweeps.advance(accountId, page + 1, totalPages, now());
              pagesDone += 1;
              if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return;
              lastProgress = Date.now();
              const progress = { job: 'sync-sims', status: 'running', unit: 'pages', processed: pagesDone, ...(totalPages !== null && { total: pagesBefore + totalPages }) };
              void deps.notify?.('sync.progress', progress);
            },
          });
          await sweeps.complete(accountId, pass.fromPage - 1 + result.pages, now());
          ctx.logger.info({ ...result, fromPage: pass.fromPage }, 'sync-sims: account swept');
          listed += result.listed;
          inserted += result.inserted;
          pagesBefore += result.pages;
        }
        // Same switches as the first-time details: none asked for, no history either.
        const historyLimit = Math.min(inserted, data?.firstDetailsLimit ?? NEW_SIM_HISTORY_LIMIT, NEW_SIM_HISTORY_LIMIT);
        if (historyLimit > 0 && (data?.details ?? true)) {
          const history = await deps.fleet.usageSync.backfillUsage({ priority: 'background', signal: ctx.signal, days: NEW_SIM_HISTORY_DAYS, limit: historyLimit });
          ctx.logger.info(history, 'sync-sims: recent usage history of new SIMs fetched');
        }
        // SMS parts whose outcome was unknown: their SIMs' messages are read again until 1NCE shows them.
        const reconciled = await deps.sms.reconcileUnknown({ priority: 'background' });
        if (reconciled.sims > 0) ctx.logger.info(reconciled, 'sync-sims: SMS of unknown outcome looked up');
      } catch (error) {
        await deps.notify?.('sync.finished', { job: 'sync-sims', status: 'failure', processed: listed, error: error instanceof Error ? error.message : String(error) });
        throw error;
      }
      await deps.notify?.('sync.finished', { job: 'sync-sims', status: 'success', processed: listed });
      return { items: listed };
    },
  };
}
