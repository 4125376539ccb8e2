import { ValidationError } from '../../errors.js';
import type { Kysely } from 'kysely';
import type { Cache } from '../../cache.js';
import type { DB } from '../../db/schema.js';
import { parseIccid, requireSim, type ActorContext } from '../sims/sim-ref.js';
import { USAGE_CACHE_TTL_SECONDS, usageCacheKeys } from './usage.cache.js';
import type { UsageSync } from './usage.sync.js';
import { DAY_MS, utcDay } from '../../lib/time.js';
import { createUsageRepo, type Granularity } from './usage.repo.js';
import type { UsageResponse, UsageSummary } from './usage.schemas.js';

/** Longest range one request may aggregate (our history is unlimited; a request is not). */
const MAX_RANGE_DAYS = 3_660;
const DEFAULT_RANGE_DAYS = 30;

/** Resolves and checks a [start, end] day range; defaults to the last 30 days. */
export function resolveRange(query: { start_date?: string | undefined; end_date?: string | undefined }, nowMs: number): { from: string; to: string; days: number } {
  const to = query.end_date ?? utcDay(nowMs);
  const from = query.start_date ?? utcDay(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_RANGE_DAYS - 1) * DAY_MS);
  const fromMs = Date.parse(`${from}T00:00:00Z`);
  const toMs = Date.parse(`${to}T00:00:00Z`);
  if (Number.isNaN(fromMs) || utcDay(fromMs) !== from) throw new ValidationError('start_date is not a calendar day', [{ field: 'querystring.start_date', message: 'must be a valid YYYY-MM-DD day' }]);
  if (Number.isNaN(toMs) || utcDay(toMs) !== to) throw new ValidationError('end_date is not a calendar day', [{ field: 'querystring.end_date', message: 'must be a valid YYYY-MM-DD day' }]);
  if (fromMs > toMs) throw new ValidationError('start_date is after end_date', [{ field: 'querystring.start_date', message: 'must not be after end_date' }]);
  const days = Math.round((toMs - fromMs) / DAY_MS) + 1;
  if (days > MAX_RANGE_DAYS) throw new ValidationError(`at most ${MAX_RANGE_DAYS} days per request`, [{ field: 'querystring.start_date', message: 'range too long' }]);
  return { from, to, days };
}

/** Usage from our own store (unlimited history), cached until the next write to the SIM's usage. */
export interface UsageServiceDeps {
  db: Kysely<DB>;
  cache: Cache;
  /** Fetches a range of daily usage from 1NCE on request. */
  sync: Pick<UsageSync, 'syncUsage'>;
  now?: (() => number) | undefined;
}

export function createUsageService(deps: UsageServiceDeps) {
  const repo = createUsageRepo(deps.db);
  const now = deps.now ?? Date.now;

  async function summaryOf(simId: number, from: string, to: string, days: number): Promise<UsageSummary> {
    const totals = await repo.totals(simId, from, to);
    const smsTotal = totals.sms_mo + totals.sms_mt;
    return {
      start_date: from,
      end_date: to,
      days,
      days_with_data: totals.days_with_data,
      data_total_bytes: totals.data_total_bytes,
      data_rx_bytes: totals.data_rx_bytes,
      data_tx_bytes: totals.data_tx_bytes,
      sms_mo: totals.sms_mo,
      sms_mt: totals.sms_mt,
      sms_total: smsTotal,
      daily_average_bytes: Math.round(totals.data_total_bytes / days),
      daily_average_sms: Math.round((smsTotal / days) * 100) / 100,
      peak: totals.peak_day === null || totals.peak_bytes === null ? null : { day: totals.peak_day, data_total_bytes: totals.peak_bytes },
    };
  }

  /** Cache key of an answer, under the SIM's current usage generation. */
  async function keyOf(iccid: string, rest: string): Promise<string> {
    const generation = (await deps.cache.get<string>(usageCacheKeys.generation(iccid))) ?? '0';
    return usageCacheKeys.answer(iccid, generation, rest);
  }

  return {
    async get(iccidParam: string, query: { start_date?: string | undefined; end_date?: string | undefined; granularity?: Granularity | undefined }): Promise<UsageResponse> {
      const iccid = parseIccid(iccidParam);
      const { from, to, days } = resolveRange(query, now());
      const granularity = query.granularity ?? 'day';
      const key = await keyOf(iccid, `${granularity}:${from}:${to}`);
      return deps.cache.wrap(key, USAGE_CACHE_TTL_SECONDS.answer, async () => {
        const sim = await requireSim(deps.db, iccid);
        const [periods, summary] = await Promise.all([repo.periods(sim.id, from, to, granularity), summaryOf(sim.id, from, to, days)]);
        return {
          iccid: sim.iccid,
          granularity,
          items: periods.map((p) => ({
            period_start: p.day,
            days_with_data: p.days,
            data_rx_bytes: p.data_rx_bytes,
            data_tx_bytes: p.data_tx_bytes,
            data_total_bytes: p.data_total_bytes,
            sms_mo: p.sms_mo,
            sms_mt: p.sms_mt,
          })),
          summary,
        };
      });
    },

    async summary(iccidParam: string, query: { start_date?: string | undefined; end_date?: string | undefined }): Promise<UsageSummary> {
      const iccid = parseIccid(iccidParam);
      const { from, to, days } = resolveRange(query, now());
      const key = await keyOf(iccid, `summary:${from}:${to}`);
      return deps.cache.wrap(key, USAGE_CACHE_TTL_SECONDS.answer, async () => {
        const sim = await requireSim(deps.db, iccid);
        return summaryOf(sim.id, from, to, days);
      });
    },

    /** Fetches a range from 1NCE and upserts it on (sim, day): running it twice changes nothing. */
    async sync(iccidParam: string, body: { start_date?: string | undefined; end_date?: string | undefined }, ctx: ActorContext) {
      const sim = await requireSim(deps.db, iccidParam);
      let range;
      try {
        range = resolveRange(body, now());
      } catch (error) {
        if (error instanceof ValidationError) {
          throw new ValidationError(error.detail ?? 'invalid range', error.errors?.map((e) => ({ ...e, field: e.field.replace('querystring.', 'body.') })));
        }
        throw error;
      }
      return deps.sync.syncUsage(sim.iccid, { from: range.from, to: range.to }, { priority: 'interactive', ctx });
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
