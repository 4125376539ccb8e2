import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { createDb, type Database } from './db/client.js';
import { createMemoryCache, createRedisCache, createRedisClient, waitForRedis, type Cache } from './cache.js';
import { createMetrics, type Metrics } from './metrics.js';

/** How long start-up waits for Redis before continuing degraded. */
const REDIS_STARTUP_WAIT_MS = 3_000;

/** Process-wide state the HTTP layer reads (readiness turns 503 while draining). */
export interface Lifecycle {
  shuttingDown: boolean;
}

/** Everything the app, jobs and CLI run on. `createDeps` is the only place these are wired together. */
export interface Deps {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  database: Database;
  cache: Cache;
  /** The shared Redis connection when `REDIS_URL` is set (cache, throttling, provider token and budget). */
  redis: Redis | undefined;
  lifecycle: Lifecycle;
  /** Closes what was opened, in reverse order. */
  close(): Promise<void>;
}

export interface DepsOverrides {
  /** A database opened by the caller (tests: a migrated template clone or an isolated schema). */
  database?: Database;
  metrics?: Metrics;
}

/** The composition root: builds every dependency from the configuration. */
export async function createDeps(config: Config, logger: Logger, overrides: DepsOverrides = {}): Promise<Deps> {
  const metrics = overrides.metrics ?? createMetrics();
  const database =
    overrides.database ??
    (await createDb({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolMax: config.databasePoolMax,
      observer: metrics.db,
    }));
  metrics.trackPool(database.pool);

  const cacheObserver = { lookup: (result: 'hit' | 'miss' | 'error') => metrics.cache.requests.inc({ cache: 'api', result }) };
  const redis = config.redisUrl === undefined ? undefined : createRedisClient(config.redisUrl, logger);
  if (redis !== undefined && !(await waitForRedis(redis, REDIS_STARTUP_WAIT_MS))) {
    logger.warn('redis did not answer at start-up; serving without it until it does');
  }
  const cache = redis === undefined ? createMemoryCache(cacheObserver) : createRedisCache(redis, `${config.redisPrefix}cache:`, cacheObserver);

  return {
    config,
    logger,
    metrics,
    database,
    cache,
    redis,
    lifecycle: { shuttingDown: false },
    async close() {
      await cache.close();
      if (redis !== undefined) redis.disconnect();
      await database.close();
    },
  };
}
