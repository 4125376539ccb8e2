import { Type, type Static } from 'typebox';
import { Line, Page } from '../../lib/schemas.js';
import { PASSWORD_MAX_LENGTH } from './password-policy.js';

/**
 * Request and response schemas of the auth and user routes: validation, serialisation (response
 * schemas keep hashes and secrets from ever leaking) and OpenAPI from one source.
 */

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('operator'), Type.Literal('viewer')], {
  description: 'admin > operator > viewer',
});

const Password = (description: string) =>
  Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH, description, examples: ['correct-horse-battery-staple'] });

export const LoginBody = Type.Object(
  {
    username: Line({ minLength: 1, maxLength: 254, description: 'Username or e-mail address', examples: ['alice'] }),
    password: Password('The account password'),
  },
  { additionalProperties: false },
);

export const TokenPairSchema = Type.Object(
  {
    access_token: Type.String({ description: 'HS256 JWT for `Authorization: Bearer`' }),
    refresh_token: Type.String({ description: 'Opaque, single-use; exchange at /auth/refresh' }),
    token_type: Type.Literal('bearer'),
    expires_in: Type.Integer({ description: 'Access token lifetime in seconds', examples: [900] }),
  },
  {
    examples: [{ access_token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9…', refresh_token: 'Q2h…', token_type: 'bearer', expires_in: 900 }],
  },
);

export const RefreshBody = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 512, description: 'The refresh token from login or the last refresh' }) },
  { additionalProperties: false },
);

/** Refresh and logout: the token in the body (scripts) or, with `X-Session-Cookie: 1`, in the session cookie (browser). */
export const SessionRefreshBody = Type.Object(
  {
    refresh_token: Type.Optional(
      Type.String({ minLength: 1, maxLength: 512, description: 'The refresh token; omit it (or send no body) to use the session cookie with X-Session-Cookie: 1' }),
    ),
  },
  { additionalProperties: false },
);

/** Login and refresh answers: with the cookie session the refresh token is in the cookie only, never in the body. */
export const SessionTokenPairSchema = Type.Object({
  access_token: Type.String({ description: 'HS256 JWT for `Authorization: Bearer`' }),
  refresh_token: Type.Optional(Type.String({ description: 'Opaque, single-use; absent when the session cookie carries it (X-Session-Cookie: 1)' })),
  token_type: Type.Literal('bearer'),
  expires_in: Type.Integer({ description: 'Access token lifetime in seconds', examples: [900] }),
});

export const UserSchema = Type.Object(
  {
    id: Type.Integer(),
    username: Type.String(),
    email: Nullable(Type.String()),
    role: RoleSchema,
    is_active: Type.Boolean(),
    last_login_at: Nullable(Type.String({ format: 'date-time' })),
    password_changed_at: Nullable(Type.String({ format: 'date-time' })),
    created_at: Type.String({ format: 'date-time' }),
    updated_at: Type.String({ format: 'date-time' }),
  },
  {
    examples: [
      {
        id: 2,
        username: 'alice',
        email: 'alice@example.com',
        role: 'operator',
        is_active: true,
        last_login_at: null,
        password_changed_at: '2025-01-01T00:00:00.000Z',
        created_at: '2025-01-01T00:00:00.000Z',
        updated_at: '2025-01-01T00:00:00.000Z',
      },
    ],
  },
);

export const MeSchema = Type.Object({
  user: UserSchema,
  auth: Type.Object({
    method: Type.Union([Type.Literal('jwt'), Type.Literal('api_key')]),
    effective_role: RoleSchema,
    api_key_id: Type.Optional(Type.String({ format: 'uuid' })),
  }),
});

