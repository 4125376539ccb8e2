import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { DAY_MS, utcDay } from '../../lib/time.js';
import { forecastExhaustion, forecastHistoryStart } from '../quotas/forecast.js';
import { requireSim } from '../sims/sim-ref.js';
import { diagnose, lastDataAt, type Diagnosis, type DiagnosisFacts } from './diagnosis.js';

/** The diagnosis as the API answers it: the verdict plus the facts it was made from. */
export interface DiagnosisDto extends Diagnosis {
  evaluated_at: string;
  facts: {
    status: string | null;
    imei: string | null;
    imei_lock: boolean;
    connectivity_status: string | null;
    last_seen_at: string | null;
    last_data_at: string | null;
    active_days_28: number;
    known_days_28: number;
    data_total_bytes: number | null;
    data_remaining_bytes: number | null;
    data_expiry_date: string | null;
    forecast_exhaustion_date: string | null;
    open_alerts: Array<{ metric: string; rule_name: string | null; message: string | null; raised_at: string }>;
    recent_events: Array<{ occurred_at: string; event_type: string | null; description: string | null }>;
  };
}

/** 1NCE's "Data Quota used up" event type id. */
const DATA_USED_UP_EVENT = 19;
/** Session events: PDP context created / deleted. */
const SESSION_EVENTS = [3, 5];
const iso = (d: Date | null) => (d === null ? null : d.toISOString());
const asDate = (v: unknown) => (v === null || v === undefined ? null : new Date(v as string | Date));

