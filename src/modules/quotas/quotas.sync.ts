/**
 * 1NCE -> database sync of a SIM's quotas: both quota answers stored as snapshots (keyed by SIM,
 * service and instant, so a re-run never duplicates), copied onto the SIM, its alerts re-evaluated.
 */
import type { Kysely } from 'kysely';
import type { Cache } from '../../cache.js';
import type { DB, NewRow, QuotaService } from '../../db/schema.js';
import { BYTES_PER_MB } from '../../lib/units.js';
import type { ProviderClient } from '../../provider/client.js';
import type { ProviderQuota } from '../../provider/provider.types.js';
import type { AuditService } from '../audit/audit.service.js';
import {
  auditedProviderCall,
  callOptions,
  invalidateSim,
  noteExpiry,
  requireSim,
  type SimRow,
  type SyncOptions,
} from '../sims/sim-ref.js';
import { createQuotasRepo, type QuotaRow } from './quotas.repo.js';

export interface QuotasSyncDeps {
  db: Kysely<DB>;
  cache: Cache;
  provider: { get(accountId: string): Promise<ProviderClient> };
  audit: Pick<AuditService, 'recordSafely'>;
  /** Reports SIMs whose stored quota changed, so their alerts are evaluated now (AlertTrigger). */
  quotaChanged?: ((iccids: string[]) => void) | undefined;
  now?: (() => number) | undefined;
}

/** A quota answer as a snapshot row; `total` falls back to the listed quota for data. */
function snapshotOf(
  sim: SimRow,
  service: QuotaService,
  quota: ProviderQuota,
  capturedAt: Date,
): Omit<NewRow<'sim_quotas'>, 'captured_at'> & { captured_at: Date } {
  const listedTotal =
    service === 'data' && sim.current_quota_mb !== null
      ? Math.round(Number(sim.current_quota_mb) * BYTES_PER_MB)
      : service === 'sms'
        ? sim.current_quota_sms
        : null;
  const total = quota.total ?? listedTotal;
  return {
    sim_id: sim.id,
    service,
    captured_at: capturedAt,
    volume_total: total,
    volume_remaining: quota.remaining,
    volume_used: total === null ? null : total - quota.remaining,
    last_volume_added: quota.lastVolumeAdded,
    expiry_date: quota.expiresAt,
    threshold_percentage:
      quota.thresholdPercentage === null
        ? null
        : Math.max(0, Math.min(100, Math.round(quota.thresholdPercentage))),
    threshold_volume: quota.thresholdVolume,
    peak_throughput: quota.peakThroughputBps,
    status: quota.state,
    last_status_change_date: quota.lastStatusChangeAt,
    raw: quota.raw,
  };
}

export function createQuotasSync(deps: QuotasSyncDeps) {
  const quotas = createQuotasRepo(deps.db);
  const now = deps.now ?? Date.now;

  /** Fetches a SIM's data and SMS quotas from 1NCE and stores both as snapshots taken at one instant. */
  async function syncQuotas(
    iccid: string,
    options?: SyncOptions,
  ): Promise<{ data: QuotaRow; sms: QuotaRow }> {
    const sim = await requireSim(deps.db, iccid);
    const client = await deps.provider.get(sim.account_id);
    const [dataQuota, smsQuota] = await noteExpiry(deps, sim, () =>
      auditedProviderCall(deps, options?.ctx, 'get_quotas', sim.iccid, () =>
        Promise.all([
          client.getDataQuota(sim.iccid, callOptions(options)),
          client.getSmsQuota(sim.iccid, callOptions(options)),
        ]),
      ),
    );
    const capturedAt = new Date(now());
    const data = await quotas.capture(snapshotOf(sim, 'data', dataQuota, capturedAt));
    const sms = await quotas.capture(snapshotOf(sim, 'sms', smsQuota, capturedAt));
    await invalidateSim(deps.cache, sim.iccid);
    deps.quotaChanged?.([sim.iccid]);
    return { data, sms };
  }

  return { syncQuotas };
}

export type QuotasSync = ReturnType<typeof createQuotasSync>;
