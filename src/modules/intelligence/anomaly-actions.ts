import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AnomalyAction, DB } from '../../db/schema.js';
import type { AlertRuleRow } from '../alerts/alerts.repo.js';
import type { RaisedAnomaly } from '../alerts/alerts.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Notify } from '../notify/notify.service.js';
import type { ActorContext } from '../sims/sim-ref.js';
import type { SimsService } from '../sims/sims.service.js';
import { createAnomalyActionsRepo, type ActionCap } from './anomaly-actions.repo.js';

/** Outcome of one automatic action, for the metric and the audit entry. */
export type ActionOutcome = 'succeeded' | 'failed' | 'capped' | 'skipped' | 'dry_run';

export interface AnomalyActionsDeps {
  db: Kysely<DB>;
  /** The SIM action service (PATCH /sims/{iccid}): 1NCE first, through the governor, audited. */
  sims: Pick<SimsService, 'patch'>;
  audit: Pick<AuditService, 'recordSafely'>;
  notify: Notify;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Counts actions by action and outcome. */
  counted(action: AnomalyAction, outcome: ActionOutcome): void;
}

/** The actor automatic actions are taken as (audit entries name the rule in their detail). */
const ACTOR: ActorContext = { actor: { type: 'system', username: 'anomaly-detector' } };

/**
 * Opt-in automatic actions of anomaly rules (disable the SIM, lock its IMEI). Every action goes
 * through the SIM action service, so 1NCE's rate governor and the audit trail apply; each rule is
 * capped per period over the whole fleet (a detector gone wrong cannot disable a fleet); dry-run
 * rules record and audit what they would have done, and count against their own cap.
 */
export function createAnomalyActions(deps: AnomalyActionsDeps) {
  const repo = createAnomalyActionsRepo(deps.db);

  async function report(rule: AlertRuleRow, action: AnomalyAction, raised: RaisedAnomaly, outcome: ActionOutcome, error?: string) {
    deps.counted(action, outcome);
    const detail = { rule_id: rule.id, rule_name: rule.name, alert_id: raised.alertId, action, dry_run: rule.auto_action_dry_run, outcome, ...(error !== undefined && { error }) };
    await deps.audit.recordSafely({
      actor: ACTOR.actor,
      action: 'sim.anomaly_action',
      target: { type: 'sim', id: raised.sim.iccid },
      outcome: outcome === 'failed' ? 'failure' : outcome === 'capped' ? 'denied' : 'success',
      detail,
    });
    await deps.notify('anomaly.action', { iccid: raised.sim.iccid, ...detail });
  }

  return {
    /** Takes the rule's automatic action for each alert it just raised (nothing when the rule has none). */
    async run(rule: AlertRuleRow, raised: RaisedAnomaly[]): Promise<void> {
      const action = rule.auto_action;
      if (action === null || rule.auto_action_period === null || rule.auto_action_max_per_period === null) return;
      const cap: ActionCap = { ruleId: rule.id, dryRun: rule.auto_action_dry_run, period: rule.auto_action_period, maxPerPeriod: rule.auto_action_max_per_period };
      for (const r of raised) {
        try {
          const current = await repo.simState(r.sim.id);
          if (current === undefined) continue;
          if ((action === 'disable' && current.status === 'Disabled') || (action === 'imei_lock' && current.imei_lock)) {
            deps.counted(action, 'skipped');
            continue;
          }
          const slot = await repo.reserve(cap, action, r.sim.id, r.alertId);
          if (slot.capped) {
            deps.logger.warn({ rule_id: rule.id, iccid: r.sim.iccid, action, cap: rule.auto_action_max_per_period, period: rule.auto_action_period }, 'automatic anomaly action skipped: cap for this period reached');
            await report(rule, action, r, 'capped');
            continue;
          }
          if (rule.auto_action_dry_run) {
            await repo.finish(slot.id, 'succeeded', null);
            await report(rule, action, r, 'dry_run');
            continue;
          }
          try {
            await deps.sims.patch(r.sim.iccid, action === 'disable' ? { status: 'Disabled' } : { imei_lock: true }, ACTOR);
            await repo.finish(slot.id, 'succeeded', null);
            await report(rule, action, r, 'succeeded');
          } catch (error) {
            const message = (error instanceof Error ? error.message : String(error)).slice(0, 500);
            await repo.finish(slot.id, 'failed', message);
            await report(rule, action, r, 'failed', message);
          }
        } catch (error) {
          // Bookkeeping failed (database): the alert stands; the next raise tries again.
          deps.logger.warn({ err: error, rule_id: rule.id, iccid: r.sim.iccid }, 'automatic anomaly action could not be recorded');
        }
      }
    },
  };
}

export type AnomalyActions = ReturnType<typeof createAnomalyActions>;