/** Gathers a SIM's facts (a handful of indexed look-ups) and diagnoses it. */
export function createDiagnosisService(deps: { db: Kysely<DB>; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  const db = deps.db;

  return {
    /** GET /sims/{iccid}/diagnosis: the verdict, its reasons and next steps, and the facts behind them. */
    async diagnose(iccidParam: string): Promise<DiagnosisDto> {
      const sim = await requireSim(db, iccidParam);
      const at = now();
      const since28 = utcDay(at.getTime() - 28 * DAY_MS);
      const since = forecastHistoryStart(at.getTime());
      const [usage, history, events, session, exhaustedEvent, alerts, action] = await Promise.all([
        sql<{ last_day: string | null; active: number; known: number }>`
          select to_char(max(day) filter (where data_total_bytes > 0), 'YYYY-MM-DD') as last_day,
                 count(*) filter (where data_total_bytes > 0 and day >= ${since28}::date)::int as active,
                 coalesce(${utcDay(at.getTime())}::date - min(day) filter (where day >= ${since28}::date) + 1, 0)::int as known
          from sim_usage where sim_id = ${sim.id}`.execute(db),
        db.selectFrom('sim_usage').select(['day', 'data_total_bytes']).where('sim_id', '=', sim.id).where('day', '>=', since).orderBy('day').execute(),
        db.selectFrom('sim_events').select(['occurred_at', 'event_type', 'description']).where('sim_id', '=', sim.id).orderBy('occurred_at', 'desc').limit(5).execute(),
        db.selectFrom('sim_events').select('occurred_at').where('sim_id', '=', sim.id).where('event_type_id', 'in', SESSION_EVENTS).orderBy('occurred_at', 'desc').limit(1).executeTakeFirst(),
        db.selectFrom('sim_events').select('occurred_at').where('sim_id', '=', sim.id).where('event_type_id', '=', DATA_USED_UP_EVENT).orderBy('occurred_at', 'desc').limit(1).executeTakeFirst(),
        db
          .selectFrom('alerts')
          .leftJoin('alert_rules', 'alert_rules.id', 'alerts.rule_id')
          .select(['alerts.metric', 'alerts.message', 'alerts.raised_at', 'alerts.data', 'alert_rules.name as rule_name'])
          .where('alerts.sim_id', '=', sim.id)
          .where('alerts.state', '<>', 'resolved')
          .orderBy('alerts.raised_at', 'desc')
          .limit(20)
          .execute(),
        db
          .selectFrom('anomaly_actions')
          .leftJoin('alert_rules', 'alert_rules.id', 'anomaly_actions.rule_id')
          .select(['anomaly_actions.action', 'anomaly_actions.created_at', 'alert_rules.name as rule_name'])
          .where('anomaly_actions.sim_id', '=', sim.id)
          .where('anomaly_actions.status', '=', 'succeeded')
          .where('anomaly_actions.dry_run', '=', false)
          .orderBy('anomaly_actions.created_at', 'desc')
          .limit(1)
          .executeTakeFirst(),
      ]);
      let exhaustedAt = asDate(exhaustedEvent?.occurred_at);
      if (exhaustedAt === null && sim.data_remaining_bytes !== null && sim.data_remaining_bytes <= 0) {
        const snap = await db.selectFrom('sim_quotas').select('last_status_change_date').where('sim_id', '=', sim.id).where('service', '=', 'data').orderBy('captured_at', 'desc').limit(1).executeTakeFirst();
        exhaustedAt = asDate(snap?.last_status_change_date);
      }
      // The one exhaustion model of the platform (quotas/forecast.ts), as GET /quota/data answers it.
      const forecast = forecastExhaustion(
        history.map((h) => ({ day: h.day, used: Number(h.data_total_bytes) })),
        sim.data_remaining_bytes === null ? null : Number(sim.data_remaining_bytes),
        at,
      );
      const u = usage.rows[0];
      const facts: DiagnosisFacts = {
        iccid: sim.iccid,
        status: sim.status,
        imei: sim.imei,
        imeiLock: sim.imei_lock,
        connectivity: sim.connectivity_status,
        lastSeenAt: asDate(sim.last_seen_at),
        lastSyncedAt: asDate(sim.last_synced_at),
        source: sim.source,
        dataTotalBytes: sim.data_total_bytes === null ? null : Number(sim.data_total_bytes),
        dataRemainingBytes: sim.data_remaining_bytes === null ? null : Number(sim.data_remaining_bytes),
        smsTotal: sim.sms_total === null ? null : Number(sim.sms_total),
        smsRemaining: sim.sms_remaining === null ? null : Number(sim.sms_remaining),
        expiryDate: asDate(sim.data_expiry_date),
        lastDataDay: u?.last_day ?? null,
        lastSessionAt: asDate(session?.occurred_at),
        activeDays28: Number(u?.active ?? 0),
        knownDays28: Number(u?.known ?? 0),
        exhaustedAt,
        forecastExhaustionDate: forecast.forecast_exhaustion_date,
        openAlerts: alerts.map((a) => ({ metric: a.metric, rule_name: a.rule_name, message: a.message, raised_at: new Date(a.raised_at), data: a.data ?? null })),
        lastAction: action === undefined ? null : { action: action.action, ruleName: action.rule_name, at: new Date(action.created_at) },
      };
      return {
        ...diagnose(facts, at),
        evaluated_at: at.toISOString(),
        facts: {
          status: facts.status,
          imei: facts.imei,
          imei_lock: facts.imeiLock,
          connectivity_status: facts.connectivity,
          last_seen_at: iso(facts.lastSeenAt),
          last_data_at: iso(lastDataAt(facts, at)),
          active_days_28: facts.activeDays28,
          known_days_28: facts.knownDays28,
          data_total_bytes: facts.dataTotalBytes,
          data_remaining_bytes: facts.dataRemainingBytes,
          data_expiry_date: iso(facts.expiryDate),
          forecast_exhaustion_date: facts.forecastExhaustionDate,
          open_alerts: facts.openAlerts.map((a) => ({ metric: a.metric, rule_name: a.rule_name, message: a.message, raised_at: a.raised_at.toISOString() })),
          recent_events: events.map((e) => ({ occurred_at: new Date(e.occurred_at).toISOString(), event_type: e.event_type, description: e.description })),
        },
      };
    },
  };
}

export type DiagnosisService = ReturnType<typeof createDiagnosisService>;
