import type { Kysely } from 'kysely';
import { pageReply } from '../../db/paging.js';
import type { DB, QuotaService } from '../../db/schema.js';
import { iso, isoOrNull } from '../../lib/time.js';
import { requireSim, type ActorContext } from '../sims/sim-ref.js';
import { createUsageRepo } from '../usage/usage.repo.js';
import { forecastExhaustion, forecastHistoryStart, type DailyConsumption } from './forecast.js';
import { createExhaustionForecast, type ExhaustionForecast, type ExhaustionQuery } from './exhaustions.js';
import { createQuotasRepo, type QuotaRow } from './quotas.repo.js';
import type { QuotasSync } from './quotas.sync.js';
import type { PublicQuota } from './quotas.schemas.js';

function percentageUsed(row: Pick<QuotaRow, 'volume_total' | 'volume_remaining'>): number | null {
  if (row.volume_total === null || row.volume_total === 0 || row.volume_remaining === null) return null;
  return Math.round(((row.volume_total - row.volume_remaining) / row.volume_total) * 10_000) / 100;
}

/** Quotas from the latest stored snapshot, the snapshot history, and the exhaustion forecast. */
export interface QuotasServiceDeps {
  db: Kysely<DB>;
  /** Fetches quotas from 1NCE when none is stored or a refresh is asked for. */
  sync: Pick<QuotasSync, 'syncQuotas'>;
  now?: (() => number) | undefined;
}

export function createQuotasService(deps: QuotasServiceDeps) {
  const repo = createQuotasRepo(deps.db);
  const usage = createUsageRepo(deps.db);
  const now = deps.now ?? Date.now;
  const fleetForecast = createExhaustionForecast(deps.db, now);

  /** Daily consumption of one service (SMS quotas are consumed by MO and MT alike). */
  async function consumption(simId: number, service: QuotaService): Promise<DailyConsumption[]> {
    const rows = await usage.consumptionSince(simId, forecastHistoryStart(now()));
    return rows.map((r) => ({ day: r.day, used: service === 'data' ? r.data_total_bytes : r.sms_mo + r.sms_mt }));
  }

  return {
    /** SIMs whose data runs out within a horizon (default: this month) at the forecast burn rate, soonest first. */
    forecastExhaustions: (query: ExhaustionQuery): Promise<ExhaustionForecast> => fleetForecast.forecast(query),

    /** The latest snapshot (fetched from 1NCE first when none is stored or `refresh` is set). */
    async get(iccidParam: string, service: QuotaService, options: { refresh: boolean; ctx: ActorContext }): Promise<PublicQuota> {
      const sim = await requireSim(deps.db, iccidParam);
      let row = options.refresh ? undefined : await repo.latest(sim.id, service);
      if (row === undefined) {
        const synced = await deps.sync.syncQuotas(sim.iccid, { priority: 'interactive', ctx: options.ctx });
        row = synced[service];
      }
      const capturedAt = row.captured_at;
      const forecast = forecastExhaustion(await consumption(sim.id, service), row.volume_remaining, new Date(now()));
      return {
        iccid: sim.iccid,
        service,
        unit: service === 'data' ? 'bytes' : 'messages',
        volume_total: row.volume_total,
        volume_used: row.volume_used,
        volume_remaining: row.volume_remaining,
        percentage_used: percentageUsed(row),
        expiry_date: isoOrNull(row.expiry_date),
        status: row.status,
        threshold_percentage: row.threshold_percentage,
        threshold_volume: row.threshold_volume,
        last_volume_added: row.last_volume_added,
        last_status_change_date: isoOrNull(row.last_status_change_date),
        captured_at: iso(capturedAt),
        age_seconds: Math.max(0, Math.floor((now() - capturedAt.getTime()) / 1000)),
        ...forecast,
      };
    },

    async history(iccidParam: string, service: QuotaService, query: { from?: string | undefined; to?: string | undefined; page?: number | undefined; page_size?: number | undefined }) {
      const sim = await requireSim(deps.db, iccidParam);
      const page = query.page ?? 1;
      const pageSize = query.page_size ?? 50;
      const range = { from: query.from === undefined ? undefined : new Date(query.from), to: query.to === undefined ? undefined : new Date(query.to) };
      const { rows, total } = await repo.history(sim.id, service, range, page, pageSize);
      const items = rows.map((r) => ({
          captured_at: iso(r.captured_at),
          volume_total: r.volume_total,
          volume_used: r.volume_used,
          volume_remaining: r.volume_remaining,
          percentage_used: percentageUsed(r),
          status: r.status,
          expiry_date: isoOrNull(r.expiry_date),
      }));
      return pageReply(items, total, page, pageSize);
    },
  };
}

export type QuotasService = ReturnType<typeof createQuotasService>;
