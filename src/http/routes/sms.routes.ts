import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SmsService } from '../../modules/sms/sms.service.js';
import { IccidParams } from '../../lib/schemas.js';
import { ListSmsQuery, SendSmsBody, SentSmsSchema, SmsIdParams, SmsPageSchema, SmsSchema, SmsSyncSchema } from '../../modules/sms/sms.schemas.js';
import { auditContext, describeAudit } from '../auth/request-context.js';
import { problemResponses } from '../problem.js';

const PROVIDER_ERRORS = [502, 503, 504] as const;

/** /api/v1/sims/{iccid}/sms: send, list, read, cancel and refresh SMS of one SIM. */
export function smsRoutes(sms: SmsService): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/:iccid/sms',
      {
        config: { policy: 'operator' },
        schema: {
          tags: ['sms'],
          summary: 'Send an MT-SMS (GSM-7 up to 160 / UCS-2 up to 70 characters per SMS; longer texts go as concatenated parts)',
          params: IccidParams,
          body: SendSmsBody,
          response: { 201: SentSmsSchema, ...problemResponses(400, 401, 403, 404, 415, 422, 429, ...PROVIDER_ERRORS) },
        },
      },
      async (request, reply) => {
        describeAudit(request, { action: 'sms.send_request', target: { type: 'sim', id: request.params.iccid } });
        const { message, source_address, expiry_date } = request.body;
        const sent = await sms.send(
          request.params.iccid,
          { message, sourceAddress: source_address, expiresAt: expiry_date === undefined ? undefined : new Date(expiry_date) },
          auditContext(request),
        );
        describeAudit(request, { after: { message_group: sent.message_group, parts: sent.part_total, status: sent.status } });
        return reply.code(201).send(sent);
      },
    );

    app.get(
      '/:iccid/sms',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['sms'],
          summary: 'Stored MT and MO messages of a SIM (kept beyond 1NCE’s 7 days), newest first',
          params: IccidParams,
          querystring: ListSmsQuery,
          response: { 200: SmsPageSchema, ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request) => {
        const { direction, status, from, to, page = 1, page_size = 50 } = request.query;
        return sms.list(
          request.params.iccid,
          { direction, status, from: from === undefined ? undefined : new Date(from), to: to === undefined ? undefined : new Date(to) },
          page,
          page_size,
        );
      },
    );

    app.post(
      '/:iccid/sms/sync',
      {
        config: { policy: 'operator' },
        schema: {
          tags: ['sms'],
          summary: 'Refresh the SIM’s SMS from 1NCE: delivery states of sent parts, new MO messages',
          params: IccidParams,
          response: { 200: SmsSyncSchema, ...problemResponses(400, 401, 403, 404, 429, ...PROVIDER_ERRORS) },
        },
      },
      async (request) => sms.sync(request.params.iccid),
    );

    app.get(
      '/:iccid/sms/:id',
      {
        config: { policy: 'viewer' },
        schema: {
          tags: ['sms'],
          summary: 'One stored SMS; a message still pending at 1NCE is refreshed first',
          params: SmsIdParams,
          response: { 200: SmsSchema, ...problemResponses(400, 401, 403, 404, 429) },
        },
      },
      async (request) => sms.get(request.params.iccid, request.params.id),
    );

    app.delete(
      '/:iccid/sms/:id',
      {
        config: { policy: 'operator' },
        schema: {
          tags: ['sms'],
          summary: 'Cancel a buffered MT-SMS (all still-open parts of its message) at 1NCE',
          params: SmsIdParams,
          response: {
            200: Type.Object({ items: Type.Array(SmsSchema, { description: 'The parts now CANCELLED' }) }),
            ...problemResponses(400, 401, 403, 404, 409, 429, ...PROVIDER_ERRORS),
          },
        },
      },
      async (request) => {
        describeAudit(request, { action: 'sms.cancel_request', target: { type: 'sim', id: request.params.iccid } });
        return { items: await sms.cancel(request.params.iccid, request.params.id, auditContext(request)) };
      },
    );
  };
}
