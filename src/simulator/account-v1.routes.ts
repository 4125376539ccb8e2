/**
 * v1 account-level SIM operations: single and multiple top-up (orders), auto top-up, self-set
 * limits, extension and SIM transfer. Literal segments are registered as static routes, which
 * Fastify's router always prefers over `/v1/sims/:iccid` (reference §6 route-matching caveat).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordEffect, type SimContext } from './context.js';
import { queryOf, selfBase, sendEmpty, sendJson, sendSpringError } from './http.js';
import { LIMIT_OPTIONS, PAYMENT_METHODS, PRODUCTS } from './orders.js';
import { EXPIRED_MESSAGE, isStringArray, resolveMany, resolveV1 } from './sim-access.js';

type LimitService = keyof typeof LIMIT_OPTIONS;

/** `payment_method`: empty means banktransfer; an unknown value is refused (spec's 400 example). */
export function paymentMethod(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return 'banktransfer';
  return (PAYMENT_METHODS as readonly string[]).includes(value) ? value : undefined;
}

/** Creates a top-up order for the given SIMs and books the volume; returns the order number. */
export function topUpSims(ctx: SimContext, indices: number[], method: string, nowMs: number): number {
  const { store, account } = ctx.state;
  for (const index of indices) {
    store.topUp(index, nowMs);
    recordEffect(ctx.stats, 'topup', store.view(index).base.iccid);
  }
  const order = account.createOrder({
    type: indices.length === 1 ? 'TOPUP' : 'BULK_TOPUP',
    dateMs: nowMs,
    iccids: indices.map((i) => store.view(i).base.iccid),
    products: [{ product_id: 1101, quantity: indices.length }],
    paymentMethod: method,
  });
  return order.orderNumber;
}

