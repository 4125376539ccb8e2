import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { NotFound, UnprocessableError, ValidationError } from '../../errors.js';
import { isValidIccid, normalizeIccid } from '../../lib/identifiers.js';
import type { AuditActor } from '../audit/audit.service.js';
import type { SimRow } from './sims.view.js';

/**
 * The SIM-reference kernel every module uses to name a SIM and the caller acting on it: one ICCID
 * parser (one answer for a bad ICCID on every route, see docs/errors.md), one actor type, one
 * look-up. Reads only; writes to `sims` belong to the sims module's repository.
 */

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
  const row = await db.selectFrom('sims').selectAll().where('iccid', '=', iccid).executeTakeFirst();
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
  const row = await db.selectFrom('sims').select(['id', 'iccid', 'account_id', 'msisdn']).where('iccid', '=', iccid).executeTakeFirst();
  if (row === undefined) throw new NotFound('sim', iccid, 'sim_not_found');
  return { id: row.id, iccid: row.iccid, accountId: row.account_id, msisdn: row.msisdn };
}
