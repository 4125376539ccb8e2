import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Cache } from '../../cache.js';
import type { DB, JsonObject } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import type { SimUpdate } from '../../provider/provider.types.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import type { AuditService } from '../audit/audit.service.js';
import { invalidateSim } from '../sims/fleet.context.js';
import type { ActorContext, SimRef } from '../sims/sim-ref.js';
import type { SmsService } from '../sms/sms.service.js';
import type { TopupsService } from '../topups/topups.service.js';
import { createBulkRepo, type BulkJobRow, type ItemResult, type PendingItem } from './bulk.repo.js';
import type { BulkAction, BulkParams } from './bulk.schemas.js';
import type { StatisticsKeeper } from '../../db/statistics.js';

/** 1NCE's bulk update takes up to 100 SIMs per call. */
export const PROVIDER_BULK_LIMIT = 100;
/** Per-SIM actions re-check cancellation after this many items. */
const PER_SIM_CHUNK = 10;

/** Actions 1NCE applies through its bulk SIM update (POST /v1/sims), as the update each SIM gets. */
const BULK_UPDATES: Partial<Record<BulkAction, (params: BulkParams) => SimUpdate>> = {
  enable: () => ({ status: 'Enabled' }),
  disable: () => ({ status: 'Disabled' }),
  label: (p) => ({ label: p.label ?? '' }),
  imei_lock: () => ({ imeiLock: true }),
  imei_unlock: () => ({ imeiLock: false }),
};

/** Top-ups and SMS cost money and are not idempotent: an attempt interrupted mid-call is never repeated. */
const NOT_IDEMPOTENT: ReadonlySet<BulkAction> = new Set(['topup', 'sms']);

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

/** The live stream's bulk events carry at most this many progress updates per job and second. */
const PROGRESS_EVERY_MS = 500;

/** The counters of a bulk job as the live stream's `bulk.progress` / `bulk.finished` carry them. */
function progressOf(job: { id: string; action: string; status: string; total: number; processed: number; succeeded: number; failed: number; skipped: number }) {
  return { id: job.id, action: job.action, status: job.status, total: job.total, done: job.processed, succeeded: job.succeeded, failed: job.failed, skipped: job.skipped };
}

export type RunOutcome = 'completed' | 'cancelled' | 'interrupted' | 'not_runnable';

/** A 4xx on a batch means 1NCE objected to some of its SIMs (expired, unknown), not that it is down. */
function isRejectionOfSome(error: unknown): boolean {
  const upstream = error instanceof AppError ? error.extensions?.upstreamStatus : undefined;
  return typeof upstream === 'number' && upstream >= 400 && upstream < 500 && upstream !== 401 && upstream !== 429;
}

