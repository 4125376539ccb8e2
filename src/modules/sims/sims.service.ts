import { estimatedPageReply } from '../../db/paging.js';
import type { JsonObject, NewRow, RowUpdate } from '../../db/schema.js';
import { Conflict, NotFound, ServiceUnavailable, UnprocessableError, ValidationError, type FieldError } from '../../errors.js';
import { isValidImei, isValidImsi, isValidMsisdn, withLuhn } from '../../lib/identifiers.js';
import { CUSTOM_FIELDS_LIMITS } from '../../lib/schemas.js';
import type { SimUpdate } from '../../provider/provider.types.js';
import { createAccountsRepo } from '../accounts/accounts.repo.js';
import { auditedProviderCall, invalidateSim, parseIccid, requireSim, simCacheKey, SIM_CACHE_TTL_SECONDS, type ActorContext } from './sim-ref.js';
import { simCsvHeader, simCsvLine } from './sims.csv.js';
import { decodeCursor, encodeCursor, type SimFilter, type SimSort } from './sims.filter.js';
import { createSimImport, type SimImportDeps } from './sims.import.js';
import { createSimsRepo, type KeysetCursor } from './sims.repo.js';
import type { CreateSimBody, PatchSimBody, PublicSim, SimDetail, SimListPage } from './sims.schemas.js';
import type { SimSync } from './sims.sync.js';
import type { JobSender } from '../../lib/job-sender.js';
import type { StatisticsKeeper } from '../../db/statistics.js';
import { toPublicSim, withFreshness } from './sims.view.js';

/** Rows per keyset batch of an export: memory stays bounded by this, whatever the fleet size. */
const EXPORT_BATCH = 1_000;

/** Validates optional identifiers: 400 for a malformed one, 422 for a failed check digit, naming the field. */
function validateIdentifiers(body: CreateSimBody): { iccid: string } {
  const iccid = parseIccid(body.iccid, 'body.iccid');
  const malformed: FieldError[] = [];
  const unprocessable: FieldError[] = [];
  if (body.imsi !== undefined && !isValidImsi(body.imsi)) malformed.push({ field: 'body.imsi', message: 'must be 15 digits' });
  if (body.msisdn !== undefined && !isValidMsisdn(body.msisdn)) malformed.push({ field: 'body.msisdn', message: 'must be an E.164 number (7-15 digits, optional +)' });
  if (body.imei !== undefined) {
    if (!/^\d{15,16}$/.test(body.imei)) malformed.push({ field: 'body.imei', message: 'must be 15 digits (IMEI) or 16 (IMEISV)' });
    else if (!isValidImei(body.imei)) unprocessable.push({ field: 'body.imei', message: 'the 15th digit is not the Luhn check digit' });
  }
  if (malformed.length > 0) throw new ValidationError(malformed.map((e) => `${e.field} ${e.message}`).join('; '), malformed, 'invalid_identifier');
  if (unprocessable.length > 0) throw new UnprocessableError(unprocessable.map((e) => `${e.field} ${e.message}`).join('; '), unprocessable, 'invalid_identifier');
  return { iccid };
}

/** Tags trimmed and de-duplicated, order kept. */
export function normalizeTags(tags: string[]): string[] {
  return [...new Set(tags.map((t) => t.trim()).filter((t) => t !== ''))];
}

/** Refuses custom fields that would be stored over their limits (the schema bounds one request; a merge can grow). */
function checkCustomFieldsSize(fields: JsonObject, field: string): void {
  const keys = Object.keys(fields).length;
  const bytes = Buffer.byteLength(JSON.stringify(fields), 'utf8');
  const problems: FieldError[] = [];
  if (keys > CUSTOM_FIELDS_LIMITS.keys) problems.push({ field, message: `would hold ${keys} keys; at most ${CUSTOM_FIELDS_LIMITS.keys}` });
  if (bytes > CUSTOM_FIELDS_LIMITS.bytes) problems.push({ field, message: `would be ${bytes} bytes of JSON; at most ${CUSTOM_FIELDS_LIMITS.bytes}` });
  if (problems.length > 0) throw new UnprocessableError(problems.map((e) => `${e.field} ${e.message}`).join('; '), problems, 'custom_fields_too_large');
}

