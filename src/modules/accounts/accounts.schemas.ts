import { Type, type Static } from 'typebox';
import { DateTime, Line, Nullable } from '../../lib/schemas.js';

/** Request and response schemas of the provider account routes. Secrets are accepted, never returned. */

const Name = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[^\\u0000-\\u001f\\u007f-\\u009f]*\\S[^\\u0000-\\u001f\\u007f-\\u009f]*$',
  description: 'One line, not blank',
  examples: ['EU production'],
});
const ApiUrl = Type.String({ maxLength: 500, pattern: '^https?://[^\\s]+$', description: '1NCE Management API base URL', examples: ['https://api.1nce.com/management-api'] });
const ClientId = Line({ minLength: 1, maxLength: 200, description: 'OAuth client id (the 1NCE API user)' });
const ClientSecret = Line({ minLength: 1, maxLength: 500, description: 'OAuth client secret; stored encrypted, never returned' });

export const AccountSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    provider: Type.String(),
    api_url: Type.String(),
    client_id: Type.String(),
    has_secret: Type.Boolean({ description: 'A secret is stored (its value is never returned)' }),
    is_default: Type.Boolean({ description: 'The account configured by ONCE_CLIENT_ID / ONCE_CLIENT_SECRET (or the demo simulator)' }),
    is_active: Type.Boolean(),
    last_verified_at: Nullable(DateTime),
    last_error: Nullable(Type.String()),
    sim_count: Type.Integer(),
    created_at: DateTime,
    updated_at: DateTime,
  },
  {
    examples: [
      {
        id: '0b5e1a2c-6f0e-4d38-9f49-5d8a2c1e0f11',
        name: 'EU production',
        provider: '1nce',
        api_url: 'https://api.1nce.com/management-api',
        client_id: 'api-user@example.com',
        has_secret: true,
        is_default: false,
        is_active: true,
        last_verified_at: '2025-06-15T12:00:00.000Z',
        last_error: null,
        sim_count: 1200,
        created_at: '2025-06-01T08:00:00.000Z',
        updated_at: '2025-06-15T12:00:00.000Z',
      },
    ],
  },
);
export type AccountDto = Static<typeof AccountSchema>;

export const AccountListSchema = Type.Object({ items: Type.Array(AccountSchema), total: Type.Integer() });

export const AccountIdParam = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const CreateAccountBody = Type.Object(
  { name: Name, api_url: Type.Optional(ApiUrl), client_id: ClientId, client_secret: ClientSecret, is_active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, examples: [{ name: 'EU production', client_id: 'api-user@example.com', client_secret: '••••••' }] },
);
export type CreateAccountBody = Static<typeof CreateAccountBody>;

export const UpdateAccountBody = Type.Object(
  { name: Type.Optional(Name), api_url: Type.Optional(ApiUrl), client_id: Type.Optional(ClientId), client_secret: Type.Optional(ClientSecret), is_active: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, minProperties: 1, examples: [{ client_secret: 'rotated-secret' }] },
);
export type UpdateAccountBody = Static<typeof UpdateAccountBody>;

export const AccountTestSchema = Type.Object({
  ok: Type.Boolean(),
  checked_at: DateTime,
  error: Nullable(Type.Object({ code: Type.String(), detail: Type.String() })),
  sims_total: Nullable(Type.Integer({ description: 'SIMs 1NCE reports for the account (when it sends a total)' })),
  account: AccountSchema,
});
export type AccountTestDto = Static<typeof AccountTestSchema>;
