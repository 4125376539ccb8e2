/**
 * The 1NCE Management API client: one typed interface over v2 (wherever v2 has the operation,
 * because v1 retires on 2026-12-31) and v1 (bulk update, connectivity_info, usage, multiple
 * top-up, autoTopup, limits, extension, orders, products, support). Callers never see which
 * version served them; they get normalised domain objects with the raw provider object attached.
 *
 * This file assembles one account's client: the governor (rate budgets), the token manager, the
 * transport and the record of retired operations, then the operations over them:
 *   client.interface.ts  the ProviderClient interface and its options
 *   requests.ts          send / decode / getOne / page: how a call becomes a request and back
 *   paging.ts            page sizes, page decoding, the prefetching walk over every page
 *   client.sims.ts       SIMs, connectivity, usage, quotas
 *   client.messages.ts   SMS and events
 *   client.commerce.ts   top-ups, orders, products, support, limits, extension, auto top-up
 */
import { createOperationAvailability } from './availability.js';
import type { ProviderClient, ProviderClientOptions, UsageSourceConfig } from './client.interface.js';
import { commerceOperations } from './client.commerce.js';
import { messageOperations } from './client.messages.js';
import { simOperations } from './client.sims.js';
import { createGovernor } from './governor.js';
import { createRequests } from './requests.js';
import { DEFAULT_RETRY, type RetryOptions } from './retry.js';
import { createTokenManager, type TokenManager } from './token-manager.js';
import { createTransport } from './transport.js';

export {
  STREAMER_ONLY_USAGE,
  type ListAllOptions,
  type PageOptions,
  type ProviderClient,
  type ProviderClientOptions,
  type UsageSourceConfig,
} from './client.interface.js';

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
  const availability =
    options.availability ??
    createOperationAvailability({
      metrics: options.metrics,
      logger: options.logger,
      redis: options.redis,
      keyPrefix,
      now: options.now,
    });
  const usageSource: UsageSourceConfig = options.usage ?? { source: 'auto' };
  const requests = createRequests({
    accountKey: options.accountKey,
    transport,
    availability,
    logger: options.logger,
  });

  return {
    accountKey: options.accountKey,
    ...simOperations(requests, usageSource),
    ...messageOperations(requests),
    ...commerceOperations(requests),
  };
}
