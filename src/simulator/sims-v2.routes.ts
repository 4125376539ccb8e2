/**
 * SIM Management v2 (reference §9): same list paging as v1, object-shaped status, SimsQuota,
 * SMS ids in the body, events as a bare array of nested objects, emnify-style errors.
 */
import type { FastifyInstance } from 'fastify';
import type { SimContext } from './context.js';
import { intParam, pageOf, queryOf, selfBase, sendEmpty, sendJson, sendV2Error } from './http.js';
import { eventNested, quotaV2, simCard, smsV2, statusV2 } from './render.js';
import { parseSimUpdate, resolveV2 } from './sim-access.js';
import { simEvents, simSms } from './sim-views.js';
import { ASYNC_DELAY_MS, listPage, parseListQuery, sortEvents } from './sims-v1.routes.js';
import { cancelSms, findSms, parseSmsBody, sendSms } from './sms.js';
import { paymentMethod, topUpSims } from './account-v1.routes.js';

type IccidParams = { Params: { iccid: string } };
type SmsParams = { Params: { iccid: string; id: string } };

const parseError = (name: string, value: string | undefined) => `Cannot parse parameter ${name} as Int: For Input String "${value ?? ''}"`;

/** Registers the v2 SIM routes. */
export function registerSimsV2Routes(api: FastifyInstance, ctx: SimContext): void {
  api.get('/v2/sims', async (request, reply) => {
    const q = queryOf(request);
    const page = intParam(q.page);
    const pageSize = intParam(q.pageSize, 100);
    if (page === null) return sendV2Error(reply, 400, parseError('page', q.page));
    if (pageSize === null) return sendV2Error(reply, 400, 'pageSize must be an integer between 1 and 100');
    const parsed = parseListQuery(q.q, q.sort);
    if (typeof parsed === 'string') return sendV2Error(reply, 400, parsed);
    const now = ctx.clock.nowMs();
    const size = pageSize ?? 10;
    const { total, indices } = listPage(ctx, parsed.filters, parsed.sort, page ?? 1, size);
    reply.headers(pageOf(total, page ?? 1, size).headers);
    return sendJson(reply, 200, indices.map((i) => simCard(ctx.state.store, i, now)));
  });

  api.get<IccidParams>('/v2/sims/:iccid', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV2(ctx, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    return sendJson(reply, 200, simCard(ctx.state.store, index, now));
  });

  api.put<IccidParams>('/v2/sims/:iccid', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV2(ctx, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const update = parseSimUpdate(request.body);
    if (typeof update === 'string') return sendV2Error(reply, 400, update);
    const { iccid: _iccid, ...change } = update;
    ctx.state.store.update(index, change, now);
    return sendEmpty(reply, 200);
  });

  api.post<IccidParams>('/v2/sims/:iccid/reset', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV2(ctx, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const store = ctx.state.store;
    store.schedule(now + ASYNC_DELAY_MS, (at) => store.reset(index, at));
    return sendEmpty(reply, 201);
  });

  for (const kind of ['data', 'sms'] as const) {
    api.get<IccidParams>(`/v2/sims/:iccid/quota/${kind}`, async (request, reply) => {
      const now = ctx.clock.nowMs();
      const index = resolveV2(ctx, reply, request.params.iccid, now);
      if (index === undefined) return reply;
      return sendJson(reply, 200, quotaV2(ctx.state.store, index, kind, now));
    });
  }

  api.get<IccidParams>('/v2/sims/:iccid/status', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV2(ctx, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    return sendJson(reply, 200, statusV2(ctx.state.store, index, now));
  });

  api.post<IccidParams>('/v2/sims/:iccid/sms', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV2(ctx, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const input = parseSmsBody(request.body);
    if (typeof input === 'string') return sendV2Error(reply, 400, input);
    const sms = sendSms(ctx, index, input, now);
    return sendJson(reply, 201, { id: String(sms.id) });
  });

  api.get<IccidParams>('/v2/sims/:iccid/sms', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV2(ctx, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const q = queryOf(request);
    const page = intParam(q.page);
    const perPage = intParam(q.per_page, 1000);
    if (page === null) return sendV2Error(reply, 400, parseError('page', q.page));
    if (perPage === null) return sendV2Error(reply, 400, parseError('per_page', q.per_page));
    const all = simSms(ctx.state.store, index, now);
    const paging = pageOf(all.length, page ?? 1, perPage ?? 20);
    const t = ctx.state.store.timeline(index);
    return sendJson(reply, 200, all.slice(paging.start, paging.end).map((s) => smsV2(t, s)));
  });

  api.get<SmsParams>('/v2/sims/:iccid/sms/:id', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV2(ctx, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const sms = findSms(ctx, index, request.params.id, now);
    if (sms === undefined) return sendV2Error(reply, 404, 'Element not found');
    return sendJson(reply, 200, smsV2(ctx.state.store.timeline(index), sms));
  });

  api.delete<SmsParams>('/v2/sims/:iccid/sms/:id', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV2(ctx, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const sms = findSms(ctx, index, request.params.id, now);
    if (sms === undefined) return sendV2Error(reply, 404, 'Element not found');
    if (!cancelSms(ctx, index, sms)) return sendV2Error(reply, 409, 'Only pending MT-SMS can be cancelled');
    return sendJson(reply, 200, { id: String(sms.record.id) });
  });

  api.get<IccidParams>('/v2/sims/:iccid/events', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV2(ctx, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const q = queryOf(request);
    const page = intParam(q.page);
    const pageSize = intParam(q.pageSize, 1000);
    if (page === null) return sendV2Error(reply, 400, parseError('page', q.page));
    if (pageSize === null) return sendV2Error(reply, 400, 'pageSize must be an integer between 1 and 1000');
    const sorted = sortEvents(simEvents(ctx.state.store, index, now), undefined);
    if (typeof sorted === 'string') return sendV2Error(reply, 400, sorted);
    const paging = pageOf(sorted.length, page ?? 1, pageSize ?? 10);
    const t = ctx.state.store.timeline(index);
    return sendJson(reply, 200, sorted.slice(paging.start, paging.end).map((e) => eventNested(t, e, ctx.organisation, false)));
  });

  api.post<IccidParams>('/v2/sims/:iccid/topup', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV2(ctx, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const method = paymentMethod(queryOf(request).payment_method);
    if (method === undefined) return sendJson(reply, 400, { message: 'Payment method used is not valid.' });
    const orderNumber = topUpSims(ctx, [index], method, now);
    // The v2 spec's example points at /v2/orders; orders themselves are only served under /v1.
    reply.header('Location', `${selfBase(request)}/v2/orders/${orderNumber}`);
    return sendEmpty(reply, 201);
  });
}
