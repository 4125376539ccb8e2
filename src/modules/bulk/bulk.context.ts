import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Cache } from '../../cache.js';
import type { DB } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ActorContext } from '../sims/sim-ref.js';
import type { SmsService } from '../sms/sms.service.js';
import type { TopupsService } from '../topups/topups.service.js';
import type { BulkJobRow, ItemResult, PendingItem } from './bulk.repo.js';
import type { StatisticsKeeper } from '../../db/statistics.js';

/**
 * What the bulk runner and its steps share: their dependencies, who acts for a job, and how an
 * item's failure is worded. The steps: bulk.updates.ts (state changes through 1NCE's bulk update,
 * and reconciling them after a crash), bulk.per-sim.ts (tags, top-ups, SMS, resets); the runner
 * (bulk.runner.ts) hands them chunks and records the outcomes.
 */

export interface BulkRunnerDeps {
  db: Kysely<DB>;
  cache: Cache;
  provider: ProviderRegistry;
  audit: AuditService;
  topups: Pick<TopupsService, 'topUpSim'>;
  sms: Pick<SmsService, 'sendToSim'>;
  logger: Pick<Logger, 'info' | 'warn'>;
  /**
   * Domain events (`bulk_job.finished`, `sim.status_changed` for webhooks; `bulk.progress`,
   * `bulk.finished`, `sim.updated` for the live stream); wired by the composition root.
   */
  notify?:
    | ((type: 'bulk_job.finished' | 'sim.status_changed' | 'sim.updated' | 'bulk.progress' | 'bulk.finished', payload: Record<string, unknown>) => void | Promise<void>)
    | undefined;
  /** Planner statistics after many rows changed (src/db/statistics.ts). */
  statistics?: Pick<StatisticsKeeper, 'refresh'> | undefined;
}

/** Who a job's provider calls and audit entries are made for: the user who created it, through the system. */
export function actingFor(job: BulkJobRow): ActorContext {
  return { actor: { type: 'system', username: 'bulk-job', userId: job.created_by_user_id } };
}

/** The outcome of an item whose SIM was deleted since the job was created. */
export function missingSim(item: PendingItem): ItemResult {
  return { iccid: item.iccid, status: 'failed', error: 'SIM no longer stored' };
}

export function describeError(error: unknown): string {
  if (error instanceof AppError) return `${error.code}: ${error.detail ?? error.title}`;
  return error instanceof Error ? error.message : String(error);
}

