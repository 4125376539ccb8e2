import type { JsonObject } from '../../db/schema.js';
import { AppError } from '../../errors.js';
import { ProviderNotFound, SimExpired } from '../../provider/errors.js';
import type { ProviderSim, SimUpdate } from '../../provider/provider.types.js';
import { invalidateSim } from '../sims/sim-ref.js';
import { simWrites } from '../sims/sims.writes.js';
import { actingFor, describeError, missingSim, type BulkRunnerDeps } from './bulk.context.js';
import { createBulkRepo, type BulkJobRow, type ItemResult, type PendingItem } from './bulk.repo.js';
import type { BulkAction, BulkParams } from './bulk.schemas.js';

/**
 * State changes (enable, disable, label, IMEI lock) through 1NCE's bulk SIM update: sent per
 * account and chunk, applied locally for the SIMs 1NCE accepted, and reconciled with 1NCE's record
 * when a run died during the call.
 */

/** 1NCE's bulk update takes up to 100 SIMs per call. */
export const PROVIDER_BULK_LIMIT = 100;
/** How often 1NCE may name SIMs it refuses (expired, unknown) before one chunk falls back to per-SIM calls. */
const RESEND_ROUNDS = 3;

/** Actions 1NCE applies through its bulk SIM update (POST /v1/sims), as the update each SIM gets. */
export const BULK_UPDATES: Partial<Record<BulkAction, (params: BulkParams) => SimUpdate>> = {
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

/** A 4xx on a batch means 1NCE objected to some of its SIMs (expired, unknown), not that it is down. */
function isRejectionOfSome(error: unknown): boolean {
  const upstream = error instanceof AppError ? error.extensions?.upstreamStatus : undefined;
  return typeof upstream === 'number' && upstream >= 400 && upstream < 500 && upstream !== 401 && upstream !== 429;
}

const localValues = (update: SimUpdate) => ({
  ...(update.status !== undefined && { status: update.status }),
  ...(update.label !== undefined && { label: update.label === '' ? null : update.label }),
  ...(update.imeiLock !== undefined && { imei_lock: update.imeiLock }),
});

/** Whether 1NCE's record of a SIM already shows the update. */
function showsUpdate(sim: ProviderSim, update: SimUpdate): boolean {
  if (update.status !== undefined && sim.providerStatus !== update.status) return false;
  if (update.label !== undefined && (sim.label ?? '') !== update.label) return false;
  if (update.imeiLock !== undefined && sim.imeiLock !== update.imeiLock) return false;
  return true;
}

export function createBulkUpdates(deps: BulkRunnerDeps) {
  const repo = createBulkRepo(deps.db);

  /** 1NCE said these SIMs are expired: remember it, as the sync does, so the dry run can flag them. */
  async function noteExpired(items: PendingItem[]): Promise<void> {
    const ids = items.map((i) => i.simId).filter((id): id is number => id !== null);
    if (ids.length === 0) return;
    await simWrites.markExpired(deps.db, ids);
    await Promise.all(items.map((i) => invalidateSim(deps.cache, i.iccid)));
  }

  /** Applies a state update locally for SIMs 1NCE accepted it for, and tells webhooks and consoles. */
  async function succeed(job: BulkJobRow, group: PendingItem[], update: SimUpdate, result: JsonObject): Promise<ItemResult[]> {
    if (group.length === 0) return [];
    const local = localValues(update);
    await simWrites.applyAccepted(deps.db, group.map((i) => i.simId!), local);
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

  return { runBulkUpdate, reconcile };
}
