import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../../db/schema.js';
import { Conflict, NotFound } from '../../errors.js';
import type { BackgroundMetrics } from '../../metrics/background.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Notify } from '../notify/notify.service.js';
import { tallyForecasts } from '../observability/platform-probes.js';
import { forecastHistoryStart } from '../quotas/forecast.js';
import { parseIccid } from '../sims/sim-ref.js';
import { decide, forecastDays, inScope, isAnomalyMetric, metricValue, worseWhenLower, type SimSnapshot } from './alerts.evaluate.js';
import { ANOMALY_RULES_MARKER, DEFAULT_ANOMALY_RULES, DEFAULT_RULES, validateRule } from './alerts.rules.js';
import { describe, eventFor } from './alerts.notices.js';
import { toAlertDto, toRuleDto } from './alerts.view.js';
import type { AlertDto } from './alerts.schemas.js';
import { createAlertsRepo, type AlertFilter, type AlertRuleRow, type RuleValues } from './alerts.repo.js';
import { isUuid } from '../../lib/identifiers.js';
import { pageReply } from '../../db/paging.js';

export { DEFAULT_ANOMALY_RULES, DEFAULT_RULES } from './alerts.rules.js';
export type { AlertDto, AlertRuleDto } from './alerts.schemas.js';

/** SIMs evaluated per page; bounds memory on a 100,000-SIM fleet. */
const PAGE = 2_000;

/** The SIM an anomaly value or event is about. */
export interface AnomalyTarget {
  id: number;
  iccid: string;
  accountId: string;
  tags: string[];
}

/** A detector's verdict for one SIM: a value for threshold rules (null = unknown), context for the alert. */
export interface AnomalyItem {
  sim: AnomalyTarget;
  value: number | null;
  message?: string;
  data: Record<string, unknown>;
}

/** An alert an anomaly raised (automatic actions follow it). */
export interface RaisedAnomaly {
  alertId: string;
  sim: AnomalyTarget;
  value: number;
  message: string;
}

export interface AlertsServiceDeps {
  db: Kysely<DB>;
  logger: Logger;
  metrics: BackgroundMetrics['alerts'];
  notify: Notify;
  provider: Pick<ProviderRegistry, 'get'>;
  audit: Pick<AuditService, 'recordSafely'>;
  now?: () => Date;
}

/**
 * Quota intelligence: rules (per SIM, tag, account or global), evaluation with hysteresis, the
 * alert lifecycle (open -> acknowledged -> resolved) and optional capped automatic top-ups.
 */