/** JSON merge patch of custom fields: null removes a key. */
function mergeCustomFields(current: JsonObject, patch: Record<string, unknown>): JsonObject {
  const next: JsonObject = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

export interface SimsServiceDeps extends SimImportDeps {
  accounts: { defaultAccountId(): Promise<string | undefined> };
  /** The single-SIM sync behind POST /sims/{iccid}/sync. */
  sync: Pick<SimSync, 'syncSim'>;
  /** Domain event hook: `sim.status_changed` (webhooks) and `sim.updated` (live stream) after an edit. */
  notify?: ((type: 'sim.status_changed' | 'sim.updated', payload: Record<string, unknown>) => void | Promise<void>) | undefined;
  /** Planner statistics after many rows changed (src/db/statistics.ts). */
  statistics?: Pick<StatisticsKeeper, 'refresh'> | undefined;
  /** The job engine (a full sync is queued there), read lazily because it is wired after the services. */
  jobs?: (() => JobSender | undefined) | undefined;
  now?: (() => number) | undefined;
}

/** The SIM fleet service: stored state, registration, changes through 1NCE, export and import. */
export function createSimsService(deps: SimsServiceDeps) {
  const repo = createSimsRepo(deps.db);
  const accountsRepo = createAccountsRepo(deps.db);
  const simImport = createSimImport(deps);
  const now = deps.now ?? Date.now;

  async function getCached(iccidParam: string): Promise<PublicSim> {
    const iccid = parseIccid(iccidParam);
    const sim = await deps.cache.wrap(simCacheKey(iccid), SIM_CACHE_TTL_SECONDS, async () => {
      const row = await repo.findByIccid(iccid);
      return row === undefined ? undefined : toPublicSim(row);
    });
    if (sim === undefined) throw new NotFound('sim', iccid, 'sim_not_found');
    return sim;
  }

  /** A list page with each SIM as its JSON text, and the reply's other fields in their order. */
  async function renderedPage(filter: SimFilter, sort: SimSort, page: number, pageSize: number, cursor: string | undefined) {
    const after = cursor === undefined ? undefined : decodeCursor(cursor, sort);
    // Rows written by anything else (a restore, another tool) get statistics too; rate-limited, not awaited.
    void deps.statistics?.refresh(['sims']);
    const number = after?.page ?? page;
    const { rows, total, totalIsEstimate, next } = await repo.page(filter, sort, number, pageSize, after);
    return {
      ...estimatedPageReply(
        rows.map((row) => row.json),
        total,
        totalIsEstimate,
        number,
        pageSize,
      ),
      next_cursor: next === undefined ? null : encodeCursor({ ...next, page: number + 1 }, sort),
    };
  }

  return {
    /**
     * One page of the list, by number or after a cursor from a previous page (`next_cursor`), which
     * carries its sort and page number so deep pages cost what the first one does.
     */
    async list(filter: SimFilter, sort: SimSort, page: number, pageSize: number, cursor?: string): Promise<SimListPage> {
      const { items, ...rest } = await renderedPage(filter, sort, page, pageSize, cursor);
      return { items: items.map((json) => JSON.parse(json) as PublicSim), ...rest };
    },

    /**
     * The same page as `list`, as the JSON text of its reply (SimPageSchema's fields in order): the
     * SIMs come from PostgreSQL already rendered and are written out as they are (docs/adr/0024).
     */
    async listJson(filter: SimFilter, sort: SimSort, page: number, pageSize: number, cursor?: string): Promise<string> {
      const { items, ...rest } = await renderedPage(filter, sort, page, pageSize, cursor);
      return `{"items":[${items.join(',')}],${JSON.stringify(rest).slice(1)}`;
    },

    /** One SIM from our store (cached briefly; invalidated on every write) with its freshness. */
    async get(iccid: string): Promise<SimDetail> {
      return withFreshness(await getCached(iccid), now());
    },

    /** Export lines (CSV with a header, or NDJSON), read in keyset batches so memory stays constant. */
    async *export(filter: SimFilter, sort: SimSort, format: 'csv' | 'ndjson'): AsyncGenerator<string> {
      if (format === 'csv') yield simCsvHeader();
      let after: KeysetCursor | undefined;
      for (;;) {
        const { rows, next } = await repo.batch(filter, sort, after, EXPORT_BATCH);
        if (rows.length === 0) return;
        const sims = rows.map(toPublicSim);
        yield format === 'csv' ? sims.map(simCsvLine).join('') : sims.map((s) => `${JSON.stringify(s)}\n`).join('');
        after = next;
        if (rows.length < EXPORT_BATCH) return;
      }
    },

    /** Registers a SIM by hand (one that is not, or not yet, visible in a 1NCE listing). */
    async create(body: CreateSimBody): Promise<PublicSim> {
      const { iccid } = validateIdentifiers(body);
      const customFields = (body.custom_fields ?? {}) as JsonObject;
      checkCustomFieldsSize(customFields, 'body.custom_fields');
      const accountId = body.account_id ?? (await deps.accounts.defaultAccountId());
      if (accountId === undefined) throw new UnprocessableError('No provider account exists; create one first', [{ field: 'body.account_id', message: 'required when no default account exists' }]);
      const exists = await accountsRepo.idOf(accountId);
      if (exists === undefined) throw new UnprocessableError(`provider account ${accountId} does not exist`, [{ field: 'body.account_id', message: 'unknown provider account' }]);
      const row: NewRow<'sims'> = {
        account_id: accountId,
        iccid,
        iccid_with_luhn: withLuhn(iccid),
        imsi: body.imsi ?? null,
        msisdn: body.msisdn?.replace(/^\+/, '') ?? null,
        imei: body.imei ?? null,
        label: body.label ?? null,
        status: body.status ?? null,
        tags: normalizeTags(body.tags ?? []),
        custom_fields: customFields,
        source: 'manual',
      };
      const created = await repo.insert(row);
      await invalidateSim(deps.cache, iccid);
      return toPublicSim(created);
    },

    /**
     * Label, status and IMEI lock are 1NCE's: changed there first (a failure stops here and nothing
     * is stored), then stored. Tags and custom fields are ours alone. Manually registered SIMs are
     * not known to 1NCE, so everything is stored locally for them.
     */
    async patch(iccidParam: string, body: PatchSimBody, ctx: ActorContext) {
      const sim = await requireSim(deps.db, iccidParam);
      // Everything is checked before 1NCE is called: a refused request changes nothing anywhere.
      const customFields = body.custom_fields === undefined ? undefined : mergeCustomFields(sim.custom_fields, body.custom_fields);
      if (customFields !== undefined) checkCustomFieldsSize(customFields, 'body.custom_fields');
      const providerUpdate: SimUpdate = {};
      if (body.label !== undefined) providerUpdate.label = body.label;
      if (body.status !== undefined) providerUpdate.status = body.status;
      if (body.imei_lock !== undefined) providerUpdate.imeiLock = body.imei_lock;
      const providerFields = Object.keys(providerUpdate).map((k) => (k === 'imeiLock' ? 'imei_lock' : k));
      const applied = { provider: [] as string[], local: [] as string[] };
      if (providerFields.length > 0 && sim.source === 'provider') {
        const client = await deps.provider.get(sim.account_id);
        await auditedProviderCall(deps, ctx, 'update_sim', sim.iccid, () => client.updateSim(sim.iccid, providerUpdate, { priority: 'interactive' }), {
          fields: providerFields,
          before: { label: sim.label, status: sim.status, imei_lock: sim.imei_lock },
          after: { ...body.label !== undefined && { label: body.label }, ...body.status !== undefined && { status: body.status }, ...body.imei_lock !== undefined && { imei_lock: body.imei_lock } },
        });
        applied.provider.push(...providerFields);
      } else {
        applied.local.push(...providerFields);
      }
      const update: RowUpdate<'sims'> = {};
      if (body.label !== undefined) update.label = body.label === '' ? null : body.label;
      if (body.status !== undefined) update.status = body.status;
      if (body.imei_lock !== undefined) update.imei_lock = body.imei_lock;
      if (body.tags !== undefined) {
        update.tags = normalizeTags(body.tags);
        applied.local.push('tags');
      }
      if (customFields !== undefined) {
        update.custom_fields = customFields;
        applied.local.push('custom_fields');
      }
      const row = await repo.update(sim.id, update);
      await invalidateSim(deps.cache, sim.iccid);
      if (body.status !== undefined && body.status !== sim.status) await deps.notify?.('sim.status_changed', { iccid: sim.iccid, from: sim.status, to: body.status });
      await deps.notify?.('sim.updated', { iccid: sim.iccid, fields: [...applied.provider, ...applied.local] });
      return { before: toPublicSim(sim), sim: toPublicSim(row), applied };
    },

    /** Fetches one SIM and its quotas from 1NCE now (creating it when new to us). */
    async sync(iccid: string, ctx: ActorContext) {
      const result = await deps.sync.syncSim(iccid, { priority: 'interactive', ctx });
      return { sim: toPublicSim(result.row), synced: result.synced };
    },

    /** Queues a full sweep of every (or one) provider account through the job engine. */
    async syncAll(accountId: string | undefined) {
      const jobs = deps.jobs?.();
      if (jobs === undefined) throw new ServiceUnavailable('The job engine is not running in this process', 'jobs_unavailable');
      const id = await jobs.send('sync-sims', { ...(accountId !== undefined && { accountId }) }, { singletonKey: `sync-sims:${accountId ?? 'all'}` });
      if (id === null) throw new Conflict('A full sync is already queued', 'sync_already_queued');
      return { job_id: id, name: 'sync-sims', status: 'queued' as const };
    },

    importCsv: (text: string, options: { dryRun: boolean; ctx: ActorContext }) => simImport.importCsv(text, options),
  };
}

export type SimsService = ReturnType<typeof createSimsService>;
