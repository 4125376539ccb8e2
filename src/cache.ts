import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/**
 * One cache interface, two stores: Redis when `REDIS_URL` is set (shared by every replica),
 * an in-memory TTL map otherwise. A Redis outage degrades to cache misses: the API keeps
 * serving from the database while readiness reports Redis as down.
 */
export interface Cache {
  readonly kind: 'redis' | 'memory';
  get<T>(key: string): Promise<T | undefined>;
  /**
   * Reads several keys in one round trip (MGET on Redis); one result per key, in order, undefined
   * for a missing key. Each key counts as one lookup. A store error reads as all undefined.
   */
  getMany(keys: readonly string[]): Promise<unknown[]>;
  /**
   * Adds 1 to the integer counter under `key` (created at 1) and returns the new value; undefined when
   * the store cannot be reached. Counters never expire and are never evicted by the memory store's
   * size bound (INCR on Redis); `get`/`getMany` read them as numbers.
   */
  increment(key: string): Promise<number | undefined>;
  set(key: string, value: unknown, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  /** Deletes every key starting with `prefix` (SCAN-based on Redis, never KEYS). Returns how many. */
  deleteByPrefix(prefix: string): Promise<number>;
  /** Returns the cached value or computes, stores and returns it; concurrent misses share one computation. */
  wrap<T>(key: string, ttlSeconds: number, compute: () => Promise<T>): Promise<T>;
  /** Throws when the store cannot be reached (used by readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface CacheObserver {
  lookup(result: 'hit' | 'miss' | 'error'): void;
}

const MEMORY_MAX_ENTRIES = 50_000;
/**
 * Entries a write checks for expiry, continuing where the previous write stopped. Without it an
 * entry nobody reads again stays until the size bound pushes it out: under a soak with random
 * single-SIM reads that was tens of MB of expired SIM answers (docs/reliability.md). A few entries per
 * write keep every write cheap (no pause to scan the whole map) and still go round the map many times
 * faster than writes add to it, so an expired entry goes within about size / 16 writes.
 */
const MEMORY_SWEEP_STEP = 16;
const SCAN_BATCH = 500;

/** Options that make a Redis outage fail fast instead of queueing commands behind a dead socket. */
export function createRedisClient(url: string, logger?: Pick<Logger, 'warn'>): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    lazyConnect: false,
  });
  let warned = false;
  redis.on('error', (error: Error) => {
    // ioredis emits on every failed reconnect; one line per outage is enough.
    if (!warned) logger?.warn({ err: { message: error.message } }, 'redis unavailable; continuing without it');
    warned = true;
  });
  redis.on('ready', () => {
    warned = false;
  });
  return redis;
}

/**
 * Waits for the first connection (commands fail fast while disconnected, so start-up gives Redis
 * a moment). Resolves false on timeout: the platform then starts degraded and readiness says so.
 */
export function waitForRedis(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.once('ready', onReady);
  });
}

function createSingleFlight() {
  const inflight = new Map<string, Promise<unknown>>();
  return <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const existing = inflight.get(key);
    if (existing !== undefined) return existing as Promise<T>;
    const promise = fn().finally(() => inflight.delete(key));
    inflight.set(key, promise);
    return promise;
  };
}

/** The memory store, which can say how much it holds (tests, the soak benchmark). */
export interface MemoryCache extends Cache {
  /** Entries held, expired ones not yet swept included; counters apart. */
  size(): { entries: number; counters: number };
}

/**
 * In-process TTL cache with insertion-order eviction past `maxEntries`, and expired entries swept
 * out a few at a time on each write (`MEMORY_SWEEP_STEP`), so what it holds follows the traffic of the
 * last TTL rather than everything ever cached. Values are kept as JSON text, exactly as Redis
 * keeps them: a hit parses a fresh copy (cheaper than a structured clone, and callers see the same
 * types - dates as strings - whichever store is configured).
 */
