import { Type, type Static } from 'typebox';
import { DateTime, Iccid, Nullable, Page } from '../../lib/schemas.js';

/** Request and response schemas of the SMS routes. */

export const SmsIdParams = Type.Object({
  iccid: Iccid,
  id: Type.Integer({ minimum: 1, description: 'Our id of the stored SMS (not 1NCE’s)' }),
});

/** Texts beyond ~10 parts are rarely intended; 1600 characters still allows 10 GSM-7 parts. */
export const SMS_MAX_LENGTH = 1600;

export const SendSmsBody = Type.Object(
  {
    message: Type.String({ minLength: 1, maxLength: SMS_MAX_LENGTH, description: 'Text; GSM-7 when it fits, UCS-2 otherwise; split into concatenated parts when long' }),
    source_address: Type.Optional(Type.String({ minLength: 1, maxLength: 20, pattern: '^[0-9A-Za-z +]+$', description: 'Sender shown on the device (1NCE ignores it for routing)' })),
    expiry_date: Type.Optional(Type.String({ format: 'date-time', description: 'When 1NCE stops trying to deliver (default 24 h)' })),
  },
  { additionalProperties: false, examples: [{ message: 'Reboot at 03:00 UTC' }] },
);
export type SendSmsBody = Static<typeof SendSmsBody>;

export const SmsDirectionSchema = Type.Union([Type.Literal('MT'), Type.Literal('MO')]);
const SMS_STATUSES = ['QUEUED', 'PENDING', 'BUFFERED', 'DELIVERED', 'FAILED', 'EXPIRED', 'CANCELLED', 'UNKNOWN'] as const;
export const SmsStatusSchema = Type.Union(
  SMS_STATUSES.map((s) => Type.Literal(s)),
  { description: 'QUEUED: stored, not yet accepted by 1NCE; UNKNOWN: 1NCE may or may not have accepted it (never resent blindly)' },
);

export const SmsSchema = Type.Object(
  {
    id: Type.Integer(),
    iccid: Type.String(),
    direction: SmsDirectionSchema,
    status: Type.String(),
    provider_sms_id: Nullable(Type.String()),
    message_group: Nullable(Type.String({ description: 'Shared by all parts of one sent message' })),
    part_number: Nullable(Type.Integer()),
    part_total: Nullable(Type.Integer()),
    encoding: Nullable(Type.String()),
    dcs: Nullable(Type.Integer()),
    udh: Nullable(Type.String()),
    payload: Nullable(Type.String()),
    source_address: Nullable(Type.String()),
    submit_date: Nullable(DateTime),
    delivery_date: Nullable(DateTime),
    expiry_date: Nullable(DateTime),
    final_date: Nullable(DateTime),
    retry_count: Nullable(Type.Integer()),
    last_error: Nullable(Type.String()),
    created_at: DateTime,
    updated_at: DateTime,
  },
  { description: 'One stored SMS (one part of a concatenated MT message, or one MO message)' },
);
export type SmsDto = Static<typeof SmsSchema>;

export const SentSmsSchema = Type.Object(
  {
    message_group: Type.String(),
    iccid: Type.String(),
    encoding: Type.Union([Type.Literal('GSM7'), Type.Literal('UCS2')]),
    units: Type.Integer({ description: 'Septets (GSM-7) or UTF-16 units (UCS-2) of the whole text' }),
    part_total: Type.Integer(),
    status: Type.Union([Type.Literal('accepted'), Type.Literal('partial')], {
      description: 'partial: a later part failed; earlier parts were accepted by 1NCE and are not resent',
    }),
    parts: Type.Array(SmsSchema),
  },
  {
    examples: [
      {
        message_group: '5b0e9a64-7c1e-4bd4-9e65-1c2f3f6f7c10',
        iccid: '8988280666000000019',
        encoding: 'GSM7',
        units: 19,
        part_total: 1,
        status: 'accepted',
        parts: [],
      },
    ],
  },
);
export type SentSmsDto = Static<typeof SentSmsSchema>;

export const ListSmsQuery = Type.Object({
  direction: Type.Optional(SmsDirectionSchema),
  status: Type.Optional(SmsStatusSchema),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Submitted at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Submitted before' })),
  page: Type.Optional(Page()),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});

export const SmsPageSchema = Type.Object({
  items: Type.Array(SmsSchema),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
});

export const SmsSyncSchema = Type.Object({
  iccid: Type.String(),
  fetched: Type.Integer({ description: 'Messages 1NCE reported (it keeps 7 days)' }),
  inserted: Type.Integer({ description: 'New rows (MO messages, MT sent elsewhere)' }),
  updated: Type.Integer({ description: 'Known messages whose state was refreshed' }),
});
