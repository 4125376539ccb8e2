/**
 * The fleet sweep: provider -> database for the `sims` rows themselves, and the orchestration of
 * the per-SIM details, which each sub-domain syncs itself (quotas/quotas.sync.ts,
 * usage/usage.sync.ts, connectivity/connectivity.sync.ts, events/events.sync.ts). Every write is
 * keyed by provider ids, so any sync can be re-run (or run by another worker after a crash)
 * without duplicating anything.
 *
 *  - upsertProviderSims: one multi-row INSERT ... ON CONFLICT per list page, with change detection
 *  - syncSim: one SIM on demand (its record, then its quotas)
 *  - sweep: every list page of an account at the governor's rate (background priority); quotas and
 *    recent usage are fetched only for SIMs whose status or quota status changed since last time,
 *    and for a bounded number of SIMs never detailed
 */
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Cache } from '../../cache.js';
import type { StatisticsKeeper } from '../../db/statistics.js';
import type { DB } from '../../db/schema.js';
import { NotFound } from '../../errors.js';
import { walkPages } from '../../lib/prefetch.js';
import { BYTES_PER_MB } from '../../lib/units.js';
import type { ProviderClient } from '../../provider/client.js';
import { ProviderNotFound } from '../../provider/errors.js';
import type { ProviderPage, ProviderSim } from '../../provider/provider.types.js';
import type { AuditService } from '../audit/audit.service.js';
import { auditedProviderCall, callOptions, invalidateSim, parseIccid, type SyncOptions } from './sim-ref.js';
import { createSimsRepo, type ProviderSimRow } from './sims.repo.js';

/**
 * Never-detailed SIMs fetched per sweep when no time budget is given: 3 calls each (data quota, SMS
 * quota, usage), so 300 SIMs spend about 90 s of a 10 req/s budget.
 */
const FIRST_DETAILS_PER_SWEEP = 300;
/** Never-detailed SIMs read from the database at a time while a time budget lasts. */
const FIRST_DETAILS_CHUNK = 100;

/**
 * What the sweep asks of the sub-domain syncs for one SIM (wired in src/deps.ts): its quotas
 * (quotas/quotas.sync.ts) and its usage since the last stored day (usage/usage.sync.ts).
 */
export interface SimDetailSyncs {
  syncQuotas(iccid: string, options?: SyncOptions): Promise<unknown>;
  syncRecentUsage(iccid: string, options?: SyncOptions): Promise<void>;
}

export interface SimSyncDeps {
  db: Kysely<DB>;
  cache: Cache;
  provider: { get(accountId: string): Promise<ProviderClient> };
  accounts: { defaultAccountId(): Promise<string | undefined>; activeAccountIds(): Promise<string[]> };
  audit: Pick<AuditService, 'recordSafely'>;
  logger: Pick<Logger, 'info' | 'warn'>;
  details: SimDetailSyncs;
  /**
   * Domain event hook: `sim.status_changed` `{ iccid, from, to }` (webhooks) when a sync changes a
   * status, `sim.updated` `{ iccid, fields }` (live stream) for any change.
   */
  notify?: ((type: 'sim.status_changed' | 'sim.updated', payload: Record<string, unknown>) => void | Promise<void>) | undefined;
  /** True while the Data Streamer feeds this account's usage: the sweep then skips per-SIM usage polls. */
  streamHealthy?: ((accountId: string) => Promise<boolean>) | undefined;
  /** Planner statistics after many rows changed (src/db/statistics.ts). */
  statistics?: Pick<StatisticsKeeper, 'refresh'> | undefined;
  now?: (() => number) | undefined;
}

export interface SweepOptions extends SyncOptions {
  pageSize?: number;
  concurrency?: number;
  details?: boolean;
  /**
   * Never-detailed SIMs to fetch quotas and usage for in this sweep: at most this many (default
   * FIRST_DETAILS_PER_SWEEP, or no count limit when a time budget is given).
   */
  firstDetailsLimit?: number;
  /** Stop starting first-time details once this many ms have passed since the sweep started. */
  firstDetailsUntilMs?: number;
  /** Never-detailed SIMs read from the database at a time (default FIRST_DETAILS_CHUNK). */
  firstDetailsChunk?: number;
  /** First list page to read: a pass that stopped part-way resumes here (default 1). */
  fromPage?: number;
  /** Told after each page is stored, in page order; awaited, so progress can be recorded. */
  onPage?: (page: number, totalPages: number | null) => void | Promise<void>;
}

