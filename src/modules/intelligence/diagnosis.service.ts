import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { DAY_MS, dateOrNull, isoOrNull, utcDay } from '../../lib/time.js';
import { forecastExhaustion, forecastHistoryStart } from '../quotas/forecast.js';
import { requireSim } from '../sims/sim-ref.js';
import { createUsageRepo } from '../usage/usage.repo.js';
import { createAnomalyActionsRepo } from './anomaly-actions.repo.js';
import { createDiagnosisRepo } from './diagnosis.repo.js';
import { diagnose, lastDataAt, type DiagnosisFacts } from './diagnosis.js';
import type { DiagnosisDto } from './intelligence.schemas.js';

/** 1NCE's "Data Quota used up" event type id. */
const DATA_USED_UP_EVENT = 19;
/** Session events: PDP context created / deleted. */
const SESSION_EVENTS = [3, 5];

/** Gathers a SIM's facts (a handful of indexed look-ups) and diagnoses it. */
export function createDiagnosisService(deps: { db: Kysely<DB>; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  const db = deps.db;
  const repo = createDiagnosisRepo(db);
  const usage = createUsageRepo(db);
  const actions = createAnomalyActionsRepo(db);

  return {
    /** GET /sims/{iccid}/diagnosis: the verdict, its reasons and next steps, and the facts behind them. */
    async diagnose(iccidParam: string): Promise<DiagnosisDto> {
      const sim = await requireSim(db, iccidParam);
      const at = now();
      const since28 = utcDay(at.getTime() - 28 * DAY_MS);
      const since = forecastHistoryStart(at.getTime());
      const [u, history, events, session, exhaustedEvent, alerts, action] = await Promise.all([
        repo.usageActivity(sim.id, since28, utcDay(at.getTime())),
        usage.consumptionSince(sim.id, since),
        repo.recentEvents(sim.id),
        repo.latestEventOf(sim.id, SESSION_EVENTS),
        repo.latestEventOf(sim.id, [DATA_USED_UP_EVENT]),
        repo.openAlerts(sim.id),
        actions.latestTakenFor(sim.id),
      ]);
      let exhaustedAt = dateOrNull(exhaustedEvent?.occurred_at);
      if (exhaustedAt === null && sim.data_remaining_bytes !== null && sim.data_remaining_bytes <= 0) {
        exhaustedAt = dateOrNull(await repo.dataQuotaStatusChange(sim.id));
      }
      // The one exhaustion model of the platform (quotas/forecast.ts), as GET /quota/data answers it.
      const forecast = forecastExhaustion(
        history.map((h) => ({ day: h.day, used: Number(h.data_total_bytes) })),
        sim.data_remaining_bytes === null ? null : Number(sim.data_remaining_bytes),
        at,
      );
      const facts: DiagnosisFacts = {
        iccid: sim.iccid,
        status: sim.status,
        imei: sim.imei,
        imeiLock: sim.imei_lock,
        connectivity: sim.connectivity_status,
        lastSeenAt: dateOrNull(sim.last_seen_at),
        lastSyncedAt: dateOrNull(sim.last_synced_at),
        source: sim.source,
        dataTotalBytes: sim.data_total_bytes === null ? null : Number(sim.data_total_bytes),
        dataRemainingBytes: sim.data_remaining_bytes === null ? null : Number(sim.data_remaining_bytes),
        smsTotal: sim.sms_total === null ? null : Number(sim.sms_total),
        smsRemaining: sim.sms_remaining === null ? null : Number(sim.sms_remaining),
        expiryDate: dateOrNull(sim.data_expiry_date),
        lastDataDay: u?.last_day ?? null,
        lastSessionAt: dateOrNull(session?.occurred_at),
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
          last_seen_at: isoOrNull(facts.lastSeenAt),
          last_data_at: isoOrNull(lastDataAt(facts, at)),
          active_days_28: facts.activeDays28,
          known_days_28: facts.knownDays28,
          data_total_bytes: facts.dataTotalBytes,
          data_remaining_bytes: facts.dataRemainingBytes,
          data_expiry_date: isoOrNull(facts.expiryDate),
          forecast_exhaustion_date: facts.forecastExhaustionDate,
          open_alerts: facts.openAlerts.map((a) => ({ metric: a.metric, rule_name: a.rule_name, message: a.message, raised_at: a.raised_at.toISOString() })),
          recent_events: events.map((e) => ({ occurred_at: new Date(e.occurred_at).toISOString(), event_type: e.event_type, description: e.description })),
        },
      };
    },
  };
}

export type DiagnosisService = ReturnType<typeof createDiagnosisService>;
