import { Type, type Static } from 'typebox';
import { Line, Page } from '../../lib/schemas.js';

/** Request and response schemas of the alert and alert-rule routes. */

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableTime = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
export const MetricSchema = Type.Union(
  [
    Type.Literal('data_used_pct'),
    Type.Literal('sms_used_pct'),
    Type.Literal('expiry_days'),
    Type.Literal('forecast_days'),
    Type.Literal('offline_minutes'),
    Type.Literal('usage_spike'),
    Type.Literal('silence_hours'),
    Type.Literal('device_change'),
    Type.Literal('new_country'),
    Type.Literal('new_operator'),
  ],
  {
    description:
      'data/sms_used_pct: percent of the quota used; expiry_days: days until the quota expires; forecast_days: days until the data quota runs out at the forecast burn rate (as GET /sims/{iccid}/quota/data); offline_minutes. ' +
      'Anomalies (docs/intelligence.md): usage_spike (threshold = factor over the SIM\'s robust baseline and its peers), silence_hours (threshold = minimum hours of silence beyond the learned gap), ' +
      'device_change, new_country, new_operator (raised once per change; threshold 1)',
  },
);
const SeveritySchema = Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')]);
const StateSchema = Type.Union([Type.Literal('open'), Type.Literal('acknowledged'), Type.Literal('resolved')]);
const ScopeSchema = Type.Union([Type.Literal('global'), Type.Literal('account'), Type.Literal('tag'), Type.Literal('sim')]);
const PeriodSchema = Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')]);
const ActionSchema = Type.Union([Type.Literal('imei_lock'), Type.Literal('disable')]);

/** Detector parameters of anomaly rules; omitted ones take their defaults (docs/intelligence.md). */
export const AnomalyParamsSchema = Type.Object(
  {
    floor_bytes: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_099_511_627_776, description: 'usage_spike: days below this many bytes are never a spike (default 10 MiB)' })),
    peer_group: Type.Optional(Type.Union([Type.Literal('account'), Type.Literal('tag'), Type.Literal('none')], { description: "usage_spike: peers the day must also stand out from (default 'account'; 'tag' = SIMs sharing the first tag)" })),
    baseline_days: Type.Optional(Type.Integer({ minimum: 7, maximum: 90, description: 'Days of history a baseline is learned from (default 28)' })),
    min_baseline_days: Type.Optional(Type.Integer({ minimum: 2, maximum: 90, description: 'usage_spike: fewer known days: no verdict (default 5)' })),
    gap_factor: Type.Optional(Type.Number({ minimum: 1, maximum: 20, description: "silence_hours: silent longer than this times the SIM's longest usual gap (default 2)" })),
    min_active_share: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'silence_hours: share of known days the SIM must have been active on (default 0.8)' })),
    min_active_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 90, description: 'silence_hours: and at least this many days (default 3)' })),
  },
  { additionalProperties: false },
);

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const AlertSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  rule_id: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
  rule_name: NullableString,
  iccid: Type.String(),
  metric: MetricSchema,
  threshold: Type.Number(),
  value: Type.Union([Type.Number(), Type.Null()]),
  state: StateSchema,
  severity: SeveritySchema,
  message: NullableString,
  data: Type.Unknown({ description: 'Quota figures and forecast when the alert was raised' }),
  raised_at: Type.String({ format: 'date-time' }),
  acknowledged_at: NullableTime,
  acknowledged_by_user_id: Type.Union([Type.Integer(), Type.Null()]),
  resolved_at: NullableTime,
  cleared_at: Type.Union([Type.String({ format: 'date-time', description: 'When the value moved back past the hysteresis band (re-arms the rule)' }), Type.Null()]),
});

export const AlertsQuery = Type.Object(
  {
    state: Type.Optional(StateSchema),
    severity: Type.Optional(SeveritySchema),
    metric: Type.Optional(MetricSchema),
    iccid: Type.Optional(Type.String({ pattern: '^[0-9]{19}$' })),
    rule_id: Type.Optional(Type.String({ format: 'uuid' })),
    page: Type.Optional(Page()),
    page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);

export const AlertsPageSchema = Type.Object({
  items: Type.Array(AlertSchema),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
});

const ruleFields = {
  name: Line({ minLength: 1, maxLength: 200 }),
  description: Type.Union([Type.String({ maxLength: 1000 }), Type.Null()]),
  enabled: Type.Boolean(),
  scope: ScopeSchema,
  scope_value: Type.Union([Line({ minLength: 1, maxLength: 200, description: 'Account id, tag or ICCID; null for global' }), Type.Null()]),
  metric: MetricSchema,
  thresholds: Type.Array(Type.Number({ minimum: 0, maximum: 100_000 }), { minItems: 1, maxItems: 10 }),
  hysteresis: Type.Number({ minimum: 0, maximum: 1000, description: 'How far the value must move back past a threshold before the rule re-arms' }),
  severity: SeveritySchema,
  auto_topup: Type.Boolean({ description: 'Top up through the provider when the worst threshold is crossed (data rules only)' }),
  auto_topup_max_per_period: Type.Union([Type.Integer({ minimum: 1, maximum: 100 }), Type.Null()]),
  auto_topup_period: Type.Union([PeriodSchema, Type.Null()]),
  params: AnomalyParamsSchema,
  auto_action: Type.Union([ActionSchema, Type.Null()], { description: 'Anomaly rules: lock the IMEI (device_change) or disable the SIM when the alert is raised; opt-in, capped' }),
  auto_action_dry_run: Type.Boolean({ description: 'Record and audit what the action would do without doing it' }),
  auto_action_max_per_period: Type.Union([Type.Integer({ minimum: 1, maximum: 10_000, description: 'Most actions this rule takes per period, over all SIMs' }), Type.Null()]),
  auto_action_period: Type.Union([PeriodSchema, Type.Null()]),
};

export const RuleSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  ...ruleFields,
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const RuleCreateBody = Type.Object(
  {
    name: ruleFields.name,
    description: Type.Optional(ruleFields.description),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    scope: Type.Optional(Type.Union([Type.Literal('global'), Type.Literal('account'), Type.Literal('tag'), Type.Literal('sim')], { default: 'global' })),
    scope_value: Type.Optional(ruleFields.scope_value),
    metric: ruleFields.metric,
    thresholds: ruleFields.thresholds,
    hysteresis: Type.Optional(Type.Number({ minimum: 0, maximum: 1000, default: 5 })),
    severity: Type.Optional(Type.Union([Type.Literal('info'), Type.Literal('warning'), Type.Literal('critical')], { default: 'warning' })),
    auto_topup: Type.Optional(Type.Boolean({ default: false })),
    auto_topup_max_per_period: Type.Optional(ruleFields.auto_topup_max_per_period),
    auto_topup_period: Type.Optional(ruleFields.auto_topup_period),
    params: Type.Optional(ruleFields.params),
    auto_action: Type.Optional(ruleFields.auto_action),
    auto_action_dry_run: Type.Optional(Type.Boolean({ default: true, description: 'Record and audit what the action would do without doing it (default true)' })),
    auto_action_max_per_period: Type.Optional(ruleFields.auto_action_max_per_period),
    auto_action_period: Type.Optional(ruleFields.auto_action_period),
  },
  { additionalProperties: false },
);

export const RulePatchBody = Type.Partial(Type.Object(ruleFields), { additionalProperties: false, minProperties: 1 });

/** An alert as the API shows it. */
export type AlertDto = Static<typeof AlertSchema>;
/** A rule as the API shows it. */
export type AlertRuleDto = Static<typeof RuleSchema>;