/** What one page upsert did. */
export interface UpsertResult {
  /** Rows written (inserted or updated). */
  upserted: number;
  inserted: string[];
  /** ICCIDs of existing SIMs whose status or data/SMS quota status changed. */
  changed: string[];
  /** Existing SIMs with any provider field changed. */
  modified: number;
  /** Status transitions, for `sim.status_changed` notifications. */
  statusChanges: Array<{ iccid: string; from: string | null; to: string | null }>;
  /** Items skipped because their ICCID was not 19/20 digits. */
  skipped: number;
}

/** Totals of a sweep over every list page of an account. */
export interface SweepResult {
  accountId: string;
  pages: number;
  listed: number;
  upserted: number;
  inserted: number;
  changed: number;
  modified: number;
  skipped: number;
  /** SIMs whose quotas and recent usage were fetched because they changed. */
  detailsSynced: number;
  detailFailures: number;
  /** SIMs seen for the first time whose quotas and usage were fetched (bounded per sweep). */
  firstDetails: number;
  /** Time spent inside the page upserts (database), ms. */
  upsertMs: number;
  durationMs: number;
}

/** A provider SIM as a `sims` row; null when its ICCID is unusable. Only 1NCE's fields: tags and custom fields stay ours. */
export function toProviderSimRow(accountId: string, sim: ProviderSim): ProviderSimRow | null {
  const iccid = /^\d{20}$/.test(sim.iccid) ? sim.iccid.slice(0, 19) : sim.iccid;
  if (!/^\d{19}$/.test(iccid)) return null;
  const withLuhn = sim.iccidWithLuhn !== null && /^\d{20}$/.test(sim.iccidWithLuhn) && sim.iccidWithLuhn.startsWith(iccid) ? sim.iccidWithLuhn : null;
  const blank = (v: string | null) => (v === null || v.trim() === '' ? null : v);
  return {
    account_id: accountId,
    iccid,
    iccid_with_luhn: withLuhn,
    imsi: blank(sim.imsi),
    imsi_2: blank(sim.imsi2),
    current_imsi: blank(sim.currentImsi),
    msisdn: blank(sim.msisdn),
    imei: blank(sim.imei),
    imei_lock: sim.imeiLock,
    status: sim.providerStatus,
    activation_date: sim.activationDate,
    ip_address: blank(sim.ipAddress),
    // Exact MB as a decimal string: bytes / 2^20 always terminates in base 10.
    current_quota_mb: sim.dataQuotaBytes === null ? null : String(sim.dataQuotaBytes / BYTES_PER_MB),
    quota_status_id: sim.dataQuotaStatus?.id ?? null,
    quota_status_description: sim.dataQuotaStatus?.description ?? null,
    current_quota_sms: sim.smsQuota,
    quota_status_sms_id: sim.smsQuotaStatus?.id ?? null,
    quota_status_sms_description: sim.smsQuotaStatus?.description ?? null,
    label: blank(sim.label),
    provider_raw: sim.raw as { [key: string]: unknown },
  };
}

