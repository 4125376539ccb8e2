import { Type, type Static } from 'typebox';
import { Page } from '../../lib/schemas.js';

/** Query, row and page schemas of the audit routes. */

const Outcome = Type.Union([Type.Literal('success'), Type.Literal('failure'), Type.Literal('denied')]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const AuditFilterQuery = {
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Username, user id or API key id' })),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Exact action, or a prefix ending in `*`', examples: ['user.*'] })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 300, description: 'Target id, or `type:id`', examples: ['user:2'] })),
  outcome: Type.Optional(Outcome),
  from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive lower bound of occurred_at' })),
  to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive upper bound of occurred_at' })),
};

export const AuditListQuery = Type.Object(
  {
    ...AuditFilterQuery,
    page: Type.Optional(Page()),
    page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);

export const AuditExportQuery = Type.Object(
  { ...AuditFilterQuery, format: Type.Optional(Type.Literal('csv', { default: 'csv' })) },
  { additionalProperties: false },
);

export const AuditEntrySchema = Type.Object(
  {
    id: Type.Integer(),
    occurred_at: Type.String({ format: 'date-time' }),
    actor_type: Type.Union([Type.Literal('user'), Type.Literal('api_key'), Type.Literal('system'), Type.Literal('streamer'), Type.Literal('anonymous')]),
    actor_user_id: Type.Union([Type.Integer(), Type.Null()]),
    actor_username: NullableString,
    actor_api_key_id: NullableString,
    actor_role: NullableString,
    ip: NullableString,
    user_agent: NullableString,
    action: Type.String(),
    target_type: NullableString,
    target_id: NullableString,
    before: Type.Unknown(),
    after: Type.Unknown(),
    outcome: Outcome,
    status_code: Type.Union([Type.Integer(), Type.Null()]),
    request_id: NullableString,
    detail: Type.Unknown(),
  },
  {
    examples: [
      {
        id: 42,
        occurred_at: '2025-01-01T12:00:00.000Z',
        actor_type: 'user',
        actor_user_id: 1,
        actor_username: 'admin',
        actor_api_key_id: null,
        actor_role: 'admin',
        ip: '203.0.113.7',
        user_agent: 'curl/8.5.0',
        action: 'user.role_change',
        target_type: 'user',
        target_id: '2',
        before: { role: 'viewer' },
        after: { role: 'operator' },
        outcome: 'success',
        status_code: 200,
        request_id: '9f0c…',
        detail: null,
      },
    ],
  },
);

export const AuditPageSchema = Type.Object({
  items: Type.Array(AuditEntrySchema),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
});

/** An audit entry as the API returns it. */
export type PublicAuditEntry = Static<typeof AuditEntrySchema>;
