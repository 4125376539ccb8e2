import { Type, type Static } from 'typebox';

/** Schemas of the usage routes. Volumes are integer bytes, SMS are counts, days are UTC. */

const Day = (description: string) => Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description, examples: ['2025-06-01'] });

export const UsageQuery = Type.Object({
  start_date: Type.Optional(Day('First day, inclusive (default: 29 days before end_date)')),
  end_date: Type.Optional(Day('Last day, inclusive (default: today, UTC)')),
  granularity: Type.Optional(Type.Union([Type.Literal('day'), Type.Literal('week'), Type.Literal('month')], { default: 'day' })),
});
export type UsageQuery = Static<typeof UsageQuery>;

export const UsageSummaryQuery = Type.Object({
  start_date: Type.Optional(Day('First day, inclusive (default: 29 days before end_date)')),
  end_date: Type.Optional(Day('Last day, inclusive (default: today, UTC)')),
});

export const UsageSyncBody = Type.Object(
  {
    start_date: Type.Optional(Day('First day (default: 29 days ago; clamped to the six months 1NCE keeps)')),
    end_date: Type.Optional(Day('Last day (default: today)')),
  },
  { additionalProperties: false, examples: [{ start_date: '2025-05-01', end_date: '2025-05-31' }] },
);
export type UsageSyncBody = Static<typeof UsageSyncBody>;

const Bytes = (description: string) => Type.Integer({ minimum: 0, description });

export const UsageItemSchema = Type.Object({
  period_start: Type.String({ description: 'First day of the period (the day, the ISO week\'s Monday, or the month\'s first day)' }),
  days_with_data: Type.Integer(),
  data_rx_bytes: Bytes('Downstream, to the device'),
  data_tx_bytes: Bytes('Upstream, from the device'),
  data_total_bytes: Bytes('rx + tx'),
  sms_mo: Type.Integer({ minimum: 0 }),
  sms_mt: Type.Integer({ minimum: 0 }),
});

export const UsageSummarySchema = Type.Object(
  {
    start_date: Type.String(),
    end_date: Type.String(),
    days: Type.Integer({ description: 'Calendar days in the range' }),
    days_with_data: Type.Integer({ description: 'Days with a stored record' }),
    data_total_bytes: Bytes('Total data'),
    data_rx_bytes: Bytes('Downstream total'),
    data_tx_bytes: Bytes('Upstream total'),
    sms_mo: Type.Integer({ minimum: 0 }),
    sms_mt: Type.Integer({ minimum: 0 }),
    sms_total: Type.Integer({ minimum: 0 }),
    daily_average_bytes: Bytes('data_total_bytes / days, rounded'),
    daily_average_sms: Type.Number({ minimum: 0 }),
    peak: Type.Union([Type.Object({ day: Type.String(), data_total_bytes: Bytes('Data on the peak day') }), Type.Null()]),
  },
  {
    examples: [
      {
        start_date: '2025-06-01',
        end_date: '2025-06-30',
        days: 30,
        days_with_data: 30,
        data_total_bytes: 157286400,
        data_rx_bytes: 104857600,
        data_tx_bytes: 52428800,
        sms_mo: 12,
        sms_mt: 3,
        sms_total: 15,
        daily_average_bytes: 5242880,
        daily_average_sms: 0.5,
        peak: { day: '2025-06-14', data_total_bytes: 20971520 },
      },
    ],
  },
);
export type UsageSummary = Static<typeof UsageSummarySchema>;

export const UsageResponseSchema = Type.Object({
  iccid: Type.String(),
  granularity: Type.String(),
  items: Type.Array(UsageItemSchema),
  summary: UsageSummarySchema,
});
export type UsageResponse = Static<typeof UsageResponseSchema>;

export const UsageSyncResultSchema = Type.Object({
  iccid: Type.String(),
  from: Type.String(),
  to: Type.String(),
  days: Type.Integer({ description: 'Days 1NCE reported' }),
  written: Type.Integer({ description: 'Rows inserted or updated (re-running writes the same values)' }),
  clamped: Type.Boolean({ description: 'True when the start was moved to the oldest day 1NCE keeps' }),
});

/** What a usage sync of one SIM did (POST /sims/{iccid}/usage/sync). */
export type UsageSyncResult = Static<typeof UsageSyncResultSchema>;
