/**
 * SIM Management v1: list, get, update (single and bulk), status, connectivity_info, reset,
 * events, usage and quotas (reference §6). SMS and account-level operations live in their own files.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SimContext } from './context.js';
import { DAY_MS, parseDay } from './formats.js';
import { intParam, pageOf, queryOf, sendEmpty, sendJson, sendSpringError } from './http.js';
import { connectivityInfo, eventV1, quotaV1, simCard, statusV1, usageV1 } from './render.js';
import { isStringArray, parseSimUpdate, resolveMany, resolveV1, EXPIRED_MESSAGE } from './sim-access.js';
import { simEvents } from './sim-views.js';
import type { SimUpdate } from './sim-store.js';

type IccidParams = { Params: { iccid: string } };

/** Simulated delay before queued (asynchronous) operations take effect. */
export const ASYNC_DELAY_MS = 5_000;
/** Usage is only available for the last six months. */
const USAGE_MAX_DAYS = 183;
const USAGE_DEFAULT_DAYS = 14;

/** Parses `q` (`field:value,...`) and `sort` (`field,-field`) of the SIM list; returns an error message on bad input. */
export function parseListQuery(q: string | undefined, sort: string | undefined): { filters: Array<[string, string]>; sort: Array<[string, boolean]> } | string {
  const filters: Array<[string, string]> = [];
  for (const part of (q ?? '').split(',').filter((p) => p !== '')) {
    const at = part.indexOf(':');
    const field = at < 0 ? part : part.slice(0, at);
    if (at < 0 || (field !== 'imei' && field !== 'ip_address')) return `Invalid filter '${part}': supported fields are imei and ip_address`;
    filters.push([field, part.slice(at + 1)]);
  }
  const order: Array<[string, boolean]> = [];
  for (const part of (sort ?? '').split(',').filter((p) => p !== '')) {
    const desc = part.startsWith('-');
    const field = desc ? part.slice(1) : part;
    if (field !== 'imei' && field !== 'ip_address') return `Invalid sort field '${field}': supported fields are imei and ip_address`;
    order.push([field, desc]);
  }
  return { filters, sort: order };
}

/** Indices of one page of the SIM list; avoids touching the whole fleet unless a filter or IMEI sort needs it. */
export function listPage(ctx: SimContext, filters: Array<[string, string]>, sort: Array<[string, boolean]>, page: number, pageSize: number): { total: number; indices: number[] } {
  const { store, fleet } = ctx.state;
  const primary = sort[0];
  if (filters.length === 0 && (primary === undefined || primary[0] === 'ip_address')) {
    // IPs grow with the index, so IP order is index order: page straight into the fleet.
    const total = store.presentCount();
    const { start, end } = pageOf(total, page, pageSize);
    const desc = primary?.[1] === true;
    const indices: number[] = [];
    for (let k = start; k < end; k++) indices.push(store.presentAt(desc ? total - 1 - k : k));
    return { total, indices };
  }
  let candidates: number[];
  const ip = filters.find(([f]) => f === 'ip_address')?.[1];
  if (ip !== undefined) {
    const index = fleet.indexOfIp(ip);
    candidates = index >= 0 && store.exists(index) ? [index] : [];
  } else if (primary?.[0] === 'imei') {
    candidates = Array.from(fleet.imeiOrder()).filter((i) => store.exists(i));
    if (primary[1]) candidates.reverse();
  } else {
    candidates = [];
    for (let i = 0; i < fleet.size; i++) if (store.exists(i)) candidates.push(i);
    if (primary?.[1] === true) candidates.reverse();
  }
  for (const [field, value] of filters) {
    if (field === 'imei') candidates = candidates.filter((i) => fleet.imeiOf(i) === value);
  }
  const { start, end } = pageOf(candidates.length, page, pageSize);
  return { total: candidates.length, indices: candidates.slice(start, end) };
}

