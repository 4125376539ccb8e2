import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { EventPageSchema, EventsQuery, EventSyncResultSchema } from '../../modules/events/events.schemas.js';
import type { EventsService } from '../../modules/events/events.service.js';
import { IccidParams } from '../../lib/schemas.js';
import { auditContext, describeAudit } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';

const TAGS = ['events'];

/** /api/v1/sims/:iccid/events: stored SIM events, and their sync from 1NCE. */
export function eventsRoutes(events: EventsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/:iccid/events',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: TAGS,
          summary: 'Events of a SIM by type, severity and time, newest first',
          params: IccidParams,
          querystring: EventsQuery,
          response: { 200: EventPageSchema, ...problemResponses(400, 401, 403, 404, 422, 429, 502, 503, 504) },
        },
      },
      async (request) => events.list(request.params.iccid, request.query, auditContext(request)),
    );

    app.post(
      '/:iccid/events/sync',
      {
        config: { policy: 'operator' },
        schema: {
          tags: TAGS,
          summary: 'Fetch the events 1NCE holds for the SIM and store new ones',
          params: IccidParams,
          response: { 200: EventSyncResultSchema, ...problemResponses(400, 401, 403, 404, 422, 429, 502, 503, 504) },
        },
      },
      async (request) => {
        describeAudit(request, { action: 'sim.events_sync', target: { type: 'sim', id: request.params.iccid } });
        return events.sync(request.params.iccid, auditContext(request));
      },
    );
  };
}
