import { sql, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Cache } from '../../cache.js';
import type { DB, JsonObject } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { ProviderNotFound, SimExpired } from '../../provider/errors.js';
import type { ProviderSim, SimUpdate } from '../../provider/provider.types.js';
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
/** Per-SIM actions handle this many items per unit of work (and re-check cancellation between units). */
const PER_SIM_CHUNK = 10;
/**
 * Units of work in flight at once. With one, the job left the provider budget idle while it
 * recorded a chunk's results, and those slots went to background work; with a few, the next call
 * is always waiting in the governor, so a 10,000-SIM bulk update runs at 1NCE's 10 calls/s.
 */
export const PIPELINE_DEPTH = 3;
/** How often 1NCE may name SIMs it refuses (expired, unknown) before one chunk falls back to per-SIM calls. */
const RESEND_ROUNDS = 3;

/** Actions 1NCE applies through its bulk SIM update (POST /v1/sims), as the update each SIM gets. */
const BULK_UPDATES: Partial<Record<BulkAction, (params: BulkParams) => SimUpdate>> = {
  enable: () => ({ status: 'Enabled' }),
  disable: () => ({ status: 'Disabled' }),
  label: (p) => ({ label: p.label ?? '' }),
  imei_lock: () => ({ imeiLock: true }),
  imei_unlock: () => ({ imeiLock: false }),
};

/**
 * Top-ups and SMS cost money and a reset disconnects the device: an attempt interrupted mid-call
 * (its worker died) is never repeated; the item fails as "outcome unknown".
 */
const NOT_REPEATED: ReadonlySet<BulkAction> = new Set(['topup', 'sms', 'reset']);

