import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FleetService } from '../../modules/fleet/fleet.service.js';
import { FleetSummarySchema, OperatorsQuery, OperatorsSchema } from '../../modules/fleet/fleet.schemas.js';
import { problemResponses } from '../problem.js';


/** /api/v1/fleet: fleet-wide aggregates for the console's dashboard (any role). */
export function fleetRoutes(fleet: FleetService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/summary',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['fleet'],
          summary: 'Fleet at a glance: SIM counts, networks, usage, quotas, alerts, events, sync and system health',
          description:
            'A few aggregate queries over the whole fleet (fast at 100,000 SIMs), cached for 5 seconds for every caller. ' +
            'Counts match the corresponding list filters (e.g. `quota.near_quota` = `GET /sims?quota_below=20`). 503 when the database does not answer.',
          response: { 200: FleetSummarySchema, ...problemResponses(401, 403, 429, 503) },
        },
      },
      async () => fleet.summary(),
    );

    app.get(
      '/operators',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['fleet'],
          summary: 'SIMs per network operator and country (from each SIM’s latest connectivity snapshot naming one), largest first',
          querystring: OperatorsQuery,
          response: { 200: OperatorsSchema, ...problemResponses(400, 401, 403, 429) },
        },
      },
      async (request) => fleet.operators(request.query.limit ?? 200),
    );
  };
}
