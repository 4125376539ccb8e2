/**
 * The 1NCE Management API client: one typed interface over v2 (wherever v2 has the operation,
 * because v1 retires on 2026-12-31) and v1 (bulk update, connectivity_info, usage, multiple
 * top-up, autoTopup, limits, extension, orders, products, support). Callers never see which
 * version served them; they get normalised domain objects with the raw provider object attached.
 */
import type { Redis } from 'ioredis';
import { createOperationAvailability, type OperationAvailability } from './availability.js';
import { ProviderBadResponse, ProviderNotFound, ProviderOperationRetired } from './errors.js';
import { createGovernor, type Family, type FamilyLimit, type Governor } from './governor.js';
import {
  DecodeError,
  decodeConnectivity,
  decodeConnectivityInfo,
  decodeEvent,
  decodeIdResponse,
  decodeLimits,
  decodeList,
  decodeOrder,
  decodeProduct,
  decodeQuota,
  decodeSim,
  decodeSms,
  decodeSupportTicket,
  decodeUsage,
  idFromLocation,
  toInt,
  unwrapEvents,
} from './provider.decoders.js';
import type { ProviderMetrics } from './provider.metrics.js';
import type {
  CallOptions,
  CreateOrderInput,
  CreateSupportTicketInput,
  OrderReference,
  PaymentMethod,
  ProviderConnectivity,
  ProviderConnectivityInfo,
  ProviderEvent,
  ProviderLimits,
  ProviderOrder,
  ProviderPage,
  ProviderProduct,
  ProviderQuota,
  ProviderSim,
  ProviderSms,
  ProviderSupportTicket,
  ProviderUsage,
  SendSmsInput,
  SimUpdate,
} from './provider.types.js';
import { DEFAULT_RETRY, type RetryOptions } from './retry.js';
import { createTokenManager, type TokenManager } from './token-manager.js';
import { createTransport, type ProviderLogger, type ProviderResponse, type RequestSpec } from './transport.js';
import { walkPages } from '../lib/prefetch.js';

export interface ProviderClientOptions {
  /** e.g. `https://api.1nce.com/management-api` or the simulator's base URL. */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  /** Identifies the provider account; scopes the shared `/sims` budget (1NCE limits per customer). */
  accountKey: string;
  /** Per-attempt timeout. */
  timeoutMs: number;
  fetch?: typeof fetch;
  /** When set, the token and the rate budgets are shared across processes. */
  redis?: Redis;
  metrics: ProviderMetrics;
  logger?: ProviderLogger;
  retry?: Partial<RetryOptions>;
  /** Per-family overrides of 1NCE's documented limits. */
  limits?: Partial<Record<Family, Partial<FamilyLimit>>>;
  now?: () => number;
  /** Share one governor between the clients of several accounts (the registry does). */
  governor?: Governor;
  /** Redis key prefix (default `simfleet:provider`). */
  keyPrefix?: string;
  /** Shared record of retired operations (the registry passes one; a private one otherwise). */
  availability?: OperationAvailability;
  /** Where daily usage comes from (see UsageSourceConfig). */
  usage?: UsageSourceConfig;
}

/**
 * The usage seam. `v1`: GET /v1/sims/{iccid}/usage. `v2`: the configured v2 path (1NCE documents a
 * v2 "daily usage for a single SIM" whose path is not confirmed yet; its answer is decoded like v1's).
 * `streamer`: no polling, the Data Streamer alone. `auto` (default): v2 when a path is configured,
 * else v1 until 1NCE retires it, then the Data Streamer alone.
 */
export interface UsageSourceConfig {
  source: 'auto' | 'v1' | 'v2' | 'streamer';
  /** Path template with `{iccid}`, e.g. `/v2/sims/{iccid}/usage`; required for `v2`. */
  v2Path?: string | undefined;
}

/** What the fleet is told when polled usage is unavailable. */
export const STREAMER_ONLY_USAGE = 'Usage now comes from the Data Streamer alone (configure ONCE_USAGE_V2_PATH once 1NCE confirms its v2 usage path)';

/** Options of listings that walk every page. */
export interface ListAllOptions extends CallOptions {
  /** Page size (1-100; default 100, the maximum 1NCE allows). */
  pageSize?: number;
  /** Pages requested ahead while earlier ones are consumed (default 4); the governor still paces them. */
  concurrency?: number;
}

export interface PageOptions extends CallOptions {
  page?: number;
  pageSize?: number;
}

