import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { IdParams, RuleCreateBody, RulePatchBody, RuleSchema } from '../../modules/alerts/alerts.schemas.js';
import type { AlertsService } from '../../modules/alerts/alerts.service.js';
import { requireUser } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';

const TAGS = ['alerts'];

/** /api/v1/alert-rules: thresholds and auto top-up rules (viewers read; admins write, since rules can spend money). */
export function alertRulesRoutes(alerts: AlertsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/',
      {
        config: { policy: 'viewer' },
        schema: { tags: TAGS, summary: 'List alert rules', response: { 200: Type.Object({ items: Type.Array(RuleSchema) }), ...problemResponses(401, 403, 429) } },
      },
      async () => ({ items: await alerts.listRules() }),
    );

    app.get(
      '/:id',
      {
        config: { policy: 'viewer' },
        schema: { tags: TAGS, summary: 'One alert rule', params: IdParams, response: { 200: RuleSchema, ...problemResponses(400, 401, 403, 404, 429) } },
      },
      async (request) => alerts.getRule(request.params.id),
    );

    app.post(
      '/',
      {
        config: { policy: 'admin' },
        schema: { tags: TAGS, summary: 'Create an alert rule', body: RuleCreateBody, response: { 201: RuleSchema, ...problemResponses(400, 401, 403, 429) } },
      },
      async (request, reply) => {
        const b = request.body;
        const rule = await alerts.createRule(
          {
            name: b.name,
            description: b.description ?? null,
            enabled: b.enabled ?? true,
            scope: b.scope ?? 'global',
            scope_value: b.scope_value ?? null,
            metric: b.metric,
            thresholds: b.thresholds,
            hysteresis: b.hysteresis ?? 5,
            severity: b.severity ?? 'warning',
            auto_topup: b.auto_topup ?? false,
            auto_topup_max_per_period: b.auto_topup_max_per_period ?? null,
            auto_topup_period: b.auto_topup_period ?? null,
            params: b.params ?? {},
            auto_action: b.auto_action ?? null,
            auto_action_dry_run: b.auto_action_dry_run ?? true,
            auto_action_max_per_period: b.auto_action_max_per_period ?? null,
            auto_action_period: b.auto_action_period ?? null,
          },
          requireUser(request).userId,
        );
        return reply.code(201).send(rule);
      },
    );

    app.patch(
      '/:id',
      {
        config: { policy: 'admin' },
        schema: { tags: TAGS, summary: 'Change an alert rule', params: IdParams, body: RulePatchBody, response: { 200: RuleSchema, ...problemResponses(400, 401, 403, 404, 429) } },
      },
      async (request) => alerts.updateRule(request.params.id, request.body),
    );

    app.delete(
      '/:id',
      {
        config: { policy: 'admin' },
        schema: { tags: TAGS, summary: 'Delete an alert rule (its alerts stay, unlinked)', params: IdParams, response: { 204: Type.Null(), ...problemResponses(400, 401, 403, 404, 429) } },
      },
      async (request, reply) => {
        await alerts.deleteRule(request.params.id);
        return reply.code(204).send(null);
      },
    );
  };
}
