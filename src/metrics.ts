import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DbObserver } from './db/client.js';
import { createProviderMetrics } from './metrics/provider.js';
import { createBackgroundMetrics } from './metrics/background.js';
import { DEFAULT_LIMITS, type Family } from './provider/governor.js';
import type { PlatformProbes } from './modules/observability/platform-probes.js';
import { VERSION } from './version.js';

/**
 * Every metric the platform emits, defined here or in `src/metrics/` (one file per area, called
 * from here) and registered on one registry (no global default registry, so tests and multiple
 * apps in one process never collide). No other module constructs a prom-client metric
 * (test/structure/metrics.test.ts). Names follow `simfleet_<subsystem>_<thing>_<unit>`.
 */

export type { BackgroundMetrics } from './metrics/background.js';
export type { ProviderMetrics } from './metrics/provider.js';

/** Latency buckets for HTTP and DB work, in seconds: fine-grained below 100 ms where the API lives. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Longest a scrape waits for one probe (a dead database must not hang the whole scrape). */
const PROBE_TIMEOUT_MS = 2_000;

/** Resolves the probe's answer, or undefined when it failed or took longer than PROBE_TIMEOUT_MS. */
async function probe<T>(read: () => Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      read(),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), PROBE_TIMEOUT_MS);
      }),
    ]);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

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

  // Scrape-time state of the platform (alerting and dashboards need levels, not only counters).
  let probes: PlatformProbes | undefined;
  const platform = {
    dependencyUp: new Gauge({
      name: 'simfleet_dependency_up',
      help: 'Whether a dependency answered a ping during this scrape (1) or not (0): database, and redis when configured',
      labelNames: ['dependency'] as const,
      registers: [registry],
      async collect() {
        if (probes === undefined) return;
        const answer = await probe(() => probes!.dependencies());
        // A ping that did not even finish in time counts as down.
        this.set({ dependency: 'database' }, answer?.database ?? 0);
        if (answer?.redis !== undefined) this.set({ dependency: 'redis' }, answer.redis);
      },
    }),
    jobLastSuccess: new Gauge({
      name: 'simfleet_job_last_success_timestamp_seconds',
      help: 'Unix time the last successful run of each scheduled job finished (any replica; from job_runs)',
      labelNames: ['job'] as const,
      registers: [registry],
      async collect() {
        if (probes === undefined) return;
        const answer = await probe(() => probes!.lastJobSuccess());
        for (const [job, at] of Object.entries(answer ?? {})) this.set({ job }, at);
      },
    }),
    jobInterval: new Gauge({
      name: 'simfleet_job_schedule_interval_seconds',
      help: 'Configured interval between runs of each scheduled job',
      labelNames: ['job'] as const,
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: 'simfleet_job_queue_depth',
      help: 'Jobs waiting to run per queue (created or retrying, not yet picked up)',
      labelNames: ['queue'] as const,
      registers: [registry],
      async collect() {
        if (probes === undefined) return;
        const answer = await probe(() => probes!.queueDepths());
        for (const [queue, depth] of Object.entries(answer ?? {})) this.set({ queue }, depth);
      },
    }),
    streamerLastReceived: new Gauge({
      name: 'simfleet_streamer_last_received_timestamp_seconds',
      help: 'Unix time the last Data Streamer record arrived, per provider account',
      labelNames: ['account'] as const,
      registers: [registry],
      async collect() {
        if (probes === undefined) return;
        const answer = await probe(() => probes!.streamerLastReceived());
        for (const [account, at] of Object.entries(answer ?? {})) this.set({ account }, at);
      },
    }),
    quotaForecast: new Gauge({
      name: 'simfleet_quota_forecast_exhaustion_sims',
      help: 'SIMs whose data quota is forecast (at the recent burn rate) to run out within N days, exhausted ones included; from the last check-quotas run',
      labelNames: ['within_days'] as const,
      registers: [registry],
      async collect() {
        if (probes === undefined) return;
        const answer = await probe(() => probes!.quotaForecast());
        this.reset();
        for (const [withinDays, sims] of Object.entries(answer?.withinDays ?? {})) this.set({ within_days: withinDays }, sims);
      },
    }),
    fleetSims: new Gauge({
      name: 'simfleet_fleet_sims',
      help: 'SIMs stored, by 1NCE status and connectivity status (counted at most once a minute)',
      labelNames: ['status', 'connectivity'] as const,
      registers: [registry],
      async collect() {
        if (probes === undefined) return;
        const answer = await probe(() => probes!.fleetCounts());
        if (answer === undefined) return;
        this.reset();
        for (const row of answer) this.set({ status: row.status, connectivity: row.connectivity }, row.sims);
      },
    }),
    quotaForecastComputedAt: new Gauge({
      name: 'simfleet_quota_forecast_timestamp_seconds',
      help: 'Unix time the fleet quota forecast was computed (the last check-quotas run)',
      registers: [registry],
      async collect() {
        if (probes === undefined) return;
        const answer = await probe(() => probes!.quotaForecast());
        if (answer === undefined) this.reset();
        else this.set(answer.computedAt);
      },
    }),
  };

  const providerLimit = new Gauge({
    name: 'simfleet_provider_rate_limit_per_second',
    help: "1NCE's documented request limit per endpoint family, in requests per second (per customer for sims)",
    labelNames: ['family'] as const,
    registers: [registry],
  });
  for (const [family, limit] of Object.entries(DEFAULT_LIMITS) as [Family, (typeof DEFAULT_LIMITS)[Family]][]) {
    providerLimit.set({ family }, (limit.limit * 1000) / limit.windowMs);
  }

  const buildInfo = new Gauge({
    name: 'simfleet_build_info',
    help: 'Always 1: the running version, Node.js version and process role',
    labelNames: ['version', 'node_version', 'role'] as const,
    registers: [registry],
  });

  /** Process-level failures (src/process-guards.ts): each one is a bug to fix. */
  const processFailures = {
    unhandledRejections: new Counter({
      name: 'simfleet_process_unhandled_rejections_total',
      help: 'Promise rejections no code handled; logged, and the process kept running',
      registers: [registry],
    }),
    uncaughtExceptions: new Counter({
      name: 'simfleet_process_uncaught_exceptions_total',
      help: 'Exceptions no code caught; each one drains the process and exits it for a restart',
      registers: [registry],
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
  /** Fleet intelligence (src/modules/intelligence): anomaly evaluations and automatic actions. */
  const intelligence = {
    evaluation: new Histogram({
      name: 'simfleet_anomaly_evaluation_duration_seconds',
      help: 'Anomaly evaluations by source (sweep: the whole fleet; batch: SIMs of one stream batch or detail sync)',
      labelNames: ['source'] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    actions: new Counter({
      name: 'simfleet_anomaly_actions_total',
      help: 'Automatic actions of anomaly rules by action (disable, imei_lock) and outcome (succeeded, failed, capped, skipped, dry_run)',
      labelNames: ['action', 'outcome'] as const,
      registers: [registry],
    }),
  };

  const live = {
    opened: () => liveStreams.inc(),
    closed: (reason: string) => {
      liveStreams.dec();
      liveClosed.inc({ reason });
    },
    sent: (type: string) => liveSent.inc({ type }),
  };

  const mcp = {
    toolCalls: new Counter({
      name: 'simfleet_mcp_tool_calls_total',
      help: 'MCP tool calls (POST /mcp, npm run mcp), by tool and outcome (success, failure, denied)',
      labelNames: ['tool', 'outcome'] as const,
      registers: [registry],
    }),
    toolDuration: new Histogram({
      name: 'simfleet_mcp_tool_call_duration_seconds',
      help: 'Time to answer an MCP tool call, by tool',
      labelNames: ['tool'] as const,
      buckets: [0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30],
      registers: [registry],
    }),
  };

  return {
    registry,
    http,
    /** MCP tool calls (src/mcp/server.ts). */
    mcp,
    process: processFailures,
    /** Live event streams (observer of src/modules/live/live.streams.ts). */
    live,
    db: dbObserver,
    cache,
    provider: createProviderMetrics(registry),
    /** Jobs, Data Streamer ingest, webhooks and alerts. */
    background: createBackgroundMetrics(registry),
    intelligence,
    auth,
    /** Counts active API keys on every scrape. */
    trackActiveApiKeys(count: () => Promise<number>) {
      countActiveApiKeys = count;
    },
    /** Scrape-time platform state (dependencies, job freshness, backlogs, streamer, forecast) read through `p`. */
    trackPlatform(p: PlatformProbes) {
      probes = p;
    },
    /** Records the configured interval of each scheduled job, in seconds. */
    setJobIntervals(intervals: Record<string, number>) {
      for (const [job, seconds] of Object.entries(intervals)) platform.jobInterval.set({ job }, seconds);
    },
    /** Records this process's version and role. */
    setBuildInfo(role: string) {
      buildInfo.reset();
      buildInfo.set({ version: VERSION, node_version: process.version, role }, 1);
    },
    /** Reports this pool's usage on every scrape. */
    trackPool(stats: PoolStats) {
      pool = stats;
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