/** Creates the sweep and the single-SIM sync. */
export function createSimSync(deps: SimSyncDeps) {
  const sims = createSimsRepo(deps.db);
  const now = deps.now ?? Date.now;

  /** Upserts one list page of SIMs, tells webhooks and consoles of status changes, and says what changed. */
  async function upsertProviderSims(accountId: string, list: ProviderSim[]): Promise<UpsertResult> {
    const byIccid = new Map<string, ProviderSimRow>();
    let skipped = 0;
    for (const sim of list) {
      const row = toProviderSimRow(accountId, sim);
      if (row === null) skipped++;
      // The last occurrence wins: one statement cannot update the same row twice.
      else byIccid.set(row.iccid, row);
    }
    const rows = [...byIccid.values()];
    const result = await sims.upsertMany(rows, new Date(now()));
    await Promise.all(result.map((r) => invalidateSim(deps.cache, r.iccid)));
    const statusChanges = result.filter((r) => !r.inserted && r.old_status !== r.status).map((r) => ({ iccid: r.iccid, from: r.old_status, to: r.status }));
    for (const change of statusChanges) {
      await deps.notify?.('sim.status_changed', change);
      await deps.notify?.('sim.updated', { iccid: change.iccid, fields: ['status'] });
    }
    return {
      upserted: result.length,
      inserted: result.filter((r) => r.inserted).map((r) => r.iccid),
      changed: result.filter((r) => r.changed).map((r) => r.iccid),
      modified: result.filter((r) => !r.inserted && r.modified).length,
      statusChanges,
      skipped,
    };
  }

  /** Fetches the SIM from 1NCE (creating it when new to us), then its quotas. */
  async function syncSim(iccid: string, options?: SyncOptions & { accountId?: string }) {
    const normalized = parseIccid(iccid);
    const existing = await sims.findByIccid(normalized);
    const accountId = existing?.account_id ?? options?.accountId ?? (await deps.accounts.defaultAccountId());
    if (accountId === undefined) throw new NotFound('provider_account', 'default', 'provider_account_not_found');
    const client = await deps.provider.get(accountId);
    const synced: string[] = [];
    const sim = await auditedProviderCall(deps, options?.ctx, 'get_sim', normalized, () => client.getSim(normalized, callOptions(options))).catch((error: unknown) => {
      if (error instanceof ProviderNotFound) throw new NotFound('sim', normalized, 'sim_not_found_at_provider');
      throw error;
    });
    const upsert = await upsertProviderSims(accountId, [sim]);
    synced.push('sim');
    await deps.details.syncQuotas(normalized, options);
    synced.push('quota_data', 'quota_sms');
    const row = (await sims.findByIccid(normalized))!;
    // The stored quota figures were refreshed (and the provider fields when they moved).
    const fields = ['data_total_bytes', 'data_remaining_bytes', 'sms_total', 'sms_remaining', 'data_expiry_date'];
    await deps.notify?.('sim.updated', { iccid: normalized, fields: upsert.changed.length > 0 || upsert.inserted.length > 0 ? ['provider', ...fields] : fields });
    return { row, synced, inserted: upsert.inserted.length > 0, changed: upsert.changed.length > 0 };
  }

  /** Quotas and recent usage of one SIM (best effort: one failure never stops a sweep). */
  async function detailSim(iccid: string, options: SyncOptions, streamed: boolean): Promise<boolean> {
    try {
      await deps.details.syncQuotas(iccid, options);
      // The Data Streamer already delivers this account's usage; polling it too would only spend budget.
      if (!streamed) await deps.details.syncRecentUsage(iccid, options);
      return true;
    } catch (error) {
      deps.logger.warn({ err: error, iccid }, 'sync of a changed SIM failed');
      return false;
    }
  }

  /**
   * Step 1 of a sweep: every list page of the account from `fromPage` on, requested `concurrency`
   * ahead and upserted in order as they arrive. Returns the ICCIDs of SIMs whose status or quota status changed.
   */
  async function upsertEveryPage(accountId: string, options: SweepOptions, call: SyncOptions, totals: SweepResult): Promise<string[]> {
    const client = await deps.provider.get(accountId);
    const pageSize = options.pageSize ?? 100;
    const concurrency = Math.max(1, options.concurrency ?? 4);
    const changed: string[] = [];
    const fromPage = Math.max(1, Math.floor(options.fromPage ?? 1));
    const pages = walkPages((n, signal) => client.listSimsPage(n, { ...callOptions(call), pageSize, signal }), { pageSize, concurrency, fromPage, signal: call.signal });
    for await (const page of pages) {
      // A stopping worker stops at a page boundary (pages fetched ahead are not stored): the pass resumes here.
      call.signal?.throwIfAborted();
      await upsertPage(accountId, page, totals, changed);
      await options.onPage?.(page.page, page.totalPages);
    }
    return changed;
  }

  async function upsertPage(accountId: string, page: ProviderPage<ProviderSim>, totals: SweepResult, changed: string[]): Promise<void> {
    totals.pages++;
    totals.listed += page.items.length;
    const t0 = performance.now();
    const result = await upsertProviderSims(accountId, page.items);
    totals.upsertMs += performance.now() - t0;
    totals.upserted += result.upserted;
    totals.inserted += result.inserted.length;
    totals.modified += result.modified;
    totals.skipped += result.skipped + page.invalid;
    changed.push(...result.changed);
    // A first import runs for many minutes: lists need statistics before it ends (rate-limited).
    await deps.statistics?.refresh(['sims']);
  }

  /** Step 2: quotas and recent usage of every SIM that changed. */
  async function detailChangedSims(changed: string[], call: SyncOptions, streamed: boolean, totals: SweepResult): Promise<void> {
    for (const iccid of changed) {
      call.signal?.throwIfAborted();
      if (await detailSim(iccid, call, streamed)) totals.detailsSynced++;
      else totals.detailFailures++;
    }
  }

  /**
   * Step 3: SIMs never detailed (new ones: the list gives their remaining volume, not the total or
   * the expiry) get their quotas a bounded amount per sweep, so a large first import spreads over
   * sweeps instead of one burst: a count, or (from the scheduled job) a time budget that leaves the
   * rest of the interval's request budget to the other jobs. The SIMs a dashboard shows first come
   * first; tried SIMs are excluded by id (a failed one stays never-detailed).
   */
  async function detailNewSims(accountId: string, changed: string[], options: SweepOptions, call: SyncOptions, streamed: boolean, started: number, totals: SweepResult): Promise<void> {
    const budgetEnds = options.firstDetailsUntilMs === undefined ? Infinity : started + options.firstDetailsUntilMs;
    let remaining = options.firstDetailsLimit ?? (options.firstDetailsUntilMs === undefined ? FIRST_DETAILS_PER_SWEEP : Infinity);
    const chunkSize = Math.max(1, options.firstDetailsChunk ?? FIRST_DETAILS_CHUNK);
    const tried: number[] = [];
    while (remaining > 0 && now() < budgetEnds) {
      const chunk = await sims.neverDetailed(accountId, { ids: tried, iccids: changed }, Math.min(remaining, chunkSize));
      for (const { id, iccid } of chunk) {
        if (now() >= budgetEnds) break;
        call.signal?.throwIfAborted();
        tried.push(id);
        remaining--;
        if (await detailSim(iccid, call, streamed)) totals.firstDetails++;
        else totals.detailFailures++;
      }
      if (chunk.length < chunkSize) break;
    }
  }

  /**
   * Sweeps an account: upserts every list page, then details the SIMs that changed and a bounded
   * number never detailed (unless `details` is false).
   */
  async function sweep(accountId: string, options: SweepOptions = {}): Promise<SweepResult> {
    const started = now();
    const call: SyncOptions = { priority: options.priority ?? 'background', ...(options.signal !== undefined && { signal: options.signal }) };
    const totals: SweepResult = { accountId, pages: 0, listed: 0, upserted: 0, inserted: 0, changed: 0, modified: 0, skipped: 0, detailsSynced: 0, detailFailures: 0, firstDetails: 0, upsertMs: 0, durationMs: 0 };
    const changed = await upsertEveryPage(accountId, options, call, totals);
    totals.changed = changed.length;
    await deps.statistics?.refresh(['sims'], true);
    if (options.details !== false) {
      const streamed = (await deps.streamHealthy?.(accountId).catch(() => false)) ?? false;
      await detailChangedSims(changed, call, streamed, totals);
      await detailNewSims(accountId, changed, options, call, streamed, started, totals);
    }
    totals.durationMs = now() - started;
    deps.logger.info({ ...totals }, 'sim sweep finished');
    return totals;
  }

  return { upsertProviderSims, syncSim, sweep, activeAccountIds: () => deps.accounts.activeAccountIds() };
}

export type SimSync = ReturnType<typeof createSimSync>;
