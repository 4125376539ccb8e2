/** Alerts and alert rules as the API shows them. */
import type { AlertMetric, AlertSeverity, AlertState } from '../../db/schema.js';
import { isoTime } from '../../lib/time.js';
import type { AlertRuleRow } from './alerts.repo.js';
import type { AlertDto, AlertRuleDto } from './alerts.schemas.js';

const isoOrNull = (v: unknown) => (v === null || v === undefined ? null : isoTime(v));

export function toRuleDto(r: AlertRuleRow): AlertRuleDto {
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

export function toAlertDto(r: {
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
