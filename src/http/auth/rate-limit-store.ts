/**
 * The store behind the per-caller API limit: one fixed window per caller in Redis, shared by every
 * replica; when Redis fails, a window in this process counting each request as `peers` requests,
 * so the replicas together still stay near the limit (each gets its share) instead of the limit
 * lapsing or multiplying by the number of replicas (ADR 0018). Sharing resumes with the next
 * request that reaches Redis.
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { Redis } from 'ioredis';

// KEYS[1] counter; ARGV window ms. A fixed window: the first request of a window sets its expiry.
const INCREMENT_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {current, ttl}
`;

/** Windows kept in memory at most (callers seen during an outage); the oldest go first. */
const MEMORY_MAX_KEYS = 10_000;

interface Window {
  count: number;
  endsAt: number;
}

/** Observer of the store's mode (logs, metrics); called on every change only. */
export type StoreModeListener = (mode: 'shared' | 'local', peers: number) => void;

/** Builds the store class the rate-limit plugin instantiates. */
export function sharedLimitStore(options: { redis: Redis; namespace: string; peers: () => number; onMode?: StoreModeListener; now?: () => number }): FastifyRateLimitStoreCtor {
  const now = options.now ?? Date.now;
  const windows = new Map<string, Window>();
  let mode: 'shared' | 'local' = 'shared';
  const switchTo = (next: 'shared' | 'local') => {
    if (mode === next) return;
    mode = next;
    options.onMode?.(next, options.peers());
  };

  const local = (key: string, windowMs: number): { current: number; ttl: number } => {
    const at = now();
    let window = windows.get(key);
    if (window === undefined || window.endsAt <= at) {
      if (windows.size >= MEMORY_MAX_KEYS) windows.delete(windows.keys().next().value!);
      window = { count: 0, endsAt: at + windowMs };
      windows.set(key, window);
    }
    window.count += 1;
    // Each request here stands for one per peer: the limit allows this process max / peers.
    return { current: window.count * Math.max(1, options.peers()), ttl: window.endsAt - at };
  };

  const make = (prefix: string): FastifyRateLimitStore => ({
    incr(key, callback, timeWindow) {
      options.redis.eval(INCREMENT_SCRIPT, 1, prefix + key, timeWindow).then(
        (result) => {
          const [current, ttl] = result as [number, number];
          switchTo('shared');
          callback(null, { current, ttl });
        },
        () => {
          switchTo('local');
          callback(null, local(prefix + key, timeWindow));
        },
      );
    },
    // One limit per caller across every route: a route's child store counts in the same windows.
    child: () => make(prefix),
  });

  return class SharedLimitStore {
    constructor() {
      return make(options.namespace);
    }
  } as unknown as FastifyRateLimitStoreCtor;
}
