/**
 * The alert rules an install starts with (quota rules on a fresh install, anomaly rules once per
 * install) and the validation every created or changed rule passes.
 */
import type { AlertMetric, AlertSeverity } from '../../db/schema.js';
import { ValidationError } from '../../errors.js';
import { isAnomalyMetric, isEventMetric } from './alerts.evaluate.js';
import type { RuleValues } from './alerts.repo.js';
import { actionAllowed } from './anomaly.params.js';

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
export const ANOMALY_RULES_MARKER = 'alert-rules:anomalies';

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

export function validateRule(values: RuleValues): RuleValues {
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
