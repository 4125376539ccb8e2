import { randomInt, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB, SmsStatus } from '../../db/schema.js';
import { AppError, Conflict, NotFound } from '../../errors.js';
import type { Priority } from '../../provider/provider.types.js';
import type { ProviderRegistry } from '../../provider/registry.js';
import type { AuditService } from '../audit/audit.service.js';
import { encodeSms } from './sms.encoding.js';
import { createSmsRepo, type SmsFilter, type SmsRow } from './sms.repo.js';
import type { SentSmsDto, SmsDto } from './sms.schemas.js';
import { actingUserId, requireSimRef, type ActorContext, type SimRef } from '../sims/sim-ref.js';
import { DAY_MS, isoOrNull } from '../../lib/time.js';
import { mayHaveBeenProcessed } from '../../provider/errors.js';
import { pageReply } from '../../db/paging.js';

/** MT states 1NCE can still change; a stored SMS in one of them is refreshed when read. */
const OPEN_STATES: ReadonlySet<SmsStatus> = new Set(['QUEUED', 'PENDING', 'BUFFERED']);
/** 1NCE keeps 7 days of SMS; at 100 per page this bounds one sync. */
const SYNC_PAGE_SIZE = 100;
const SYNC_MAX_PAGES = 50;
/** 1NCE keeps SMS for 7 days: an UNKNOWN part older than that can no longer be found there. */
const RECONCILE_DAYS = 7;

export interface SmsServiceDeps {
  db: Kysely<DB>;
  provider: ProviderRegistry;
  audit: AuditService;
  logger: Pick<Logger, 'warn'>;
  /** Hook for domain events (`sms.received` for new MO messages); wired by the composition root. */
  notify?: ((type: 'sms.received', payload: Record<string, unknown>) => void | Promise<void>) | undefined;
}

export interface SendSmsInput {
  message: string;
  sourceAddress?: string | undefined;
  expiresAt?: Date | undefined;
}

/** The stored row as the API returns it. */
export function toSmsDto(row: SmsRow, iccid: string): SmsDto {
  return {
    id: row.id,
    iccid,
    direction: row.direction,
    status: row.status,
    provider_sms_id: row.provider_sms_id,
    message_group: row.message_group,
    part_number: row.part_number,
    part_total: row.part_total,
    encoding: row.encoding,
    dcs: row.dcs,
    udh: row.udh,
    payload: row.payload,
    source_address: row.source_address,
    submit_date: isoOrNull(row.submit_date),
    delivery_date: isoOrNull(row.delivery_date),
    expiry_date: isoOrNull(row.expiry_date),
    final_date: isoOrNull(row.final_date),
    retry_count: row.retry_count,
    last_error: row.last_error,
    created_at: isoOrNull(row.created_at) ?? '',
    updated_at: isoOrNull(row.updated_at) ?? '',
  };
}

/** Short, secret-free description of a failure for `last_error`. */
function describeError(error: unknown): string {
  if (error instanceof AppError) return `${error.code}: ${error.detail ?? error.title}`;
  return error instanceof Error ? error.message : String(error);
}

