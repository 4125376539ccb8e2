import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SupportService } from '../../modules/support/support.service.js';
import { AccountQuery } from '../../modules/orders/orders.schemas.js';
import { CreateTicketBody, ListTicketsQuery, TicketIdParam, TicketPageSchema, TicketSchema, TicketSyncSchema } from '../../modules/support/support.schemas.js';
import { auditContext, describeAudit } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';


/** /api/v1/support/tickets: support cases with 1NCE. */
export function supportRoutes(support: SupportService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['support'],
          summary: 'Stored support tickets, newest first (POST /support/tickets/sync refreshes them)',
          querystring: ListTicketsQuery,
          response: { 200: TicketPageSchema, ...problemResponses(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const { account, status, page = 1, page_size = 50 } = request.query;
        return support.list({ account, status }, page, page_size);
      },
    );

    app.get(
      '/:id',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['support'],
          summary: 'One stored ticket with its communications',
          params: TicketIdParam,
          response: { 200: TicketSchema, ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request) => support.get(request.params.id),
    );

    app.post(
      '/',
      {
        config: { policy: 'operator' },
        schema: {
          tags: ['support'],
          summary: 'Open a support case with 1NCE',
          querystring: AccountQuery,
          body: CreateTicketBody,
          response: { 201: TicketSchema, ...problemResponses(400, 401, 403, 404, 415, 429, 502, 503, 504) },
        },
      },
      async (request, reply) => {
        describeAudit(request, { action: 'support.create_request' });
        return reply.code(201).send(await support.create(request.query.account, request.body, auditContext(request)));
      },
    );

    app.post(
      '/sync',
      {
        config: { policy: 'operator' },
        schema: {
          tags: ['support'],
          summary: 'Refresh tickets from 1NCE',
          querystring: AccountQuery,
          response: { 200: TicketSyncSchema, ...problemResponses(400, 401, 403, 404, 429, 502, 503, 504) },
        },
      },
      async (request) => support.sync(request.query.account),
    );
  };
}
