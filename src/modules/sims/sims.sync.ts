/**
 * Provider -> database sync: every write keyed by provider ids and periods, so any sync can be
 * re-run (or run by another worker after a crash) without duplicating anything.
 *
 *  - upsertProviderSims: one multi-row INSERT ... ON CONFLICT per list page, with change detection
 *  - syncSim / syncQuotas / syncUsage / syncConnectivity / syncEvents: one SIM on demand
 *  - sweep: every list page of an account at the governor's rate (background priority); quotas and
 *    recent usage are fetched only for SIMs whose status or quota status changed since last time
 *  - backfillUsage: SIMs with holes in their daily usage, up to 1NCE's six months
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { NewRow, QuotaService } from '../../db/schema.js';
import { NotFound } from '../../errors.js';
import { BYTES_PER_MB } from '../../lib/units.js';
import { ProviderNotFound, ProviderOperationRetired, SimExpired } from '../../provider/errors.js';
import type { CallOptions, Priority, ProviderEvent, ProviderPage, ProviderQuota, ProviderSim } from '../../provider/provider.types.js';
import { createConnectivityRepo, type ConnectivityRow } from '../connectivity/connectivity.repo.js';
import { createEventsRepo } from '../events/events.repo.js';
import { createQuotasRepo, type QuotaRow } from '../quotas/quotas.repo.js';
import { createUsageRepo, type UsageDay } from '../usage/usage.repo.js';
import { auditedProviderCall, invalidateSim, invalidateUsage, type FleetDeps } from './fleet.context.js';
import { parseIccid, type ActorContext } from './sim-ref.js';
import { createSimsRepo, type ProviderSimRow } from './sims.repo.js';
import type { SimRow } from './sims.view.js';
import { DAY_MS, daysBetween, utcDay } from '../../lib/time.js';


/** Swallows a retired-operation error (the feature degrades to another source), rethrows anything else. */
function ignoreRetired(error: unknown): undefined {
  if (error instanceof ProviderOperationRetired) return undefined;
  throw error;
}
/** 1NCE keeps daily usage for six months; older days cannot be back-filled. */
export const USAGE_HISTORY_DAYS = 183;
/**
 * Never-detailed SIMs fetched per sweep when no time budget is given: 3 calls each (data quota, SMS
 * quota, usage), so 300 SIMs spend about 90 s of a 10 req/s budget.
 */
const FIRST_DETAILS_PER_SWEEP = 300;
/** Never-detailed SIMs read from the database at a time while a time budget lasts. */
const FIRST_DETAILS_CHUNK = 100;

/** How far back usage is re-fetched for a SIM whose quota changed and that has no usage stored. */
const RECENT_USAGE_DAYS = 7;
const EVENT_PAGE_SIZE = 1000;
/** A reset is "completed by status" only from a status seen this long after the request (1NCE resets asynchronously). */
const RESET_SETTLE_MS = 5_000;
/** A reset with no re-attach for this long is marked failed. */
const RESET_GIVE_UP_MS = 24 * 3_600_000;
/** Event names that show a device (re-)attached to the network after a reset. */
export const REATTACH_EVENTS = ['create pdp context', 'pdp context created.', 'update location', 'update gprs location'];

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

