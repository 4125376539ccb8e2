/** Row types of alert rules, alerts, anomaly observations and actions, and automatic top-ups. */
import type { Generated } from 'kysely';
import type { GeneratedJson, GeneratedTimestamp, Json, JsonObject, Numeric, NumericArray, Timestamp } from './columns.js';

export type AlertScope = 'global' | 'account' | 'tag' | 'sim';

export type AlertMetric =
  'data_used_pct' | 'sms_used_pct' | 'expiry_days' | 'offline_minutes' | 'forecast_days' | AnomalyMetric;

/** Alert types of the anomaly detector (src/modules/intelligence; migration 0017). */
export type AnomalyMetric = 'usage_spike' | 'silence_hours' | 'device_change' | 'new_country' | 'new_operator';

export type AnomalyAction = 'imei_lock' | 'disable';

export type AlertSeverity = 'info' | 'warning' | 'critical';

export type AlertState = 'open' | 'acknowledged' | 'resolved';

export type TopupPeriod = 'day' | 'week' | 'month';

export type AutoTopupStatus = 'requested' | 'succeeded' | 'failed';

export interface AlertRulesTable {
  id: Generated<string>;
  name: string;
  description: string | null;
  enabled: Generated<boolean>;
  scope: Generated<AlertScope>;
  /** Account id, tag or ICCID for non-global scopes; null exactly when scope is global. */
  scope_value: string | null;
  metric: AlertMetric;
  thresholds: NumericArray;
  hysteresis: Generated<Numeric>;
  severity: Generated<AlertSeverity>;
  auto_topup: Generated<boolean>;
  auto_topup_max_per_period: number | null;
  auto_topup_period: TopupPeriod | null;
  /** Anomaly detector parameters ({} = defaults; 0017). */
  params: GeneratedJson<JsonObject>;
  auto_action: AnomalyAction | null;
  auto_action_dry_run: Generated<boolean>;
  auto_action_max_per_period: number | null;
  auto_action_period: TopupPeriod | null;
  created_by_user_id: number | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface AlertsTable {
  id: Generated<string>;
  rule_id: string | null;
  sim_id: number;
  metric: AlertMetric;
  threshold: Numeric;
  state: Generated<AlertState>;
  severity: Generated<AlertSeverity>;
  value: Numeric | null;
  message: string | null;
  raised_at: GeneratedTimestamp;
  acknowledged_at: Timestamp | null;
  acknowledged_by_user_id: number | null;
  resolved_at: Timestamp | null;
  /** When the metric moved back past threshold -/+ hysteresis (re-arms the rule for this SIM; 0009). */
  cleared_at: Timestamp | null;
  /** Context at raise time: forecast, quota figures (0009). */
  data: Json<JsonObject> | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

/** IMEIs, countries and operators each SIM has been seen with (0017). */
export interface SimObservationsTable {
  sim_id: number;
  kind: 'imei' | 'country' | 'operator';
  value: string;
  first_seen_at: GeneratedTimestamp;
}

/** Automatic actions of anomaly rules, dry runs included (0017). */
export interface AnomalyActionsTable {
  id: Generated<string>;
  rule_id: string | null;
  sim_id: number;
  alert_id: string | null;
  action: AnomalyAction;
  dry_run: boolean;
  status: 'requested' | 'succeeded' | 'failed' | 'capped' | 'skipped';
  error: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}

export interface AutoTopupsTable {
  id: Generated<string>;
  rule_id: string | null;
  sim_id: number;
  alert_id: string | null;
  order_id: number | null;
  status: Generated<AutoTopupStatus>;
  error: string | null;
  created_at: GeneratedTimestamp;
  updated_at: GeneratedTimestamp;
}
