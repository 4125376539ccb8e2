import type { Logger } from 'pino';
import type { Cache, CacheObserver } from '../../cache.js';
import type { UserRole } from '../../db/schema.js';
import type { ApiKeyWithOwner } from './api-keys.repo.js';

/** How long an entry may live; bounds staleness if Redis loses an invalidation (see docs/auth.md). */
export const AUTH_CACHE_TTL_SECONDS = 30;
/** The generation counter. Outside ENTRY_PREFIX, so deleting the entries never deletes it. */
export const AUTH_GENERATION_KEY = 'auth:gen';
const ENTRY_PREFIX = 'auth:entry:';
/** While an invalidation could not reach the store, it is retried this often (until the TTL has passed). */
const RETRY_INTERVAL_MS = 1_000;

/** The user fields access-token authentication needs (never the password hash). */
export interface AuthUser {
  id: number;
  username: string;
  role: UserRole;
  is_active: boolean;
  password_changed_at: Date | null;
}

/**
 * Cached authentication lookups (API key + owner by prefix; user by id for access tokens), stamped
 * with a global generation so one `invalidate()` voids every entry on every replica sharing the store.
 *
 * A read fetches the generation and the entry in one round trip and accepts the entry only when it
 * carries the current generation. A miss loads from the database and stores the value stamped with
 * the generation read *before* the load: an invalidation racing the load has already moved the
 * generation on, so that entry is never accepted. A store error or a missing generation is a miss
 * (database read, nothing stored); nothing is ever accepted without the database or a current entry.
 */
export interface AuthCache {
  apiKey(
    prefix: string,
    load: () => Promise<ApiKeyWithOwner | undefined>,
  ): Promise<ApiKeyWithOwner | undefined>;
  user(id: number, load: () => Promise<AuthUser | undefined>): Promise<AuthUser | undefined>;
  /**
   * Voids every cached entry. Call after the commit of anything that changes a user or whether a key
   * is valid (revocation, role, activation, password), and await it before answering.
   */
  invalidate(): Promise<void>;
  /** Stops a pending invalidation retry. */
  close(): void;
}

export interface AuthCacheDeps {
  /** Redis (shared by replicas) or the in-memory store (one process). */
  cache: Cache;
  /** Counts each lookup: hit = answered without the database; miss = database read (store errors included). */
  observer?: CacheObserver;
  logger?: Pick<Logger, 'warn'>;
  ttlSeconds?: number;
  now?: () => number;
}

interface Stamped {
  gen: number;
  value: unknown;
}

type Json<T> = {
  [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K];
};

const date = (value: string | null): Date | null => (value === null ? null : new Date(value));

/** Entries come back as JSON: timestamps are ISO strings again. */
function reviveApiKey(json: Json<ApiKeyWithOwner>): ApiKeyWithOwner {
  return {
    ...json,
    expires_at: date(json.expires_at),
    last_used_at: date(json.last_used_at),
    revoked_at: date(json.revoked_at),
  };
}

function reviveUser(json: Json<AuthUser>): AuthUser {
  return { ...json, password_changed_at: date(json.password_changed_at) };
}

function isStamped(value: unknown): value is Stamped {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Stamped).gen === 'number' &&
    'value' in value
  );
}

export function createAuthCache({
  cache,
  observer,
  logger,
  ttlSeconds = AUTH_CACHE_TTL_SECONDS,
  now = Date.now,
}: AuthCacheDeps): AuthCache {
  /** Loads in flight, keyed by entry and generation: a request that starts after an invalidation never joins an older load. */
  const inflight = new Map<string, Promise<unknown>>();
  /** Until then this process reads the database only (an invalidation of ours did not reach the store). */
  let bypassUntil = 0;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  const read = async <T>(
    key: string,
    load: () => Promise<T | undefined>,
    revive: (json: never) => T,
  ): Promise<T | undefined> => {
    if (now() < bypassUntil) {
      observer?.lookup('miss');
      return load();
    }
    const [gen, entry] = await cache.getMany([AUTH_GENERATION_KEY, key]);
    if (typeof gen !== 'number' || !Number.isSafeInteger(gen)) {
      // No generation yet (first use, or evicted/flushed) or the store is unreachable: the database
      // answers and nothing is stored. Creating the counter starts caching for the next request.
      observer?.lookup('miss');
      if (gen === undefined) void cache.increment(AUTH_GENERATION_KEY);
      return load();
    }
    if (isStamped(entry) && entry.gen === gen) {
      observer?.lookup('hit');
      return revive(entry.value as never);
    }
    observer?.lookup('miss');
    const flightKey = `${key}@${gen}`;
    const existing = inflight.get(flightKey);
    if (existing !== undefined) return existing as Promise<T | undefined>;
    const promise = (async () => {
      const value = await load();
      // Stamped with the generation read before the load (never a newer one): see the interface comment.
      if (value !== undefined) await cache.set(key, { gen, value } satisfies Stamped, ttlSeconds);
      return value;
    })().finally(() => inflight.delete(flightKey));
    inflight.set(flightKey, promise);
    return promise;
  };

  const bump = async (): Promise<boolean> => {
    const gen = await cache.increment(AUTH_GENERATION_KEY);
    // Belt and braces: should the counter itself be lost (eviction, flush), no old entry survives either.
    await cache.deleteByPrefix(ENTRY_PREFIX);
    return gen !== undefined;
  };

  const retryUntil = (deadline: number) => {
    if (retry !== undefined || closed) return;
    retry = setTimeout(() => {
      retry = undefined;
      void bump().then((ok) => {
        if (!ok && now() < deadline) retryUntil(deadline);
      });
    }, RETRY_INTERVAL_MS);
    retry.unref();
  };

  return {
    apiKey: (prefix, load) => read(`${ENTRY_PREFIX}key:${prefix}`, load, reviveApiKey),
    user: (id, load) => read(`${ENTRY_PREFIX}user:${id}`, load, reviveUser),

    async invalidate() {
      if (await bump()) return;
      // The store is unreachable from here. This process stops trusting it until every entry that
      // could predate the change has expired, and keeps retrying; replicas that can still reach the
      // store may serve an entry cached before the change until then (at most the TTL).
      bypassUntil = now() + ttlSeconds * 1000;
      logger?.warn(
        'could not invalidate cached authentication lookups; retrying until the cache TTL has passed',
      );
      retryUntil(bypassUntil);
    },

    close() {
      closed = true;
      if (retry !== undefined) clearTimeout(retry);
      retry = undefined;
    },
  };
}
