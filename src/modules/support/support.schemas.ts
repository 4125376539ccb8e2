import { Type, type Static } from 'typebox';
import { DateTime, Line, Nullable, Page } from '../../lib/schemas.js';
import { AccountQueryProperty } from '../orders/orders.schemas.js';

/** Request and response schemas of the support ticket routes. */

const CommunicationSchema = Type.Object({
  id: Nullable(Type.String()),
  at: Nullable(DateTime),
  direction: Nullable(Type.String({ description: 'IN or OUT' })),
  originator: Nullable(Type.String()),
  subject: Nullable(Type.String()),
  text: Nullable(Type.String()),
  type: Nullable(Type.String({ description: 'PORTAL, PHONE_IN, PHONE_OUT, MAIL_IN, MAIL_OUT' })),
});

export const TicketSchema = Type.Object(
  {
    id: Type.Integer({ description: 'Our id' }),
    account_id: Type.String(),
    case_id: Nullable(Type.String({ description: '1NCE’s case id; null until 1NCE lists the new ticket' })),
    subject: Nullable(Type.String()),
    text: Nullable(Type.String()),
    status: Nullable(Type.String({ description: 'OPEN, IN_PROGRESS, CLOSED (1NCE), or SUBMITTED before 1NCE lists it' })),
    reply_to_mail: Nullable(Type.String()),
    sender_name: Nullable(Type.String()),
    create_date: Nullable(DateTime),
    solved_date: Nullable(DateTime),
    communications: Type.Array(CommunicationSchema),
    created_by_user_id: Nullable(Type.Integer()),
    last_synced_at: Nullable(DateTime),
  },
  {
    examples: [
      {
        id: 3,
        account_id: '0b5e1a2c-6f0e-4d38-9f49-5d8a2c1e0f11',
        case_id: '5001300',
        subject: 'SIMs not attaching in Sweden',
        text: 'Several devices do not attach since yesterday.',
        status: 'OPEN',
        reply_to_mail: 'ops@example.com',
        sender_name: 'Ops',
        create_date: '2025-06-15T12:00:00.000Z',
        solved_date: null,
        communications: [],
        created_by_user_id: 2,
        last_synced_at: '2025-06-15T12:00:01.000Z',
      },
    ],
  },
);
export type TicketDto = Static<typeof TicketSchema>;

export const TicketPageSchema = Type.Object({
  items: Type.Array(TicketSchema),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
});

export const ListTicketsQuery = Type.Object({
  account: AccountQueryProperty,
  status: Type.Optional(Type.String({ maxLength: 40 })),
  page: Type.Optional(Page()),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
});

export const TicketIdParam = Type.Object({ id: Type.Integer({ minimum: 1 }) });

export const CreateTicketBody = Type.Object(
  {
    reply_to_mail: Type.String({ format: 'email', maxLength: 254 }),
    sender_name: Line({ minLength: 1, maxLength: 200 }),
    subject: Line({ minLength: 1, maxLength: 200 }),
    text: Type.String({ minLength: 1, maxLength: 10_000 }),
  },
  {
    additionalProperties: false,
    examples: [{ reply_to_mail: 'ops@example.com', sender_name: 'Ops', subject: 'SIMs not attaching', text: 'Since 09:00 UTC…' }],
  },
);
export type CreateTicketBody = Static<typeof CreateTicketBody>;

export const TicketSyncSchema = Type.Object({ account_id: Type.String(), fetched: Type.Integer() });
