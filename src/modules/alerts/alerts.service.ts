import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { AlertMetric, AlertSeverity, AlertState, DB } from '../../db/schema.js';
import { Conflict, NotFound, ValidationError } from '../../errors.js';
import type { BackgroundMetrics } from '../../jobs/jobs.metrics.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Notify } from '../notify/notify.service.js';
import { isoTime } from '../../lib/time.js';
import { tallyForecasts } from '../observability/platform-probes.js';
import { forecastHistoryStart } from '../quotas/forecast.js';
import { parseIccid } from '../sims/sim-ref.js';
import { decide, forecastDays, inScope, isAnomalyMetric, isEventMetric, metricValue, worseWhenLower, type SimSnapshot } from './alerts.evaluate.js';
import { actionAllowed } from './anomaly.params.js';
import { createAlertsRepo, type AlertFilter, type AlertRuleRow, type RuleValues } from './alerts.repo.js';
import { isUuid } from '../../lib/identifiers.js';

/** SIMs evaluated per page; bounds memory on a 100,000-SIM fleet. */
const PAGE = 2_000;

/** Created when no rule exists, so a fresh install warns out of the box. Admins edit or delete them. */
export const DEFAULT_RULES: RuleValues[] = [
  rule('Data quota used', 'data_used_pct', [80, 90, 100], 5, 'warning'),
  rule('SMS quota used', 'sms_used_pct', [80, 90, 100], 5, 'warning'),
  rule('Quota expires soon', 'expiry_days', [7], 1, 'warning'),
  rule('Data quota forecast to run out', 'forecast_days', [3], 1, 'info'),
];

/**
 * Anomaly rules, created once per install (an install marker, so deleting them sticks). Automatic
 * actions are off: an operator opts in per rule. New operators are common when devices roam within
 * a country, so that rule starts disabled.
 */
export const DEFAULT_ANOMALY_RULES: RuleValues[] = [
  { ...rule('Usage spike', 'usage_spike', [5], 2, 'warning'), description: "A day at least 5x the SIM's robust 28-day baseline and its account's typical day (at least 10 MiB)" },
  { ...rule('SIM went silent', 'silence_hours', [24], 1, 'warning'), description: 'A SIM that reports (almost) daily has sent nothing for over twice its longest usual gap, and at least 24 h' },
  { ...rule('Device changed (IMEI)', 'device_change', [1], 0, 'critical'), description: 'The SIM is in a device it was never seen in: a swap or a theft' },
  { ...rule('New country', 'new_country', [1], 0, 'info'), description: 'The SIM is in a country it was never seen in' },
  { ...rule('New operator', 'new_operator', [1], 0, 'info'), enabled: false, description: 'The SIM is on a network it was never seen on' },
];

/** Install marker of DEFAULT_ANOMALY_RULES. */
const ANOMALY_RULES_MARKER = 'alert-rules:anomalies';

function rule(name: string, metric: AlertMetric, thresholds: number[], hysteresis: number, severity: AlertSeverity): RuleValues {
  return {
    name,
    description: null,
    enabled: true,
    scope: 'global',
    scope_value: null,
    metric,
    thresholds,
    hysteresis,
    severity,
    auto_topup: false,
    auto_topup_max_per_period: null,
    auto_topup_period: null,
    params: {},
    auto_action: null,
    auto_action_dry_run: true,
    auto_action_max_per_period: null,
    auto_action_period: null,
  };
}

/** An alert as the API shows it. */
export interface AlertDto {
  id: string;
  rule_id: string | null;
  rule_name: string | null;
  iccid: string;
  metric: AlertMetric;
  threshold: number;
  value: number | null;
  state: AlertState;
  severity: AlertSeverity;
  message: string | null;
  data: unknown;
  raised_at: string;
  acknowledged_at: string | null;
  acknowledged_by_user_id: number | null;
  resolved_at: string | null;
  cleared_at: string | null;
}

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

/** A rule as the API shows it. */
export interface AlertRuleDto extends Omit<RuleValues, 'thresholds' | 'hysteresis' | 'params'> {
  params: Record<string, unknown>;
  id: string;
  thresholds: number[];
  hysteresis: number;
  created_at: string;
  updated_at: string;
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

const isoOrNull = (v: unknown) => (v === null || v === undefined ? null : isoTime(v));

function toRuleDto(r: AlertRuleRow): AlertRuleDto {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    enabled: r.enabled,
    scope: r.scope,
    scope_value: r.scope_value,
    metric: r.metric,
    thresholds: r.thresholds.map(Number),
    hysteresis: Number(r.hysteresis),
    severity: r.severity,
    auto_topup: r.auto_topup,
    auto_topup_max_per_period: r.auto_topup_max_per_period,
    auto_topup_period: r.auto_topup_period,
    params: r.params,
    auto_action: r.auto_action,
    auto_action_dry_run: r.auto_action_dry_run,
    auto_action_max_per_period: r.auto_action_max_per_period,
    auto_action_period: r.auto_action_period,
    created_at: isoTime(r.created_at),
    updated_at: isoTime(r.updated_at),
  };
}

