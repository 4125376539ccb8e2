import { Type, type Static } from 'typebox';
import { Line, Page } from '../../lib/schemas.js';
import { WEBHOOK_EVENT_TYPES } from './webhook-events.js';

/** Request and response schemas of the webhook routes. */

const NullableString = Type.Union([Type.String(), Type.Null()]);
const NullableTime = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);
const EventType = Type.Union(WEBHOOK_EVENT_TYPES.map((e) => Type.Literal(e)));

export const WebhookIdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const WebhookCreateBody = Type.Object(
  {
    url: Line({ minLength: 8, maxLength: 2000, description: 'http(s) URL receiving POSTs' }),
    secret: Type.Optional(Line({ minLength: 16, maxLength: 200, description: 'HMAC key; generated and returned once when omitted' })),
    events: Type.Array(EventType, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length }),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
    enabled: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export const WebhookPatchBody = Type.Object(
  {
    url: Type.Optional(Line({ minLength: 8, maxLength: 2000 })),
    secret: Type.Optional(Line({ minLength: 16, maxLength: 200 })),
    events: Type.Optional(Type.Array(EventType, { minItems: 1, maxItems: WEBHOOK_EVENT_TYPES.length })),
    description: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
    enabled: Type.Optional(Type.Boolean({ description: 'true re-enables a subscription disabled after persistent failure' })),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const WebhookSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  url: Type.String(),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  description: NullableString,
  consecutive_failures: Type.Integer(),
  last_success_at: NullableTime,
  last_failure_at: NullableTime,
  disabled_at: NullableTime,
  disabled_reason: NullableString,
  created_at: Type.String({ format: 'date-time' }),
  updated_at: Type.String({ format: 'date-time' }),
});

export const WebhookCreatedSchema = Type.Intersect([
  WebhookSchema,
  Type.Object({ secret: Type.Optional(Type.String({ description: 'The generated secret, shown only in this response' })) }),
]);

export const DeliverySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  event_id: Type.String({ format: 'uuid' }),
  event_type: Type.String(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('dead')]),
  attempts: Type.Integer(),
  next_attempt_at: NullableTime,
  last_status_code: Type.Union([Type.Integer(), Type.Null()]),
  last_error: NullableString,
  response_ms: Type.Union([Type.Integer(), Type.Null()]),
  created_at: Type.String({ format: 'date-time' }),
  delivered_at: NullableTime,
  payload: Type.Unknown({ description: 'The delivered JSON body: { id, type, occurred_at, data }' }),
});

export const DeliveriesQuery = Type.Object(
  {
    status: Type.Optional(Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed'), Type.Literal('dead')])),
    page: Type.Optional(Page()),
    page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);

export const DeliveriesPageSchema = Type.Object({
  items: Type.Array(DeliverySchema),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
});

/** The subscription as the API shows it: never the secret. */
export type WebhookDto = Static<typeof WebhookSchema>;
/** One entry of a subscription's delivery log. */
export type DeliveryDto = Static<typeof DeliverySchema>;
