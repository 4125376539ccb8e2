import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Identity } from '../../modules/users/identity.js';
import {
  ApiKeySchema,
  ChangePasswordBody,
  CreateApiKeyBody,
  CreatedApiKeySchema,
  ListApiKeysQuery,
  LoginBody,
  MeSchema,
  RegisterBody,
  SessionRefreshBody,
  SessionTokenPairSchema,
  TokenPairSchema,
  UserSchema,
  UuidParam,
} from '../../modules/users/users.schemas.js';
import { describeAudit, requireUser } from '../auth/request-context.js';
import { clearSessionCookie, requireSessionHeader, sessionCookieOf, setSessionCookie, wantsSessionCookie } from '../auth/session-cookie.js';
import { Unauthorized } from '../../errors.js';
import type { TokenPair } from '../../modules/users/auth.service.js';
import { problemResponses } from '../problem.js';

const SessionHeaders = Type.Object({
  'x-session-cookie': Type.Optional(Type.Literal('1', { description: 'Browser session: refresh token in an HttpOnly cookie instead of the body' })),
});
const client = (request: FastifyRequest) => ({ ip: request.ip, userAgent: request.headers['user-agent'] });

/** /api/v1/auth: login, refresh, logout, register, me, password change and API keys. */
export function authRoutes(identity: Pick<Identity, 'auth' | 'users' | 'apiKeys'>, refreshTokenTtlDays: number): FastifyPluginAsyncTypebox {
  return async (app) => {
    // Tokens, keys and who-am-I must never sit in a browser or proxy cache (errors included).
    app.addHook('onSend', (_request, reply, payload, done) => {
      reply.header('cache-control', 'no-store');
      done(null, payload);
    });
    const sessionMaxAge = refreshTokenTtlDays * 86_400;
    /** With X-Session-Cookie: 1 the refresh token goes into the HttpOnly cookie and out of the body. */
    const answer = (request: FastifyRequest, reply: FastifyReply, tokens: TokenPair) => {
      if (!wantsSessionCookie(request)) return tokens;
      const { refresh_token: refreshToken, ...rest } = tokens;
      setSessionCookie(request, reply, refreshToken, sessionMaxAge);
      return rest;
    };
    /** The presented refresh token: the body's, else the session cookie's (which requires the custom header). */
    const presented = (request: FastifyRequest, body: { refresh_token?: string | undefined } | undefined) => {
      if (body?.refresh_token !== undefined) return { token: body.refresh_token, cookie: false };
      requireSessionHeader(request);
      return { token: sessionCookieOf(request), cookie: true };
    };
    // Cookie sessions may POST without a body at all.
    const emptyBody = async (request: FastifyRequest) => {
      request.body ??= {};
    };

    app.post(
      '/login',
      {
        config: { policy: 'public' },
        schema: {
          tags: ['auth'],
          summary: 'Exchange a username (or e-mail) and password for an access and a refresh token',
          description:
            'Throttled per client IP and per username: 429 with Retry-After after 5 failures a minute; repeated failures lock sign-in for 15 minutes. ' +
            'Browsers send `X-Session-Cookie: 1`: the refresh token is then set as an HttpOnly, SameSite=Strict cookie (path /api/v1/auth) and left out of the body.',
          headers: SessionHeaders,
          body: LoginBody,
          response: { 200: SessionTokenPairSchema, ...problemResponses(400, 401, 415, 429) },
        },
      },
      async (request, reply) => {
        // The attempted name is recorded, never the password.
        describeAudit(request, { action: 'auth.login', detail: { username: request.body.username.slice(0, 254) } });
        const { tokens, user } = await identity.auth.login(request.body.username, request.body.password, client(request));
        describeAudit(request, {
          actor: { type: 'user', userId: user.id, username: user.username, role: user.role },
          target: { type: 'user', id: String(user.id) },
        });
        return answer(request, reply, tokens);
      },
    );

    app.post(
      '/refresh',
      {
        config: { policy: 'public' },
        preValidation: emptyBody,
        schema: {
          tags: ['auth'],
          summary: 'Rotate a refresh token: returns a new pair; the presented token becomes unusable',
          description:
            'Presenting an already rotated refresh token revokes every token of that login (theft detection). ' +
            'Browsers send no token and `X-Session-Cookie: 1`: the session cookie is rotated instead (403 `session_header_required` without the header).',
          headers: SessionHeaders,
          body: SessionRefreshBody,
          response: { 200: SessionTokenPairSchema, ...problemResponses(400, 401, 403, 415, 429) },
        },
      },
      async (request, reply) => {
        describeAudit(request, { action: 'auth.refresh' });
        const { token, cookie } = presented(request, request.body);
        try {
          if (token === undefined) throw new Unauthorized('No refresh token: sign in again', 'invalid_refresh_token');
          const { tokens, userId } = await identity.auth.refresh(token, client(request));
          describeAudit(request, { actor: { type: 'user', userId }, target: { type: 'user', id: String(userId) } });
          return answer(request, reply, tokens);
        } catch (error) {
          // A cookie that no longer works is dropped, so the browser stops presenting it.
          if (cookie) clearSessionCookie(request, reply);
          throw error;
        }
      },
    );

    app.post(
      '/logout',
      {
        config: { policy: 'public' },
        preValidation: emptyBody,
        schema: {
          tags: ['auth'],
          summary: 'Revoke a refresh token (and every token rotated from the same login)',
          description:
            'Possession of the refresh token is the credential, so a client whose access token expired can still sign out. ' +
            'Browsers send no token and `X-Session-Cookie: 1`: the session cookie\'s login is revoked and the cookie cleared (204 also when no cookie is left).',
          headers: SessionHeaders,
          body: SessionRefreshBody,
          response: { 204: Type.Null({ description: 'Signed out' }), ...problemResponses(400, 401, 403, 415, 429) },
        },
      },
      async (request, reply) => {
        describeAudit(request, { action: 'auth.logout' });
        const { token, cookie } = presented(request, request.body);
        if (cookie) clearSessionCookie(request, reply);
        if (token !== undefined) {
          try {
            const { userId } = await identity.auth.logout(token);
            describeAudit(request, { actor: { type: 'user', userId }, target: { type: 'user', id: String(userId) } });
          } catch (error) {
            // An unknown cookie is a session that is already over; an unknown body token stays a 401.
            if (!cookie) throw error;
          }
        }
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/register',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['auth'],
          summary: 'Create a user (admins only)',
          body: RegisterBody,
          response: { 201: UserSchema, ...problemResponses(400, 401, 403, 409, 415, 422, 429) },
        },
      },
      async (request, reply) => {
        const user = await identity.users.createUser(request.body);
        describeAudit(request, { action: 'user.create', target: { type: 'user', id: String(user.id) }, after: { ...user } });
        return reply.code(201).send(user);
      },
    );

    app.get(
      '/me',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['auth'],
          summary: 'The authenticated user and how they authenticated',
          response: { 200: MeSchema, ...problemResponses(401, 403, 429) },
        },
      },
      async (request) => {
        const caller = requireUser(request);
        return {
          user: await identity.users.getUser(caller.userId),
          auth: {
            method: caller.kind === 'api_key' ? ('api_key' as const) : ('jwt' as const),
            effective_role: caller.role,
            ...(caller.kind === 'api_key' && { api_key_id: caller.apiKeyId }),
          },
        };
      },
    );

    app.post(
      '/password',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['auth'],
          summary: 'Change your own password',
          description: 'Ends every existing session of the user (refresh tokens revoked, older access tokens refused), revokes every API key of the user, and returns a fresh token pair.',
          body: ChangePasswordBody,
          response: { 200: TokenPairSchema, ...problemResponses(400, 401, 403, 415, 422, 429) },
        },
      },
      async (request) => {
        const caller = requireUser(request);
        describeAudit(request, { action: 'user.password_change', target: { type: 'user', id: String(caller.userId) } });
        const { revokedApiKeys } = await identity.users.changeOwnPassword(caller.userId, request.body.current_password, request.body.new_password);
        describeAudit(request, { detail: { revoked_keys: revokedApiKeys } });
        return identity.auth.issueFreshSession(caller.userId, client(request));
      },
    );

    app.post(
      '/api-keys',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['auth'],
          summary: 'Create an API key for yourself; the key is returned once, in this response only',
          description:
            '`role` caps the key below your own role; it cannot exceed it. A key created with an API key inherits that key\'s cap and at most its expiry (a later or missing `expires_in_days` is clamped), and is revoked with it. Use it as `X-API-Key: <api_key>`.',
          body: CreateApiKeyBody,
          response: { 201: CreatedApiKeySchema, ...problemResponses(400, 401, 403, 415, 429) },
        },
      },
      async (request, reply) => {
        const created = await identity.apiKeys.create(requireUser(request), {
          name: request.body.name,
          expiresInDays: request.body.expires_in_days,
          role: request.body.role,
        });
        const { api_key: _secret, ...publicView } = created;
        describeAudit(request, { action: 'api_key.create', target: { type: 'api_key', id: created.id }, after: publicView });
        return reply.code(201).send(created);
      },
    );

    app.get(
      '/api-keys',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['auth'],
          summary: "Your API keys (admins: every user's with ?all=true), newest first",
          querystring: ListApiKeysQuery,
          response: { 200: Type.Array(ApiKeySchema), ...problemResponses(400, 401, 403, 429) },
        },
      },
      async (request) =>
        identity.apiKeys.list(requireUser(request), { all: request.query.all ?? false, includeRevoked: request.query.include_revoked ?? false }),
    );

    app.delete(
      '/api-keys/:id',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['auth'],
          summary: 'Revoke an API key (your own; admins: any) and every key created from it. Takes effect on the next request',
          params: UuidParam,
          response: { 204: Type.Null({ description: 'Revoked' }), ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request, reply) => {
        describeAudit(request, { action: 'api_key.revoke', target: { type: 'api_key', id: request.params.id } });
        const { before, after, descendants } = await identity.apiKeys.revoke(requireUser(request), request.params.id);
        describeAudit(request, {
          before: { revoked_at: before.revoked_at, user_id: before.user_id },
          after: { revoked_at: after.revoked_at, revoked_reason: after.revoked_reason },
          detail: { descendants_revoked: descendants },
        });
        return reply.code(204).send(null);
      },
    );
  };
}