export const RegisterBody = Type.Object(
  {
    username: Type.String({ minLength: 3, maxLength: 50, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', examples: ['alice'] }),
    email: Type.Optional(Nullable(Type.String({ format: 'email', maxLength: 254, examples: ['alice@example.com'] }))),
    password: Password('At least 12 characters, not the username, not a common password'),
    role: Type.Optional(RoleSchema),
  },
  { additionalProperties: false },
);

export const ChangePasswordBody = Type.Object(
  { current_password: Password('The current password'), new_password: Password('The new password (same policy as registration)') },
  { additionalProperties: false },
);

export const ResetPasswordBody = Type.Object({ new_password: Password('The new password') }, { additionalProperties: false });

export const ApiKeySchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  prefix: Type.String({ description: 'Public part of the key, shown to tell keys apart' }),
  user_id: Type.Integer(),
  username: Type.String(),
  role_cap: Nullable(RoleSchema),
  expires_at: Nullable(Type.String({ format: 'date-time' })),
  last_used_at: Nullable(Type.String({ format: 'date-time', description: 'Updated at most once a minute' })),
  revoked_at: Nullable(Type.String({ format: 'date-time' })),
  revoked_reason: Nullable(
    Type.Union([Type.Literal('revoked'), Type.Literal('parent_revoked'), Type.Literal('password_changed'), Type.Literal('password_reset')], {
      description: 'revoked: itself; parent_revoked: with the key it was created with; password_changed / password_reset: its owner\'s password changed',
    }),
  ),
  parent_key_id: Nullable(Type.String({ format: 'uuid', description: 'The API key this key was created with (null: created by a signed-in user)' })),
  created_at: Type.String({ format: 'date-time' }),
});

export const CreatedApiKeySchema = Type.Intersect([ApiKeySchema, Type.Object({ api_key: Type.String({ description: 'The key; shown only in this response' }) })], {
  examples: [
    {
      id: '5b0d3c9e-8a51-4f5c-9a9b-4c1e2f3a4b5c',
      api_key: 'sfk_k3x9q2m7p1z8_…',
      name: 'billing export',
      prefix: 'k3x9q2m7p1z8',
      user_id: 2,
      username: 'alice',
      role_cap: 'viewer',
      expires_at: null,
      last_used_at: null,
      revoked_at: null,
      revoked_reason: null,
      parent_key_id: null,
      created_at: '2025-01-01T00:00:00.000Z',
    },
  ],
});

export const CreateApiKeyBody = Type.Object(
  {
    name: Type.Optional(Line({ minLength: 1, maxLength: 100, examples: ['billing export'] })),
    expires_in_days: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650, description: 'Omit for a key that never expires' })),
    role: Type.Optional(RoleSchema),
  },
  { additionalProperties: false },
);

export const ListApiKeysQuery = Type.Object(
  {
    all: Type.Optional(Type.Boolean({ default: false, description: "Admins only: every user's keys" })),
    include_revoked: Type.Optional(Type.Boolean({ default: false })),
  },
  { additionalProperties: false },
);

export const IdParam = Type.Object({ id: Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) });
export const UuidParam = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const PageQuery = {
  page: Type.Optional(Page()),
  page_size: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
};

export const ListUsersQuery = Type.Object(
  {
    ...PageQuery,
    q: Type.Optional(Line({ maxLength: 100, description: 'Substring of username or e-mail' })),
    role: Type.Optional(RoleSchema),
    active: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const UserPageSchema = Type.Object({
  items: Type.Array(UserSchema),
  total: Type.Integer(),
  page: Type.Integer(),
  page_size: Type.Integer(),
  total_pages: Type.Integer(),
});

export const PatchUserBody = Type.Object({ role: RoleSchema }, { additionalProperties: false });

export type LoginBodyType = Static<typeof LoginBody>;

/** A user as the API shows it: never the password hash. */
export type PublicUser = Static<typeof UserSchema>;
/** An API key as listed: never the secret or its hash. */
export type PublicApiKey = Static<typeof ApiKeySchema>;
/** The one response that carries the key itself. */
export type CreatedApiKey = Static<typeof CreatedApiKeySchema>;
/** What login and refresh return (the wire names are the seed system's). */
export type TokenPair = Static<typeof TokenPairSchema>;
