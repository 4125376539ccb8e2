/**
 * 1NCE -> database sync of a SIM's connectivity: the live status stored as a snapshot (keyed by
 * SIM and instant), copied onto the SIM, and requested resets settled by what was observed.
 */
import type { Kysely } from 'kysely';
import type { Cache } from '../../cache.js';
import type { DB } from '../../db/schema.js';
import type { ProviderClient } from '../../provider/client.js';
import type { AuditService } from '../audit/audit.service.js';
import { createEventsRepo } from '../events/events.repo.js';
import { auditedProviderCall, callOptions, invalidateSim, requireSim, type SimRow, type SyncOptions } from '../sims/sim-ref.js';
import { createConnectivityRepo, type ConnectivityRow } from './connectivity.repo.js';

/** A reset is "completed by status" only from a status seen this long after the request (1NCE resets asynchronously). */
const RESET_SETTLE_MS = 5_000;
/** A reset with no re-attach for this long is marked failed. */
const RESET_GIVE_UP_MS = 24 * 3_600_000;
/** Event names that show a device (re-)attached to the network after a reset. */
export const REATTACH_EVENTS = ['create pdp context', 'pdp context created.', 'update location', 'update gprs location'];

export interface ConnectivitySyncDeps {
  db: Kysely<DB>;
  cache: Cache;
  provider: { get(accountId: string): Promise<ProviderClient> };
  audit: Pick<AuditService, 'recordSafely'>;
  now?: (() => number) | undefined;
}

export function createConnectivitySync(deps: ConnectivitySyncDeps) {
  const connectivity = createConnectivityRepo(deps.db);
  const events = createEventsRepo(deps.db);
  const now = deps.now ?? Date.now;

  /**
   * Settles the SIM's requested resets: a re-attach event or an ONLINE/ATTACHED status seen after
   * the request completes one; none within a day fails it. Returns how many completed.
   */
  async function completeResets(sim: Pick<SimRow, 'id'>, snapshot: ConnectivityRow | undefined): Promise<number> {
    let completed = 0;
    for (const reset of await connectivity.pendingResets(sim.id)) {
      const requestedAt = reset.requested_at;
      const viaEvent = await events.hasEventSince(sim.id, REATTACH_EVENTS, requestedAt);
      const observedAt = snapshot === undefined ? undefined : snapshot.observed_at;
      const viaStatus =
        snapshot !== undefined && observedAt !== undefined && (snapshot.status === 'ONLINE' || snapshot.status === 'ATTACHED') && observedAt.getTime() >= requestedAt.getTime() + RESET_SETTLE_MS;
      if (viaEvent !== undefined) {
        if (await connectivity.finishReset(reset.id, 'completed', viaEvent.occurred_at, `re-attach event: ${viaEvent.event_type ?? viaEvent.description ?? 'attach'}`)) completed++;
      } else if (viaStatus) {
        if (await connectivity.finishReset(reset.id, 'completed', observedAt, `status ${snapshot.status} after the reset`)) completed++;
      } else if (now() - requestedAt.getTime() > RESET_GIVE_UP_MS) {
        await connectivity.finishReset(reset.id, 'failed', new Date(now()), 'no re-attach observed within 24 hours');
      }
    }
    return completed;
  }

  /** Asks 1NCE for the SIM's live status, stores it as a snapshot and settles pending resets. */
  async function syncConnectivity(iccid: string, options?: SyncOptions): Promise<ConnectivityRow> {
    const sim = await requireSim(deps.db, iccid);
    const client = await deps.provider.get(sim.account_id);
    const status = await auditedProviderCall(deps, options?.ctx, 'get_connectivity', sim.iccid, () => client.getConnectivity(sim.iccid, callOptions(options)));
    const observedAt = new Date(now());
    const pdp = status.pdpContext;
    const reachable = status.status === 'ONLINE' || status.status === 'ATTACHED';
    const row = await connectivity.capture(
      {
        sim_id: sim.id,
        observed_at: observedAt,
        status: status.status,
        operator_name: status.operator?.name ?? null,
        operator_id: status.operator?.id ?? null,
        country_name: status.country?.name ?? null,
        country_iso: status.country?.isoCode ?? null,
        mcc: status.country?.mcc ?? pdp?.mcc ?? null,
        mnc: status.operator?.mnc ?? pdp?.mnc ?? null,
        rat: status.rat ?? pdp?.rat ?? null,
        pdp_context: pdp === null ? null : { ...pdp, createdAt: pdp.createdAt?.toISOString() ?? null },
        location: status.lastUpdated === null ? null : { last_updated: status.lastUpdated.toISOString() },
        services: status.services,
        raw: status.raw,
      },
      reachable ? observedAt : status.lastUpdated,
    );
    await invalidateSim(deps.cache, sim.iccid);
    await completeResets(sim, row);
    return row;
  }

  return { syncConnectivity, completeResets };
}

export type ConnectivitySync = ReturnType<typeof createConnectivitySync>;
