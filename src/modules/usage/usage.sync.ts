/**
 * 1NCE -> database sync of daily usage: one SIM's days upserted on (SIM, day) so any re-run is
 * harmless, the days since a SIM's last stored one, and the back-fill of holes up to 1NCE's six
 * months.
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Cache } from '../../cache.js';
import type { DB } from '../../db/schema.js';
import { DAY_MS, daysBetween, utcDay } from '../../lib/time.js';
import type { ProviderClient } from '../../provider/client.js';
import { ProviderOperationRetired } from '../../provider/errors.js';
import type { AuditService } from '../audit/audit.service.js';
import { auditedProviderCall, callOptions, noteExpiry, requireSim, type SyncOptions } from '../sims/sim-ref.js';
import { invalidateUsage } from './usage.cache.js';
import { createUsageRepo, type UsageDay } from './usage.repo.js';
import type { UsageSyncResult } from './usage.schemas.js';

/** 1NCE keeps daily usage for six months; older days cannot be back-filled. */
export const USAGE_HISTORY_DAYS = 183;
/** How far back usage is re-fetched for a SIM whose quota changed and that has no usage stored. */
const RECENT_USAGE_DAYS = 7;

export interface UsageSyncDeps {
  db: Kysely<DB>;
  cache: Cache;
  provider: { get(accountId: string): Promise<ProviderClient> };
  audit: Pick<AuditService, 'recordSafely'>;
  logger: Pick<Logger, 'warn'>;
  /** Reports SIMs whose stored usage changed, so their alerts are evaluated now (AlertTrigger). */
  quotaChanged?: ((iccids: string[]) => void) | undefined;
  now?: (() => number) | undefined;
}

export function createUsageSync(deps: UsageSyncDeps) {
  const usage = createUsageRepo(deps.db);
  const now = deps.now ?? Date.now;

  /**
   * Fetches daily usage for [from, to] and upserts it on (sim, day). Days before 1NCE's six months
   * are clamped away; days 1NCE omits (before today) are stored as zero so gaps close.
   */
  async function syncUsage(iccid: string, range: { from: string; to: string }, options?: SyncOptions): Promise<UsageSyncResult> {
    const sim = await requireSim(deps.db, iccid);
    const today = utcDay(now());
    const oldest = utcDay(now() - USAGE_HISTORY_DAYS * DAY_MS);
    const from = range.from < oldest ? oldest : range.from;
    const to = range.to > today ? today : range.to;
    if (from > to) return { iccid: sim.iccid, from, to, days: 0, written: 0, clamped: range.from < oldest };
    const client = await deps.provider.get(sim.account_id);
    const answer = await noteExpiry(deps, sim, () =>
      auditedProviderCall(deps, options?.ctx, 'get_usage', sim.iccid, () => client.getUsage(sim.iccid, { from, to }, callOptions(options)), { from, to }),
    );
    const reported = new Map<string, UsageDay>();
    for (const row of answer.days) {
      if (row.date < from || row.date > to) continue;
      reported.set(row.date, {
        day: row.date,
        data_rx_bytes: Math.max(0, row.dataRxBytes),
        data_tx_bytes: Math.max(0, row.dataTxBytes),
        data_total_bytes: Math.max(0, row.dataBytes),
        sms_mo: Math.max(0, row.smsRx),
        sms_mt: Math.max(0, row.smsTx),
      });
    }
    const lastComplete = utcDay(now() - DAY_MS);
    const zeroDays = daysBetween(from, to < lastComplete ? to : lastComplete).filter((d) => !reported.has(d));
    const written = await usage.upsertPolledDays(sim.id, [...reported.values()], zeroDays);
    await invalidateUsage(deps.cache, sim.iccid);
    if (written > 0) deps.quotaChanged?.([sim.iccid]);
    return { iccid: sim.iccid, from, to, days: reported.size, written, clamped: range.from < oldest };
  }

  /**
   * Usage since the SIM's last stored day (the last week when it has none). Polled usage retired
   * for its account (v1 gone, no v2 path) is no failure: the Data Streamer is then the source.
   */
  async function syncRecentUsage(iccid: string, options?: SyncOptions): Promise<void> {
    const sim = await requireSim(deps.db, iccid);
    const from = (await usage.lastDay(sim.id)) ?? utcDay(now() - RECENT_USAGE_DAYS * DAY_MS);
    await syncUsage(iccid, { from, to: utcDay(now()) }, options).catch((error: unknown) => {
      if (error instanceof ProviderOperationRetired) return undefined;
      throw error;
    });
  }

  /**
   * Closes holes in stored daily usage: SIMs with missing days in the last `days` (max six months),
   * most behind first, at most `limit` SIMs per call. Each SIM costs one usage request.
   */
  async function backfillUsage(options: SyncOptions & { days?: number; limit?: number; iccids?: string[] } = {}) {
    const opts: SyncOptions = { priority: options.priority ?? 'background', ...(options.signal !== undefined && { signal: options.signal }) };
    const days = Math.min(USAGE_HISTORY_DAYS, Math.max(1, options.days ?? USAGE_HISTORY_DAYS));
    const to = utcDay(now() - DAY_MS);
    const from = utcDay(now() - days * DAY_MS);
    const candidates = await usage.gapCandidates(from, to, options.limit ?? 200, options.iccids);
    let synced = 0;
    let failed = 0;
    let retired = 0;
    let written = 0;
    for (const candidate of candidates) {
      options.signal?.throwIfAborted();
      try {
        // Only the stretch that has holes: from the first missing day when the SIM has history, else the window.
        const start = candidate.have === 0 || candidate.last_day === null ? from : await usage.firstMissingDay(candidate.id, from, to);
        const result = await syncUsage(candidate.iccid, { from: start, to: utcDay(now()) }, opts);
        written += result.written;
        synced++;
      } catch (error) {
        // Usage polling is retired for this SIM's account (logged once by the client): the Data
        // Streamer is the only source, so the rest of the run would only repeat the same answer.
        if (error instanceof ProviderOperationRetired) {
          retired++;
          continue;
        }
        failed++;
        deps.logger.warn({ err: error, iccid: candidate.iccid }, 'usage back-fill of a SIM failed');
      }
    }
    return { candidates: candidates.length, synced, failed, retired, written, from, to };
  }

  return { syncUsage, syncRecentUsage, backfillUsage };
}

export type UsageSync = ReturnType<typeof createUsageSync>;
