import type { JsonObject } from '../../db/schema.js';
import { createConnectivityRepo } from '../connectivity/connectivity.repo.js';
import { invalidateSim, type SimRef } from '../sims/sim-ref.js';
import { simWrites } from '../sims/sims.writes.js';
import { actingFor, describeError, missingSim, type BulkRunnerDeps } from './bulk.context.js';
import { createBulkRepo, type BulkJobRow, type ItemResult, type PendingItem } from './bulk.repo.js';
import type { BulkAction, BulkParams } from './bulk.schemas.js';

/** Bulk actions that are not state updates: tags (ours, one statement per chunk) and one provider call per SIM (top-up, SMS, reset). */
export function createPerSimActions(deps: BulkRunnerDeps) {
  const repo = createBulkRepo(deps.db);
  const resets = createConnectivityRepo(deps.db);

  /** add_tag / remove_tag: tags are ours, so one statement per chunk. */
  async function runTags(items: PendingItem[], tag: string, add: boolean): Promise<ItemResult[]> {
    const stored = items.filter((i) => i.simId !== null);
    const ids = stored.map((i) => i.simId!);
    if (ids.length > 0) {
      await simWrites.changeTag(deps.db, ids, tag, add);
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
        const reset = await resets.insertReset(item.simId, job.created_by_user_id);
        await deps.audit.recordSafely({ ...acting, action: 'sim.reset_connectivity', target: { type: 'sim', id: item.iccid }, outcome: 'success', detail: { bulk_job_id: job.id } });
        result = { reset_id: reset.id };
      }
      return { iccid: item.iccid, status: 'succeeded', result };
    } catch (error) {
      return { iccid: item.iccid, status: 'failed', error: describeError(error) };
    }
  }

  return { runTags, runOne };
}
