import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { IccidParams } from '../../lib/schemas.js';
import { UsageQuery, UsageResponseSchema, UsageSummaryQuery, UsageSummarySchema, UsageSyncBody, UsageSyncResultSchema } from '../../modules/usage/usage.schemas.js';
import type { UsageService } from '../../modules/usage/usage.service.js';
import { auditContext, describeAudit } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';

const TAGS = ['usage'];

/** /api/v1/sims/:iccid/usage: usage from our own store, and sync of a range from 1NCE. */
export function usageRoutes(usage: UsageService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/:iccid/usage',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'Usage by day, week or month with a summary (total, rx/tx, SMS MO/MT, daily average, peak)',
          params: IccidParams,
          querystring: UsageQuery,
          response: { 200: UsageResponseSchema, ...problemResponses(400, 401, 403, 404, 422, 429) },
        },
      },
      async (request) => usage.get(request.params.iccid, request.query),
    );

    app.get(
      '/:iccid/usage/summary',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'Usage summary of a range only',
          params: IccidParams,
          querystring: UsageSummaryQuery,
          response: { 200: UsageSummarySchema, ...problemResponses(400, 401, 403, 404, 422, 429) },
        },
      },
      async (request) => usage.summary(request.params.iccid, request.query),
    );

    app.post(
      '/:iccid/usage/sync',
      {
        config: { policy: 'operator' },
        schema: {
          tags: TAGS,
          summary: 'Fetch a range of daily usage from 1NCE and upsert it (idempotent on SIM and day)',
          params: IccidParams,
          body: UsageSyncBody,
          response: { 200: UsageSyncResultSchema, ...problemResponses(400, 401, 403, 404, 415, 422, 429, 502, 503, 504) },
        },
      },
      async (request) => {
        describeAudit(request, { action: 'sim.usage_sync', target: { type: 'sim', id: request.params.iccid } });
        return usage.sync(request.params.iccid, request.body ?? {}, auditContext(request));
      },
    );
  };
}