export interface SyncOptions {
  priority?: Priority;
  signal?: AbortSignal;
  /** Who asked (audited); background work is recorded as the system. */
  ctx?: ActorContext;
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

/** Deterministic key for events without a provider id, so re-polling never duplicates them. */
export function eventKey(iccid: string, event: ProviderEvent): string {
  if (event.id !== null) return event.id;
  const digest = createHash('sha256')
    .update([iccid, event.timestamp?.toISOString() ?? '', event.typeId ?? '', event.type ?? '', event.description ?? ''].join('\u0000'))
    .digest('hex');
  return `h:${digest.slice(0, 40)}`;
}

/** Creates the sync functions. */
export function createSimSync(deps: FleetDeps) {
  const sims = createSimsRepo(deps.db);
  const usage = createUsageRepo(deps.db);
  const quotas = createQuotasRepo(deps.db);
  const connectivity = createConnectivityRepo(deps.db);
  const events = createEventsRepo(deps.db);
  const now = deps.now ?? Date.now;

  const call = (options: SyncOptions | undefined): CallOptions => ({
    priority: options?.priority ?? 'interactive',
    ...(options?.signal !== undefined && { signal: options.signal }),
  });

  /**
   * 1NCE answers 422 for every call about an expired SIM, and its listing still says `Enabled`; the
   * expiry is recorded so back-fills and sweeps stop asking (an extension brings a new expiry date
   * with the next quota sync).
   */
  async function noteExpiry<T>(sim: SimRow, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof SimExpired) {
        await deps.db
          .updateTable('sims')
          .set({ data_expiry_date: sql<Date>`least(coalesce(data_expiry_date, now()), now())` })
          .where('id', '=', sim.id)
          .execute();
        await invalidateSim(deps.cache, sim.iccid);
      }
      throw error;
    }
  }

  async function storedSim(iccid: string): Promise<SimRow> {
    const row = await sims.findByIccid(parseIccid(iccid));
    if (row === undefined) throw new NotFound('sim', iccid, 'sim_not_found');
    return row;
  }

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

  /** Stores one quota answer as a snapshot; `total` falls back to the listed quota for data. */
  async function storeQuota(sim: SimRow, service: QuotaService, quota: ProviderQuota, capturedAt: Date): Promise<QuotaRow> {
    const listedTotal = service === 'data' && sim.current_quota_mb !== null ? Math.round(Number(sim.current_quota_mb) * BYTES_PER_MB) : service === 'sms' ? sim.current_quota_sms : null;
    const total = quota.total ?? listedTotal;
    const snapshot: Omit<NewRow<'sim_quotas'>, 'captured_at'> & { captured_at: Date } = {
      sim_id: sim.id,
      service,
      captured_at: capturedAt,
      volume_total: total,
      volume_remaining: quota.remaining,
      volume_used: total === null ? null : total - quota.remaining,
      last_volume_added: quota.lastVolumeAdded,
      expiry_date: quota.expiresAt,
      threshold_percentage: quota.thresholdPercentage === null ? null : Math.max(0, Math.min(100, Math.round(quota.thresholdPercentage))),
      threshold_volume: quota.thresholdVolume,
      peak_throughput: quota.peakThroughputBps,
      status: quota.state,
      last_status_change_date: quota.lastStatusChangeAt,
      raw: quota.raw,
    };
    return quotas.capture(snapshot);
  }

  async function syncQuotas(iccid: string, options?: SyncOptions): Promise<{ data: QuotaRow; sms: QuotaRow }> {
    const sim = await storedSim(iccid);
    const client = await deps.provider.get(sim.account_id);
    const [dataQuota, smsQuota] = await noteExpiry(sim, () =>
      auditedProviderCall(deps, options?.ctx, 'get_quotas', sim.iccid, () =>
        Promise.all([client.getDataQuota(sim.iccid, call(options)), client.getSmsQuota(sim.iccid, call(options))]),
      ),
    );
    const capturedAt = new Date(now());
    const data = await storeQuota(sim, 'data', dataQuota, capturedAt);
    const sms = await storeQuota(sim, 'sms', smsQuota, capturedAt);
    await invalidateSim(deps.cache, sim.iccid);
    deps.quotaChanged?.([sim.iccid]);
    return { data, sms };
  }

  /**
   * Fetches daily usage for [from, to] and upserts it on (sim, day). Days before 1NCE's six months
   * are clamped away; days 1NCE omits (before today) are stored as zero so gaps close.
   */
  async function syncUsage(iccid: string, range: { from: string; to: string }, options?: SyncOptions) {
    const sim = await storedSim(iccid);
    const today = utcDay(now());
    const oldest = utcDay(now() - USAGE_HISTORY_DAYS * DAY_MS);
    const from = range.from < oldest ? oldest : range.from;
    const to = range.to > today ? today : range.to;
    if (from > to) return { iccid: sim.iccid, from, to, days: 0, written: 0, clamped: range.from < oldest };
    const client = await deps.provider.get(sim.account_id);
    const answer = await noteExpiry(sim, () =>
      auditedProviderCall(deps, options?.ctx, 'get_usage', sim.iccid, () => client.getUsage(sim.iccid, { from, to }, call(options)), { from, to }),
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

  /** Re-attach seen after a requested reset completes it. */
  async function completeResets(sim: SimRow, snapshot: ConnectivityRow | undefined): Promise<number> {
    let completed = 0;
    for (const reset of await connectivity.pendingResets(sim.id)) {
      const requestedAt = reset.requested_at;
      const viaEvent = await events.hasEventSince(sim.id, REATTACH_EVENTS, requestedAt);
      const observedAt = snapshot === undefined ? undefined : (snapshot.observed_at);
      const viaStatus =
        snapshot !== undefined && observedAt !== undefined && (snapshot.status === 'ONLINE' || snapshot.status === 'ATTACHED') && observedAt.getTime() >= requestedAt.getTime() + RESET_SETTLE_MS;
      if (viaEvent !== undefined) {
        if (await connectivity.finishReset(reset.id, 'completed', viaEvent.occurred_at, `re-attach event: ${viaEvent.event_type ?? viaEvent.description ?? 'attach'}`)) completed++;
      } else if (viaStatus) {
        if (await connectivity.finishReset(reset.id, 'completed', observedAt, `status ${snapshot.status} after the reset`)) completed++;
      } else if (now() - requestedAt.getTime() > RESET_GIVE_UP_MS) {
        await connectivity.finishReset(reset.id, 'failed', new Date(now()), 'no re-attach observed within 24 hours');
      }
    }
    return completed;
  }

  async function syncConnectivity(iccid: string, options?: SyncOptions): Promise<ConnectivityRow> {
    const sim = await storedSim(iccid);
    const client = await deps.provider.get(sim.account_id);
    const status = await auditedProviderCall(deps, options?.ctx, 'get_connectivity', sim.iccid, () => client.getConnectivity(sim.iccid, call(options)));
    const observedAt = new Date(now());
    const pdp = status.pdpContext;
    const reachable = status.status === 'ONLINE' || status.status === 'ATTACHED';
    const row = await connectivity.capture(
      {
        sim_id: sim.id,
        observed_at: observedAt,
        status: status.status,
        operator_name: status.operator?.name ?? null,
        operator_id: status.operator?.id ?? null,
        country_name: status.country?.name ?? null,
        country_iso: status.country?.isoCode ?? null,
        mcc: status.country?.mcc ?? pdp?.mcc ?? null,
        mnc: status.operator?.mnc ?? pdp?.mnc ?? null,
        rat: status.rat ?? pdp?.rat ?? null,
        pdp_context: pdp === null ? null : { ...pdp, createdAt: pdp.createdAt?.toISOString() ?? null },
        location: status.lastUpdated === null ? null : { last_updated: status.lastUpdated.toISOString() },
        services: status.services,
        raw: status.raw,
      },
      reachable ? observedAt : status.lastUpdated,
    );
    await invalidateSim(deps.cache, sim.iccid);
    await completeResets(sim, row);
    return row;
  }

  /** Fetches every event page 1NCE holds for a SIM and stores the new ones. */
  async function syncEvents(iccid: string, options?: SyncOptions): Promise<{ fetched: number; inserted: number }> {
    const sim = await storedSim(iccid);
    const client = await deps.provider.get(sim.account_id);
    let fetched = 0;
    let inserted = 0;
    for (let page = 1; ; page++) {
      const result: ProviderPage<ProviderEvent> = await auditedProviderCall(deps, options?.ctx, 'list_events', sim.iccid, () =>
        client.listEvents(sim.iccid, { ...call(options), page, pageSize: EVENT_PAGE_SIZE }),
      { page });
      fetched += result.items.length;
      const rows = result.items
        .filter((e) => e.timestamp !== null)
        .map((e) => ({
          event_key: eventKey(sim.iccid, e),
          occurred_at: e.timestamp!,
          sim_id: sim.id,
          iccid: sim.iccid,
          event_type_id: e.typeId,
          event_type: e.type,
          severity: e.severity === 'UNKNOWN' ? null : e.severity,
          severity_id: severityIdOf(e.raw),
          event_source: e.source,
          event_source_id: e.sourceId,
          source: 'poll' as const,
          alert: e.alert,
          description: e.description,
          raw: e.raw,
        }));
      inserted += await events.insertNew(rows);
      const last = result.totalPages === null ? result.items.length + result.invalid < EVENT_PAGE_SIZE : page >= result.totalPages;
      if (last || result.items.length + result.invalid === 0) break;
    }
    return { fetched, inserted };
  }

  /** Fetches the SIM from 1NCE (creating it when new to us), then its quotas. */
  async function syncSim(iccid: string, options?: SyncOptions & { accountId?: string }) {
    const normalized = parseIccid(iccid);
    const existing = await sims.findByIccid(normalized);
    const accountId = existing?.account_id ?? options?.accountId ?? (await deps.accounts.defaultAccountId());
    if (accountId === undefined) throw new NotFound('provider_account', 'default', 'provider_account_not_found');
    const client = await deps.provider.get(accountId);
    const synced: string[] = [];
    const sim = await auditedProviderCall(deps, options?.ctx, 'get_sim', normalized, () => client.getSim(normalized, call(options))).catch((error: unknown) => {
      if (error instanceof ProviderNotFound) throw new NotFound('sim', normalized, 'sim_not_found_at_provider');
      throw error;
    });
    const upsert = await upsertProviderSims(accountId, [sim]);
    synced.push('sim');
    await syncQuotas(normalized, options);
    synced.push('quota_data', 'quota_sms');
    const row = (await sims.findByIccid(normalized))!;
    // The stored quota figures were refreshed (and the provider fields when they moved).
    const fields = ['data_total_bytes', 'data_remaining_bytes', 'sms_total', 'sms_remaining', 'data_expiry_date'];
    await deps.notify?.('sim.updated', { iccid: normalized, fields: upsert.changed.length > 0 || upsert.inserted.length > 0 ? ['provider', ...fields] : fields });
    return { row, synced, inserted: upsert.inserted.length > 0, changed: upsert.changed.length > 0 };
  }

  /** Quotas and recent usage of a SIM that changed (best effort: one failure never stops a sweep). */
  async function syncChangedDetails(iccid: string, options: SyncOptions, streamed: boolean): Promise<boolean> {
    try {
      await syncQuotas(iccid, options);
      // The Data Streamer already delivers this account's usage; polling it too would only spend budget.
      if (streamed) return true;
      const sim = await storedSim(iccid);
      const last = await usage.lastDay(sim.id);
      const from = last ?? utcDay(now() - RECENT_USAGE_DAYS * DAY_MS);
      // Polled usage retired (v1 gone, no v2 path): the Data Streamer is the source; nothing failed.
      await syncUsage(iccid, { from, to: utcDay(now()) }, options).catch(ignoreRetired);
      return true;
    } catch (error) {
      deps.logger.warn({ err: error, iccid }, 'sync of a changed SIM failed');
      return false;
    }
  }

  /**
   * Sweeps every list page of an account. Pages are requested `concurrency` ahead (the governor
   * still paces them at 1NCE's rate) and upserted in order as they arrive.
   */
  async function sweep(
    accountId: string,
    options: SyncOptions & {
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
    } = {},
  ): Promise<SweepResult> {
    const started = now();
    const client = await deps.provider.get(accountId);
    const opts: SyncOptions = { priority: options.priority ?? 'background', ...(options.signal !== undefined && { signal: options.signal }) };
    const pageSize = options.pageSize ?? 100;
    const concurrency = Math.max(1, options.concurrency ?? 4);
    const totals: SweepResult = { accountId, pages: 0, listed: 0, upserted: 0, inserted: 0, changed: 0, modified: 0, skipped: 0, detailsSynced: 0, detailFailures: 0, firstDetails: 0, upsertMs: 0, durationMs: 0 };
    const changed: string[] = [];
    const fetchPage = (n: number) => {
      const promise = client.listSimsPage(n, { ...call(opts), pageSize });
      promise.catch(() => undefined); // awaited in order below
      return promise;
    };
    const consume = async (page: ProviderPage<ProviderSim>) => {
      // A stopping worker stops at a page boundary (pages fetched ahead are not stored): the pass resumes here.
      options.signal?.throwIfAborted();
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
      await options.onPage?.(page.page, page.totalPages);
    };

    const fromPage = Math.max(1, Math.floor(options.fromPage ?? 1));
    const first = await fetchPage(fromPage);
    await consume(first);
    if (first.totalPages === null) {
      for (let n = fromPage + 1, last = first; last.items.length + last.invalid >= pageSize; n++) {
        last = await fetchPage(n);
        await consume(last);
      }
    } else {
      const pending = new Map<number, Promise<ProviderPage<ProviderSim>>>();
      let next = fromPage + 1;
      const fill = () => {
        while (pending.size < concurrency && next <= first.totalPages!) pending.set(next, fetchPage(next++));
      };
      try {
        for (let n = fromPage + 1; n <= first.totalPages; n++) {
          fill();
          const page = await pending.get(n)!;
          pending.delete(n);
          fill();
          await consume(page);
        }
      } finally {
        pending.clear();
      }
    }

    totals.changed = changed.length;
    await deps.statistics?.refresh(['sims'], true);
    if (options.details !== false) {
      const streamed = (await deps.streamHealthy?.(accountId).catch(() => false)) ?? false;
      for (const iccid of changed) {
        options.signal?.throwIfAborted();
        if (await syncChangedDetails(iccid, opts, streamed)) totals.detailsSynced++;
        else totals.detailFailures++;
      }
      // SIMs never detailed (new ones: the list gives their remaining volume, not the total or the
      // expiry) get their quotas a bounded amount per sweep, so a large first import spreads over
      // sweeps instead of one burst: a count, or (from the scheduled job) a time budget that leaves
      // the rest of the interval's request budget to the other jobs.
      const budgetEnds = options.firstDetailsUntilMs === undefined ? Infinity : started + options.firstDetailsUntilMs;
      let remaining = options.firstDetailsLimit ?? (options.firstDetailsUntilMs === undefined ? FIRST_DETAILS_PER_SWEEP : Infinity);
      const chunkSize = Math.max(1, options.firstDetailsChunk ?? FIRST_DETAILS_CHUNK);
      // The SIMs a dashboard shows first come first: least data left (as listed), then most
      // recently seen. Tried SIMs are excluded by id (a failed one stays never-detailed).
      const tried: number[] = [];
      while (remaining > 0 && now() < budgetEnds) {
        const chunk = await deps.db
          .selectFrom('sims')
          .select(['id', 'iccid'])
          .where('account_id', '=', accountId)
          .where('data_total_bytes', 'is', null)
          .where('data_expiry_date', 'is', null)
          .where('id', 'not in', tried.length > 0 ? tried : [0])
          .where('iccid', 'not in', changed.length > 0 ? changed : [''])
          .orderBy(sql`current_quota_mb asc nulls last`)
          .orderBy(sql`last_seen_at desc nulls last`)
          .orderBy('id')
          .limit(Math.min(remaining, chunkSize))
          .execute();
        for (const { id, iccid } of chunk) {
          if (now() >= budgetEnds) break;
          options.signal?.throwIfAborted();
          tried.push(id);
          remaining--;
          if (await syncChangedDetails(iccid, opts, streamed)) totals.firstDetails++;
          else totals.detailFailures++;
        }
        if (chunk.length < chunkSize) break;
      }
    }
    totals.durationMs = now() - started;
    deps.logger.info({ ...totals }, 'sim sweep finished');
    return totals;
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
        const start = candidate.have === 0 || candidate.last_day === null ? from : await firstMissingDay(candidate.id, from, to);
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

  async function firstMissingDay(simId: number, from: string, to: string): Promise<string> {
    const row = await deps.db
      .selectFrom(sql<{ d: string }>`(select to_char(g, 'YYYY-MM-DD') as d from generate_series(${from}::date, ${to}::date, interval '1 day') g)`.as('days'))
      .select('days.d')
      .where((eb) => eb.not(eb.exists(eb.selectFrom('sim_usage').select('sim_usage.day').where('sim_usage.sim_id', '=', simId).whereRef(sql`sim_usage.day`, '=', sql`days.d::date`))))
      .orderBy('days.d')
      .limit(1)
      .executeTakeFirst();
    return row?.d ?? from;
  }

  /** Ids of the provider accounts a full sync covers (active ones, default first). */
  async function activeAccountIds(): Promise<string[]> {
    const rows = await deps.db.selectFrom('provider_accounts').select('id').where('is_active', '=', true).orderBy('is_default', 'desc').orderBy('name').execute();
    return rows.map((r) => r.id);
  }

  return { upsertProviderSims, syncSim, syncQuotas, syncUsage, syncConnectivity, syncEvents, sweep, backfillUsage, completeResets, activeAccountIds };
}

function severityIdOf(raw: unknown): number | null {
  const severity = (raw as { event_severity?: unknown }).event_severity;
  const id = severity !== null && typeof severity === 'object' ? (severity as { id?: unknown }).id : undefined;
  const n = typeof id === 'number' ? id : typeof id === 'string' ? Number(id) : Number.NaN;
  return Number.isInteger(n) && Math.abs(n) < 32_768 ? n : null;
}

export type SimSync = ReturnType<typeof createSimSync>;
