import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import type { Cache } from '../../cache.js';
import { nextRun } from '../../jobs/scheduler.service.js';
import { createPlatformProbesRepo } from './platform-probes.repo.js';

/**
 * What the scrape-time gauges read: dependency pings, the last successful run of each scheduled job
 * (from `job_runs`, so every replica reports the same value and a restart loses nothing), queue
 * backlogs, Data Streamer activity per account and the fleet's quota exhaustion forecast (computed by
 * the `check-quotas` job and shared through the cache). No Fastify, no prom-client: `metrics.ts`
 * turns these answers into gauges.
 */

/** Cache key of the fleet forecast written by `check-quotas` and read on every scrape. */
export const QUOTA_FORECAST_CACHE_KEY = 'platform:quota-forecast';

/** Forecast horizons reported, in days: SIMs forecast to run dry within each (cumulative). */
export const FORECAST_HORIZON_DAYS = [1, 3, 7] as const;

/** The fleet forecast as `check-quotas` leaves it. */
export interface QuotaForecastSnapshot {
  /** Unix seconds when it was computed. */
  computedAt: number;
  /** Horizon in days (as a string key) -> SIMs whose data quota is forecast to run out within it (0 = already exhausted counts too). */
  withinDays: Record<string, number>;
}

/** Tallies forecasts (days until exhaustion, null when not burning) into cumulative horizons. */
export function tallyForecasts(forecasts: Iterable<number | null>, computedAt: Date): QuotaForecastSnapshot {
  const withinDays: Record<string, number> = Object.fromEntries(FORECAST_HORIZON_DAYS.map((d) => [String(d), 0]));
  for (const days of forecasts) {
    if (days === null) continue;
    for (const horizon of FORECAST_HORIZON_DAYS) {
      if (days <= horizon) withinDays[String(horizon)] = (withinDays[String(horizon)] ?? 0) + 1;
    }
  }
  return { computedAt: Math.floor(computedAt.getTime() / 1000), withinDays };
}

/** Seconds between two consecutive runs of a cron schedule (UTC), from `now`. */
export function cronIntervalSeconds(cron: string, now: Date): number {
  const first = nextRun(cron, now);
  return (nextRun(cron, first).getTime() - first.getTime()) / 1000;
}

export interface PlatformProbesDeps {
  db: Kysely<DB>;
  cache: Cache;
  /** Pings the database (throws when it does not answer). */
  pingDatabase(): Promise<void>;
  /** Present when Redis is configured: pings it (throws when it does not answer). */
  pingRedis?: (() => Promise<void>) | undefined;
  /** Queued jobs of one queue; undefined while this process's job engine is not started. */
  queueSize(name: string): Promise<number> | undefined;
  /** Names of the job queues to report. */
  queueNames(): string[];
  /** Scheduled jobs whose last success is reported. */
  scheduledJobs: readonly string[];
}

export interface PlatformProbes {
  /** 1 when the dependency answered, 0 when not; Redis only when configured. */
  dependencies(): Promise<Record<string, 0 | 1>>;
  /** Unix seconds of the last successful run per scheduled job (jobs that never succeeded are absent). */
  lastJobSuccess(): Promise<Record<string, number>>;
  /** Jobs waiting per queue (absent while the engine is not started). */
  queueDepths(): Promise<Record<string, number>>;
  /** Unix seconds of the last Data Streamer record per provider account name. */
  streamerLastReceived(): Promise<Record<string, number>>;
  /** The latest fleet forecast, or undefined when `check-quotas` has not computed one (or it expired). */
  quotaForecast(): Promise<QuotaForecastSnapshot | undefined>;
  /** SIMs by status and connectivity (null values as `unknown`), counted at most once per FLEET_COUNT_TTL_MS. */
  fleetCounts(): Promise<{ status: string; connectivity: string; sims: number }[]>;
}

/** Fleet counts are a scan over every SIM: once a minute is plenty for a dashboard, however often it is scraped. */
const FLEET_COUNT_TTL_MS = 60_000;

/** Creates the probes over the given database and cache. */
export function createPlatformProbes(deps: PlatformProbesDeps, now: () => number = Date.now): PlatformProbes {
  const repo = createPlatformProbesRepo(deps.db);
  let fleet: { at: number; rows: Promise<{ status: string; connectivity: string; sims: number }[]> } | undefined;
  const up = async (ping: () => Promise<void>): Promise<0 | 1> => {
    try {
      await ping();
      return 1;
    } catch {
      return 0;
    }
  };

  return {
    async dependencies() {
      const [database, redis] = await Promise.all([up(() => deps.pingDatabase()), deps.pingRedis === undefined ? undefined : up(deps.pingRedis)]);
      return redis === undefined ? { database } : { database, redis };
    },

    async lastJobSuccess() {
      if (deps.scheduledJobs.length === 0) return {};
      const rows = await repo.lastJobSuccess(deps.scheduledJobs);
      const result: Record<string, number> = {};
      for (const row of rows) {
        if (row.finished_at !== null) result[row.job_name] = new Date(row.finished_at).getTime() / 1000;
      }
      return result;
    },

    async queueDepths() {
      const result: Record<string, number> = {};
      for (const name of deps.queueNames()) {
        const size = deps.queueSize(name);
        if (size === undefined) return {};
        result[name] = await size;
      }
      return result;
    },

    async streamerLastReceived() {
      const rows = await repo.streamerLastReceived();
      return Object.fromEntries(rows.map((r) => [r.name, new Date(r.last_received_at).getTime() / 1000]));
    },

    async quotaForecast() {
      return deps.cache.get<QuotaForecastSnapshot>(QUOTA_FORECAST_CACHE_KEY);
    },

    fleetCounts() {
      if (fleet === undefined || now() - fleet.at > FLEET_COUNT_TTL_MS) {
        const rows = repo.fleetCounts();
        // A failed count is not remembered: the next scrape tries again.
        rows.catch(() => {
          fleet = undefined;
        });
        fleet = { at: now(), rows };
      }
      return fleet.rows;
    },
  };
}