/** Sending, listing, cancelling and refreshing SMS; every message is kept beyond 1NCE's 7 days. */
export function createSmsService(deps: SmsServiceDeps) {
  const repo = createSmsRepo(deps.db);

  async function audit(acting: ActorContext, action: string, iccid: string, outcome: 'success' | 'failure', detail: Record<string, unknown>) {
    await deps.audit.record({ ...acting, action, target: { type: 'sim', id: iccid }, outcome, detail });
  }

  /**
   * Sends each part in order. A part that fails stops the rest: nothing later is sent, so the
   * device never sees a message with holes, and a part whose outcome is unknown is stored as
   * UNKNOWN rather than resent (1NCE charges every part).
   */
  async function sendToSim(sim: SimRef, input: SendSmsInput, acting: ActorContext, priority: Priority = 'interactive'): Promise<SentSmsDto> {
    const encoded = encodeSms(input.message, randomInt(0, 256));
    const group = randomUUID();
    const now = new Date();
    const rows = await repo.insertParts(
      encoded.parts.map((part) => ({
        sim_id: sim.id,
        direction: 'MT' as const,
        status: 'QUEUED' as const,
        payload: part.text,
        udh: part.udh ?? null,
        dcs: encoded.dcs,
        encoding: encoded.encoding,
        source_address: input.sourceAddress ?? null,
        destination_address: sim.msisdn,
        part_number: part.partNumber,
        part_total: encoded.parts.length,
        concat_ref: encoded.ref ?? null,
        message_group: group,
        submit_date: now,
        expiry_date: input.expiresAt ?? null,
        created_by_user_id: actingUserId(acting),
      })),
    );
    const client = await deps.provider.get(sim.accountId);
    const stored: SmsRow[] = [];
    let failure: unknown;
    for (const [index, row] of rows.entries()) {
      const part = encoded.parts[index]!;
      if (failure !== undefined) {
        stored.push(await repo.update(row.id, { status: 'FAILED', last_error: 'not sent: an earlier part failed' }));
        continue;
      }
      try {
        const { id } = await client.sendSms(
          sim.iccid,
          {
            payload: part.text,
            dcs: encoded.dcs,
            ...(part.udh !== undefined && { udh: part.udh }),
            ...(input.sourceAddress !== undefined && { sourceAddress: input.sourceAddress }),
            ...(input.expiresAt !== undefined && { expiresAt: input.expiresAt }),
          },
          { priority },
        );
        stored.push(await repo.update(row.id, { provider_sms_id: id, status: 'PENDING', submit_date: new Date() }));
      } catch (error) {
        failure = error;
        const unknown = mayHaveBeenProcessed(error);
        stored.push(
          await repo.update(row.id, {
            status: unknown ? 'UNKNOWN' : 'FAILED',
            last_error: unknown ? `outcome unknown, not resent: ${describeError(error)}` : describeError(error),
          }),
        );
      }
    }
    const accepted = stored.filter((r) => r.provider_sms_id !== null).length;
    await audit(acting, 'sms.send', sim.iccid, accepted === stored.length ? 'success' : 'failure', {
      message_group: group,
      encoding: encoded.encoding,
      parts: stored.length,
      accepted,
      ...(failure !== undefined && { error: describeError(failure) }),
    });
    if (accepted === 0 && failure !== undefined) throw failure instanceof Error ? failure : new Error(describeError(failure));
    return {
      message_group: group,
      iccid: sim.iccid,
      encoding: encoded.encoding,
      units: encoded.units,
      part_total: stored.length,
      status: accepted === stored.length ? 'accepted' : 'partial',
      parts: stored.map((r) => toSmsDto(r, sim.iccid)),
    };
  }

  async function refreshOne(sim: SimRef, row: SmsRow): Promise<SmsRow> {
    if (row.provider_sms_id === null || !OPEN_STATES.has(row.status)) return row;
    try {
      const client = await deps.provider.get(sim.accountId);
      const fresh = await client.getSms(sim.iccid, row.provider_sms_id);
      await repo.upsertFromProvider(sim.id, [fresh]);
      return (await repo.findById(sim.id, row.id)) ?? row;
    } catch (error) {
      // The stored state is still a correct answer, just older; reads do not fail on 1NCE's account.
      deps.logger.warn({ err: error, iccid: sim.iccid, sms: row.id }, 'could not refresh SMS status from 1NCE');
      return row;
    }
  }

  return {
    sendToSim,

    /** Sends a text to a stored SIM (split and encoded as needed). */
    async send(iccid: string, input: SendSmsInput, acting: ActorContext): Promise<SentSmsDto> {
      return sendToSim(await requireSimRef(deps.db, iccid), input, acting);
    },

    /** Stored MT and MO messages of a SIM, newest first. */
    async list(iccid: string, filter: SmsFilter, page: number, pageSize: number) {
      const sim = await requireSimRef(deps.db, iccid);
      const { items, total } = await repo.page(sim.id, filter, page, pageSize);
      return pageReply(items.map((r) => toSmsDto(r, sim.iccid)), total, page, pageSize);
    },

    /** One stored message; an MT message 1NCE may still change is refreshed first (best effort). */
    async get(iccid: string, id: number): Promise<SmsDto> {
      const sim = await requireSimRef(deps.db, iccid);
      const row = await repo.findById(sim.id, id);
      if (row === undefined) throw new NotFound('sms', String(id));
      return toSmsDto(await refreshOne(sim, row), sim.iccid);
    },

    /**
     * Cancels a buffered MT message: every still-open part of its message group is deleted at
     * 1NCE (a half-cancelled concatenated message would arrive garbled) and marked CANCELLED.
     */
    async cancel(iccid: string, id: number, acting: ActorContext): Promise<SmsDto[]> {
      const sim = await requireSimRef(deps.db, iccid);
      const row = await repo.findById(sim.id, id);
      if (row === undefined) throw new NotFound('sms', String(id));
      const parts = row.message_group === null ? [row] : await repo.findGroup(row.message_group);
      const open = parts.filter((p) => p.direction === 'MT' && p.provider_sms_id !== null && OPEN_STATES.has(p.status));
      if (open.length === 0) throw new Conflict(`SMS ${id} is ${row.status} and can no longer be cancelled`, 'sms_not_cancellable');
      const client = await deps.provider.get(sim.accountId);
      const results: SmsRow[] = [];
      try {
        for (const part of open) {
          await client.cancelSms(sim.iccid, part.provider_sms_id!);
          results.push(await repo.update(part.id, { status: 'CANCELLED', final_date: new Date() }));
        }
      } catch (error) {
        await audit(acting, 'sms.cancel', sim.iccid, 'failure', { sms_ids: open.map((p) => p.id), cancelled: results.length, error: describeError(error) });
        throw error;
      }
      await audit(acting, 'sms.cancel', sim.iccid, 'success', { sms_ids: open.map((p) => p.id) });
      return results.map((r) => toSmsDto(r, sim.iccid));
    },

    /** Pulls every SMS 1NCE still holds for the SIM and upserts it (new MO messages raise `sms.received`). */
    async sync(iccid: string, priority: Priority = 'interactive') {
      const sim = await requireSimRef(deps.db, iccid);
      const client = await deps.provider.get(sim.accountId);
      let fetched = 0;
      let inserted = 0;
      let updated = 0;
      for (let page = 1; page <= SYNC_MAX_PAGES; page++) {
        const result = await client.listSms(sim.iccid, { page, perPage: SYNC_PAGE_SIZE, priority });
        fetched += result.items.length;
        const outcome = await repo.upsertFromProvider(sim.id, result.items);
        inserted += outcome.inserted.length;
        updated += outcome.updated;
        for (const row of outcome.inserted) {
          if (row.direction === 'MO') await deps.notify?.('sms.received', { iccid: sim.iccid, sms: toSmsDto(row, sim.iccid) });
        }
        const lastPage = result.totalPages !== null ? page >= result.totalPages : result.items.length < SYNC_PAGE_SIZE;
        if (lastPage || result.items.length === 0) break;
      }
      return { iccid: sim.iccid, fetched, inserted, updated };
    },

    /**
     * Syncs the SMS of SIMs holding parts whose outcome is unknown (sent within 1NCE's 7-day
     * retention), so each is adopted once 1NCE shows it. Run by the scheduled SIM sync; at most
     * `limit` SIMs per call, the ones waiting longest first.
     */
    async reconcileUnknown(options: { limit?: number; priority?: Priority } = {}) {
      const rows = await repo.simsWithUnknownParts(new Date(Date.now() - RECONCILE_DAYS * DAY_MS), options.limit ?? 50);
      let synced = 0;
      for (const { iccid } of rows) {
        try {
          await this.sync(iccid, options.priority ?? 'background');
          synced++;
        } catch (error) {
          deps.logger.warn({ err: error, iccid }, 'could not sync SMS to resolve parts of unknown outcome');
        }
      }
      return { sims: rows.length, synced };
    },
  };
}

export type SmsService = ReturnType<typeof createSmsService>;