const EXPIRED_ERROR = 'sim_expired: 1NCE refuses changes to an expired SIM (only an extension is possible)';
const UNKNOWN_ERROR = 'sim_not_found_at_provider: 1NCE does not know this SIM';

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

  /** 1NCE said these SIMs are expired: remember it, as the sync does, so the dry run can flag them. */
  async function noteExpired(items: PendingItem[]): Promise<void> {
    const ids = items.map((i) => i.simId).filter((id): id is number => id !== null);
    if (ids.length === 0) return;
    await deps.db
      .updateTable('sims')
      .set({ data_expiry_date: sql<Date>`least(coalesce(data_expiry_date, now()), now())` })
      .where('id', 'in', ids)
      .execute();
    await Promise.all(items.map((i) => invalidateSim(deps.cache, i.iccid)));
  }

  const localValues = (update: SimUpdate) => ({
    ...(update.status !== undefined && { status: update.status }),
    ...(update.label !== undefined && { label: update.label === '' ? null : update.label }),
    ...(update.imeiLock !== undefined && { imei_lock: update.imeiLock }),
  });

  /** Applies a state update locally for SIMs 1NCE accepted it for, and tells webhooks and consoles. */
  async function succeed(job: BulkJobRow, group: PendingItem[], update: SimUpdate, result: JsonObject): Promise<ItemResult[]> {
    if (group.length === 0) return [];
    const local = localValues(update);
    await applyLocal(group.map((i) => i.simId!), local);
    await Promise.all(group.map((i) => invalidateSim(deps.cache, i.iccid)));
    if (update.status !== undefined) {
      for (const item of group) await deps.notify?.('sim.status_changed', { iccid: item.iccid, to: update.status, bulk_job_id: job.id });
    }
    // One live event per chunk (consoles refresh the list once), not one per SIM.
    await deps.notify?.('sim.updated', { iccids: group.map((i) => i.iccid), fields: Object.keys(local), bulk_job_id: job.id });
    return group.map((i): ItemResult => ({ iccid: i.iccid, status: 'succeeded', result }));
  }

  /**
   * One account's share of a chunk through 1NCE's bulk update. When 1NCE refuses the call because
   * of some SIMs it names (422 lists the expired ones, 404 the unknown ones), those fail with a
   * clear reason and the rest is sent again; only a refusal that names none falls back to one
   * update per SIM.
   */
  async function sendBulkUpdate(job: BulkJobRow, accountId: string, group: PendingItem[], update: SimUpdate): Promise<ItemResult[]> {
    const client = await deps.provider.get(accountId);
    const results: ItemResult[] = [];
    let rest = group;
    for (let round = 0; rest.length > 0; round++) {
      try {
        await client.bulkUpdateSims(
          rest.map((i) => ({ iccid: i.iccid, ...update })),
          { priority: 'bulk' },
        );
        results.push(...(await succeed(job, rest, update, { applied: 'queued at 1NCE' })));
        return results;
      } catch (error) {
        const named = error instanceof SimExpired || error instanceof ProviderNotFound ? new Set(error.iccids) : new Set<string>();
        const refused = rest.filter((i) => named.has(i.iccid));
        if (refused.length > 0 && round < RESEND_ROUNDS) {
          const expired = error instanceof SimExpired;
          if (expired) await noteExpired(refused);
          results.push(...refused.map((i): ItemResult => ({ iccid: i.iccid, status: 'failed', error: expired ? EXPIRED_ERROR : UNKNOWN_ERROR })));
          rest = rest.filter((i) => !named.has(i.iccid));
          continue;
        }
        if (!isRejectionOfSome(error)) {
          results.push(...rest.map((i): ItemResult => ({ iccid: i.iccid, status: 'failed', error: describeError(error) })));
          return results;
        }
        // 1NCE refused the batch without saying which SIMs: one update per SIM, so only those fail.
        const applied: PendingItem[] = [];
        for (const item of rest) {
          try {
            await client.updateSim(item.iccid, update, { priority: 'bulk' });
            applied.push(item);
          } catch (single) {
            if (single instanceof SimExpired) await noteExpired([item]);
            results.push({ iccid: item.iccid, status: 'failed', error: describeError(single) });
          }
        }
        results.push(...(await succeed(job, applied, update, { applied: 'updated at 1NCE' })));
        return results;
      }
    }
    return results;
  }

  /** enable / disable / label / imei_(un)lock: one provider bulk update per account and chunk. */
  async function runBulkUpdate(job: BulkJobRow, items: PendingItem[], update: SimUpdate): Promise<ItemResult[]> {
    const results: ItemResult[] = [];
    const byAccount = new Map<string, PendingItem[]>();
    for (const item of items) {
      if (item.simId === null || item.accountId === null) results.push(missingSim(item));
      // Manually registered SIMs are unknown to 1NCE: their fields are ours alone.
      else if (item.source === 'manual') byAccount.set('manual', [...(byAccount.get('manual') ?? []), item]);
      else byAccount.set(item.accountId, [...(byAccount.get(item.accountId) ?? []), item]);
    }
    for (const [accountId, group] of byAccount) {
      if (accountId === 'manual') {
        results.push(...(await succeed(job, group, update, { applied: 'local' })));
        continue;
      }
      // Counted before the call: a run that dies during it leaves these recognisable for reconciliation.
      await repo.markInFlight(job.id, group.map((i) => i.iccid));
      const outcome = await sendBulkUpdate(job, accountId, group, update);
      results.push(...outcome);
      const failed = outcome.filter((r) => r.status === 'failed').map((r) => r.iccid);
      await deps.audit.recordSafely({
        ...actingFor(job),
        action: `bulk_job.${job.action}`,
        target: { type: 'bulk_job', id: job.id },
        outcome: failed.length > 0 ? 'failure' : 'success',
        detail: { iccids: group.map((i) => i.iccid), update: localValues(update), ...(failed.length > 0 && { failed }) },
      });
    }
    return results;
  }

  /** Whether 1NCE's record of a SIM already shows the update. */
  function showsUpdate(sim: ProviderSim, update: SimUpdate): boolean {
    if (update.status !== undefined && sim.providerStatus !== update.status) return false;
    if (update.label !== undefined && (sim.label ?? '') !== update.label) return false;
    if (update.imeiLock !== undefined && sim.imeiLock !== update.imeiLock) return false;
    return true;
  }

  /**
   * Items a run sent to 1NCE and died before recording (`attempts` counted, no outcome). A state
   * update is looked up at 1NCE (the SIM's current record): applied means succeeded without sending
   * it again; not applied leaves the item pending, to be sent with the others (absolute values, so
   * sending twice is harmless). Top-ups, SMS and resets are never repeated: the item fails as
   * "outcome unknown". Items of a job cancelled meanwhile get their outcome too (or stay cancelled).
   */
  async function reconcile(job: BulkJobRow, items: PendingItem[], update: SimUpdate | undefined, cancelled: boolean): Promise<ItemResult[]> {
    const action = job.action as BulkAction;
    const results: ItemResult[] = [];
    const applied: PendingItem[] = [];
    for (const item of items) {
      if (item.simId === null || item.accountId === null) {
        results.push(missingSim(item));
      } else if (update === undefined || item.source === 'manual') {
        if (NOT_REPEATED.has(action)) {
          results.push({ iccid: item.iccid, status: 'failed', error: 'outcome unknown: an earlier run stopped during this call; not repeated (check the SIM at 1NCE)' });
        }
        // (tags never reach 1NCE; a manual SIM's update is local and transactional: just run it again)
      } else {
        try {
          const client = await deps.provider.get(item.accountId);
          const sim = await client.getSim(item.iccid, { priority: 'bulk' });
          if (showsUpdate(sim, update)) applied.push(item);
          else if (cancelled) results.push({ iccid: item.iccid, status: 'cancelled', error: 'cancelled; 1NCE shows the change was not applied' });
        } catch (error) {
          if (error instanceof SimExpired) {
            await noteExpired([item]);
            results.push({ iccid: item.iccid, status: 'failed', error: EXPIRED_ERROR });
          } else if (error instanceof ProviderNotFound) {
            results.push({ iccid: item.iccid, status: 'failed', error: UNKNOWN_ERROR });
          } else if (cancelled) {
            results.push({ iccid: item.iccid, status: 'cancelled', error: `cancelled; the outcome at 1NCE could not be read (${describeError(error)})` });
          }
          // Otherwise it stays pending and is sent again with the others.
        }
      }
    }
    if (update !== undefined) results.push(...(await succeed(job, applied, update, { applied: 'found applied at 1NCE when resuming' })));
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
    await repo.markInFlight(job.id, [item.iccid]);
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

  async function isCancelled(jobId: string): Promise<boolean> {
    const job = await repo.findJob(jobId);
    return job === undefined || job.status === 'cancelled';
  }

  async function finish(job: BulkJobRow): Promise<RunOutcome> {
    const done = await repo.finish(job.id, 'completed');
    // A job changes up to every SIM of a fleet and writes one result row per SIM.
    await deps.statistics?.refresh(['sims', 'bulk_job_items'], true);
    lastProgress.delete(job.id);
    if (done !== undefined) {
      deps.logger.info({ bulkJob: job.id, status: done.status, processed: done.processed, failed: done.failed }, 'bulk job finished');
      await deps.notify?.('bulk_job.finished', { id: done.id, action: done.action, status: done.status, total: done.total, succeeded: done.succeeded, failed: done.failed });
      await deps.notify?.('bulk.finished', progressOf(done));
    }
    return 'completed';
  }

  /** One unit of work: a chunk of items through the action, its results recorded in one statement. */
  async function work(job: BulkJobRow, items: PendingItem[], params: BulkParams, update: SimUpdate | undefined, aborted: () => boolean): Promise<void> {
    const action = job.action as BulkAction;
    if (update !== undefined) {
      await record(job.id, await runBulkUpdate(job, items, update));
    } else if (action === 'add_tag' || action === 'remove_tag') {
      const results = await runTags(items, params.tag ?? '', action === 'add_tag');
      await record(job.id, results);
      const changed = results.filter((r) => r.status === 'succeeded').map((r) => r.iccid);
      if (changed.length > 0) await deps.notify?.('sim.updated', { iccids: changed, fields: ['tags'], bulk_job_id: job.id });
    } else {
      for (const item of items) {
        // Stops between SIMs; the rest of the chunk stays pending for the retry.
        if (aborted() || (await isCancelled(job.id))) return;
        await record(job.id, [await runOne(job, item, params)]);
      }
    }
  }

  /** Settles the in-flight items of a job whose worker died; `cancelled` when the job was cancelled meanwhile. */
  async function settleInFlight(job: BulkJobRow, update: SimUpdate | undefined, cancelled: boolean): Promise<number> {
    let settled = 0;
    // Keyset: items left pending (not applied at 1NCE) are not read again; the run sends them.
    for (let after: string | undefined; ; ) {
      const stale = await repo.inFlight(job.id, PROVIDER_BULK_LIMIT, after);
      if (stale.length === 0) return settled;
      after = stale[stale.length - 1]!.iccid;
      const results = await reconcile(job, stale, update, cancelled);
      await repo.recordResults(job.id, results);
      settled += results.length;
    }
  }

  return {
    /**
     * Works through a job's pending items until none are left, the job is cancelled, or `signal`
     * aborts (then it returns 'interrupted' and a later run resumes). Items a dead run left in
     * flight are reconciled with 1NCE first. Up to PIPELINE_DEPTH chunks are in flight at once
     * (keyset over ICCIDs, so none is handed out twice). In-flight provider calls are never
     * aborted: a cancelled top-up request would leave its outcome unknown.
     */
    async run(jobId: string, signal?: AbortSignal): Promise<RunOutcome> {
      // A function, not an inline check: TypeScript would narrow `signal.aborted` to false after the first test.
      const aborted = () => signal?.aborted === true;
      const job = await repo.markRunning(jobId);
      if (job === undefined) {
        // Cancelled (or finished) while a worker that died was on it: give its in-flight items their outcome.
        const ended = await repo.findJob(jobId);
        if (ended?.status === 'cancelled') {
          const settled = await settleInFlight(ended, BULK_UPDATES[ended.action as BulkAction]?.(ended.params), true);
          if (settled > 0) deps.logger.info({ bulkJob: jobId, settled }, 'bulk job: in-flight items of a cancelled job reconciled with 1NCE');
        }
        return 'not_runnable';
      }
      const action = job.action as BulkAction;
      const params = job.params as BulkParams;
      const update = BULK_UPDATES[action]?.(params);
      const chunkSize = update !== undefined || action === 'add_tag' || action === 'remove_tag' ? PROVIDER_BULK_LIMIT : PER_SIM_CHUNK;

      const settled = await settleInFlight(job, update, false);
      if (settled > 0) deps.logger.info({ bulkJob: jobId, settled }, 'bulk job: items in flight when an earlier run stopped reconciled with 1NCE');

      for (;;) {
        let cursor: string | undefined;
        let exhausted = false;
        let stop: 'interrupted' | 'cancelled' | undefined;
        let failure: unknown;
        const running = new Set<Promise<void>>();
        for (;;) {
          while (!exhausted && stop === undefined && failure === undefined && running.size < PIPELINE_DEPTH) {
            if (aborted()) stop = 'interrupted';
            else if (await isCancelled(jobId)) stop = 'cancelled';
            if (stop !== undefined) break;
            await deps.statistics?.refresh(['bulk_job_items']);
            const items = await repo.pendingChunk(jobId, chunkSize, cursor);
            if (items.length === 0) {
              exhausted = true;
              break;
            }
            cursor = items[items.length - 1]!.iccid;
            const unit: Promise<void> = work(job, items, params, update, aborted)
              .catch((error: unknown) => {
                failure ??= error;
              })
              .finally(() => running.delete(unit));
            running.add(unit);
          }
          if (running.size === 0) break;
          await Promise.race(running);
        }
        if (failure !== undefined) throw failure instanceof Error ? failure : new Error("a bulk job chunk failed", { cause: failure });
        if (stop !== undefined) {
          lastProgress.delete(jobId);
          return stop;
        }
        // Everything handed out was recorded; anything still pending (a SIM left for a resend) gets another pass.
        if ((await repo.pendingChunk(jobId, 1)).length === 0) return finish(job);
      }
    },
  };
}

export type BulkRunner = ReturnType<typeof createBulkRunner>;
