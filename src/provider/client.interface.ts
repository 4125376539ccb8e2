/**
 * What the 1NCE client offers and how it is built: the typed interface every part of the platform
 * depends on (ProviderClient), its options, and the usage seam. client.ts assembles it.
 */
import type { Redis } from 'ioredis';
import type { OperationAvailability } from './availability.js';
import type { Family, FamilyLimit, Governor } from './governor.js';
import type { ProviderMetrics } from '../metrics/provider.js';
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
import type { RetryOptions } from './retry.js';
import type { ProviderLogger } from './transport.js';

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
export const STREAMER_ONLY_USAGE =
  'Usage now comes from the Data Streamer alone (configure ONCE_USAGE_V2_PATH once 1NCE confirms its v2 usage path)';

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
  listSimsPage(
    page: number,
    options?: CallOptions & { pageSize?: number },
  ): Promise<ProviderPage<ProviderSim>>;
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
  getUsage(
    iccid: string,
    range: { from: string | Date; to: string | Date },
    options?: CallOptions,
  ): Promise<ProviderUsage>;
  getDataQuota(iccid: string, options?: CallOptions): Promise<ProviderQuota>;
  getSmsQuota(iccid: string, options?: CallOptions): Promise<ProviderQuota>;
  topUp(iccid: string, options?: CallOptions & { paymentMethod?: PaymentMethod }): Promise<OrderReference>;
  topUpMany(
    iccids: string[],
    options?: CallOptions & { paymentMethod?: PaymentMethod },
  ): Promise<OrderReference>;
  sendSms(iccid: string, message: SendSmsInput, options?: CallOptions): Promise<{ id: string }>;
  listSms(
    iccid: string,
    options?: CallOptions & { page?: number; perPage?: number },
  ): Promise<ProviderPage<ProviderSms>>;
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
  setLimits(
    limits: { dataLimitId: number; smsMtLimitId: number; smsMoLimitId: number },
    options?: CallOptions,
  ): Promise<void>;
  extendSims(
    input: { iccids: string[]; productId?: number },
    options?: CallOptions & { paymentMethod?: PaymentMethod },
  ): Promise<void>;
  setAutoTopup(input: { enabled: boolean; iccids: string[] }, options?: CallOptions): Promise<void>;
}
