import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Cache, CacheObserver } from '../../cache.js';
import type { Config } from '../../config.js';
import type { DB } from '../../db/schema.js';
import type { Metrics } from '../../metrics.js';
import type { AuditService } from '../audit/audit.service.js';
import { createAccessTokens } from './access-tokens.js';
import { createApiKeysService } from './api-keys.service.js';
import { createAuthCache } from './auth-cache.js';
import { createAuthService } from './auth.service.js';
import {
  createLoginThrottle,
  createMemoryCounterStore,
  createRedisCounterStore,
  withFallback,
  type CounterStore,
} from './login-throttle.js';
import { createPasswordHasher, type PasswordHasher } from './password.js';
import { createStreamerThrottle } from './streamer-throttle.js';
import { createUsersService } from './users.service.js';

export interface IdentityDeps {
  db: Kysely<DB>;
  config: Pick<Config, 'jwtSecret' | 'accessTokenTtlMinutes' | 'refreshTokenTtlDays' | 'redisPrefix'>;
  metrics: Pick<Metrics, 'auth'>;
  logger: Logger;
  redis: Redis | undefined;
  audit: AuditService;
  /**
   * Store of the authentication lookup cache: Redis when configured (shared by every replica, so an
   * invalidation reaches them all), the in-memory store otherwise (this process only).
   */
  authCacheStore: Cache;
  /** Counts auth lookups answered from the cache (hit) or the database (miss). */
  authCacheObserver?: CacheObserver;
  hasher?: PasswordHasher;
  /** Counter store for login throttling (tests inject a clock-controlled one). */
  throttleStore?: CounterStore;
  /** Counter store for Data Streamer authentication throttling. */
  streamerThrottleStore?: CounterStore;
  /**
   * Clock in ms of access-token issue times and password changes, which decide together whether a
   * token predates a password change (tests move it instead of waiting for the next second).
   */
  now?: () => number;
}

/** Users, passwords, sessions and API keys, wired together. */
export function createIdentity(deps: IdentityDeps) {
  if (deps.config.jwtSecret === undefined) {
    throw new Error('JWT secret is not resolved; startPlatform (or the test helper) must set config.jwtSecret');
  }
  const hasher = deps.hasher ?? createPasswordHasher();
  const memory = createMemoryCounterStore();
  const store =
    deps.throttleStore ??
    (deps.redis === undefined ? memory : withFallback(createRedisCounterStore(deps.redis, `${deps.config.redisPrefix}login:`), memory, deps.logger));
  const throttle = createLoginThrottle(store);
  const streamerMemory = createMemoryCounterStore();
  const streamerStore =
    deps.streamerThrottleStore ??
    (deps.redis === undefined
      ? streamerMemory
      : withFallback(createRedisCounterStore(deps.redis, `${deps.config.redisPrefix}streamer-auth:`), streamerMemory, deps.logger));
  const now = deps.now ?? Date.now;
  const accessTokens = createAccessTokens(deps.config.jwtSecret, deps.config.accessTokenTtlMinutes, now);
  const authCache = createAuthCache({
    cache: deps.authCacheStore,
    logger: deps.logger,
    ...(deps.authCacheObserver !== undefined && { observer: deps.authCacheObserver }),
  });

  const auth = createAuthService({
    db: deps.db,
    hasher,
    accessTokens,
    throttle,
    metrics: deps.metrics,
    authCache,
    refreshTokenTtlDays: deps.config.refreshTokenTtlDays,
    onRefreshReuse: ({ userId, familyId, client }) =>
      deps.audit.recordSafely({
        actor: { type: 'system' },
        action: 'auth.refresh_token_reuse',
        target: { type: 'user', id: String(userId) },
        outcome: 'denied',
        ip: client.ip,
        userAgent: client.userAgent,
        detail: { family_id: familyId, effect: 'session family revoked' },
      }),
  });

  return {
    hasher,
    throttle,
    /** Failed Data Streamer Basic authentications per client IP. */
    streamerThrottle: createStreamerThrottle(streamerStore),
    accessTokens,
    auth,
    /** Cached authentication lookups; `invalidate()` after changing users or keys outside these services. */
    authCache,
    users: createUsersService({ db: deps.db, hasher, authCache, now }),
    apiKeys: createApiKeysService({ db: deps.db, metrics: deps.metrics, authCache, logger: deps.logger }),
  };
}

export type Identity = ReturnType<typeof createIdentity>;
