import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import {
  ConnectivityHistoryQuery,
  ConnectivityPageSchema,
  ConnectivityQuery,
  ConnectivitySchema,
  ResetListSchema,
  ResetParams,
  ResetSchema,
} from '../../modules/connectivity/connectivity.schemas.js';
import type { ConnectivityService } from '../../modules/connectivity/connectivity.service.js';
import { IccidParams } from '../../lib/schemas.js';
import { auditContext, describeAudit } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';

const TAGS = ['connectivity'];

/** /api/v1/sims/:iccid/connectivity: live status (stored as snapshots), history, resets. */
export function connectivityRoutes(connectivity: ConnectivityService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/:iccid/connectivity',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'Current connectivity from 1NCE (ONLINE, ATTACHED, OFFLINE, BLOCKED; operator, country, RAT, PDP context), stored as a snapshot',
          params: IccidParams,
          querystring: ConnectivityQuery,
          response: { 200: ConnectivitySchema, ...problemResponses(400, 401, 403, 404, 422, 429, 502, 503, 504) },
        },
      },
      async (request) => connectivity.current(request.params.iccid, { cached: request.query.cached ?? false, ctx: auditContext(request) }),
    );

    app.get(
      '/:iccid/connectivity/history',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'Stored connectivity snapshots, newest first',
          params: IccidParams,
          querystring: ConnectivityHistoryQuery,
          response: { 200: ConnectivityPageSchema, ...problemResponses(400, 401, 403, 404, 422, 429) },
        },
      },
      async (request) => connectivity.history(request.params.iccid, request.query),
    );

    app.post(
      '/:iccid/connectivity/reset',
      {
        config: { policy: 'operator' },
        schema: {
          tags: TAGS,
          summary: 'Reset the data session at 1NCE; tracked until the device re-attaches',
          params: IccidParams,
          response: { 202: ResetSchema, ...problemResponses(400, 401, 403, 404, 422, 429, 502, 503, 504) },
        },
      },
      async (request, reply) => {
        describeAudit(request, { action: 'sim.connectivity_reset', target: { type: 'sim', id: request.params.iccid } });
        const principal = request.principal;
        const userId = principal !== undefined && principal.kind !== 'streamer' ? principal.userId : null;
        const reset = await connectivity.reset(request.params.iccid, auditContext(request), userId);
        describeAudit(request, { detail: { reset_id: reset.id } });
        return reply.code(202).header('location', `${request.url.split('?')[0]}s/${reset.id}`).send(reset);
      },
    );

    app.get(
      '/:iccid/connectivity/resets',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'Recent resets of the SIM, newest first',
          params: IccidParams,
          response: { 200: ResetListSchema, ...problemResponses(400, 401, 403, 404, 422, 429) },
        },
      },
      async (request) => connectivity.listResets(request.params.iccid),
    );

    app.get(
      '/:iccid/connectivity/resets/:id',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'A reset; while requested, checks 1NCE for a re-attach first',
          params: ResetParams,
          response: { 200: ResetSchema, ...problemResponses(400, 401, 403, 404, 422, 429, 502, 503, 504) },
        },
      },
      async (request) => connectivity.getReset(request.params.iccid, request.params.id, auditContext(request)),
    );
  };
}
