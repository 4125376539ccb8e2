import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ProviderAccountsService } from '../../modules/accounts/provider-accounts.service.js';
import {
  AccountIdParam,
  AccountListSchema,
  AccountSchema,
  AccountTestSchema,
  CreateAccountBody,
  UpdateAccountBody,
  type AccountDto,
} from '../../modules/accounts/accounts.schemas.js';
import { describeAudit } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';

const target = (id: string) => ({ type: 'provider_account', id });
/** What the audit keeps of an account: never the secret, only whether one is set. */
const auditView = (a: AccountDto) => ({ name: a.name, api_url: a.api_url, client_id: a.client_id, is_active: a.is_active });

/** /api/v1/accounts: 1NCE organisations the platform manages (admins only; secrets are write-only). */
export function accountsRoutes(accounts: ProviderAccountsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['accounts'],
          summary: 'Provider accounts with their SIM counts',
          response: { 200: AccountListSchema, ...problemResponses(401, 403, 429) },
        },
      },
      async () => accounts.list(),
    );

    app.get(
      '/:id',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['accounts'],
          summary: 'One provider account',
          params: AccountIdParam,
          response: { 200: AccountSchema, ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request) => accounts.get(request.params.id),
    );

    app.post(
      '/',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['accounts'],
          summary: 'Add a 1NCE organisation (the secret is encrypted at rest and never returned; test it with POST /accounts/{id}/test)',
          body: CreateAccountBody,
          response: { 201: AccountSchema, ...problemResponses(400, 401, 403, 409, 415, 429) },
        },
      },
      async (request, reply) => {
        const created = await accounts.create(request.body);
        describeAudit(request, { action: 'provider_account.create', target: target(created.id), after: auditView(created) });
        return reply.code(201).send(created);
      },
    );

    app.patch(
      '/:id',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['accounts'],
          summary: 'Change name, URL, credentials or active state (the provider client is rebuilt)',
          description: 'A new `api_url` must come with `client_secret` (422 `secret_required` otherwise): the stored secret is never sent to a new URL.',
          params: AccountIdParam,
          body: UpdateAccountBody,
          response: { 200: AccountSchema, ...problemResponses(400, 401, 403, 404, 409, 415, 422, 429) },
        },
      },
      async (request) => {
        describeAudit(request, { action: 'provider_account.update', target: target(request.params.id) });
        const { before, after } = await accounts.update(request.params.id, request.body);
        describeAudit(request, {
          before: auditView(before),
          after: { ...auditView(after), credentials_rotated: request.body.client_secret !== undefined },
        });
        return after;
      },
    );

    app.delete(
      '/:id',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['accounts'],
          summary: 'Remove an account that owns no SIMs, orders or tickets (otherwise 409: deactivate it instead)',
          params: AccountIdParam,
          response: { 204: { type: 'null', description: 'Removed' }, ...problemResponses(400, 401, 403, 404, 409, 429) },
        },
      },
      async (request, reply) => {
        describeAudit(request, { action: 'provider_account.delete', target: target(request.params.id) });
        const removed = await accounts.remove(request.params.id);
        describeAudit(request, { before: auditView(removed) });
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/:id/test',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['accounts'],
          summary: 'Verify the credentials against 1NCE (token + one SIM page); records last_verified_at or last_error',
          params: AccountIdParam,
          response: { 200: AccountTestSchema, ...problemResponses(400, 401, 403, 404, 409, 429) },
        },
      },
      async (request) => {
        const result = await accounts.test(request.params.id);
        describeAudit(request, { action: 'provider_account.test', target: target(request.params.id), detail: { ok: result.ok, error_code: result.error?.code ?? null } });
        return result;
      },
    );
  };
}
