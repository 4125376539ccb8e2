import { sql, type Kysely } from 'kysely';
import type { DB, UserRole } from '../../db/schema.js';

/** NOTIFY payloads are capped at 8,000 bytes; a larger event is announced by id and read back. */
const NOTIFY_PAYLOAD_MAX = 7_900;

/** A stored live event as read back. */
export interface LiveEventRow {
  id: number | string;
  type: string;
  min_role: UserRole;
  data: Record<string, unknown>;
  created_at: Date | string;
}

/** An event to store: its type, the least role that sees it, and its data. */
export interface NewLiveEvent {
  type: string;
  min_role: UserRole;
  data: Record<string, unknown>;
}

/** Ids are taken under this per-schema lock, so events commit in id order. */
const lockIds = (trx: Kysely<DB>) => sql`select pg_advisory_xact_lock(hashtext('simfleet.live:' || current_schema()))`.execute(trx);

/**
 * SQL of the live event buffer (`live_events`, `live_event_state`): store-and-NOTIFY in one
 * transaction, read back, prune, and the channel of this schema.
 */
export function createLiveRepo(db: Kysely<DB>) {
  return {
    /** The NOTIFY channel of the current schema: isolated deployments (and test schemas) never hear each other. */
    async channelName(): Promise<string> {
      const r = await sql<{ name: string }>`select 'simfleet_live_' || left(md5(current_schema()), 12) as name`.execute(db);
      return r.rows[0]!.name;
    },

    /** Stored events after `afterId`, in id order, at most `limit`. */
    rowsAfter(afterId: number, limit: number): Promise<LiveEventRow[]> {
      return db.selectFrom('live_events').selectAll().where('id', '>', afterId).orderBy('id').limit(limit).execute();
    },

    /** One stored event, or undefined once pruned. */
    byId(id: number) {
      return db.selectFrom('live_events').selectAll().where('id', '=', id).executeTakeFirst();
    },

    /** The newest stored event id (0 when none). */
    async newestId(): Promise<number> {
      const newest = await db.selectFrom('live_events').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      return Number(newest?.id ?? 0);
    },

    /** The highest id pruned so far (0 when none). */
    async prunedThrough(): Promise<number> {
      const state = await db.selectFrom('live_event_state').select('pruned_through').executeTakeFirst();
      return Number(state?.pruned_through ?? 0);
    },

    /** Drops events older than `windowMs` or beyond the newest `maxRows`, and records how far it pruned. */
    async prune(windowMs: number, maxRows: number): Promise<void> {
      await sql`
      with gone as (
        delete from live_events
         where created_at < now() - make_interval(secs => ${windowMs / 1000})
            or id <= (select max(id) from live_events) - ${maxRows}
        returning id
      )
      update live_event_state set pruned_through = greatest(pruned_through, coalesce((select max(id) from gone), 0))`.execute(db);
    },

    /** Stores one event and NOTIFYs `channel` of it (by id when too large), in one transaction. */
    async insertAndNotify(channel: string, event: NewLiveEvent): Promise<void> {
      await db.transaction().execute(async (trx) => {
        await lockIds(trx);
        await sql`
            with ins as (
              insert into live_events (type, min_role, data) values (${event.type}, ${event.min_role}, ${JSON.stringify(event.data)}::jsonb)
              returning id, type, min_role, data, created_at
            ), payload as (
              select id, json_build_object('id', id, 'type', type, 'min_role', min_role, 'data', data, 'at', created_at)::text as body from ins
            )
            select pg_notify(${channel}, case when octet_length(body) <= ${NOTIFY_PAYLOAD_MAX} then body else json_build_object('id', id, 'ref', true)::text end)
              from payload`.execute(trx);
      });
    },

    /** Stores several events (ids in list order) and NOTIFYs `channel` of each, in one transaction. */
    async insertManyAndNotify(channel: string, events: readonly NewLiveEvent[]): Promise<void> {
      const rows = events.map((e, ord) => ({ ord, type: e.type, min_role: e.min_role, data: e.data }));
      await db.transaction().execute(async (trx) => {
        await lockIds(trx);
        await sql`
            with ins as (
              insert into live_events (type, min_role, data)
              select type, min_role, data from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as e(ord int, type text, min_role text, data jsonb)
              order by ord
              returning id, type, min_role, data, created_at
            ), payload as (
              select id, json_build_object('id', id, 'type', type, 'min_role', min_role, 'data', data, 'at', created_at)::text as body from ins
            )
            select pg_notify(${channel}, case when octet_length(body) <= ${NOTIFY_PAYLOAD_MAX} then body else json_build_object('id', id, 'ref', true)::text end)
              from (select * from payload order by id) ordered`.execute(trx);
      });
    },
  };
}