/** The typed 1NCE interface every part of the platform depends on. */
export interface ProviderClient {
  readonly accountKey: string;
  /** Every SIM of the account, page after page (pageSize 100, until `X-Total-Pages`). */
  listSims(options?: ListAllOptions): AsyncIterableIterator<ProviderSim>;
  listSimsPage(page: number, options?: CallOptions & { pageSize?: number }): Promise<ProviderPage<ProviderSim>>;
  getSim(iccid: string, options?: CallOptions): Promise<ProviderSim>;
  updateSim(iccid: string, update: SimUpdate, options?: CallOptions): Promise<void>;
  /** Queued asynchronously by 1NCE (201 = accepted, not applied). */
  bulkUpdateSims(updates: Array<SimUpdate & { iccid: string }>, options?: CallOptions): Promise<void>;
  getConnectivity(iccid: string, options?: CallOptions): Promise<ProviderConnectivity>;
  getConnectivityInfo(
    iccid: string,
    options?: CallOptions & { subscriber?: boolean; ussd?: boolean },
  ): Promise<ProviderConnectivityInfo>;
  resetConnectivity(iccid: string, options?: CallOptions): Promise<void>;
  /** Daily usage between two UTC days inclusive (`YYYY-MM-DD` or Date; 1NCE keeps 6 months). */
  getUsage(iccid: string, range: { from: string | Date; to: string | Date }, options?: CallOptions): Promise<ProviderUsage>;
  getDataQuota(iccid: string, options?: CallOptions): Promise<ProviderQuota>;
  getSmsQuota(iccid: string, options?: CallOptions): Promise<ProviderQuota>;
  topUp(iccid: string, options?: CallOptions & { paymentMethod?: PaymentMethod }): Promise<OrderReference>;
  topUpMany(iccids: string[], options?: CallOptions & { paymentMethod?: PaymentMethod }): Promise<OrderReference>;
  sendSms(iccid: string, message: SendSmsInput, options?: CallOptions): Promise<{ id: string }>;
  listSms(iccid: string, options?: CallOptions & { page?: number; perPage?: number }): Promise<ProviderPage<ProviderSms>>;
  getSms(iccid: string, id: string, options?: CallOptions): Promise<ProviderSms>;
  cancelSms(iccid: string, id: string, options?: CallOptions): Promise<void>;
  listEvents(iccid: string, options?: PageOptions): Promise<ProviderPage<ProviderEvent>>;
  listOrders(options?: PageOptions): Promise<ProviderPage<ProviderOrder>>;
  getOrder(orderNumber: string, options?: CallOptions): Promise<ProviderOrder>;
  createOrder(order: CreateOrderInput, options?: CallOptions): Promise<OrderReference>;
  listProducts(options?: CallOptions): Promise<ProviderProduct[]>;
  listSupportTickets(options?: PageOptions): Promise<ProviderPage<ProviderSupportTicket>>;
  createSupportTicket(ticket: CreateSupportTicketInput, options?: CallOptions): Promise<void>;
  getLimits(options?: CallOptions): Promise<ProviderLimits>;
  setLimits(limits: { dataLimitId: number; smsMtLimitId: number; smsMoLimitId: number }, options?: CallOptions): Promise<void>;
  extendSims(
    input: { iccids: string[]; productId?: number },
    options?: CallOptions & { paymentMethod?: PaymentMethod },
  ): Promise<void>;
  setAutoTopup(input: { enabled: boolean; iccids: string[] }, options?: CallOptions): Promise<void>;
}

const MAX_SIM_PAGE = 100;

function seg(value: string): string {
  return encodeURIComponent(value);
}

function day(value: string | Date): string {
  return typeof value === 'string' ? value : value.toISOString().slice(0, 10);
}

function headerInt(headers: Headers, name: string): number | null {
  return toInt(headers.get(name));
}

function clampPageSize(size: number | undefined, fallback: number, max: number): number {
  if (size === undefined || !Number.isFinite(size)) return fallback;
  return Math.min(max, Math.max(1, Math.floor(size)));
}

