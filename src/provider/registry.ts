/**
 * One client per provider account. Accounts come from the `provider_accounts` table through a
 * loader; clients are cached per account and rebuilt when the account's URL or credentials
 * change. All clients share one governor, so per-IP budgets (oauth, orders, products, support)
 * are counted once for the installation while `/sims` budgets stay per account.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { NotFound } from '../errors.js';
import { createOperationAvailability, type OperationAvailability } from './availability.js';
import { createProviderClient, type ProviderClient, type UsageSourceConfig } from './client.js';
import { createGovernor, type Family, type FamilyLimit, type Governor } from './governor.js';
import type { ProviderMetrics } from '../metrics/provider.js';
import type { RetryOptions } from './retry.js';
import type { ProviderLogger } from './transport.js';

/** The fields of a `provider_accounts` row the client needs. */
export interface ProviderAccount {
  id: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
}

export interface ProviderRegistryOptions {
  /** Loads an account by id; null when it does not exist. */
  loadAccount: (accountId: string) => Promise<ProviderAccount | null>;
  timeoutMs: number;
  metrics: ProviderMetrics;
  fetch?: typeof fetch;
  redis?: Redis;
  /** Processes sharing `redis`: while it is down each uses 1 / peers of every budget. */
  peers?: () => number;
  logger?: ProviderLogger;
  retry?: Partial<RetryOptions>;
  limits?: Partial<Record<Family, Partial<FamilyLimit>>>;
  now?: () => number;
  keyPrefix?: string;
  /** How long a loaded account is trusted before it is re-read (default 60 s), to pick up rotated secrets. */
  accountTtlMs?: number;
  /** Where daily usage comes from (ONCE_USAGE_SOURCE / ONCE_USAGE_V2_PATH). */
  usage?: UsageSourceConfig;
}

export interface ProviderRegistry {
  /** The client of `accountId`; throws NotFound('provider_account') for an unknown id. */
  get(accountId: string): Promise<ProviderClient>;
  /** Drops the cached client (after the account was edited or deleted). */
  invalidate(accountId: string): void;
  readonly governor: Governor;
  /** Which 1NCE operations are retired for which account (shared by every client). */
  readonly availability: OperationAvailability;
  /** The configured usage source. */
  readonly usage: UsageSourceConfig;
}

interface Entry {
  fingerprint: string;
  client: ProviderClient;
  loadedAt: number;
}

function fingerprintOf(account: ProviderAccount): string {
  return createHash('sha256').update(`${account.apiUrl}\n${account.clientId}\n${account.clientSecret}`).digest('hex');
}

/** Creates the per-account client registry. */
export function createProviderRegistry(options: ProviderRegistryOptions): ProviderRegistry {
  const now = options.now ?? Date.now;
  const ttlMs = options.accountTtlMs ?? 60_000;
  const governor = createGovernor({
    ...(options.limits !== undefined && { limits: options.limits }),
    ...(options.redis !== undefined && { redis: options.redis }),
    ...(options.peers !== undefined && { peers: options.peers }),
    ...(options.keyPrefix !== undefined && { keyPrefix: options.keyPrefix }),
    metrics: options.metrics,
    ...(options.logger !== undefined && { logger: options.logger }),
    ...(options.now !== undefined && { now: options.now }),
  });
  const availability = createOperationAvailability({
    metrics: options.metrics,
    logger: options.logger,
    redis: options.redis,
    keyPrefix: options.keyPrefix,
    now: options.now,
  });
  const usage: UsageSourceConfig = options.usage ?? { source: 'auto' };
  const entries = new Map<string, Entry>();
  const loading = new Map<string, Promise<ProviderClient>>();

  async function load(accountId: string): Promise<ProviderClient> {
    const account = await options.loadAccount(accountId);
    if (account === null) {
      entries.delete(accountId);
      throw new NotFound('provider_account', accountId);
    }
    const fingerprint = fingerprintOf(account);
    const existing = entries.get(accountId);
    if (existing !== undefined && existing.fingerprint === fingerprint) {
      existing.loadedAt = now();
      return existing.client;
    }
    const client = createProviderClient({
      baseUrl: account.apiUrl,
      clientId: account.clientId,
      clientSecret: account.clientSecret,
      accountKey: account.id,
      timeoutMs: options.timeoutMs,
      metrics: options.metrics,
      governor,
      availability,
      usage,
      ...(options.fetch !== undefined && { fetch: options.fetch }),
      ...(options.redis !== undefined && { redis: options.redis }),
      ...(options.logger !== undefined && { logger: options.logger }),
      ...(options.retry !== undefined && { retry: options.retry }),
      ...(options.now !== undefined && { now: options.now }),
      ...(options.keyPrefix !== undefined && { keyPrefix: options.keyPrefix }),
    });
    entries.set(accountId, { fingerprint, client, loadedAt: now() });
    return client;
  }

  return {
    governor,
    availability,
    usage,
    async get(accountId) {
      const entry = entries.get(accountId);
      if (entry !== undefined && now() - entry.loadedAt < ttlMs) return entry.client;
      let pending = loading.get(accountId);
      if (pending === undefined) {
        pending = load(accountId).finally(() => loading.delete(accountId));
        loading.set(accountId, pending);
      }
      return pending;
    },
    invalidate(accountId) {
      entries.delete(accountId);
    },
  };
}
