import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DbObserver } from './db/client.js';
import { createProviderMetrics } from './provider/provider.metrics.js';
import { createBackgroundMetrics } from './jobs/jobs.metrics.js';

/**
 * Every metric the platform emits, defined in one place and registered on one registry
 * (no global default registry, so tests and multiple apps in one process never collide).
 * Names follow `simfleet_<subsystem>_<thing>_<unit>`.
 */

/** Latency buckets for HTTP and DB work, in seconds: fine-grained below 100 ms where the API lives. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** Creates the registry and every metric definition. */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const http = {
    requests: new Counter({
      name: 'simfleet_http_requests_total',
      help: 'HTTP requests handled, by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'simfleet_http_request_duration_seconds',
      help: 'HTTP request duration by method, route template and status code',
      labelNames: ['method', 'route', 'status_code'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'simfleet_http_requests_in_flight',
      help: 'HTTP requests currently being handled',
      registers: [registry],
    }),
  };

  const dbQueryDuration = new Histogram({
    name: 'simfleet_db_query_duration_seconds',
    help: 'Database query duration by statement kind and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const dbObserver: DbObserver = {
    queryDuration(operation, seconds, failed) {
      dbQueryDuration.observe({ operation, outcome: failed ? 'error' : 'ok' }, seconds);
    },
  };

  let pool: PoolStats | undefined;
  new Gauge({
    name: 'simfleet_db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting clients)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (pool === undefined) return;
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });

  const cache = {
    requests: new Counter({
      name: 'simfleet_cache_requests_total',
      help: 'Cache lookups by cache name and result (hit, miss, error)',
      labelNames: ['cache', 'result'] as const,
      registers: [registry],
    }),
  };

  let countActiveApiKeys: (() => Promise<number>) | undefined;
  const auth = {
    attempts: new Counter({
      name: 'simfleet_auth_attempts_total',
      help: 'Authentication attempts by method (password, refresh, jwt, api_key, streamer) and result',
      labelNames: ['method', 'result'] as const,
      registers: [registry],
    }),
    refreshTokenReuse: new Counter({
      name: 'simfleet_auth_refresh_token_reuse_total',
      help: 'Rotated refresh tokens presented again (each revokes its whole session family)',
      registers: [registry],
    }),
    apiKeysActive: new Gauge({
      name: 'simfleet_auth_api_keys_active',
      help: 'API keys that are neither revoked nor expired',
      registers: [registry],
      async collect() {
        if (countActiveApiKeys === undefined) return;
        try {
          this.set(await countActiveApiKeys());
        } catch {
          // A scrape during a database outage keeps the last value rather than failing the whole scrape.
        }
      },
    }),
  };

  const liveStreams = new Gauge({ name: 'simfleet_live_streams', help: 'Live event streams (GET /api/v1/events/stream) open on this instance', registers: [registry] });
  const liveClosed = new Counter({
    name: 'simfleet_live_streams_closed_total',
    help: 'Live event streams ended, by reason (client_closed, credential_invalid, slow_client, shutting_down)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const liveSent = new Counter({
    name: 'simfleet_live_events_sent_total',
    help: 'Live events written to streams of this instance, by event type',
    labelNames: ['type'] as const,
    registers: [registry],
  });
  const live = {
    opened: () => liveStreams.inc(),
    closed: (reason: string) => {
      liveStreams.dec();
      liveClosed.inc({ reason });
    },
    sent: (type: string) => liveSent.inc({ type }),
  };

  return {
    registry,
    http,
    /** Live event streams (observer of src/modules/live/live.streams.ts). */
    live,
    db: dbObserver,
    cache,
    provider: createProviderMetrics(registry),
    /** Jobs, Data Streamer ingest, webhooks and alerts. */
    background: createBackgroundMetrics(registry),
    auth,
    /** Counts active API keys on every scrape. */
    trackActiveApiKeys(count: () => Promise<number>) {
      countActiveApiKeys = count;
    },
    /** Reports this pool's usage on every scrape. */
    trackPool(stats: PoolStats) {
      pool = stats;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
