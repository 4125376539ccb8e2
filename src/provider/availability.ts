/**
 * Which 1NCE operations are gone for which account. 1NCE retires Management API v1 on 2026-12-31;
 * when a v1 path answers that it is gone, the client records it here once and every later call of
 * that operation for that account is answered locally (no request, no retry storm) until a daily
 * re-check finds it back. With Redis the record is shared, so every replica reports the same state.
 */
import type { Redis } from 'ioredis';
import type { Gauge, Counter } from 'prom-client';
import type { ProviderLogger } from './transport.js';

/** One retired operation of one provider account. */
export interface RetiredOperation {
  accountKey: string;
  operation: string;
  path: string;
  upstreamStatus: number | undefined;
  /** When it was first seen gone (ISO 8601). */
  since: string;
  /** When 1NCE last confirmed it gone (ISO 8601). */
  checkedAt: string;
}

export interface OperationAvailability {
  /** The retirement of `operation` for `accountKey`, or undefined when it may be called. */
  check(accountKey: string, operation: string): RetiredOperation | undefined;
  /** Records that 1NCE said the operation is gone (logs once per account and operation). */
  markRetired(entry: Omit<RetiredOperation, 'since' | 'checkedAt'>): Promise<RetiredOperation>;
  /** Records a successful call: a retirement recorded earlier (a re-check that found it back) is lifted. */
  markAvailable(accountKey: string, operation: string): Promise<void>;
  /** Every known retirement (from Redis when shared, so a replica that never called v1 still sees them). */
  list(): Promise<RetiredOperation[]>;
}

export interface AvailabilityMetrics {
  /** 1 while an operation is retired for an account. */
  retired: Gauge<'account' | 'operation'>;
  /** Calls answered locally because the operation is retired. */
  refused: Counter<'operation'>;
}

export interface AvailabilityOptions {
  metrics: AvailabilityMetrics;
  logger?: ProviderLogger | undefined;
  redis?: Redis | undefined;
  keyPrefix?: string | undefined;
  now?: (() => number) | undefined;
  /** How long a retirement is trusted before one call re-checks it (default one day). */
  recheckAfterMs?: number;
}

/** A false "gone" (a gateway misroute) heals within a day at the cost of one request. */
const DEFAULT_RECHECK_MS = 24 * 3_600_000;

const keyOf = (accountKey: string, operation: string) => `${accountKey}|${operation}`;

/** Creates the availability record (one per process, shared by every account's client). */
export function createOperationAvailability(options: AvailabilityOptions): OperationAvailability {
  const now = options.now ?? Date.now;
  const recheckAfterMs = options.recheckAfterMs ?? DEFAULT_RECHECK_MS;
  const hashKey = `${options.keyPrefix ?? 'simfleet:provider'}:retired`;
  const known = new Map<string, RetiredOperation>();
  const probing = new Set<string>();

  const remember = (entry: RetiredOperation) => {
    known.set(keyOf(entry.accountKey, entry.operation), entry);
    options.metrics.retired.set({ account: entry.accountKey, operation: entry.operation }, 1);
  };

  return {
    check(accountKey, operation) {
      const key = keyOf(accountKey, operation);
      const entry = known.get(key);
      if (entry === undefined) return undefined;
      // Once a day one call goes through to see whether 1NCE still says it is gone.
      if (now() - Date.parse(entry.checkedAt) >= recheckAfterMs && !probing.has(key)) {
        probing.add(key);
        return undefined;
      }
      options.metrics.refused.inc({ operation });
      return entry;
    },

    async markRetired(input) {
      const key = keyOf(input.accountKey, input.operation);
      probing.delete(key);
      const stamp = new Date(now()).toISOString();
      const previous = known.get(key);
      const entry: RetiredOperation = { ...input, since: previous?.since ?? stamp, checkedAt: stamp };
      remember(entry);
      let first = previous === undefined;
      if (options.redis !== undefined) {
        const added = await options.redis.hset(hashKey, key, JSON.stringify(entry)).catch(() => 0);
        first = first && added === 1;
      }
      if (first) {
        options.logger?.warn(
          { account: input.accountKey, operation: input.operation, path: input.path, upstreamStatus: input.upstreamStatus },
          '1NCE retired this operation for the account; later calls are answered locally (re-checked daily)',
        );
      }
      return entry;
    },

    async markAvailable(accountKey, operation) {
      const key = keyOf(accountKey, operation);
      probing.delete(key);
      if (!known.delete(key)) return;
      options.metrics.retired.remove({ account: accountKey, operation });
      await options.redis?.hdel(hashKey, key).catch(() => 0);
      options.logger?.warn({ account: accountKey, operation }, '1NCE answers this operation again; it is no longer treated as retired');
    },

    async list() {
      if (options.redis !== undefined) {
        const stored = await options.redis.hgetall(hashKey).catch(() => ({}));
        for (const value of Object.values(stored)) {
          try {
            const entry = JSON.parse(value) as RetiredOperation;
            if (!known.has(keyOf(entry.accountKey, entry.operation))) remember(entry);
          } catch {
            // A foreign or truncated value: ignored, the next retirement rewrites it.
          }
        }
      }
      return [...known.values()].sort((a, b) => a.accountKey.localeCompare(b.accountKey) || a.operation.localeCompare(b.operation));
    },
  };
}

/** What a retired operation means for the platform, in one sentence (shown in status and readiness). */
export function effectOf(operation: string): string {
  if (operation === 'getUsage') return 'usage now comes from the Data Streamer alone';
  return 'features that need it answer 501 provider_operation_retired';
}

/** The provider section of the scheduler status and the readiness details. */
export async function providerOperationsReport(
  provider: { availability: Pick<OperationAvailability, 'list'>; usage: { source: string; v2Path?: string | undefined } },
): Promise<{
  usage_source: string;
  usage_v2_path: string | null;
  retired_operations: Array<{ account_id: string; operation: string; path: string; since: string; checked_at: string; effect: string }>;
}> {
  const retired = await provider.availability.list();
  return {
    usage_source: provider.usage.source,
    usage_v2_path: provider.usage.v2Path ?? null,
    retired_operations: retired.map((r) => ({
      account_id: r.accountKey,
      operation: r.operation,
      path: r.path,
      since: r.since,
      checked_at: r.checkedAt,
      effect: effectOf(r.operation),
    })),
  };
}