/** Registers the v1 SIM routes on the `/management-api` scope. */
export function registerSimsV1Routes(api: FastifyInstance, ctx: SimContext): void {
  const badRequest = (request: FastifyRequest, reply: FastifyReply, message: string) => sendSpringError(reply, request, 400, message, ctx.clock.nowMs());

  api.get('/v1/sims', async (request, reply) => {
    const q = queryOf(request);
    const page = intParam(q.page);
    const pageSize = intParam(q.pageSize, 100);
    if (page === null) return badRequest(request, reply, 'page must be a positive integer');
    if (pageSize === null) return badRequest(request, reply, 'pageSize must be an integer between 1 and 100');
    const parsed = parseListQuery(q.q, q.sort);
    if (typeof parsed === 'string') return badRequest(request, reply, parsed);
    const now = ctx.clock.nowMs();
    const size = pageSize ?? 10;
    const { total, indices } = listPage(ctx, parsed.filters, parsed.sort, page ?? 1, size);
    reply.headers(pageOf(total, page ?? 1, size).headers);
    return sendJson(reply, 200, indices.map((i) => simCard(ctx.state.store, i, now)));
  });

  api.post('/v1/sims', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const body = request.body;
    if (!Array.isArray(body)) return badRequest(request, reply, 'Request body must be a JSON array of SIM updates');
    const updates: Array<SimUpdate & { iccid: string }> = [];
    for (const item of body as unknown[]) {
      const update = parseSimUpdate(item);
      if (typeof update === 'string') return badRequest(request, reply, update);
      if (update.iccid === undefined) return badRequest(request, reply, 'Every update needs an iccid');
      updates.push({ ...update, iccid: update.iccid });
    }
    const { indices, unknown, expired } = resolveMany(ctx, updates.map((u) => u.iccid), now);
    if (expired.length > 0) return sendSpringError(reply, request, 422, `${EXPIRED_MESSAGE}: ${expired.join(', ')}`, now);
    if (unknown.length > 0) return sendSpringError(reply, request, 404, `SIM not found: ${unknown.join(', ')}`, now);
    const store = ctx.state.store;
    // 1NCE queues bulk updates: 201 means accepted, the change lands a little later.
    store.schedule(now + ASYNC_DELAY_MS, (at) => {
      updates.forEach((u, k) => {
        const { iccid: _iccid, ...change } = u;
        store.update(indices[k]!, change, at);
      });
    });
    return sendEmpty(reply, 201);
  });

  api.get<IccidParams>('/v1/sims/:iccid', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV1(ctx, request, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    return sendJson(reply, 200, simCard(ctx.state.store, index, now));
  });

  api.put<IccidParams>('/v1/sims/:iccid', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV1(ctx, request, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const update = parseSimUpdate(request.body);
    if (typeof update === 'string') return badRequest(request, reply, update);
    const { iccid: _iccid, ...change } = update;
    ctx.state.store.update(index, change, now);
    return sendEmpty(reply, 200);
  });

  api.get<IccidParams>('/v1/sims/:iccid/status', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV1(ctx, request, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    return sendJson(reply, 200, statusV1(ctx.state.store, index, now, ctx.mode));
  });

  api.get<IccidParams>('/v1/sims/:iccid/connectivity_info', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV1(ctx, request, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const q = queryOf(request);
    return sendJson(reply, 200, connectivityInfo(ctx.state.store, index, now, q.subscriber !== 'false', q.ussd === 'true'));
  });

  api.post<IccidParams>('/v1/sims/:iccid/reset', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV1(ctx, request, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const store = ctx.state.store;
    store.schedule(now + ASYNC_DELAY_MS, (at) => store.reset(index, at));
    return sendEmpty(reply, 201);
  });

  api.get<IccidParams>('/v1/sims/:iccid/events', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV1(ctx, request, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const q = queryOf(request);
    const page = intParam(q.page);
    const pageSize = intParam(q.pageSize, 1000);
    if (page === null) return badRequest(request, reply, 'page must be a positive integer');
    if (pageSize === null) return badRequest(request, reply, 'pageSize must be an integer between 1 and 1000');
    const sorted = sortEvents(simEvents(ctx.state.store, index, now), q.sort);
    if (typeof sorted === 'string') return badRequest(request, reply, sorted);
    const size = pageSize ?? 10;
    const paging = pageOf(sorted.length, page ?? 1, size);
    const t = ctx.state.store.timeline(index);
    reply.headers(paging.headers);
    return sendJson(reply, 200, {
      events: sorted.slice(paging.start, paging.end).map((e) => eventV1(t, e)),
      totalEvents: sorted.length,
      totalPages: Number(paging.headers['X-Total-Pages']),
    });
  });

  api.get<IccidParams>('/v1/sims/:iccid/usage', async (request, reply) => {
    const now = ctx.clock.nowMs();
    const index = resolveV1(ctx, request, reply, request.params.iccid, now);
    if (index === undefined) return reply;
    const q = queryOf(request);
    const today = Math.floor(now / DAY_MS);
    const start = q.start_dt === undefined ? today - (USAGE_DEFAULT_DAYS - 1) : parseDay(q.start_dt);
    const end = q.end_dt === undefined ? today : parseDay(q.end_dt);
    // Nonsense dates are not an error at 1NCE: they yield only the TOTAL row.
    const first = start === undefined ? 1 : Math.max(start, today - USAGE_MAX_DAYS);
    const last = end === undefined ? 0 : Math.min(end, today);
    return sendJson(reply, 200, usageV1(ctx.state.store, index, first, last, now));
  });

  for (const kind of ['data', 'sms'] as const) {
    api.get<IccidParams>(`/v1/sims/:iccid/quota/${kind}`, async (request, reply) => {
      const now = ctx.clock.nowMs();
      const index = resolveV1(ctx, request, reply, request.params.iccid, now);
      if (index === undefined) return reply;
      return sendJson(reply, 200, quotaV1(ctx.state.store, index, kind, now, ctx.mode));
    });
  }
}

/** Sorts events by `sort` (`timestamp`, `id`, `-` for descending); default newest first. */
export function sortEvents<T extends { ms: number; id: number }>(events: T[], sort: string | undefined): T[] | string {
  const keys = (sort ?? '-timestamp').split(',').filter((k) => k !== '');
  for (const key of keys) {
    const field = key.replace(/^-/, '');
    if (field !== 'timestamp' && field !== 'id') return `Invalid sort field '${field}': supported fields are timestamp and id`;
  }
  return [...events].sort((a, b) => {
    for (const key of keys) {
      const desc = key.startsWith('-');
      const field = key.replace(/^-/, '');
      const diff = field === 'id' ? a.id - b.id : a.ms - b.ms;
      if (diff !== 0) return desc ? -diff : diff;
    }
    return 0;
  });
}

/** Exposed for the account routes: a non-empty array of ICCID strings. */
export function isIccidList(value: unknown): value is string[] {
  return isStringArray(value) && value.length > 0;
}
