import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AlertSchema, AlertsPageSchema, AlertsQuery, IdParams } from '../../modules/alerts/alerts.schemas.js';
import type { AlertsService } from '../../modules/alerts/alerts.service.js';
import { requireUser } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';

const TAGS = ['alerts'];

/** /api/v1/alerts: raised alerts (viewers read; operators acknowledge and resolve). */
export function alertsRoutes(alerts: AlertsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/',
      {
        config: { policy: 'viewer' },
        schema: { tags: TAGS, summary: 'List alerts, newest first', querystring: AlertsQuery, response: { 200: AlertsPageSchema, ...problemResponses(400, 401, 403, 429) } },
      },
      async (request) => {
        const q = request.query;
        return alerts.listAlerts({ state: q.state, severity: q.severity, metric: q.metric, iccid: q.iccid, ruleId: q.rule_id }, q.page ?? 1, q.page_size ?? 50);
      },
    );

    app.get(
      '/:id',
      {
        config: { policy: 'viewer' },
        schema: { tags: TAGS, summary: 'One alert', params: IdParams, response: { 200: AlertSchema, ...problemResponses(400, 401, 403, 404, 429) } },
      },
      async (request) => alerts.getAlert(request.params.id),
    );

    app.post(
      '/:id/acknowledge',
      {
        config: { policy: 'operator' },
        schema: { tags: TAGS, summary: 'Acknowledge an open alert', params: IdParams, response: { 200: AlertSchema, ...problemResponses(400, 401, 403, 404, 409, 429) } },
      },
      async (request) => alerts.acknowledge(request.params.id, requireUser(request).userId),
    );

    app.post(
      '/:id/resolve',
      {
        config: { policy: 'operator' },
        schema: {
          tags: TAGS,
          summary: 'Resolve an alert (the rule stays quiet for this SIM until the value clears the hysteresis band)',
          params: IdParams,
          response: { 200: AlertSchema, ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request) => alerts.resolve(request.params.id),
    );
  };
}
