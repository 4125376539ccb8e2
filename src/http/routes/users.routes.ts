import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { UsersService } from '../../modules/users/users.service.js';
import { IdParam, ListUsersQuery, PatchUserBody, ResetPasswordBody, UserPageSchema, UserSchema } from '../../modules/users/users.schemas.js';
import { describeAudit } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';

const target = (id: number) => ({ type: 'user', id: String(id) });

/** /api/v1/users: user administration (admins only). */
export function usersRoutes(users: UsersService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['users'],
          summary: 'List users',
          querystring: ListUsersQuery,
          response: { 200: UserPageSchema, ...problemResponses(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const { page = 1, page_size = 50, q, role, active } = request.query;
        return users.listUsers({ q, role, active }, page, page_size);
      },
    );

    app.get(
      '/:id',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['users'],
          summary: 'Get a user',
          params: IdParam,
          response: { 200: UserSchema, ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request) => users.getUser(request.params.id),
    );

    app.patch(
      '/:id',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['users'],
          summary: "Change a user's role (applies to their next request)",
          params: IdParam,
          body: PatchUserBody,
          response: { 200: UserSchema, ...problemResponses(400, 401, 403, 404, 409, 415, 429) },
        },
      },
      async (request) => {
        describeAudit(request, { action: 'user.role_change', target: target(request.params.id) });
        const { before, after } = await users.changeRole(request.params.id, request.body.role);
        describeAudit(request, { before: { role: before.role }, after: { role: after.role } });
        return after;
      },
    );

    for (const [path, active] of [
      ['/:id/deactivate', false],
      ['/:id/reactivate', true],
    ] as const) {
      app.post(
        path,
        {
          config: { policy: 'admin' },
          schema: {
            tags: ['users'],
            summary: active ? 'Reactivate a user' : 'Deactivate a user: their tokens and API keys stop working on the next request',
            params: IdParam,
            response: { 200: UserSchema, ...problemResponses(400, 401, 403, 404, 409, 429) },
          },
        },
        async (request) => {
          describeAudit(request, { action: active ? 'user.reactivate' : 'user.deactivate', target: target(request.params.id) });
          const { before, after } = await users.setActive(request.params.id, active);
          describeAudit(request, { before: { is_active: before.is_active }, after: { is_active: after.is_active } });
          return after;
        },
      );
    }

    app.post(
      '/:id/reset-password',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['users'],
          summary: "Set a user's password; every session and API key of that user ends",
          params: IdParam,
          body: ResetPasswordBody,
          response: { 200: UserSchema, ...problemResponses(400, 401, 403, 404, 415, 422, 429) },
        },
      },
      async (request) => {
        describeAudit(request, { action: 'user.password_reset', target: target(request.params.id) });
        const { user, revokedApiKeys } = await users.resetPassword(request.params.id, request.body.new_password);
        describeAudit(request, { detail: { revoked_keys: revokedApiKeys } });
        return user;
      },
    );
  };
}
