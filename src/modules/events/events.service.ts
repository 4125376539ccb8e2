import { ValidationError } from '../../errors.js';
import type { Kysely } from 'kysely';
import type { DB, EventSeverity } from '../../db/schema.js';
import { iso } from '../../lib/time.js';
import { requireSim, type ActorContext } from '../sims/sim-ref.js';
import { createEventsRepo, type EventRow } from './events.repo.js';
import type { EventsSync } from './events.sync.js';
import { pageReply } from '../../db/paging.js';

const SEVERITIES: EventSeverity[] = ['INFO', 'WARN', 'CRITICAL'];

function toPublic(row: EventRow) {
  return {
    id: row.event_key,
    occurred_at: iso(row.occurred_at),
    iccid: row.iccid,
    type_id: row.event_type_id,
    type: row.event_type,
    severity: row.severity,
    source: row.event_source,
    alert: row.alert,
    description: row.description,
    received_via: row.source,
  };
}

/** SIM events from our store (kept beyond 1NCE's retention), synced from 1NCE on request. */
export interface EventsServiceDeps {
  db: Kysely<DB>;
  /** Fetches a SIM's events from 1NCE on request. */
  sync: Pick<EventsSync, 'syncEvents'>;
}

export function createEventsService(deps: EventsServiceDeps) {
  const repo = createEventsRepo(deps.db);
  return {
    async list(
      iccidParam: string,
      query: { type?: string | undefined; severity?: string | undefined; from?: string | undefined; to?: string | undefined; refresh?: boolean | undefined; page?: number | undefined; page_size?: number | undefined },
      ctx: ActorContext,
    ) {
      const sim = await requireSim(deps.db, iccidParam);
      const severity = query.severity?.split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== '');
      const bad = severity?.find((s) => !SEVERITIES.includes(s as EventSeverity));
      if (bad !== undefined) throw new ValidationError(`unknown severity ${bad}`, [{ field: 'querystring.severity', message: 'must be INFO, WARN or CRITICAL' }]);
      const from = query.from === undefined ? undefined : new Date(query.from);
      const to = query.to === undefined ? undefined : new Date(query.to);
      if (from !== undefined && to !== undefined && from >= to) throw new ValidationError('from must be before to', [{ field: 'querystring.from', message: 'must be before to' }]);
      if (query.refresh === true) await deps.sync.syncEvents(sim.iccid, { priority: 'interactive', ctx });
      const page = query.page ?? 1;
      const pageSize = query.page_size ?? 50;
      const { rows, total } = await repo.page(
        { simId: sim.id, type: query.type, severity: severity === undefined || severity.length === 0 ? undefined : (severity as EventSeverity[]), from, to },
        page,
        pageSize,
      );
      return pageReply(rows.map(toPublic), total, page, pageSize);
    },

    async sync(iccidParam: string, ctx: ActorContext) {
      const sim = await requireSim(deps.db, iccidParam);
      return deps.sync.syncEvents(sim.iccid, { priority: 'interactive', ctx });
    },
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