function describeError(error: unknown): string {
  if (error instanceof AppError) return `${error.code}: ${error.detail ?? error.title}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Executes bulk jobs. Only pending items are ever picked up and each outcome is written with its
 * counter in one transaction, so a job resumed after a crash or an abort continues where it
 * stopped without repeating finished SIMs.
 */
export function createBulkRunner(deps: BulkRunnerDeps) {
  const repo = createBulkRepo(deps.db);

  const actingFor = (job: BulkJobRow): ActorContext => ({
    actor: { type: 'system', username: 'bulk-job', userId: job.created_by_user_id },
  });

  const missingSim = (item: PendingItem): ItemResult => ({ iccid: item.iccid, status: 'failed', error: 'SIM no longer stored' });

  async function applyLocal(simIds: number[], values: { status?: string; label?: string | null; imei_lock?: boolean }): Promise<void> {
    if (simIds.length === 0) return;
    await deps.db.updateTable('sims').set(values).where('id', 'in', simIds).execute();
  }

  /** enable / disable / label / imei_(un)lock: one provider bulk update per account and chunk. */
  async function runBulkUpdate(job: BulkJobRow, items: PendingItem[], update: SimUpdate): Promise<ItemResult[]> {
    const results: ItemResult[] = [];
    const local = {
      ...(update.status !== undefined && { status: update.status }),
      ...(update.label !== undefined && { label: update.label === '' ? null : update.label }),
      ...(update.imeiLock !== undefined && { imei_lock: update.imeiLock }),
    };
    const byAccount = new Map<string, PendingItem[]>();
    for (const item of items) {
      if (item.simId === null || item.accountId === null) results.push(missingSim(item));
      // Manually registered SIMs are unknown to 1NCE: their fields are ours alone.
      else if (item.source === 'manual') byAccount.set('manual', [...(byAccount.get('manual') ?? []), item]);
      else byAccount.set(item.accountId, [...(byAccount.get(item.accountId) ?? []), item]);
    }
    const succeed = async (group: PendingItem[], result: JsonObject) => {
      if (group.length === 0) return;
      await applyLocal(group.map((i) => i.simId!), local);
      for (const item of group) await invalidateSim(deps.cache, item.iccid);
      results.push(...group.map((i): ItemResult => ({ iccid: i.iccid, status: 'succeeded', result })));
      if (update.status !== undefined) {
        for (const item of group) await deps.notify?.('sim.status_changed', { iccid: item.iccid, to: update.status, bulk_job_id: job.id });
      }
      const fields = Object.keys(local);
      for (const item of group) await deps.notify?.('sim.updated', { iccid: item.iccid, fields, bulk_job_id: job.id });
    };
    for (const [accountId, group] of byAccount) {
      if (accountId === 'manual') {
        await succeed(group, { applied: 'local' });
        continue;
      }
      const client = await deps.provider.get(accountId);
      try {
        await client.bulkUpdateSims(
          group.map((i) => ({ iccid: i.iccid, ...update })),
          { priority: 'bulk' },
        );
        await succeed(group, { applied: 'queued at 1NCE' });
      } catch (error) {
        if (!isRejectionOfSome(error)) {
          results.push(...group.map((i): ItemResult => ({ iccid: i.iccid, status: 'failed', error: describeError(error) })));
        } else {
          // 1NCE refuses the whole batch when one SIM is expired or unknown: fall back to one
          // update per SIM so only those fail.
          const applied: PendingItem[] = [];
          for (const item of group) {
            try {
              await client.updateSim(item.iccid, update, { priority: 'bulk' });
              applied.push(item);
            } catch (single) {
              results.push({ iccid: item.iccid, status: 'failed', error: describeError(single) });
            }
          }
          await succeed(applied, { applied: 'updated at 1NCE' });
        }
      }
      await deps.audit.recordSafely({
        ...actingFor(job),
        action: `bulk_job.${job.action}`,
        target: { type: 'bulk_job', id: job.id },
        outcome: results.some((r) => r.status === 'failed' && group.some((g) => g.iccid === r.iccid)) ? 'failure' : 'success',
        detail: { iccids: group.map((i) => i.iccid), update: local },
      });
    }
    return results;
  }

  /** add_tag / remove_tag: tags are ours, so one statement per chunk. */
  async function runTags(items: PendingItem[], tag: string, add: boolean): Promise<ItemResult[]> {
    const stored = items.filter((i) => i.simId !== null);
    const ids = stored.map((i) => i.simId!);
    if (ids.length > 0) {
      await deps.db
        .updateTable('sims')
        .set({
          tags: add
            ? sql<string[]>`case when ${tag} = any(tags) then tags else array_append(tags, ${tag}) end`
            : sql<string[]>`array_remove(tags, ${tag})`,
        })
        .where('id', 'in', ids)
        .execute();
      for (const item of stored) await invalidateSim(deps.cache, item.iccid);
    }
    return items.map((i) => (i.simId === null ? missingSim(i) : { iccid: i.iccid, status: 'succeeded', result: { tag, change: add ? 'added' : 'removed' } }));
  }

  /** topup / sms / reset: one provider call per SIM, at bulk priority. */
  async function runOne(job: BulkJobRow, item: PendingItem, params: BulkParams): Promise<ItemResult> {
    if (item.simId === null || item.accountId === null) return missingSim(item);
    const action = job.action as BulkAction;
    if (NOT_IDEMPOTENT.has(action)) {
      if (item.attempts > 0) {
        return { iccid: item.iccid, status: 'failed', error: 'outcome unknown: an earlier run stopped during this call; not repeated (check orders / SMS)' };
      }
      await repo.markAttempt(job.id, item.iccid);
    }
    const sim: SimRef = { id: item.simId, iccid: item.iccid, accountId: item.accountId, msisdn: item.msisdn };
    const acting = { ...actingFor(job), requestId: `bulk-job:${job.id}` };
    try {
      let result: JsonObject;
      if (action === 'topup') {
        const topup = await deps.topups.topUpSim(sim, { paymentMethod: params.payment_method, priority: 'bulk' }, acting);
        result = { order_id: topup.order.id, order_number: topup.order.order_number };
      } else if (action === 'sms') {
        const sent = await deps.sms.sendToSim(sim, { message: params.message ?? '' }, acting, 'bulk');
        if (sent.status !== 'accepted') return { iccid: item.iccid, status: 'failed', error: 'only some parts were accepted', result: { message_group: sent.message_group } };
        result = { message_group: sent.message_group, parts: sent.part_total };
      } else {
        const client = await deps.provider.get(item.accountId);
        await client.resetConnectivity(item.iccid, { priority: 'bulk' });
        const reset = await deps.db.insertInto('connectivity_resets').values({ sim_id: item.simId, requested_by_user_id: job.created_by_user_id }).returning('id').executeTakeFirstOrThrow();
        await deps.audit.recordSafely({ ...acting, action: 'sim.reset_connectivity', target: { type: 'sim', id: item.iccid }, outcome: 'success', detail: { bulk_job_id: job.id } });
        result = { reset_id: reset.id };
      }
      return { iccid: item.iccid, status: 'succeeded', result };
    } catch (error) {
      return { iccid: item.iccid, status: 'failed', error: describeError(error) };
    }
  }

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

  async function isCancelRequested(jobId: string): Promise<boolean> {
    const job = await repo.findJob(jobId);
    return job === undefined || job.cancel_requested_at !== null || job.status === 'cancelled';
  }

  async function finish(job: BulkJobRow, status: 'completed' | 'cancelled'): Promise<RunOutcome> {
    const done = await repo.finish(job.id, status);
    // A job changes up to every SIM of a fleet and writes one result row per SIM.
    await deps.statistics?.refresh(['sims', 'bulk_job_items'], true);
    lastProgress.delete(job.id);
    if (done !== undefined) {
      deps.logger.info({ bulkJob: job.id, status, processed: done.processed, failed: done.failed }, 'bulk job finished');
      await deps.notify?.('bulk_job.finished', {
        id: done.id,
        action: done.action,
        status: done.status,
        total: done.total,
        succeeded: done.succeeded,
        failed: done.failed,
      });
      await deps.notify?.('bulk.finished', progressOf(done));
    }
    return status;
  }

  return {
    /**
     * Works through a job's pending items until none are left, the job is cancelled, or `signal`
     * aborts (then it returns 'interrupted' and a later run resumes). In-flight provider calls are
     * never aborted: a cancelled top-up request would leave its outcome unknown.
     */
    async run(jobId: string, signal?: AbortSignal): Promise<RunOutcome> {
      // A function, not an inline check: TypeScript would narrow `signal.aborted` to false after the first test.
      const aborted = () => signal?.aborted === true;
      const job = await repo.markRunning(jobId);
      if (job === undefined) return 'not_runnable';
      const action = job.action as BulkAction;
      const params = job.params as BulkParams;
      const update = BULK_UPDATES[action]?.(params);
      const chunkSize = update !== undefined || action === 'add_tag' || action === 'remove_tag' ? PROVIDER_BULK_LIMIT : PER_SIM_CHUNK;
      for (;;) {
        if (aborted()) return 'interrupted';
        if (await isCancelRequested(jobId)) return finish(job, 'cancelled');
        await deps.statistics?.refresh(['bulk_job_items']);
        const items = await repo.pendingChunk(jobId, chunkSize);
        if (items.length === 0) return finish(job, 'completed');
        if (update !== undefined) {
          await record(jobId, await runBulkUpdate(job, items, update));
        } else if (action === 'add_tag' || action === 'remove_tag') {
          const results = await runTags(items, params.tag ?? '', action === 'add_tag');
          await record(jobId, results);
          for (const r of results) if (r.status === 'succeeded') await deps.notify?.('sim.updated', { iccid: r.iccid, fields: ['tags'], bulk_job_id: jobId });
        } else {
          for (const item of items) {
            if (aborted()) return 'interrupted';
            await record(jobId, [await runOne(job, item, params)]);
          }
        }
      }
    },
  };
}

export type BulkRunner = ReturnType<typeof createBulkRunner>;
