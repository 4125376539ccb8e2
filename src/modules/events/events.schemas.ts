import { Type } from 'typebox';
import { Nullable, Page } from '../../lib/schemas.js';

/** Schemas of the SIM event routes. */

export const EventsQuery = Type.Object({
  type: Type.Optional(Type.String({ maxLength: 100, description: 'Event type name (e.g. `Create PDP Context`) or numeric type id' })),
  severity: Type.Optional(Type.String({ maxLength: 40, description: 'INFO, WARN or CRITICAL (comma-separated for any-of)' })),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Occurred at or after' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Occurred before' })),
  refresh: Type.Optional(Type.Boolean({ default: false, description: 'Fetch new events from 1NCE first' })),
  page: Type.Optional(Page()),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});

export const EventSchema = Type.Object(
  {
    id: Type.String({ description: "1NCE's event id (or a content hash for events without one)" }),
    occurred_at: Type.String({ format: 'date-time' }),
    iccid: Nullable(Type.String()),
    type_id: Nullable(Type.Integer()),
    type: Nullable(Type.String()),
    severity: Nullable(Type.String()),
    source: Nullable(Type.String({ description: "1NCE's event source (Network, Policy Control, API)" })),
    alert: Type.Boolean(),
    description: Nullable(Type.String()),
    received_via: Type.Union([Type.Literal('poll'), Type.Literal('stream')]),
  },
  {
    examples: [
      {
        id: '4871203',
        occurred_at: '2025-06-15T11:20:00.000Z',
        iccid: '8988280666000000019',
        type_id: 3,
        type: 'Create PDP Context',
        severity: 'INFO',
        source: 'Network',
        alert: false,
        description: 'PDP Context created.',
        received_via: 'poll',
      },
    ],
  },
);

export const EventPageSchema = Type.Object({
  items: Type.Array(EventSchema),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
});

export const EventSyncResultSchema = Type.Object({ fetched: Type.Integer(), inserted: Type.Integer() });
