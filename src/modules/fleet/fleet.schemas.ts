import { Type, type Static } from 'typebox';
import { DateTime, Nullable } from '../../lib/schemas.js';

/** Schemas of the fleet aggregate routes (the console's dashboard). */

const Count = Type.Integer({ minimum: 0 });
const Bytes = Type.Integer({ minimum: 0, description: 'Bytes (1 MB = 1,048,576 bytes)' });
const Day = Type.String({ format: 'date', description: 'UTC day, YYYY-MM-DD' });

const StatusCount = Type.Object({ status: Nullable(Type.String({ description: 'null: not reported yet' })), count: Count });

export const OperatorCountSchema = Type.Object({
  operator: Nullable(Type.String({ description: 'Network operator of the latest connectivity snapshot that named one' })),
  country: Nullable(Type.String({ description: 'Country name of that snapshot (the ISO code when no name was reported)' })),
  country_iso: Nullable(Type.String()),
  count: Count,
});

const DailyUsage = Type.Object({
  day: Day,
  data_rx_bytes: Bytes,
  data_tx_bytes: Bytes,
  data_total_bytes: Bytes,
  sms: Type.Integer({ minimum: 0, description: 'SMS sent and received (MO + MT)' }),
});

const LowestQuota = Type.Object({
  iccid: Type.String(),
  label: Nullable(Type.String()),
  data_remaining_pct: Nullable(Type.Number()),
  data_remaining_bytes: Nullable(Type.Integer()),
  data_expiry_date: Nullable(DateTime),
  forecast_exhaustion_date: Nullable(Type.String({ format: 'date', description: 'Same forecast as GET /sims/{iccid}/quota/data' })),
});

const Check = Type.Object({
  status: Type.Union([Type.Literal('up'), Type.Literal('down')]),
  latency_ms: Type.Number(),
  error: Type.Optional(Type.String()),
});

export const FleetSummarySchema = Type.Object(
  {
    generated_at: DateTime,
    sims: Type.Object({
      total: Count,
      by_status: Type.Array(StatusCount, { description: 'Provider status (Enabled, Disabled, ...), largest first' }),
      by_connectivity: Type.Array(StatusCount, { description: 'ONLINE, ATTACHED, OFFLINE, BLOCKED, UNKNOWN or null (never observed), largest first' }),
    }),
    operators: Type.Array(OperatorCountSchema, { description: 'SIMs per network and country, top 20 (GET /fleet/operators has them all); SIMs never seen on a network are one row of nulls' }),
    usage: Type.Object({
      month_start: Day,
      month_data_bytes: Bytes,
      month_sms: Count,
      daily: Type.Array(DailyUsage, { description: 'The last 30 UTC days, oldest first, zero-filled' }),
    }),
    quota: Type.Object({
      near_quota_threshold_pct: Type.Number({ description: 'The threshold behind near_quota (20)' }),
      near_quota: Type.Integer({
        minimum: 0,
        description: 'SIMs with less than 20 % of their data quota left, exhausted ones included: exactly GET /sims?quota_below=20',
      }),
      exhausted: Type.Integer({ minimum: 0, description: 'SIMs with no data left (0 % or less remaining)' }),
      near_expiry: Type.Integer({ minimum: 0, description: 'SIMs whose data quota expires within the next 30 days (not already expired)' }),
      forecast_exhaustions: Type.Integer({
        minimum: 0,
        description: 'SIMs with data left that run out within 30 days at their forecast burn rate (the measure of GET /sims/{iccid}/quota/data and of forecast_days alert rules)',
      }),
      lowest: Type.Array(LowestQuota, { description: 'The 10 SIMs with the lowest percentage of data remaining' }),
    }),
    alerts: Type.Object({
      open: Type.Integer({ minimum: 0, description: 'Alerts in state open (GET /alerts?state=open)' }),
      acknowledged: Type.Integer({ minimum: 0, description: 'Alerts in state acknowledged' }),
      by_severity: Type.Array(Type.Object({ severity: Type.String(), count: Count }), { description: 'Open alerts by severity' }),
    }),
    recent_events: Type.Array(
      Type.Object({
        id: Type.String(),
        iccid: Nullable(Type.String()),
        type: Type.String(),
        severity: Nullable(Type.String()),
        description: Nullable(Type.String()),
        occurred_at: DateTime,
      }),
      { description: 'The 10 newest SIM events (as in GET /sims/{iccid}/events)' },
    ),
    sync: Type.Object({
      last_sweep: Nullable(
        Type.Object({
          status: Type.String({ description: 'running, success or failure' }),
          started_at: Nullable(DateTime),
          finished_at: Nullable(DateTime),
          items: Nullable(Type.Integer()),
          error: Nullable(Type.String()),
        }),
      ),
      provider_budget: Type.Array(
        Type.Object({
          family: Type.String({ description: 'sims, oauth, orders, products, support' }),
          used: Type.Number({ description: 'Requests this replica sent within the window' }),
          limit: Type.Number({ description: "1NCE's documented limit per window" }),
          window_seconds: Type.Number(),
        }),
      ),
      streamer: Type.Object({
        last_batch_at: Nullable(DateTime),
        records_last_hour: Count,
      }),
    }),
    health: Type.Object({
      database: Type.Union([Type.Literal('ok'), Type.Literal('down')]),
      redis: Type.Union([Type.Literal('ok'), Type.Literal('down'), Type.Literal('not_configured')]),
      checks: Type.Record(Type.String(), Check, { description: 'As in GET /health/ready' }),
    }),
  },
  { description: 'Fleet aggregates for the dashboard; computed with a few aggregate queries and cached for 5 seconds' },
);

export type FleetSummary = Static<typeof FleetSummarySchema>;

export const OperatorsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 200, description: 'At most this many rows, largest first' })),
});

export const OperatorsSchema = Type.Object({
  items: Type.Array(OperatorCountSchema),
  total_sims: Count,
});
