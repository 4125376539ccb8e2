import type { Kysely } from 'kysely';
import type { Cache } from '../../cache.js';
import type { DB } from '../../db/schema.js';
import { AppError, NotFound, UnprocessableError, ValidationError } from '../../errors.js';
import { isValidIccid, normalizeIccid } from '../../lib/identifiers.js';
import { SimExpired } from '../../provider/errors.js';
import type { CallOptions, Priority } from '../../provider/provider.types.js';
import type { AuditActor, AuditService } from '../audit/audit.service.js';
import { simLookups } from './sims.repo.js';
import type { SimRow } from './sims.view.js';
import { simWrites } from './sims.writes.js';

/**
 * The SIM-reference kernel every module uses to name a SIM and the caller acting on it: one ICCID
 * parser (one answer for a bad ICCID on every route, see docs/errors.md), one actor type, one
 * look-up, the audit of a provider call made for a caller, the SIM's cache entry, and the options
 * every sync takes. Its one write (a SIM 1NCE calls expired) goes through the sims module's
 * sims.writes.ts, the owner of every write to `sims` from outside that module.
 */

export type { SimRow };

/**
 * Who is acting and from where, so a service can audit the provider actions it takes on the
 * caller's behalf (`auditContext(request)` in routes, SYSTEM_ACTOR in jobs).
 */
export interface ActorContext {
  actor: AuditActor;
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

/** The actor of background work. */
export const SYSTEM_ACTOR: ActorContext = { actor: { type: 'system', username: 'system' } };

/** The user id behind an acting principal, for `created_by_user_id` columns. */
export function actingUserId(acting: ActorContext): number | null {
  return acting.actor.userId ?? null;
}

/**
 * Parses an ICCID from a path or body. Everywhere: 400 `invalid_iccid` when it is not 19 or 20
 * digits, 422 `invalid_iccid` when a 20-digit ICCID fails its Luhn check (well-formed but
 * impossible, as for IMEIs). Returns the 19-digit form 1NCE uses.
 */
export function parseIccid(value: string, field = 'params.iccid'): string {
  const text = value.trim();
  if (!/^\d{19,20}$/.test(text)) throw new ValidationError(`${field} must be 19 or 20 digits`, [{ field, message: 'must be 19 or 20 digits' }], 'invalid_iccid');
  if (!isValidIccid(text)) throw new UnprocessableError(`${field} fails the Luhn check`, [{ field, message: 'the 20th digit is not the Luhn check digit' }], 'invalid_iccid');
  return normalizeIccid(text);
}

/** The stored SIM or a 404 `sim_not_found`. */
export async function requireSim(db: Kysely<DB>, iccidParam: string): Promise<SimRow> {
  const iccid = parseIccid(iccidParam);
  const row = await simLookups.byIccid(db, iccid);
  if (row === undefined) throw new NotFound('sim', iccid, 'sim_not_found');
  return row;
}

/** The few facts about a stored SIM that SMS, top-ups and bulk actions need. */
export interface SimRef {
  id: number;
  iccid: string;
  accountId: string;
  msisdn: string | null;
}

/** Looks up a stored SIM by ICCID (either form) for an action: the same answers as requireSim. */
export async function requireSimRef(db: Kysely<DB>, iccidParam: string): Promise<SimRef> {
  const iccid = parseIccid(iccidParam);
  const row = await simLookups.refByIccid(db, iccid);
  if (row === undefined) throw new NotFound('sim', iccid, 'sim_not_found');
  return { id: row.id, iccid: row.iccid, accountId: row.account_id, msisdn: row.msisdn };
}

/** How a sync calls 1NCE: at which priority, abortable, and on whose behalf (audited). */
export interface SyncOptions {
  priority?: Priority;
  signal?: AbortSignal;
  /** Who asked (audited); background work is recorded as the system. */
  ctx?: ActorContext;
}

/** The provider call options of a sync (interactive unless said otherwise). */
export function callOptions(options: SyncOptions | undefined): CallOptions {
  return { priority: options?.priority ?? 'interactive', ...(options?.signal !== undefined && { signal: options.signal }) };
}

/**
 * Runs one provider action on a caller's behalf and appends its audit entry (success or failure
 * with the error code).
 * Audit failures are logged, never thrown: the provider action has already happened.
 */
export async function auditedProviderCall<T>(
  deps: { audit: Pick<AuditService, 'recordSafely'> },
  ctx: ActorContext | undefined,
  action: string,
  iccid: string,
  call: () => Promise<T>,
  detail?: { [key: string]: unknown },
): Promise<T> {
  // Background work (no caller) is not audited per call: a sweep would write one entry per SIM.
  if (ctx === undefined) return call();
  const base = { ...ctx, action: `provider.${action}`, target: { type: 'sim', id: iccid } };
  try {
    const result = await call();
    await deps.audit.recordSafely({ ...base, outcome: 'success', ...(detail !== undefined && { detail }) });
    return result;
  } catch (error) {
    const code = error instanceof AppError ? error.code : 'error';
    await deps.audit.recordSafely({ ...base, outcome: 'failure', detail: { ...detail, error: code } });
    throw error;
  }
}

/** Cache key of a SIM's GET answer. */
export const simCacheKey = (iccid: string): string => `sim:${iccid}`;

/** How long a cached SIM answer may be served (writes invalidate earlier). */
export const SIM_CACHE_TTL_SECONDS = 30;

/** Drops the cached SIM answer (after any write to the SIM's row). */
export async function invalidateSim(cache: Cache, iccid: string): Promise<void> {
  await cache.delete(simCacheKey(iccid));
}

/**
 * Runs a provider call about a stored SIM. 1NCE answers 422 for every call about an expired SIM,
 * and its listing still says `Enabled`; the expiry is recorded so back-fills and sweeps stop
 * asking (an extension brings a new expiry date with the next quota sync).
 */
export async function noteExpiry<T>(deps: { db: Kysely<DB>; cache: Cache }, sim: Pick<SimRow, 'id' | 'iccid'>, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof SimExpired) {
      await simWrites.markExpired(deps.db, [sim.id]);
      await invalidateSim(deps.cache, sim.iccid);
    }
    throw error;
  }
}
