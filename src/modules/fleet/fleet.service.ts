import type { Kysely } from 'kysely';
import type { Cache } from '../../cache.js';
import type { DB } from '../../db/schema.js';
import { ServiceUnavailable } from '../../errors.js';
import { runCheck, type CheckResult } from '../../lib/checks.js';
import type { FamilyUsage } from '../../provider/governor.js';
import { forecastExhaustion, forecastHistoryStart } from '../quotas/forecast.js';
import { DAY_MS, daysBetween, isoOrNull, utcDay } from '../../lib/time.js';
import { createFleetRepo, NEAR_QUOTA_PCT } from './fleet.repo.js';
import type { FleetSummary } from './fleet.schemas.js';

/** How long a computed summary is served to every caller (and, with Redis, every replica). */
export const SUMMARY_TTL_SECONDS = 5;
const CHART_DAYS = 30;
const LOWEST = 10;
const TOP_OPERATORS = 20;
const RECENT_EVENTS = 10;

export interface FleetSummaryDeps {
  db: Kysely<DB>;
  cache: Cache;
  /** Provider budget used by this replica per endpoint family. */
  providerUsage: () => FamilyUsage[];
  pingDatabase: () => Promise<void>;
  /** Undefined when Redis is not configured. */
  pingRedis: (() => Promise<void>) | undefined;
  now?: () => number;
}


/** The dashboard's aggregates (GET /fleet/summary) and the operator breakdown (GET /fleet/operators). */
export function createFleetService(deps: FleetSummaryDeps) {
  const repo = createFleetRepo(deps.db);
  const now = deps.now ?? Date.now;

  async function usage(at: number): Promise<FleetSummary['usage']> {
    const today = utcDay(at);
    const monthStart = `${today.slice(0, 7)}-01`;
    const chartStart = utcDay(at - (CHART_DAYS - 1) * DAY_MS);
    const from = monthStart < chartStart ? monthStart : chartStart;
    const rows = new Map((await repo.usageByDay(from)).map((r) => [r.day, r]));
    let monthData = 0;
    let monthSms = 0;
    for (const [day, r] of rows) {
      if (day >= monthStart && day <= today) {
        monthData += r.total;
        monthSms += r.sms;
      }
    }
    const daily = daysBetween(chartStart, today).map((day) => {
      const r = rows.get(day);
      return { day, data_rx_bytes: r?.rx ?? 0, data_tx_bytes: r?.tx ?? 0, data_total_bytes: r?.total ?? 0, sms: r?.sms ?? 0 };
    });
    return { month_start: monthStart, month_data_bytes: monthData, month_sms: monthSms, daily };
  }

  async function lowest(at: number): Promise<FleetSummary['quota']['lowest']> {
    const sims = await repo.lowestQuota(LOWEST);
    const history = await repo.dailyData(
      sims.map((s) => s.id),
      forecastHistoryStart(at),
    );
    return sims.map((s) => {
      const days = history.filter((h) => Number(h.sim_id) === s.id).map((h) => ({ day: h.day, used: Number(h.data_total_bytes) }));
      return {
        iccid: s.iccid,
        label: s.label,
        data_remaining_pct: s.data_remaining_pct,
        data_remaining_bytes: s.data_remaining_bytes,
        data_expiry_date: isoOrNull(s.data_expiry_date),
        forecast_exhaustion_date: forecastExhaustion(days, s.data_remaining_bytes, new Date(at)).forecast_exhaustion_date,
      };
    });
  }

  async function health(): Promise<FleetSummary['health']> {
    const [database, redis] = await Promise.all([runCheck(deps.pingDatabase), deps.pingRedis === undefined ? undefined : runCheck(deps.pingRedis)]);
    const checks: Record<string, CheckResult> = { database };
    if (redis !== undefined) checks.redis = redis;
    return {
      database: database.status === 'up' ? 'ok' : 'down',
      redis: redis === undefined ? 'not_configured' : redis.status === 'up' ? 'ok' : 'down',
      checks,
    };
  }

  async function compute(): Promise<FleetSummary> {
    const at = now();
    const [sims, operators, quota, forecasts, lowestSims, usageSummary, alerts, events, sweep, streamer] = await Promise.all([
      repo.simCounts(),
      repo.operators(TOP_OPERATORS),
      repo.quotaCounts(),
      repo.forecastExhaustions(forecastHistoryStart(at)),
      lowest(at),
      usage(at),
      repo.liveAlerts(),
      repo.recentEvents(RECENT_EVENTS),
      repo.lastRun('sync-sims'),
      repo.streamer(),
    ]);
    const bySeverity = new Map<string, number>();
    for (const a of alerts) if (a.state === 'open') bySeverity.set(a.severity, (bySeverity.get(a.severity) ?? 0) + a.count);
    return {
      generated_at: new Date(at).toISOString(),
      sims: { total: sims.total, by_status: sims.byStatus, by_connectivity: sims.byConnectivity },
      operators: operators.map(({ operator, country, country_iso, count }) => ({ operator, country, country_iso, count })),
      usage: usageSummary,
      quota: {
        near_quota_threshold_pct: NEAR_QUOTA_PCT,
        near_quota: quota.nearQuota,
        exhausted: quota.exhausted,
        near_expiry: quota.nearExpiry,
        forecast_exhaustions: forecasts,
        lowest: lowestSims,
      },
      alerts: {
        open: alerts.filter((a) => a.state === 'open').reduce((n, a) => n + a.count, 0),
        acknowledged: alerts.filter((a) => a.state === 'acknowledged').reduce((n, a) => n + a.count, 0),
        by_severity: [...bySeverity].map(([severity, count]) => ({ severity, count })).sort((a, b) => b.count - a.count),
      },
      recent_events: events.map((e) => ({
        id: e.event_key,
        iccid: e.iccid,
        type: e.event_type ?? (e.event_type_id === null ? 'unknown' : `type ${e.event_type_id}`),
        severity: e.severity,
        description: e.description,
        occurred_at: isoOrNull(e.occurred_at) ?? new Date(0).toISOString(),
      })),
      sync: {
        last_sweep:
          sweep === undefined
            ? null
            : { status: sweep.outcome, started_at: isoOrNull(sweep.started_at), finished_at: isoOrNull(sweep.finished_at), items: sweep.items, error: sweep.error },
        provider_budget: deps.providerUsage().map((u) => ({ family: u.family, used: u.used, limit: u.limit, window_seconds: u.windowMs / 1000 })),
        streamer: { last_batch_at: isoOrNull(streamer.lastBatchAt), records_last_hour: streamer.recordsLastHour },
      },
      health: await health(),
    };
  }

  return {
    /**
     * The dashboard's figures, computed at most once per SUMMARY_TTL_SECONDS for every caller
     * (concurrent misses share one computation). 503 when the database does not answer.
     */
    async summary(): Promise<FleetSummary> {
      try {
        return await deps.cache.wrap('fleet:summary', SUMMARY_TTL_SECONDS, compute);
      } catch (error) {
        const db = await runCheck(deps.pingDatabase);
        if (db.status === 'down') throw new ServiceUnavailable('The database is not answering; the fleet summary cannot be computed', 'database_unavailable', 5, error);
        throw error;
      }
    },

    /** SIMs per network and country, largest first, and the fleet size they add up to. */
    async operators(limit: number) {
      const [items, counts] = await Promise.all([repo.operators(limit), repo.simCounts()]);
      return { items, total_sims: counts.total };
    },
  };
}

export type FleetService = ReturnType<typeof createFleetService>;