export function createAlertsService(deps: AlertsServiceDeps) {
  const repo = createAlertsRepo(deps.db);
  const now = deps.now ?? (() => new Date());

  const mustFindRule = async (id: string) => {
    const r = await repo.findRule(id);
    if (r === undefined) throw new NotFound('alert_rule', id);
    return r;
  };

  const autoTopup = async (r: AlertRuleRow, sim: SimSnapshot, alertId: string | null) => {
    const period = r.auto_topup_period;
    const cap = r.auto_topup_max_per_period;
    if (period === null || cap === null) return;
    if ((await repo.topupsThisPeriod(r.id, sim.id, period)) >= cap) {
      deps.metrics.autoTopups.inc({ outcome: 'capped' });
      deps.logger.warn({ iccid: sim.iccid, rule_id: r.id, cap, period }, 'auto top-up skipped: cap for this period reached');
      return;
    }
    const topup = await repo.insertTopup({ rule_id: r.id, sim_id: sim.id, alert_id: alertId });
    try {
      const client = await deps.provider.get(sim.accountId);
      const order = await client.topUp(sim.iccid, { priority: 'background' });
      await repo.finishTopup(topup.id, 'succeeded', null);
      deps.metrics.autoTopups.inc({ outcome: 'succeeded' });
      await deps.audit.recordSafely({
        actor: { type: 'system' },
        action: 'sim.auto_topup',
        target: { type: 'sim', id: sim.iccid },
        outcome: 'success',
        detail: { rule_id: r.id, alert_id: alertId, order_number: order.orderNumber },
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await repo.finishTopup(topup.id, 'failed', message.slice(0, 500));
      deps.metrics.autoTopups.inc({ outcome: 'failed' });
      await deps.audit.recordSafely({
        actor: { type: 'system' },
        action: 'sim.auto_topup',
        target: { type: 'sim', id: sim.iccid },
        outcome: 'failure',
        detail: { rule_id: r.id, alert_id: alertId, error: message },
      });
    }
  };

  type EnabledRule = { row: AlertRuleRow; thresholds: number[]; hysteresis: number };
  // Anomaly rules are evaluated fleet-wide by the detector (src/modules/intelligence), not per SIM here.
  const enabledRules = async (): Promise<EnabledRule[]> =>
    (await repo.enabledRules()).filter((r) => !isAnomalyMetric(r.metric)).map((r) => ({ row: r, thresholds: r.thresholds.map(Number), hysteresis: Number(r.hysteresis) }));

  /** Stores one crossing and announces it (webhook event of its type, live `alert.raised`); undefined when one is already live. */
  const raiseAlert = async (r: AlertRuleRow, sim: AnomalyTarget, threshold: number, value: number, message: string, data: Record<string, unknown>) => {
    const inserted = await repo.insertAlert({ rule_id: r.id, sim_id: sim.id, metric: r.metric, threshold, severity: r.severity, value, message, data: JSON.stringify(data) });
    if (inserted === undefined) return undefined;
    deps.metrics.raised.inc({ metric: r.metric, severity: r.severity });
    await deps.notify(eventFor(r.metric, threshold), {
      alert_id: inserted.id,
      iccid: sim.iccid,
      metric: r.metric,
      threshold,
      value,
      severity: r.severity,
      rule_id: r.id,
      rule_name: r.name,
      message,
      ...data,
    });
    const raised = await repo.findAlert(inserted.id);
    if (raised !== undefined) await deps.notify('alert.raised', { ...toAlertDto(raised) });
    return inserted.id;
  };

  /** Evaluates the rules against a batch of SIM snapshots: raises, clears and tops up. */
  /**
   * A rule scoped to one SIM or account must name one that exists (404 otherwise, nothing stored);
   * a SIM scope is stored as the 19-digit ICCID the evaluation compares with, whichever form was sent.
   */
  const resolveScope = async (values: RuleValues): Promise<RuleValues> => {
    if (values.scope === 'sim' && values.scope_value !== null) {
      const iccid = parseIccid(values.scope_value, 'body.scope_value');
      if (!(await repo.scopeTargetExists('sim', iccid))) throw new NotFound('sim', iccid, 'sim_not_found');
      return { ...values, scope_value: iccid };
    }
    if (values.scope === 'account' && values.scope_value !== null) {
      if (!isUuid(values.scope_value) || !(await repo.scopeTargetExists('account', values.scope_value))) throw new NotFound('provider_account', values.scope_value, 'provider_account_not_found');
    }
    return values;
  };

  const evaluateBatch = async (rules: EnabledRule[], sims: SimSnapshot[], counts: { sims: number; raised: number; cleared: number }) => {
    counts.sims += sims.length;
    const live = await repo.uncleared(sims.map((s) => s.id));
    const at = now();
    for (const sim of sims) {
      for (const r of rules) {
        if (!inScope(r.row, sim)) continue;
        const value = metricValue(r.row.metric, sim, at);
        // Worst thresholds first, so one top-up answers the most severe crossing.
        const ordered = worseWhenLower(r.row.metric) ? [...r.thresholds].sort((a, b) => a - b) : [...r.thresholds].sort((a, b) => b - a);
        let toppedUp = false;
        for (const threshold of ordered) {
          const existing = live.get(`${r.row.id}|${sim.id}|${threshold}`);
          const decision = decide(r.row.metric, value, threshold, r.hysteresis, existing === undefined);
          if (decision === 'clear' && existing !== undefined) {
            await repo.clearAlert(existing.id);
            counts.cleared += 1;
          } else if (decision === 'raise' && value !== null) {
            const forecast = forecastDays(sim);
            const data = {
              data_total_bytes: sim.dataTotalBytes,
              data_remaining_bytes: sim.dataRemainingBytes,
              sms_total: sim.smsTotal,
              sms_remaining: sim.smsRemaining,
              expiry_date: sim.dataExpiryDate?.toISOString() ?? null,
              forecast_days: forecast,
            };
            const message = describe(r.row.metric, threshold, value);
            const inserted = await repo.insertAlert({
              rule_id: r.row.id,
              sim_id: sim.id,
              metric: r.row.metric,
              threshold,
              severity: r.row.severity,
              value,
              message,
              data: JSON.stringify(data),
            });
            if (inserted === undefined) continue;
            counts.raised += 1;
            deps.metrics.raised.inc({ metric: r.row.metric, severity: r.row.severity });
            await deps.notify(eventFor(r.row.metric, threshold), {
              alert_id: inserted.id,
              iccid: sim.iccid,
              metric: r.row.metric,
              threshold,
              value,
              severity: r.row.severity,
              rule_id: r.row.id,
              rule_name: r.row.name,
              message,
              ...data,
            });
            const raised = await repo.findAlert(inserted.id);
            if (raised !== undefined) await deps.notify('alert.raised', { ...toAlertDto(raised) });
            if (r.row.auto_topup && !toppedUp) {
              toppedUp = true;
              await autoTopup(r.row, sim, inserted.id);
            }
          }
        }
      }
    }
  };

  return {
    /** Creates the default rules when there are none, and the anomaly rules once per install; returns how many were created. */
    async ensureDefaultRules() {
      const quota = await repo.ensureDefaults(DEFAULT_RULES);
      return quota + (await repo.ensureOnce(ANOMALY_RULES_MARKER, DEFAULT_ANOMALY_RULES));
    },

    /** Enabled rules of the anomaly alert types. */
    anomalyRules: async () => (await repo.enabledRules()).filter((r) => isAnomalyMetric(r.metric)),

    /**
     * Applies detector values to a threshold anomaly rule (usage_spike, silence_hours) with the same
     * hysteresis and lifecycle as quota rules: one alert per crossing, re-armed once the value is back
     * below threshold - hysteresis. Items outside the rule's scope are ignored.
     */
    async applyAnomalyValues(r: AlertRuleRow, items: AnomalyItem[]): Promise<{ raised: RaisedAnomaly[]; cleared: number }> {
      const out = { raised: [] as RaisedAnomaly[], cleared: 0 };
      const thresholds = r.thresholds.map(Number).sort((a, b) => b - a);
      const hysteresis = Number(r.hysteresis);
      const live = await repo.uncleared(items.map((i) => i.sim.id));
      for (const item of items) {
        if (!inScope(r, item.sim)) continue;
        for (const threshold of thresholds) {
          const existing = live.get(`${r.id}|${item.sim.id}|${threshold}`);
          const decision = decide(r.metric, item.value, threshold, hysteresis, existing === undefined);
          if (decision === 'clear' && existing !== undefined) {
            await repo.clearAlert(existing.id);
            out.cleared += 1;
          } else if (decision === 'raise' && item.value !== null) {
            const message = item.message ?? describe(r.metric, threshold, item.value);
            const alertId = await raiseAlert(r, item.sim, threshold, item.value, message, item.data);
            if (alertId !== undefined) out.raised.push({ alertId, sim: item.sim, value: item.value, message });
          }
        }
      }
      return out;
    },

    /**
     * Raises one alert per observed change for an edge-triggered anomaly rule (device_change,
     * new_country, new_operator). While one is live for a SIM, a further change adds none.
     */
    async raiseAnomalyEvents(r: AlertRuleRow, items: AnomalyItem[]): Promise<RaisedAnomaly[]> {
      const raised: RaisedAnomaly[] = [];
      for (const item of items) {
        if (!inScope(r, item.sim)) continue;
        const message = item.message ?? describe(r.metric, 1, 1);
        const alertId = await raiseAlert(r, item.sim, 1, 1, message, item.data);
        if (alertId !== undefined) raised.push({ alertId, sim: item.sim, value: 1, message });
      }
      return raised;
    },

    /**
     * Evaluates every enabled rule against every SIM in scope: raises one alert per crossing, clears
     * (re-arms) crossings once the value is back past the hysteresis band, places capped top-ups.
     */
    async evaluate(options: { signal?: AbortSignal } = {}) {
      const rules = await enabledRules();
      const counts = { sims: 0, raised: 0, cleared: 0 };
      // Days until each SIM's data quota runs out (null: not burning), tallied for the fleet forecast metric.
      const forecasts: (number | null)[] = [];
      const result = () => ({ ...counts, forecast: tallyForecasts(forecasts, now()) });
      if (rules.length === 0) return result();
      let afterId = 0;
      for (;;) {
        options.signal?.throwIfAborted();
        const sims = await repo.simPage(afterId, PAGE, forecastHistoryStart(now().getTime()));
        if (sims.length === 0) break;
        afterId = sims[sims.length - 1]!.id;
        for (const sim of sims) forecasts.push(forecastDays(sim));
        await evaluateBatch(rules, sims, counts);
      }
      return result();
    },

    /**
     * Evaluates the rules for these SIMs only: called as soon as their quota or usage changed (a
     * sweep page or detail batch, a Data Streamer batch), so an alert does not wait for the
     * 'check-quotas' tick. Same decisions and idempotence as `evaluate`.
     */
    async evaluateSims(iccids: string[]) {
      const counts = { sims: 0, raised: 0, cleared: 0 };
      if (iccids.length === 0) return counts;
      const rules = await enabledRules();
      if (rules.length === 0) return counts;
      for (let i = 0; i < iccids.length; i += PAGE) {
        await evaluateBatch(rules, await repo.simsByIccid(iccids.slice(i, i + PAGE), forecastHistoryStart(now().getTime())), counts);
      }
      return counts;
    },

    async listAlerts(filter: AlertFilter, page: number, pageSize: number) {
      const { rows, total } = await repo.listAlerts(filter, page, pageSize);
      return pageReply(rows.map(toAlertDto), total, page, pageSize);
    },

    async getAlert(id: string): Promise<AlertDto> {
      const row = await repo.findAlert(id);
      if (row === undefined) throw new NotFound('alert', id);
      return toAlertDto(row);
    },

    /** open -> acknowledged (someone is on it). */
    async acknowledge(id: string, userId: number | null): Promise<AlertDto> {
      const row = await repo.findAlert(id);
      if (row === undefined) throw new NotFound('alert', id);
      if (row.state === 'resolved') throw new Conflict('The alert is already resolved', 'alert_resolved');
      if (row.state !== 'open') return this.getAlert(id);
      await repo.setState(id, { state: 'acknowledged', acknowledged_at: now(), acknowledged_by_user_id: userId });
      const alert = await this.getAlert(id);
      await deps.notify('alert.acknowledged', { ...alert });
      return alert;
    },

    /** open/acknowledged -> resolved. The rule stays quiet for this SIM until the value clears the hysteresis band. */
    async resolve(id: string): Promise<AlertDto> {
      const row = await repo.findAlert(id);
      if (row === undefined) throw new NotFound('alert', id);
      if (row.state === 'resolved') return this.getAlert(id);
      await repo.setState(id, { state: 'resolved', resolved_at: now() });
      const alert = await this.getAlert(id);
      await deps.notify('alert.resolved', { ...alert });
      return alert;
    },

    listRules: async () => (await repo.listRules()).map(toRuleDto),
    getRule: async (id: string) => toRuleDto(await mustFindRule(id)),
    async createRule(values: RuleValues, userId: number | null) {
      return toRuleDto(await repo.insertRule({ ...(await resolveScope(validateRule(values))), created_by_user_id: userId }));
    },
    async updateRule(id: string, patch: Partial<RuleValues>) {
      const current = toRuleDto(await mustFindRule(id));
      const { id: _id, created_at: _c, updated_at: _u, ...base } = current;
      const merged = patch.scope === undefined && patch.scope_value === undefined ? validateRule({ ...base, ...patch }) : await resolveScope(validateRule({ ...base, ...patch }));
      const row = await repo.updateRule(id, merged);
      if (row === undefined) throw new NotFound('alert_rule', id);
      return toRuleDto(row);
    },
    async deleteRule(id: string) {
      if (!(await repo.deleteRule(id))) throw new NotFound('alert_rule', id);
    },
  };
}

export type AlertsService = ReturnType<typeof createAlertsService>;
