/**
 * 1NCE -> database sync of a SIM's events: every page 1NCE holds, stored once by event key (1NCE's
 * id, or a digest of the event when it has none), so re-polling never duplicates.
 */
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { ProviderClient } from '../../provider/client.js';
import type { ProviderEvent, ProviderPage } from '../../provider/provider.types.js';
import type { AuditService } from '../audit/audit.service.js';
import { auditedProviderCall, callOptions, requireSim, type SyncOptions } from '../sims/sim-ref.js';
import { createEventsRepo } from './events.repo.js';

const EVENT_PAGE_SIZE = 1000;

export interface EventsSyncDeps {
  db: Kysely<DB>;
  provider: { get(accountId: string): Promise<ProviderClient> };
  audit: Pick<AuditService, 'recordSafely'>;
}

/** Deterministic key for events without a provider id, so re-polling never duplicates them. */
export function eventKey(iccid: string, event: ProviderEvent): string {
  if (event.id !== null) return event.id;
  const digest = createHash('sha256')
    .update(
      [
        iccid,
        event.timestamp?.toISOString() ?? '',
        event.typeId ?? '',
        event.type ?? '',
        event.description ?? '',
      ].join('\u0000'),
    )
    .digest('hex');
  return `h:${digest.slice(0, 40)}`;
}

function severityIdOf(raw: unknown): number | null {
  const severity = (raw as { event_severity?: unknown }).event_severity;
  const id =
    severity !== null && typeof severity === 'object' ? (severity as { id?: unknown }).id : undefined;
  const n = typeof id === 'number' ? id : typeof id === 'string' ? Number(id) : Number.NaN;
  return Number.isInteger(n) && Math.abs(n) < 32_768 ? n : null;
}

export function createEventsSync(deps: EventsSyncDeps) {
  const events = createEventsRepo(deps.db);

  /** Fetches every event page 1NCE holds for a SIM and stores the new ones. */
  async function syncEvents(
    iccid: string,
    options?: SyncOptions,
  ): Promise<{ fetched: number; inserted: number }> {
    const sim = await requireSim(deps.db, iccid);
    const client = await deps.provider.get(sim.account_id);
    let fetched = 0;
    let inserted = 0;
    for (let page = 1; ; page++) {
      const result: ProviderPage<ProviderEvent> = await auditedProviderCall(
        deps,
        options?.ctx,
        'list_events',
        sim.iccid,
        () => client.listEvents(sim.iccid, { ...callOptions(options), page, pageSize: EVENT_PAGE_SIZE }),
        { page },
      );
      fetched += result.items.length;
      const rows = result.items
        .filter((e) => e.timestamp !== null)
        .map((e) => ({
          event_key: eventKey(sim.iccid, e),
          occurred_at: e.timestamp!,
          sim_id: sim.id,
          iccid: sim.iccid,
          event_type_id: e.typeId,
          event_type: e.type,
          severity: e.severity === 'UNKNOWN' ? null : e.severity,
          severity_id: severityIdOf(e.raw),
          event_source: e.source,
          event_source_id: e.sourceId,
          source: 'poll' as const,
          alert: e.alert,
          description: e.description,
          raw: e.raw,
        }));
      inserted += await events.insertNew(rows);
      const last =
        result.totalPages === null
          ? result.items.length + result.invalid < EVENT_PAGE_SIZE
          : page >= result.totalPages;
      if (last || result.items.length + result.invalid === 0) break;
    }
    return { fetched, inserted };
  }

  return { syncEvents };
}

export type EventsSync = ReturnType<typeof createEventsSync>;
