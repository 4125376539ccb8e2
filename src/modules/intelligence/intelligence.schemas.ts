import { Type, type Static } from 'typebox';
import { DateTime, Line, Nullable, Page } from '../../lib/schemas.js';

/** Request and response schemas of the diagnosis, forecast and report routes. */

const Severity = Type.Union([Type.Literal('critical'), Type.Literal('warning'), Type.Literal('info')]);
const NullableInt = Nullable(Type.Integer());

const ReasonSchema = Type.Object({
  code: Type.String({ description: 'Stable reason code (docs/intelligence.md)' }),
  severity: Severity,
  message: Type.String(),
  next_step: Type.String(),
});

export const DiagnosisSchema = Type.Object(
  {
    iccid: Type.String(),
    verdict: Type.Union([Type.Literal('ok'), Type.Literal('attention'), Type.Literal('problem'), Type.Literal('unknown')]),
    code: Type.String({ description: 'Code of the headline reason, or ok' }),
    headline: Type.String({ examples: ['Attached, no data session for 26 h: check the APN'] }),
    next_step: Type.String(),
    reasons: Type.Array(ReasonSchema, { description: 'Every finding, most severe first' }),
    evaluated_at: DateTime,
    facts: Type.Object({
      status: Nullable(Type.String()),
      imei: Nullable(Type.String()),
      imei_lock: Type.Boolean(),
      connectivity_status: Nullable(Type.String()),
      last_seen_at: Nullable(DateTime),
      last_data_at: Nullable(DateTime),
      active_days_28: Type.Integer({ description: 'Days with data traffic in the last 28' }),
      known_days_28: Type.Integer({ description: 'Days of the last 28 with usage history stored' }),
      data_total_bytes: NullableInt,
      data_remaining_bytes: NullableInt,
      data_expiry_date: Nullable(DateTime),
      forecast_exhaustion_date: Nullable(Type.String({ format: 'date' })),
      open_alerts: Type.Array(Type.Object({ metric: Type.String(), rule_name: Nullable(Type.String()), message: Nullable(Type.String()), raised_at: DateTime })),
      recent_events: Type.Array(Type.Object({ occurred_at: DateTime, event_type: Nullable(Type.String()), description: Nullable(Type.String()) })),
    }),
  },
  { description: 'A verdict on one SIM from its status, IMEI lock, connectivity, recent events, quota, last usage and open alerts' },
);

/** The diagnosis as the API answers it: the verdict plus the facts it was made from. */
export type DiagnosisDto = Static<typeof DiagnosisSchema>;

const Money = Type.Object({ currency: Type.String(), amount: Type.String({ description: 'Decimal amount (net), e.g. "120.00"' }) });
const groupFigures = {
  sims_exhausting: Type.Integer({ description: 'SIMs whose data quota runs out within the horizon (already exhausted included)' }),
  sims_expiring: Type.Integer({ description: 'SIMs whose lifetime ends within the horizon' }),
  topups_needed: Type.Integer({ description: 'Top-ups that keep them running to the horizon at their burn rate' }),
  extensions_needed: Type.Integer({ description: 'Lifetime extensions for the expiring SIMs' }),
  cost: Type.Array(Money, { description: 'Those top-ups and extensions priced from each account’s product catalogue, per currency' }),
};
/** A catalogue price: the net unit price as a decimal string (money never passes through a float sum). */
const PriceSchema = Type.Object({ product_id: Type.Integer(), name: Type.String(), unit_price: Type.String(), currency: Type.String() });
const NullablePrice = Nullable(PriceSchema);

export const FleetForecastSchema = Type.Object({
  generated_at: DateTime,
  topup_volume_bytes: Type.Integer({ description: 'Data one top-up adds (1NCE standard top-up)' }),
  horizons: Type.Array(
    Type.Object({
      days: Type.Integer(),
      ...groupFigures,
      accounts: Type.Array(Type.Object({ account_id: Type.String(), account_name: Nullable(Type.String()), ...groupFigures })),
      tags: Type.Array(Type.Object({ tag: Type.String(), ...groupFigures })),
    }),
    { description: 'The next 30 and 90 days' },
  ),
  prices: Type.Array(Type.Object({ account_id: Type.String(), topup: NullablePrice, extension: NullablePrice, error: Nullable(Type.String()) })),
});

/** The fleet forecast as the API answers it. */
export type FleetForecastDto = Static<typeof FleetForecastSchema>;
/** A catalogue price of a top-up or an extension. */
export type Price = Static<typeof PriceSchema>;
/** The figures of one horizon, account or tag (without their keys). */
export type GroupFigures = Omit<FleetForecastDto['horizons'][number], 'days' | 'accounts' | 'tags'>;

export const ForecastSimsQuery = Type.Object(
  {
    within_days: Type.Optional(Type.Integer({ minimum: 0, maximum: 3660, default: 30, description: 'Horizon in days (e.g. the days left in this month)' })),
    kind: Type.Optional(Type.Union([Type.Literal('exhaustion'), Type.Literal('expiry')], { default: 'exhaustion' })),
    account: Type.Optional(Type.String({ format: 'uuid' })),
    tag: Type.Optional(Line({ minLength: 1, maxLength: 100 })),
    page: Type.Optional(Page()),
    page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);

export const ForecastSimsPage = Type.Object({
  items: Type.Array(
    Type.Object({
      iccid: Type.String(),
      account_id: Type.String(),
      label: Nullable(Type.String()),
      tags: Type.Array(Type.String()),
      data_remaining_bytes: NullableInt,
      burn_rate_per_day: NullableInt,
      days_until_exhaustion: Nullable(Type.Number()),
      forecast_exhaustion_date: Nullable(Type.String({ format: 'date' })),
      data_expiry_date: Nullable(Type.String({ format: 'date' })),
      days_until_expiry: Nullable(Type.Number()),
      topups_needed: Type.Integer(),
    }),
  ),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
});

export const MonthlyReportQuery = Type.Object(
  {
    month: Type.Optional(Type.String({ pattern: '^[0-9]{4}-[0-9]{2}$', description: 'YYYY-MM (UTC); default: the current month so far', examples: ['2026-10'] })),
    format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' })),
  },
  { additionalProperties: false },
);

const reportFigures = {
  sims: Type.Integer(),
  data_bytes: Type.Integer(),
  sms_mo: Type.Integer(),
  sms_mt: Type.Integer(),
  topups: Type.Integer({ description: 'SIMs topped up by 1NCE top-up orders of the month' }),
  auto_topups: Type.Integer({ description: 'Successful automatic top-ups by alert rules' }),
  alerts: Type.Integer({ description: 'Quota and connectivity alerts raised' }),
  anomalies: Type.Integer({ description: 'Anomaly alerts raised (spike, silence, device change, new country or operator)' }),
};

export const MonthlyReportSchema = Type.Object({
  month: Type.String(),
  from: Type.String({ format: 'date' }),
  to: Type.String({ format: 'date', description: 'Exclusive' }),
  generated_at: DateTime,
  totals: Type.Object(reportFigures),
  accounts: Type.Array(Type.Object({ account_id: Type.String(), account_name: Nullable(Type.String()), ...reportFigures })),
  tags: Type.Array(Type.Object({ account_id: Type.String(), account_name: Nullable(Type.String()), tag: Type.String(), ...reportFigures }), { description: 'Per account and tag; a SIM counts in each of its tags' }),
});

/** The monthly report as the API answers it. */
export type MonthlyReport = Static<typeof MonthlyReportSchema>;
/** Figures of one group of the report. */
export type ReportFigures = MonthlyReport['totals'];