function validateRule(values: RuleValues): RuleValues {
  const errors: Array<{ field: string; message: string }> = [];
  if ((values.scope === 'global') !== (values.scope_value === null)) {
    errors.push({ field: '/body/scope_value', message: 'is required for account, tag and sim scopes and must be absent for global' });
  }
  if (values.auto_topup && (values.auto_topup_max_per_period === null || values.auto_topup_period === null)) {
    errors.push({ field: '/body/auto_topup_max_per_period', message: 'auto top-up needs a cap: auto_topup_max_per_period and auto_topup_period' });
  }
  if (values.auto_topup && values.metric !== 'data_used_pct' && values.metric !== 'forecast_days') {
    errors.push({ field: '/body/auto_topup', message: 'auto top-up applies to data_used_pct and forecast_days rules only' });
  }
  if (values.auto_action !== null && !actionAllowed(values.metric, values.auto_action)) {
    errors.push({ field: '/body/auto_action', message: 'imei_lock applies to device_change rules; disable to usage_spike, device_change, new_country and new_operator rules' });
  }
  if (values.auto_action !== null && (values.auto_action_max_per_period === null || values.auto_action_period === null)) {
    errors.push({ field: '/body/auto_action_max_per_period', message: 'an automatic action needs a cap: auto_action_max_per_period and auto_action_period' });
  }
  if (Object.keys(values.params).length > 0 && !isAnomalyMetric(values.metric)) {
    errors.push({ field: '/body/params', message: 'params apply to anomaly rules only' });
  }
  if (isEventMetric(values.metric) && values.thresholds.some((t) => t !== 1)) {
    errors.push({ field: '/body/thresholds', message: 'device_change, new_country and new_operator rules take the single threshold 1' });
  }
  if (errors.length > 0) throw new ValidationError('The alert rule is not valid', errors);
  return { ...values, thresholds: [...new Set(values.thresholds)].sort((a, b) => a - b) };
}

function describe(metric: AlertMetric, threshold: number, value: number): string {
  switch (metric) {
    case 'data_used_pct':
      return `Data quota ${value}% used (threshold ${threshold}%)`;
    case 'sms_used_pct':
      return `SMS quota ${value}% used (threshold ${threshold}%)`;
    case 'expiry_days':
      return `Quota expires in ${value} days (threshold ${threshold} days)`;
    case 'forecast_days':
      return `Data quota forecast to run out in ${value} days at the current burn rate (threshold ${threshold} days)`;
    case 'offline_minutes':
      return `Offline for ${value} minutes (threshold ${threshold} minutes)`;
    case 'usage_spike':
      return `Usage spike: ${value}x the SIM's baseline (threshold ${threshold}x)`;
    case 'silence_hours':
      return `Silent for ${value} hours (threshold ${threshold} hours)`;
    case 'device_change':
      return 'The SIM is in a new device (IMEI changed)';
    case 'new_country':
      return 'The SIM is in a country it was never seen in';
    case 'new_operator':
      return 'The SIM is on a network it was never seen on';
  }
}

/** Which webhook event a newly raised alert announces. */
function eventFor(metric: AlertMetric, threshold: number): Parameters<Notify>[0] {
  switch (metric) {
    case 'usage_spike':
      return 'anomaly.usage_spike';
    case 'silence_hours':
      return 'anomaly.silence';
    case 'device_change':
      return 'anomaly.device_change';
    case 'new_country':
      return 'anomaly.new_country';
    case 'new_operator':
      return 'anomaly.new_operator';
    case 'forecast_days':
      return 'quota.forecast';
    case 'offline_minutes':
      return 'sim.offline';
    case 'data_used_pct':
    case 'sms_used_pct':
      return threshold >= 100 ? 'quota.exhausted' : 'quota.threshold_reached';
    case 'expiry_days':
      return 'quota.threshold_reached';
  }
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
      return { items: rows.map(toAlertDto), total, page, page_size: pageSize, total_pages: Math.ceil(total / pageSize) };
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

function toAlertDto(r: {
  id: string;
  rule_id: string | null;
  rule_name: string | null;
  iccid: string;
  metric: AlertMetric;
  threshold: string;
  value: string | null;
  state: AlertState;
  severity: AlertSeverity;
  message: string | null;
  data: unknown;
  raised_at: unknown;
  acknowledged_at: unknown;
  acknowledged_by_user_id: number | null;
  resolved_at: unknown;
  cleared_at: unknown;
}): AlertDto {
  return {
    id: r.id,
    rule_id: r.rule_id,
    rule_name: r.rule_name,
    iccid: r.iccid,
    metric: r.metric,
    threshold: Number(r.threshold),
    value: r.value === null ? null : Number(r.value),
    state: r.state,
    severity: r.severity,
    message: r.message,
    data: r.data ?? null,
    raised_at: isoTime(r.raised_at),
    acknowledged_at: isoOrNull(r.acknowledged_at),
    acknowledged_by_user_id: r.acknowledged_by_user_id,
    resolved_at: isoOrNull(r.resolved_at),
    cleared_at: isoOrNull(r.cleared_at),
  };
}

export type AlertsService = ReturnType<typeof createAlertsService>;
