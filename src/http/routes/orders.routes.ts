import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { OrdersService } from '../../modules/orders/orders.service.js';
import { parseIdempotencyKey } from '../../modules/topups/idempotency.js';
import { TopupHeaders } from '../../modules/topups/topups.schemas.js';
import {
  AccountQuery,
  CreateOrderBody,
  ListOrdersQuery,
  OrderIdParam,
  OrderPageSchema,
  OrderSchema,
  OrderSyncSchema,
} from '../../modules/orders/orders.schemas.js';
import { auditContext, describeAudit } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';


/** /api/v1/orders: 1NCE orders (including top-ups), served from our database. */
export function ordersRoutes(orders: OrdersService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['orders'],
          summary: 'Stored orders (top-ups included), newest first; POST /orders/sync refreshes them from 1NCE',
          querystring: ListOrdersQuery,
          response: { 200: OrderPageSchema, ...problemResponses(400, 401, 403, 429) },
        },
      },
      async (request) => {
        const { account, type, status, page = 1, page_size = 50 } = request.query;
        return orders.list({ accountId: account, type, status }, page, page_size);
      },
    );

    app.get(
      '/:id',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['orders'],
          summary: 'One stored order with its lines',
          params: OrderIdParam,
          response: { 200: OrderSchema, ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request) => orders.get(request.params.id),
    );

    app.post(
      '/',
      {
        config: { policy: 'admin' },
        schema: {
          tags: ['orders'],
          summary: 'Place an order at 1NCE (real and invoiced; admins only). Idempotency-Key makes retries safe',
          querystring: AccountQuery,
          headers: TopupHeaders,
          body: CreateOrderBody,
          response: { 201: OrderSchema, ...problemResponses(400, 401, 403, 404, 409, 415, 422, 429, 502, 503, 504) },
        },
      },
      async (request, reply) => {
        const key = parseIdempotencyKey(request.headers['idempotency-key']);
        describeAudit(request, { action: 'order.create_request', detail: { idempotency_key: key ?? null } });
        const result = await orders.create(request.query.account, request.body, auditContext(request), key);
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(201).send(result.body);
      },
    );

    app.post(
      '/sync',
      {
        config: { policy: 'operator' },
        schema: {
          tags: ['orders'],
          summary: 'Refresh the account’s orders from 1NCE (10 per page, within the 100 per 5 minutes budget)',
          querystring: AccountQuery,
          response: { 200: OrderSyncSchema, ...problemResponses(400, 401, 403, 404, 429, 502, 503, 504) },
        },
      },
      async (request) => orders.sync(request.query.account),
    );
  };
}
