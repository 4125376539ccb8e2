import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';

/** Recent events a diagnosis shows. */
const RECENT_EVENTS = 5;
/** Open alerts a diagnosis reads. */
const OPEN_ALERTS = 20;

/**
 * The reads a SIM diagnosis is made from (each an indexed look-up on one SIM): its usage activity,
 * events, open alerts and the data quota's last status change. Its usage history comes from the
 * usage repository and its last automatic action from the anomaly actions' one.
 */
export function createDiagnosisRepo(db: Kysely<DB>) {
  return {
    /** The last day with data, and the days with data and the days known since `since28` (up to `today`). */
    async usageActivity(simId: number, since28: string, today: string): Promise<{ last_day: string | null; active: number; known: number } | undefined> {
      const { rows } = await sql<{ last_day: string | null; active: number; known: number }>`
          select to_char(max(day) filter (where data_total_bytes > 0), 'YYYY-MM-DD') as last_day,
                 count(*) filter (where data_total_bytes > 0 and day >= ${since28}::date)::int as active,
                 coalesce(${today}::date - min(day) filter (where day >= ${since28}::date) + 1, 0)::int as known
          from sim_usage where sim_id = ${simId}`.execute(db);
      return rows[0];
    },

    /** The SIM's newest events. */
    recentEvents(simId: number) {
      return db
        .selectFrom('sim_events')
        .select(['occurred_at', 'event_type', 'description'])
        .where('sim_id', '=', simId)
        .orderBy('occurred_at', 'desc')
        .limit(RECENT_EVENTS)
        .execute();
    },

    /** When the SIM last had an event of one of these types, or undefined. */
    latestEventOf(simId: number, eventTypeIds: number[]) {
      return db
        .selectFrom('sim_events')
        .select('occurred_at')
        .where('sim_id', '=', simId)
        .where('event_type_id', 'in', eventTypeIds)
        .orderBy('occurred_at', 'desc')
        .limit(1)
        .executeTakeFirst();
    },

    /** The SIM's alerts not resolved yet, newest first, with their rule's name. */
    openAlerts(simId: number) {
      return db
        .selectFrom('alerts')
        .leftJoin('alert_rules', 'alert_rules.id', 'alerts.rule_id')
        .select(['alerts.metric', 'alerts.message', 'alerts.raised_at', 'alerts.data', 'alert_rules.name as rule_name'])
        .where('alerts.sim_id', '=', simId)
        .where('alerts.state', '<>', 'resolved')
        .orderBy('alerts.raised_at', 'desc')
        .limit(OPEN_ALERTS)
        .execute();
    },

    /** The last status change of the SIM's newest data quota snapshot, or undefined. */
    async dataQuotaStatusChange(simId: number): Promise<Date | string | null | undefined> {
      const snap = await db
        .selectFrom('sim_quotas')
        .select('last_status_change_date')
        .where('sim_id', '=', simId)
        .where('service', '=', 'data')
        .orderBy('captured_at', 'desc')
        .limit(1)
        .executeTakeFirst();
      return snap?.last_status_change_date;
    },
  };
}
