/**
 * v1 SMS: send (201, empty body, id only in `Location`), list, get, cancel (reference §6.1, §7.6).
 */
import type { FastifyInstance } from 'fastify';
import type { SimContext } from './context.js';
import { intParam, pageOf, queryOf, selfBase, sendEmpty, sendJson, sendSpringError } from './http.js';
import { smsV1 } from './render.js';
import { resolveV1 } from './sim-access.js';
import { simSms } from './sim-views.js';
import { cancelSms, findSms, parseSmsBody, sendSms } from './sms.js';

/** The internal host 1NCE leaks in the SMS `Location` header (observed fidelity). */
const OBSERVED_SMS_HOST = 'https://bss-global.api.1nce.com/internal-global-api';

/** Registers the v1 SMS routes. */
export function registerSmsV1Routes(api: FastifyInstance, ctx: SimContext): void {
  api.post<{ Params: { iccid: string } }>('/v1/sims/:iccid/sms', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV1(ctx, request, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const input = parseSmsBody(request.body);
    if (typeof input === 'string') return sendSpringError(reply, request, 400, input, now);
    const sms = sendSms(ctx, index, input, now);
    const iccid = ctx.state.store.view(index).base.iccid;
    const host = ctx.mode === 'observed' ? OBSERVED_SMS_HOST : selfBase(request);
    reply.header('Location', `${host}/v1/sims/${iccid}/sms/${sms.id}`);
    return sendEmpty(reply, 201);
  });

  api.get<{ Params: { iccid: string } }>('/v1/sims/:iccid/sms', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV1(ctx, request, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const q = queryOf(request);
    const page = intParam(q.page);
    const pageSize = intParam(q.pageSize, 100);
    if (page === null) return sendSpringError(reply, request, 400, 'page must be a positive integer', now);
    if (pageSize === null) return sendSpringError(reply, request, 400, 'pageSize must be an integer between 1 and 100', now);
    const all = simSms(ctx.state.store, index, now);
    if (q.sort !== undefined && /(^|,)id($|,)/.test(q.sort)) all.sort((a, b) => a.record.id - b.record.id);
    const size = pageSize ?? 10;
    const paging = pageOf(all.length, page ?? 1, size);
    const t = ctx.state.store.timeline(index);
    reply.headers(paging.headers);
    return sendJson(reply, 200, all.slice(paging.start, paging.end).map((s) => smsV1(t, s)));
  });

  api.get<{ Params: { iccid: string; id: string } }>('/v1/sims/:iccid/sms/:id', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV1(ctx, request, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const sms = findSms(ctx, index, request.params.id, now);
    if (sms === undefined) return sendSpringError(reply, request, 404, 'SMS not found.', now);
    return sendJson(reply, 200, smsV1(ctx.state.store.timeline(index), sms));
  });

  api.delete<{ Params: { iccid: string; id: string } }>('/v1/sims/:iccid/sms/:id', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV1(ctx, request, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const sms = findSms(ctx, index, request.params.id, now);
    if (sms === undefined) return sendSpringError(reply, request, 404, 'SMS not found.', now);
    if (!cancelSms(ctx, index, sms)) return sendSpringError(reply, request, 400, 'Only buffered MT-SMS can be cancelled.', now);
    return sendEmpty(reply, 200);
  });
}