/** Registers the account-level v1 routes. */
export function registerAccountV1Routes(api: FastifyInstance, ctx: SimContext): void {
  const fail = (request: FastifyRequest, reply: FastifyReply, status: number, message: string) => sendSpringError(reply, request, status, message, ctx.clock.nowMs());
  const invalidPayment = (reply: FastifyReply) => sendJson(reply, 400, { message: 'Payment method used is not valid.' });

  /** Resolves a bulk ICCID list, answering 404/422 when any is unknown or expired. */
  const resolveAll = (request: FastifyRequest, reply: FastifyReply, iccids: string[], now: number, allowExpired = false): number[] | undefined => {
    const { indices, unknown, expired } = resolveMany(ctx, iccids, now);
    if (unknown.length > 0) {
      fail(request, reply, 404, `SIM not found: ${unknown.join(', ')}`);
      return undefined;
    }
    if (expired.length > 0 && !allowExpired) {
      fail(request, reply, 422, `${EXPIRED_MESSAGE}: ${expired.join(', ')}`);
      return undefined;
    }
    return allowExpired ? [...indices, ...expired.map((i) => ctx.state.store.find(i))] : indices;
  };

  api.post('/v1/sims/topup', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const method = paymentMethod(queryOf(request).payment_method);
    if (method === undefined) return invalidPayment(reply);
    if (!isStringArray(request.body) || request.body.length === 0) return fail(request, reply, 400, 'Request body must be a non-empty JSON array of ICCIDs');
    const indices = resolveAll(request, reply, request.body, now);
    if (indices === undefined) return reply;
    const orderNumber = topUpSims(ctx, indices, method, now);
    reply.header('Location', `${selfBase(request)}/v1/orders/${orderNumber}`);
    return sendEmpty(reply, 201);
  });

  api.post<{ Params: { iccid: string } }>('/v1/sims/:iccid/topup', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV1(ctx, request, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const method = paymentMethod(queryOf(request).payment_method);
    if (method === undefined) return invalidPayment(reply);
    const orderNumber = topUpSims(ctx, [index], method, now);
    reply.header('Location', `${selfBase(request)}/v1/orders/${orderNumber}`);
    return sendEmpty(reply, 201);
  });

  api.post('/v1/sims/autoTopup', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const body = request.body as { enabled?: unknown; iccids?: unknown } | undefined;
    if (typeof body?.enabled !== 'boolean' || !isStringArray(body.iccids)) return fail(request, reply, 400, "Body must be {enabled: boolean, iccids: string[]}");
    const indices = resolveAll(request, reply, body.iccids, now);
    if (indices === undefined) return reply;
    for (const index of indices) ctx.state.store.setAutoTopup(index, body.enabled);
    return sendEmpty(reply, 201);
  });

  api.get('/v1/sims/limits', async (_request, reply) => {
    const { limits } = ctx.state.account;
    const pick = (service: LimitService) => LIMIT_OPTIONS[service].find((o) => o.id === limits[service]) ?? LIMIT_OPTIONS[service][LIMIT_OPTIONS[service].length - 1]!;
    return sendJson(reply, 200, { data: pick('data'), smsMt: pick('smsMT'), smsMo: pick('smsMO') });
  });

  api.post('/v1/sims/limits', async (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const fields: Array<[string, LimitService]> = [['dataLimitId', 'data'], ['smsMtLimitId', 'smsMT'], ['smsMoLimitId', 'smsMO']];
    for (const [field, service] of fields) {
      const value = body[field];
      if (value === undefined) continue;
      if (typeof value !== 'number' || !LIMIT_OPTIONS[service].some((o) => o.id === value)) return fail(request, reply, 400, `${field} is not a selectable ${service} limit`);
    }
    for (const [field, service] of fields) if (typeof body[field] === 'number') ctx.state.account.limits[service] = body[field];
    return sendEmpty(reply, 201);
  });

  api.get<{ Params: { service: string } }>('/v1/sims/:service/limits', async (request, reply) => {
    const service = request.params.service;
    if (service !== 'data' && service !== 'smsMO' && service !== 'smsMT') return fail(request, reply, 400, 'service must be one of data, smsMO, smsMT');
    return sendJson(reply, 200, LIMIT_OPTIONS[service]);
  });

  api.post('/v1/sims/extension', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const method = paymentMethod(queryOf(request).payment_method);
    if (method === undefined) return invalidPayment(reply);
    const body = request.body as { iccids?: unknown; productId?: unknown } | undefined;
    if (!isStringArray(body?.iccids) || body.iccids.length === 0) return fail(request, reply, 400, 'Body must be {iccids: string[], productId?: number}');
    if (body.productId !== undefined && !PRODUCTS.some((p) => p.id === body.productId)) return fail(request, reply, 400, 'Unknown productId');
    // Extension is the one operation expired SIMs still accept.
    const indices = resolveAll(request, reply, body.iccids, now, true);
    if (indices === undefined) return reply;
    for (const index of indices) ctx.state.store.extend(index, now);
    return sendEmpty(reply, 201);
  });

  api.post('/v1/sims/simTransfer', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const body = request.body as { target_organisation?: unknown; iccids?: unknown; iccid_ranges?: unknown } | undefined;
    if (typeof body?.target_organisation !== 'number') return fail(request, reply, 400, 'target_organisation is required');
    const iccids = isStringArray(body.iccids) ? [...body.iccids] : [];
    if (body.iccid_ranges !== undefined) {
      if (!Array.isArray(body.iccid_ranges)) return fail(request, reply, 400, 'iccid_ranges must be an array of {from, to}');
      for (const range of body.iccid_ranges as Array<{ from?: unknown; to?: unknown }>) {
        const from = typeof range.from === 'string' ? ctx.state.store.find(range.from) : -1;
        const to = typeof range.to === 'string' ? ctx.state.store.find(range.to) : -1;
        if (from < 0 || to < from) return fail(request, reply, 400, 'Invalid ICCID range');
        for (let i = from; i <= to; i++) if (ctx.state.store.exists(i)) iccids.push(ctx.state.fleet.sim(i).iccid);
      }
    }
    if (iccids.length === 0) return fail(request, reply, 400, 'No SIMs to transfer');
    const indices = resolveAll(request, reply, iccids, now);
    if (indices === undefined) return reply;
    ctx.state.store.transfer(indices);
    return sendEmpty(reply, 201);
  });
}