/** Creates a client for one provider account. */
export function createProviderClient(options: ProviderClientOptions): ProviderClient {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...options.retry };
  const keyPrefix = options.keyPrefix ?? 'simfleet:provider';
  const governor =
    options.governor ??
    createGovernor({
      ...(options.limits !== undefined && { limits: options.limits }),
      ...(options.redis !== undefined && { redis: options.redis }),
      keyPrefix,
      metrics: options.metrics,
      ...(options.logger !== undefined && { logger: options.logger }),
      ...(options.now !== undefined && { now: options.now }),
    });
  const tokens: TokenManager = createTokenManager({
    baseUrl: options.baseUrl,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    fetch: fetchImpl,
    timeoutMs: options.timeoutMs,
    governor,
    metrics: options.metrics,
    retry,
    redis: options.redis,
    keyPrefix,
    logger: options.logger,
    ...(options.now !== undefined && { now: options.now }),
  });
  const transport = createTransport({
    baseUrl: options.baseUrl,
    accountKey: options.accountKey,
    fetch: fetchImpl,
    timeoutMs: options.timeoutMs,
    governor,
    tokens,
    metrics: options.metrics,
    logger: options.logger,
    retry,
  });
  const logger = options.logger;

  const availability =
    options.availability ??
    createOperationAvailability({ metrics: options.metrics, logger: options.logger, redis: options.redis, keyPrefix, now: options.now });
  const usageSource: UsageSourceConfig = options.usage ?? { source: 'auto' };

  /**
   * Every request goes through here: a v1 operation already known to be retired for this account is
   * answered locally; a retirement signal from 1NCE is recorded once; a success lifts a stale record.
   */
  async function send(spec: RequestSpec, call?: CallOptions): Promise<ProviderResponse> {
    if (!spec.path.startsWith('/v1/')) return transport.request(spec, call);
    const retired = availability.check(options.accountKey, spec.operation);
    if (retired !== undefined) {
      throw new ProviderOperationRetired(
        { operation: spec.operation, path: retired.path, since: retired.since, ...(retired.upstreamStatus !== undefined && { upstreamStatus: retired.upstreamStatus }) },
        spec.operation === 'getUsage' ? STREAMER_ONLY_USAGE : undefined,
      );
    }
    try {
      const response = await transport.request(spec, call);
      await availability.markAvailable(options.accountKey, spec.operation);
      return response;
    } catch (error) {
      if (!(error instanceof ProviderOperationRetired)) throw error;
      const entry = await availability.markRetired({
        accountKey: options.accountKey,
        operation: spec.operation,
        path: spec.path.replace(/\/sims\/\d{10,22}(?=\/|$)/, '/sims/{iccid}'),
        upstreamStatus: (error.extensions?.upstreamStatus as number | undefined) ?? undefined,
      });
      throw new ProviderOperationRetired(
        { operation: spec.operation, path: entry.path, since: entry.since, ...(entry.upstreamStatus !== undefined && { upstreamStatus: entry.upstreamStatus }), cause: error },
        spec.operation === 'getUsage' ? STREAMER_ONLY_USAGE : undefined,
      );
    }
  }

  /** Runs a decoder, turning shape problems into ProviderBadResponse. */
  function decode<T>(operation: string, response: ProviderResponse, decoder: (body: unknown) => T): T {
    try {
      return decoder(response.body);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      throw new ProviderBadResponse({ operation, upstreamStatus: response.status, upstreamMessage: error.message, cause: error });
    }
  }

  /** GET of one resource: 1NCE answers an unknown ICCID with 200 and an empty body (observed), or 404 (spec). */
  async function getOne<T>(
    spec: Omit<RequestSpec, 'method' | 'idempotent'> & { notFound: { resource: string; id: string } },
    call: CallOptions | undefined,
    decoder: (body: unknown) => T,
  ): Promise<T> {
    const response = await send({ ...spec, method: 'GET', idempotent: true }, call);
    if (response.body === undefined) {
      throw new ProviderNotFound(spec.notFound.resource, spec.notFound.id, { operation: spec.operation, upstreamStatus: response.status });
    }
    return decode(spec.operation, response, decoder);
  }

  function page<T>(
    operation: string,
    response: ProviderResponse,
    decoder: (item: unknown) => T,
    pageNo: number,
    pageSize: number,
    unwrap: (body: unknown) => unknown = (b) => b,
  ): ProviderPage<T> {
    // An empty body on a list means an empty page.
    const body = response.body === undefined ? [] : unwrap(response.body);
    const { items, invalid } = decode(operation, { ...response, body }, (b) =>
      decodeList(b, decoder, (index, error) => logger?.warn({ operation, page: pageNo, index, reason: error.message }, 'dropped an undecodable item from 1NCE')),
    );
    return {
      items,
      page: headerInt(response.headers, 'x-current-page') ?? pageNo,
      pageSize: headerInt(response.headers, 'x-count-per-page') ?? pageSize,
      totalPages: headerInt(response.headers, 'x-total-pages'),
      totalCount: headerInt(response.headers, 'x-total-count'),
      invalid,
    };
  }

  function orderReference(response: ProviderResponse): OrderReference {
    const location = response.headers.get('location');
    return { orderNumber: idFromLocation(location), location };
  }

  async function listSimsPage(pageNo: number, call?: CallOptions & { pageSize?: number }): Promise<ProviderPage<ProviderSim>> {
    const pageSize = clampPageSize(call?.pageSize, MAX_SIM_PAGE, MAX_SIM_PAGE);
    const response = await send(
      { operation: 'listSims', family: 'sims', method: 'GET', path: '/v2/sims', query: { page: pageNo, pageSize }, idempotent: true },
      call,
    );
    return page('listSims', response, decodeSim, pageNo, pageSize);
  }

  async function* listSims(call: ListAllOptions = {}): AsyncIterableIterator<ProviderSim> {
    const pageSize = clampPageSize(call.pageSize, MAX_SIM_PAGE, MAX_SIM_PAGE);
    const concurrency = Math.max(1, Math.floor(call.concurrency ?? 4));
    for await (const page of walkPages((n, signal) => listSimsPage(n, { ...call, pageSize, signal }), { pageSize, concurrency, signal: call.signal })) yield* page.items;
  }

  return {
    accountKey: options.accountKey,
    listSims,
    listSimsPage,

    getSim: (iccid, call) =>
      getOne({ operation: 'getSim', family: 'sims', path: `/v2/sims/${seg(iccid)}`, notFound: { resource: 'sim', id: iccid } }, call, decodeSim),

    async updateSim(iccid, update, call) {
      const body: Record<string, unknown> = {};
      if (update.label !== undefined) body.label = update.label;
      if (update.status !== undefined) body.status = update.status;
      if (update.imeiLock !== undefined) body.imei_lock = update.imeiLock;
      await send(
        { operation: 'updateSim', family: 'sims', method: 'PUT', path: `/v2/sims/${seg(iccid)}`, body, idempotent: true, notFound: { resource: 'sim', id: iccid } },
        call,
      );
    },

    async bulkUpdateSims(updates, call) {
      const body = updates.map((u) => ({
        iccid: u.iccid,
        ...(u.label !== undefined && { label: u.label }),
        ...(u.status !== undefined && { status: u.status }),
        ...(u.imeiLock !== undefined && { imei_lock: u.imeiLock }),
      }));
      // Setting absolute values twice yields the same state, so the bulk update is safe to retry.
      await send({ operation: 'bulkUpdateSims', family: 'sims', method: 'POST', path: '/v1/sims', body, idempotent: true }, call);
    },

    getConnectivity: (iccid, call) =>
      getOne(
        { operation: 'getConnectivity', family: 'sims', path: `/v2/sims/${seg(iccid)}/status`, notFound: { resource: 'sim', id: iccid } },
        call,
        decodeConnectivity,
      ),

    getConnectivityInfo: (iccid, call) =>
      getOne(
        {
          operation: 'getConnectivityInfo',
          family: 'sims',
          path: `/v1/sims/${seg(iccid)}/connectivity_info`,
          query: { subscriber: call?.subscriber ?? true, ussd: call?.ussd ?? false },
          notFound: { resource: 'sim', id: iccid },
        },
        call,
        decodeConnectivityInfo,
      ),

    async resetConnectivity(iccid, call) {
      // A reset is a detach/re-attach; doing it twice is harmless, so transient failures are retried.
      await send(
        { operation: 'resetConnectivity', family: 'sims', method: 'POST', path: `/v2/sims/${seg(iccid)}/reset`, idempotent: true, notFound: { resource: 'sim', id: iccid } },
        call,
      );
    },

    async getUsage(iccid, range, call) {
      const query = { start_dt: day(range.from), end_dt: day(range.to) };
      const notFound = { resource: 'sim', id: iccid };
      const v2Path = usageSource.v2Path;
      if (usageSource.source === 'streamer' || (usageSource.source === 'v2' && v2Path === undefined)) {
        throw new ProviderOperationRetired({ operation: 'getUsage', path: 'usage polling (ONCE_USAGE_SOURCE=streamer)' }, STREAMER_ONLY_USAGE);
      }
      if (v2Path !== undefined && usageSource.source !== 'v1') {
        const path = v2Path.replace('{iccid}', seg(iccid));
        return getOne({ operation: 'getUsageV2', family: 'sims', path, query, notFound }, call, decodeUsage);
      }
      return getOne({ operation: 'getUsage', family: 'sims', path: `/v1/sims/${seg(iccid)}/usage`, query, notFound }, call, decodeUsage);
    },

    getDataQuota: (iccid, call) =>
      getOne(
        { operation: 'getDataQuota', family: 'sims', path: `/v2/sims/${seg(iccid)}/quota/data`, notFound: { resource: 'sim', id: iccid } },
        call,
        (body) => decodeQuota(body, 'data'),
      ),

    getSmsQuota: (iccid, call) =>
      getOne(
        { operation: 'getSmsQuota', family: 'sims', path: `/v2/sims/${seg(iccid)}/quota/sms`, notFound: { resource: 'sim', id: iccid } },
        call,
        (body) => decodeQuota(body, 'sms'),
      ),

    async topUp(iccid, call) {
      const response = await send(
        {
          operation: 'topUp',
          family: 'sims',
          method: 'POST',
          path: `/v2/sims/${seg(iccid)}/topup`,
          query: { payment_method: call?.paymentMethod },
          idempotent: false,
          notFound: { resource: 'sim', id: iccid },
        },
        call,
      );
      return orderReference(response);
    },

    async topUpMany(iccids, call) {
      const response = await send(
        {
          operation: 'topUpMany',
          family: 'sims',
          method: 'POST',
          path: '/v1/sims/topup',
          query: { payment_method: call?.paymentMethod },
          body: iccids,
          idempotent: false,
        },
        call,
      );
      return orderReference(response);
    },

    async sendSms(iccid, message, call) {
      const body: Record<string, unknown> = { payload: message.payload };
      if (message.sourceAddress !== undefined) body.source_address = message.sourceAddress;
      if (message.udh !== undefined) body.udh = message.udh;
      if (message.dcs !== undefined) body.dcs = message.dcs;
      if (message.sourceAddressType !== undefined) body.source_address_type = { id: message.sourceAddressType };
      if (message.expiresAt !== undefined) body.expiry_date = message.expiresAt.toISOString();
      const response = await send(
        { operation: 'sendSms', family: 'sims', method: 'POST', path: `/v2/sims/${seg(iccid)}/sms`, body, idempotent: false, notFound: { resource: 'sim', id: iccid } },
        call,
      );
      // v2 answers {"id": "..."}; v1 (and some gateways) only a Location header.
      const id = response.body !== undefined ? decode('sendSms', response, decodeIdResponse) : idFromLocation(response.headers.get('location'));
      if (id === null) {
        throw new ProviderBadResponse(
          { operation: 'sendSms', upstreamStatus: response.status, mayHaveBeenProcessed: true },
          '1NCE accepted the SMS but returned no id',
        );
      }
      return { id };
    },

    async listSms(iccid, call) {
      const pageNo = Math.max(1, Math.floor(call?.page ?? 1));
      const perPage = clampPageSize(call?.perPage, 100, 1000);
      const response = await send(
        {
          operation: 'listSms',
          family: 'sims',
          method: 'GET',
          path: `/v2/sims/${seg(iccid)}/sms`,
          query: { page: pageNo, per_page: perPage },
          idempotent: true,
          notFound: { resource: 'sim', id: iccid },
        },
        call,
      );
      return page('listSms', response, decodeSms, pageNo, perPage);
    },

    getSms: (iccid, id, call) =>
      getOne(
        { operation: 'getSms', family: 'sims', path: `/v2/sims/${seg(iccid)}/sms/${seg(id)}`, notFound: { resource: 'sms', id } },
        call,
        decodeSms,
      ),

    async cancelSms(iccid, id, call) {
      // Cancelling an already cancelled SMS changes nothing, so DELETE is retried like a GET.
      await send(
        { operation: 'cancelSms', family: 'sims', method: 'DELETE', path: `/v2/sims/${seg(iccid)}/sms/${seg(id)}`, idempotent: true, notFound: { resource: 'sms', id } },
        call,
      );
    },

    async listEvents(iccid, call) {
      const pageNo = Math.max(1, Math.floor(call?.page ?? 1));
      const pageSize = clampPageSize(call?.pageSize, 100, 1000);
      const response = await send(
        {
          operation: 'listEvents',
          family: 'sims',
          method: 'GET',
          path: `/v2/sims/${seg(iccid)}/events`,
          query: { page: pageNo, pageSize },
          idempotent: true,
          notFound: { resource: 'sim', id: iccid },
        },
        call,
      );
      return page('listEvents', response, decodeEvent, pageNo, pageSize, unwrapEvents);
    },

    async listOrders(call) {
      const pageNo = Math.max(1, Math.floor(call?.page ?? 1));
      const pageSize = clampPageSize(call?.pageSize, 10, 10);
      const response = await send(
        { operation: 'listOrders', family: 'orders', method: 'GET', path: '/v1/orders', query: { page: pageNo, pageSize }, idempotent: true },
        call,
      );
      return page('listOrders', response, decodeOrder, pageNo, pageSize);
    },

    getOrder: (orderNumber, call) =>
      getOne(
        { operation: 'getOrder', family: 'orders', path: `/v1/orders/${seg(orderNumber)}`, notFound: { resource: 'order', id: orderNumber } },
        call,
        decodeOrder,
      ),

    async createOrder(order, call) {
      const body: Record<string, unknown> = { products: order.products.map((p) => ({ productId: p.productId, quantity: p.quantity })) };
      if (order.deliveryAddress !== undefined) body.delivery_address = order.deliveryAddress;
      if (order.customerReference !== undefined) body.customer_reference = order.customerReference;
      const response = await send({ operation: 'createOrder', family: 'orders', method: 'POST', path: '/v1/orders', body, idempotent: false }, call);
      const reference = orderReference(response);
      if (reference.orderNumber === null && response.body !== undefined && typeof response.body === 'object') {
        const echoed = (response.body as { order_number?: unknown }).order_number;
        if (typeof echoed === 'string' || typeof echoed === 'number') return { orderNumber: String(echoed), location: reference.location };
      }
      return reference;
    },

    async listProducts(call) {
      const response = await send({ operation: 'listProducts', family: 'products', method: 'GET', path: '/v1/products', idempotent: true }, call);
      return page('listProducts', response, decodeProduct, 1, 0).items;
    },

    async listSupportTickets(call) {
      const pageNo = Math.max(1, Math.floor(call?.page ?? 1));
      const pageSize = clampPageSize(call?.pageSize, 100, 100);
      const response = await send(
        { operation: 'listSupportTickets', family: 'support', method: 'GET', path: '/v1/support', query: { page: pageNo, pageSize }, idempotent: true },
        call,
      );
      return page('listSupportTickets', response, decodeSupportTicket, pageNo, pageSize);
    },

    async createSupportTicket(ticket, call) {
      await send(
        {
          operation: 'createSupportTicket',
          family: 'support',
          method: 'POST',
          path: '/v1/support',
          body: { replyToMail: ticket.replyToMail, senderName: ticket.senderName, subject: ticket.subject, text: ticket.text },
          idempotent: false,
        },
        call,
      );
    },

    async getLimits(call) {
      const response = await send({ operation: 'getLimits', family: 'sims', method: 'GET', path: '/v1/sims/limits', idempotent: true }, call);
      return decode('getLimits', response, decodeLimits);
    },

    async setLimits(limits, call) {
      await send(
        {
          operation: 'setLimits',
          family: 'sims',
          method: 'POST',
          path: '/v1/sims/limits',
          body: { dataLimitId: limits.dataLimitId, smsMtLimitId: limits.smsMtLimitId, smsMoLimitId: limits.smsMoLimitId },
          // Setting the same limits twice is harmless.
          idempotent: true,
        },
        call,
      );
    },

    async extendSims(input, call) {
      await send(
        {
          operation: 'extendSims',
          family: 'sims',
          method: 'POST',
          path: '/v1/sims/extension',
          query: { payment_method: call?.paymentMethod },
          body: { iccids: input.iccids, ...(input.productId !== undefined && { productId: input.productId }) },
          idempotent: false,
        },
        call,
      );
    },

    async setAutoTopup(input, call) {
      await send(
        {
          operation: 'setAutoTopup',
          family: 'sims',
          method: 'POST',
          path: '/v1/sims/autoTopup',
          body: { enabled: input.enabled, iccids: input.iccids },
          idempotent: true,
        },
        call,
      );
    },
  };
}
