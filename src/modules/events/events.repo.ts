import type { Kysely } from 'kysely';
import type { DB, EventSeverity, NewRow, Row } from '../../db/schema.js';
import { pageOf } from '../../db/paging.js';

export type EventRow = Row<'sim_events'>;

/** Filters of the event list. */
export interface EventFilter {
  simId?: number | undefined;
  /** Event type name (case-insensitive exact match) or numeric type id. */
  type?: string | undefined;
  severity?: EventSeverity[] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
}

/** Kysely queries over `sim_events`; ingest dedupes on (event_key, occurred_at). */
export function createEventsRepo(db: Kysely<DB>) {
  return {
    /** Inserts events not stored yet in one statement; returns how many were new. */
    async insertNew(rows: Array<NewRow<'sim_events'>>): Promise<number> {
      if (rows.length === 0) return 0;
      let inserted = 0;
      // 500 rows x 14 columns stays far below PostgreSQL's 65,535 bind parameters.
      for (let i = 0; i < rows.length; i += 500) {
        const result = await db
          .insertInto('sim_events')
          .values(rows.slice(i, i + 500))
          .onConflict((oc) => oc.columns(['event_key', 'occurred_at']).doNothing())
          .executeTakeFirst();
        inserted += Number(result.numInsertedOrUpdatedRows ?? 0n);
      }
      return inserted;
    },

    async page(filter: EventFilter, page: number, pageSize: number) {
      const base = db
        .selectFrom('sim_events')
        .$if(filter.simId !== undefined, (q) => q.where('sim_id', '=', filter.simId!))
        .$if(filter.type !== undefined, (q) =>
          /^\d+$/.test(filter.type!)
            ? q.where('event_type_id', '=', Number(filter.type))
            : q.where((eb) => eb(eb.fn('lower', ['event_type']), '=', filter.type!.toLowerCase())),
        )
        .$if(filter.severity !== undefined, (q) => q.where('severity', 'in', filter.severity!))
        .$if(filter.from !== undefined, (q) => q.where('occurred_at', '>=', filter.from!))
        .$if(filter.to !== undefined, (q) => q.where('occurred_at', '<', filter.to!));
      return pageOf(base, (q) => q.selectAll().orderBy('occurred_at', 'desc').orderBy('event_key'), page, pageSize);
    },

    /** Whether the SIM has an event matching `types` (lower-case names) at or after `since`. */
    async hasEventSince(simId: number, types: string[], since: Date): Promise<EventRow | undefined> {
      return db
        .selectFrom('sim_events')
        .selectAll()
        .where('sim_id', '=', simId)
        .where('occurred_at', '>=', since)
        .where((eb) => eb.or([eb(eb.fn('lower', ['event_type']), 'in', types), eb(eb.fn('lower', ['description']), 'in', types)]))
        .orderBy('occurred_at')
        .limit(1)
        .executeTakeFirst();
    },
  };
}

export type EventsRepo = ReturnType<typeof createEventsRepo>;
