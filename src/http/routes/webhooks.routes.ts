import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import {
  DeliveriesPageSchema,
  DeliveriesQuery,
  DeliverySchema,
  WebhookCreateBody,
  WebhookCreatedSchema,
  WebhookIdParams,
  WebhookPatchBody,
  WebhookSchema,
} from '../../modules/webhooks/webhooks.schemas.js';
import type { WebhookDto, WebhooksService } from '../../modules/webhooks/webhooks.service.js';
import { redactUrl } from '../../lib/redact-url.js';
import { describeAudit, requireUser } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';

const TAGS = ['webhooks'];
const target = (id: string) => ({ type: 'webhook', id });
/** What the audit keeps of a subscription: the delivery URL (query credentials redacted), never the secret. */
const auditView = (w: WebhookDto) => ({ url: redactUrl(w.url), events: w.events, enabled: w.enabled, description: w.description });

/** /api/v1/webhooks: outgoing webhook subscriptions, their delivery log and test sends (admins only). */
export function webhooksRoutes(webhooks: WebhooksService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/',
      {
        config: { policy: 'admin' },
        schema: { tags: TAGS, summary: 'List webhook subscriptions', response: { 200: Type.Object({ items: Type.Array(WebhookSchema) }), ...problemResponses(401, 403, 429) } },
      },
      async () => ({ items: await webhooks.list() }),
    );

    app.post(
      '/',
      {
        config: { policy: 'admin' },
        schema: {
          tags: TAGS,
          summary: 'Subscribe a URL to event types',
          body: WebhookCreateBody,
          response: { 201: WebhookCreatedSchema, ...problemResponses(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        describeAudit(request, { action: 'webhook.create' });
        const created = await webhooks.create(request.body, requireUser(request).userId);
        describeAudit(request, { target: target(created.id), after: { ...auditView(created), signing_key_generated: request.body.secret === undefined } });
        return reply.code(201).send(created);
      },
    );

    app.get(
      '/:id',
      {
        config: { policy: 'admin' },
        schema: { tags: TAGS, summary: 'One webhook subscription', params: WebhookIdParams, response: { 200: WebhookSchema, ...problemResponses(400, 401, 403, 404, 429) } },
      },
      async (request) => webhooks.get(request.params.id),
    );

    app.patch(
      '/:id',
      {
        config: { policy: 'admin' },
        schema: {
          tags: TAGS,
          summary: 'Change a subscription (enabled: true re-enables one disabled after persistent failure)',
          params: WebhookIdParams,
          body: WebhookPatchBody,
          response: { 200: WebhookSchema, ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request) => {
        describeAudit(request, { action: 'webhook.update', target: target(request.params.id) });
        const { before, after } = await webhooks.update(request.params.id, request.body);
        describeAudit(request, { before: auditView(before), after: { ...auditView(after), signing_key_rotated: request.body.secret !== undefined } });
        return after;
      },
    );

    app.delete(
      '/:id',
      {
        config: { policy: 'admin' },
        schema: { tags: TAGS, summary: 'Delete a subscription and its delivery log', params: WebhookIdParams, response: { 204: Type.Null(), ...problemResponses(400, 401, 403, 404, 429) } },
      },
      async (request, reply) => {
        describeAudit(request, { action: 'webhook.delete', target: target(request.params.id) });
        describeAudit(request, { before: auditView(await webhooks.remove(request.params.id)) });
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/:id/test',
      {
        config: { policy: 'admin' },
        schema: {
          tags: TAGS,
          summary: 'Send a signed webhook.test event now and return the outcome (logged, never retried)',
          params: WebhookIdParams,
          response: { 200: DeliverySchema, ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request) => webhooks.test(request.params.id),
    );

    app.get(
      '/:id/deliveries',
      {
        config: { policy: 'admin' },
        schema: {
          tags: TAGS,
          summary: 'Delivery log of a subscription, newest first',
          params: WebhookIdParams,
          querystring: DeliveriesQuery,
          response: { 200: DeliveriesPageSchema, ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request) => webhooks.deliveries(request.params.id, { status: request.query.status }, request.query.page ?? 1, request.query.page_size ?? 50),
    );
  };
}