export function createMemoryCache(observer?: CacheObserver, now = () => Date.now(), maxEntries = MEMORY_MAX_ENTRIES): MemoryCache {
  const entries = new Map<string, { json: string; expiresAt: number }>();
  /** `increment` counters: outside `entries`, so neither expiry nor the size bound ever drops one. */
  const counters = new Map<string, number>();
  const singleFlight = createSingleFlight();
  /** The expiry sweep's place in `entries` (a Map iterator stays valid across deletions and insertions). */
  let sweeper: Iterator<[string, { json: string; expiresAt: number }]> | undefined;

  const sweepSome = () => {
    const at = now();
    sweeper ??= entries.entries();
    for (let i = 0; i < MEMORY_SWEEP_STEP; i++) {
      const next = sweeper.next();
      if (next.done === true) {
        sweeper = undefined;
        return;
      }
      const [key, entry] = next.value;
      if (entry.expiresAt <= at) entries.delete(key);
    }
  };

  const read = (key: string): string | undefined => {
    const counter = counters.get(key);
    if (counter !== undefined) return String(counter);
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.json;
  };

  const cache: MemoryCache = {
    kind: 'memory',
    size: () => ({ entries: entries.size, counters: counters.size }),
    get<T>(key: string) {
      const json = read(key);
      observer?.lookup(json !== undefined ? 'hit' : 'miss');
      return Promise.resolve(json !== undefined ? (JSON.parse(json) as T) : undefined);
    },
    getMany(keys) {
      return Promise.resolve(
        keys.map((key) => {
          const json = read(key);
          observer?.lookup(json !== undefined ? 'hit' : 'miss');
          return json !== undefined ? (JSON.parse(json) as unknown) : undefined;
        }),
      );
    },
    increment(key) {
      const next = (counters.get(key) ?? 0) + 1;
      entries.delete(key);
      counters.set(key, next);
      return Promise.resolve(next);
    },
    set(key, value, ttlSeconds) {
      sweepSome();
      counters.delete(key);
      entries.delete(key);
      // Serialised now, so callers mutating their object never change the cached copy.
      entries.set(key, { json: JSON.stringify(value), expiresAt: now() + ttlSeconds * 1000 });
      while (entries.size > maxEntries) {
        const oldest = entries.keys().next();
        if (oldest.done === true) break;
        entries.delete(oldest.value);
      }
      return Promise.resolve();
    },
    delete(key) {
      counters.delete(key);
      entries.delete(key);
      return Promise.resolve();
    },
    deleteByPrefix(prefix) {
      let count = 0;
      for (const key of [...counters.keys()]) {
        if (key.startsWith(prefix)) {
          counters.delete(key);
          count++;
        }
      }
      for (const key of [...entries.keys()]) {
        if (key.startsWith(prefix)) {
          entries.delete(key);
          count++;
        }
      }
      return Promise.resolve(count);
    },
    async wrap<T>(key: string, ttlSeconds: number, compute: () => Promise<T>) {
      const cached = await cache.get<T>(key);
      if (cached !== undefined) return cached;
      return singleFlight(key, async () => {
        const value = await compute();
        if (value !== undefined) await cache.set(key, value, ttlSeconds);
        return value;
      });
    },
    ping: () => Promise.resolve(),
    close() {
      entries.clear();
      counters.clear();
      return Promise.resolve();
    },
  };
  return cache;
}

/** Redis-backed cache under `namespace` (e.g. `simfleet:cache:`); values are JSON. Errors degrade to misses and are counted, never thrown to callers. */
export function createRedisCache(redis: Redis, namespace: string, observer?: CacheObserver): Cache {
  const singleFlight = createSingleFlight();

  const cache: Cache = {
    kind: 'redis',
    async get<T>(key: string) {
      try {
        const raw = await redis.get(namespace + key);
        observer?.lookup(raw === null ? 'miss' : 'hit');
        return raw === null ? undefined : (JSON.parse(raw) as T);
      } catch {
        observer?.lookup('error');
        return undefined;
      }
    },
    async getMany(keys) {
      if (keys.length === 0) return [];
      try {
        const raws = await redis.mget(keys.map((key) => namespace + key));
        return raws.map((raw) => {
          observer?.lookup(raw === null ? 'miss' : 'hit');
          return raw === null ? undefined : (JSON.parse(raw) as unknown);
        });
      } catch {
        for (let i = 0; i < keys.length; i++) observer?.lookup('error');
        return keys.map(() => undefined);
      }
    },
    async increment(key) {
      try {
        return await redis.incr(namespace + key);
      } catch {
        return undefined;
      }
    },
    async set(key, value, ttlSeconds) {
      try {
        await redis.set(namespace + key, JSON.stringify(value), 'PX', Math.max(1, Math.round(ttlSeconds * 1000)));
      } catch {
        // A write that did not land only costs a future miss.
      }
    },
    async delete(key) {
      try {
        await redis.del(namespace + key);
      } catch {
        // Invalidation during an outage is moot: nothing could be read from Redis either.
      }
    },
    async deleteByPrefix(prefix) {
      let cursor = '0';
      let count = 0;
      const pattern = `${namespace}${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
      try {
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', SCAN_BATCH);
          cursor = next;
          if (keys.length > 0) count += await redis.unlink(...keys);
        } while (cursor !== '0');
      } catch {
        // Same reasoning as delete(): nothing stale can be served while Redis is unreachable.
      }
      return count;
    },
    async wrap<T>(key: string, ttlSeconds: number, compute: () => Promise<T>) {
      const cached = await cache.get<T>(key);
      if (cached !== undefined) return cached;
      return singleFlight(key, async () => {
        const value = await compute();
        if (value !== undefined) await cache.set(key, value, ttlSeconds);
        return value;
      });
    },
    async ping() {
      await redis.ping();
    },
    async close() {
      // The Redis connection is owned by the composition root, which closes it after every user.
    },
  };
  return cache;
}
