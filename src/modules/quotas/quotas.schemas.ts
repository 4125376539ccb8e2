import { Type, type Static } from 'typebox';
import { Iccid, Nullable, Page } from '../../lib/schemas.js';

/** Schemas of the quota routes. Data volumes are integer bytes; SMS volumes are messages. */

export const QuotaParams = Type.Object({
  iccid: Iccid,
  service: Type.Union([Type.Literal('data'), Type.Literal('sms')]),
});

export const QuotaQuery = Type.Object({
  refresh: Type.Optional(Type.Boolean({ default: false, description: 'Fetch from 1NCE now instead of serving the latest snapshot' })),
});

export const QuotaSchema = Type.Object(
  {
    iccid: Type.String(),
    service: Type.Union([Type.Literal('data'), Type.Literal('sms')]),
    unit: Type.Union([Type.Literal('bytes'), Type.Literal('messages')]),
    volume_total: Nullable(Type.Integer()),
    volume_used: Nullable(Type.Integer()),
    volume_remaining: Nullable(Type.Integer({ description: 'May be negative (1NCE reports overuse)' })),
    percentage_used: Nullable(Type.Number()),
    expiry_date: Nullable(Type.String({ format: 'date-time' })),
    status: Nullable(Type.String({ description: 'ACTIVE, EXHAUSTED, EXPIRED or UNKNOWN' })),
    threshold_percentage: Nullable(Type.Integer()),
    threshold_volume: Nullable(Type.Integer()),
    last_volume_added: Nullable(Type.Integer()),
    last_status_change_date: Nullable(Type.String({ format: 'date-time' })),
    captured_at: Type.String({ format: 'date-time' }),
    age_seconds: Type.Integer(),
    burn_rate_per_day: Nullable(Type.Number({ description: 'Least-squares burn rate over the last 7-14 days of usage' })),
    days_until_exhaustion: Nullable(Type.Number()),
    forecast_exhaustion_date: Nullable(Type.String({ description: 'UTC day the quota runs out at the current burn rate; null when not burning' })),
  },
  {
    examples: [
      {
        iccid: '8988280666000000019',
        service: 'data',
        unit: 'bytes',
        volume_total: 524288000,
        volume_used: 104857600,
        volume_remaining: 419430400,
        percentage_used: 20,
        expiry_date: '2034-03-01T10:00:00.000Z',
        status: 'ACTIVE',
        threshold_percentage: 20,
        threshold_volume: 104857600,
        last_volume_added: 524288000,
        last_status_change_date: '2024-03-01T10:00:16.000Z',
        captured_at: '2025-06-15T12:00:00.000Z',
        age_seconds: 42,
        burn_rate_per_day: 3145728,
        days_until_exhaustion: 133.3,
        forecast_exhaustion_date: '2025-10-26',
      },
    ],
  },
);
export type PublicQuota = Static<typeof QuotaSchema>;

export const QuotaHistoryQuery = Type.Object({
  from: Type.Optional(Type.String({ format: 'date-time' })),
  to: Type.Optional(Type.String({ format: 'date-time' })),
  page: Type.Optional(Page()),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});

export const QuotaSnapshotSchema = Type.Object({
  captured_at: Type.String({ format: 'date-time' }),
  volume_total: Nullable(Type.Integer()),
  volume_used: Nullable(Type.Integer()),
  volume_remaining: Nullable(Type.Integer()),
  percentage_used: Nullable(Type.Number()),
  status: Nullable(Type.String()),
  expiry_date: Nullable(Type.String({ format: 'date-time' })),
});

export const QuotaHistoryPageSchema = Type.Object({
  items: Type.Array(QuotaSnapshotSchema),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
});
