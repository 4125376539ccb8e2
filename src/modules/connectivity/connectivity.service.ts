import { NotFound } from '../../errors.js';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { iso, isoOrNull } from '../../lib/time.js';
import type { ProviderClient } from '../../provider/client.js';
import type { AuditService } from '../audit/audit.service.js';
import type { EventsSync } from '../events/events.sync.js';
import { auditedProviderCall, requireSim, type ActorContext } from '../sims/sim-ref.js';
import { createConnectivityRepo, type ConnectivityRow, type ResetRow } from './connectivity.repo.js';
import type { ConnectivitySync } from './connectivity.sync.js';
import { pageReply } from '../../db/paging.js';

function toPublic(iccid: string, row: ConnectivityRow) {
  const location = row.location as { last_updated?: unknown } | null;
  return {
    iccid,
    observed_at: iso(row.observed_at),
    status: row.status,
    operator: row.operator_name === null && row.operator_id === null ? null : { id: row.operator_id, name: row.operator_name, mcc: row.mcc, mnc: row.mnc },
    country: row.country_name === null && row.country_iso === null ? null : { name: row.country_name, iso_code: row.country_iso },
    rat: row.rat,
    pdp_context: (row.pdp_context as { [key: string]: unknown } | null) ?? null,
    services: row.services,
    last_updated: typeof location?.last_updated === 'string' ? location.last_updated : null,
  };
}

function resetOf(iccid: string, row: ResetRow) {
  return { id: row.id, iccid, status: row.status, requested_at: iso(row.requested_at), completed_at: isoOrNull(row.completed_at), detail: row.detail };
}

/** Connectivity: live status from 1NCE stored as snapshots, snapshot history, resets tracked to completion. */
export interface ConnectivityServiceDeps {
  db: Kysely<DB>;
  provider: { get(accountId: string): Promise<ProviderClient> };
  audit: Pick<AuditService, 'recordSafely'>;
  /** Live status from 1NCE, and the events that may complete a reset. */
  sync: Pick<ConnectivitySync, 'syncConnectivity'> & Pick<EventsSync, 'syncEvents'>;
}

export function createConnectivityService(deps: ConnectivityServiceDeps) {
  const repo = createConnectivityRepo(deps.db);

  return {
    /** Asks 1NCE (and stores the answer), or serves the latest snapshot when `cached`. */
    async current(iccidParam: string, options: { cached: boolean; ctx: ActorContext }) {
      const sim = await requireSim(deps.db, iccidParam);
      if (options.cached) {
        const row = await repo.latest(sim.id);
        if (row === undefined) throw new NotFound('connectivity snapshot', sim.iccid, 'no_connectivity_snapshot');
        return toPublic(sim.iccid, row);
      }
      return toPublic(sim.iccid, await deps.sync.syncConnectivity(sim.iccid, { priority: 'interactive', ctx: options.ctx }));
    },

    async history(iccidParam: string, query: { from?: string | undefined; to?: string | undefined; page?: number | undefined; page_size?: number | undefined }) {
      const sim = await requireSim(deps.db, iccidParam);
      const page = query.page ?? 1;
      const pageSize = query.page_size ?? 50;
      const range = { from: query.from === undefined ? undefined : new Date(query.from), to: query.to === undefined ? undefined : new Date(query.to) };
      const { rows, total } = await repo.history(sim.id, range, page, pageSize);
      return pageReply(rows.map((r) => toPublic(sim.iccid, r)), total, page, pageSize);
    },

    /** Asks 1NCE to reset the data session and records the request until a re-attach is seen. */
    async reset(iccidParam: string, ctx: ActorContext, userId: number | null) {
      const sim = await requireSim(deps.db, iccidParam);
      const client = await deps.provider.get(sim.account_id);
      await auditedProviderCall(deps, ctx, 'reset_connectivity', sim.iccid, () => client.resetConnectivity(sim.iccid, { priority: 'interactive' }));
      return resetOf(sim.iccid, await repo.insertReset(sim.id, userId));
    },

    /**
     * A reset's state. While it is still `requested`, new events and the current status are
     * fetched from 1NCE first: a re-attach event or an ONLINE/ATTACHED status after the request
     * completes it.
     */
    async getReset(iccidParam: string, id: string, ctx: ActorContext) {
      const sim = await requireSim(deps.db, iccidParam);
      let row = await repo.findReset(sim.id, id);
      if (row === undefined) throw new NotFound('connectivity reset', id, 'reset_not_found');
      if (row.status === 'requested') {
        await deps.sync.syncEvents(sim.iccid, { priority: 'interactive', ctx });
        await deps.sync.syncConnectivity(sim.iccid, { priority: 'interactive', ctx });
        row = (await repo.findReset(sim.id, id))!;
      }
      return resetOf(sim.iccid, row);
    },

    async listResets(iccidParam: string) {
      const sim = await requireSim(deps.db, iccidParam);
      return { items: (await repo.listResets(sim.id, 100)).map((r) => resetOf(sim.iccid, r)) };
    },
  };
}

export type ConnectivityService = ReturnType<typeof createConnectivityService>;
