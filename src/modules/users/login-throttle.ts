import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { TooManyRequests } from '../../errors.js';

/**
 * Brute-force protection for password login, per client IP and per user (shared through Redis
 * when configured, so every replica sees the same counts; in memory otherwise):
 *  - more than FAILURES_PER_WINDOW failed logins in a minute -> 429 with Retry-After until the minute ends;
 *  - every failure and every throttled attempt is a strike; enough strikes in STRIKE_WINDOW lock the
 *    username (or IP) for LOCK_SECONDS, also as 429 with Retry-After.
 * Throttling runs before the password is verified, so a locked account cannot be probed either.
 */
export const FAILURES_PER_WINDOW = 5;
const FAILURE_WINDOW_SECONDS = 60;
const STRIKE_WINDOW_SECONDS = 15 * 60;
const LOCK_SECONDS = 15 * 60;
/** A username is a single target; an IP may be a NAT in front of many honest users, so it gets more slack. */
const STRIKES_TO_LOCK = { user: 10, ip: 30 } as const;

type Scope = keyof typeof STRIKES_TO_LOCK;

/** The counter primitives the throttle needs; Redis and memory implement them identically. */
export interface CounterStore {
  /** Increments and returns the count; the first increment starts a window of `windowSeconds`. */
  increment(key: string, windowSeconds: number): Promise<{ count: number; ttlSeconds: number }>;
  /** Current count and remaining window (0, 0 when absent). */
  read(key: string): Promise<{ count: number; ttlSeconds: number }>;
  delete(...keys: string[]): Promise<void>;
}

const MEMORY_MAX_KEYS = 100_000;

/** In-process counters with expiry; `now` is injectable for tests. */
export function createMemoryCounterStore(now: () => number = Date.now): CounterStore {
  const entries = new Map<string, { count: number; expiresAt: number }>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (entry !== undefined && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const ttl = (entry: { expiresAt: number }) => Math.max(1, Math.ceil((entry.expiresAt - now()) / 1000));
  return {
    increment(key, windowSeconds) {
      let entry = live(key);
      if (entry === undefined) {
        if (entries.size >= MEMORY_MAX_KEYS) {
          for (const [k, e] of entries) if (e.expiresAt <= now()) entries.delete(k);
          // Still full of live counters: drop the oldest rather than grow without bound.
          if (entries.size >= MEMORY_MAX_KEYS) entries.delete(entries.keys().next().value!);
        }
        entry = { count: 0, expiresAt: now() + windowSeconds * 1000 };
        entries.set(key, entry);
      }
      entry.count += 1;
      return Promise.resolve({ count: entry.count, ttlSeconds: ttl(entry) });
    },
    read(key) {
      const entry = live(key);
      return Promise.resolve(entry === undefined ? { count: 0, ttlSeconds: 0 } : { count: entry.count, ttlSeconds: ttl(entry) });
    },
    delete(...keys) {
      for (const key of keys) entries.delete(key);
      return Promise.resolve();
    },
  };
}

const INCREMENT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('TTL', KEYS[1])}`;

/** Redis counters under `namespace`; INCR and EXPIRE run atomically in one script. */
export function createRedisCounterStore(redis: Redis, namespace: string): CounterStore {
  return {
    async increment(key, windowSeconds) {
      const [count, ttl] = (await redis.eval(INCREMENT_SCRIPT, 1, namespace + key, windowSeconds)) as [number, number];
      return { count, ttlSeconds: Math.max(1, ttl) };
    },
    async read(key) {
      const [count, ttl] = await Promise.all([redis.get(namespace + key), redis.ttl(namespace + key)]);
      return count === null ? { count: 0, ttlSeconds: 0 } : { count: Number(count), ttlSeconds: Math.max(1, ttl) };
    },
    async delete(...keys) {
      if (keys.length > 0) await redis.del(...keys.map((k) => namespace + k));
    },
  };
}

/**
 * Uses `primary` (Redis) and falls back to a per-process store when it fails, so a Redis outage
 * weakens the limit to per-replica instead of switching brute-force protection off.
 */
export function withFallback(primary: CounterStore, fallback: CounterStore, logger?: Pick<Logger, 'warn'>): CounterStore {
  const guard = async <T>(run: (store: CounterStore) => Promise<T>): Promise<T> => {
    try {
      return await run(primary);
    } catch (error) {
      logger?.warn({ err: { message: (error as Error).message } }, 'login throttle: redis unavailable, using in-memory counters');
      return run(fallback);
    }
  };
  return {
    increment: (key, windowSeconds) => guard((s) => s.increment(key, windowSeconds)),
    read: (key) => guard((s) => s.read(key)),
    delete: (...keys) => guard((s) => s.delete(...keys)),
  };
}

/** Throttle decisions for one login attempt. */
export interface LoginThrottle {
  /**
   * Throws 429 (`login_throttled` or `login_locked`) when the IP or user may not try now. `username`
   * is the throttle subject: auth.service passes the resolved user id (`id:<n>`) so username and
   * e-mail share one counter, or `login:<name>` for names that match nobody.
   */
  check(ip: string, username: string): Promise<void>;
  recordFailure(ip: string, username: string): Promise<void>;
  /** Clears the username's counters (not the IP's: one success must not reset an attacker's budget). */
  recordSuccess(username: string): Promise<void>;
}

/** Identifiers become fixed-length hashes so arbitrary input never lands in a key verbatim. */
function subject(scope: Scope, value: string): string {
  const normalised = scope === 'user' ? value.trim().toLowerCase() : value;
  return `${scope}:${createHash('sha256').update(normalised).digest('hex').slice(0, 32)}`;
}

/** Creates the login throttle over a counter store. */
export function createLoginThrottle(store: CounterStore): LoginThrottle {
  const subjects = (ip: string, username: string): Array<[Scope, string]> => [
    ['user', subject('user', username)],
    ['ip', subject('ip', ip)],
  ];

  const strike = async (scope: Scope, id: string): Promise<boolean> => {
    const { count } = await store.increment(`strikes:${id}`, STRIKE_WINDOW_SECONDS);
    if (count < STRIKES_TO_LOCK[scope]) return false;
    const lock = await store.read(`lock:${id}`);
    if (lock.count === 0) await store.increment(`lock:${id}`, LOCK_SECONDS);
    return true;
  };

  return {
    async check(ip, username) {
      const all = subjects(ip, username);
      for (const [, id] of all) {
        const lock = await store.read(`lock:${id}`);
        if (lock.count > 0) {
          throw new TooManyRequests(lock.ttlSeconds, 'Too many failed logins; sign-in is locked for a while', 'login_locked');
        }
      }
      for (const [scope, id] of all) {
        const failures = await store.read(`fail:${id}`);
        if (failures.count >= FAILURES_PER_WINDOW) {
          if (await strike(scope, id)) {
            throw new TooManyRequests(LOCK_SECONDS, 'Too many failed logins; sign-in is locked for a while', 'login_locked');
          }
          throw new TooManyRequests(failures.ttlSeconds, 'Too many failed logins; try again later', 'login_throttled');
        }
      }
    },
    async recordFailure(ip, username) {
      for (const [scope, id] of subjects(ip, username)) {
        await store.increment(`fail:${id}`, FAILURE_WINDOW_SECONDS);
        await strike(scope, id);
      }
    },
    async recordSuccess(username) {
      const id = subject('user', username);
      await store.delete(`fail:${id}`, `strikes:${id}`);
    },
  };
}
