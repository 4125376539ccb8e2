import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { QuotaHistoryPageSchema, QuotaHistoryQuery, QuotaParams, QuotaQuery, QuotaSchema } from '../../modules/quotas/quotas.schemas.js';
import type { QuotasService } from '../../modules/quotas/quotas.service.js';
import { auditContext } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';

const TAGS = ['quotas'];

/** /api/v1/sims/:iccid/quota/:service: latest snapshot with forecast, and snapshot history. */
export function quotasRoutes(quotas: QuotasService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/:iccid/quota/:service',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'Data or SMS quota: remaining, used, percentage, threshold, expiry, status and exhaustion forecast',
          params: QuotaParams,
          querystring: QuotaQuery,
          response: { 200: QuotaSchema, ...problemResponses(400, 401, 403, 404, 422, 429, 502, 503, 504) },
        },
      },
      async (request) => quotas.get(request.params.iccid, request.params.service, { refresh: request.query.refresh ?? false, ctx: auditContext(request) }),
    );

    app.get(
      '/:iccid/quota/:service/history',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'Quota snapshots, newest first',
          params: QuotaParams,
          querystring: QuotaHistoryQuery,
          response: { 200: QuotaHistoryPageSchema, ...problemResponses(400, 401, 403, 404, 422, 429) },
        },
      },
      async (request) => quotas.history(request.params.iccid, request.params.service, request.query),
    );
  };
}
