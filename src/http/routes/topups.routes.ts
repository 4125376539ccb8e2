import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { TopupsService } from '../../modules/topups/topups.service.js';
import { parseIdempotencyKey } from '../../modules/topups/idempotency.js';
import { IccidParams } from '../../lib/schemas.js';
import { TopupBody, TopupHeaders, TopupSchema } from '../../modules/topups/topups.schemas.js';
import { auditContext, describeAudit } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';


/** /api/v1/sims/{iccid}/topup: one top-up, recorded as an order, safe to retry with Idempotency-Key. */
export function topupsRoutes(topups: TopupsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/:iccid/topup',
      {
        config: { policy: 'operator' },
        // 1NCE's own top-up takes no body; ours may be sent without one too (all fields are optional).
        preValidation: async (request) => {
          request.body ??= {};
        },
        schema: {
          tags: ['orders'],
          summary: 'Top up a SIM (a real, invoiced 1NCE order). Send an Idempotency-Key so a retry never books twice',
          description:
            'Same key and same request: the stored answer is returned (header `Idempotent-Replayed: true`) without calling 1NCE. ' +
            'Same key, different request: 422 `idempotency_key_reused`. Same key while the first is still running: 409 `idempotency_in_progress`. ' +
            'If 1NCE may have booked it but did not confirm: 502 `topup_outcome_unknown` (stored, replayed, never retried).',
          params: IccidParams,
          headers: TopupHeaders,
          body: TopupBody,
          response: { 201: TopupSchema, ...problemResponses(400, 401, 403, 404, 409, 415, 422, 429, 502, 503, 504) },
        },
      },
      async (request, reply) => {
        const key = parseIdempotencyKey(request.headers['idempotency-key']);
        describeAudit(request, { action: 'sim.topup_request', target: { type: 'sim', id: request.params.iccid }, detail: { idempotency_key: key ?? null } });
        const result = await topups.topUp(request.params.iccid, { paymentMethod: request.body.payment_method }, auditContext(request), key);
        if (result.replayed) reply.header('idempotent-replayed', 'true');
        return reply.code(201).send(result.body);
      },
    );
  };
}
