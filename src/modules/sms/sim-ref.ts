import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { NotFound, ValidationError } from '../../errors.js';
import { isValidIccid, normalizeIccid } from '../../lib/identifiers.js';
import type { AuditActor } from '../audit/audit.service.js';

/**
 * The few facts about a stored SIM that SMS, top-ups and bulk actions need: which row it is,
 * which provider account owns it and its MSISDN. Reads only; the sims module owns the table.
 */
export interface SimRef {
  id: number;
  iccid: string;
  accountId: string;
  msisdn: string | null;
}

/**
 * Who is acting and from where, so a service can audit the provider actions it takes on the
 * caller's behalf (`auditContext(request)` in routes, a system actor in jobs).
 */
export interface Acting {
  actor: AuditActor;
  ip?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
}

/** The user id behind an acting principal, for `created_by_user_id` columns. */
export function actingUserId(acting: Acting): number | null {
  return acting.actor.userId ?? null;
}

/** The 19-digit ICCID from a 19- or 20-digit (Luhn) input; 400 naming `field` otherwise. */
export function parseIccid(value: string, field = 'params.iccid'): string {
  if (!isValidIccid(value)) {
    throw new ValidationError(`${field} must be 19 digits, or 20 digits ending in a Luhn check digit`, [
      { field, message: 'is not a valid ICCID' },
    ]);
  }
  return normalizeIccid(value);
}

/** Looks up a stored SIM by ICCID (either form); 400 for a malformed ICCID, 404 when unknown. */
export async function requireSimRef(db: Kysely<DB>, iccid: string): Promise<SimRef> {
  const normalized = parseIccid(iccid);
  const row = await db
    .selectFrom('sims')
    .select(['id', 'iccid', 'account_id', 'msisdn'])
    .where('iccid', '=', normalized)
    .executeTakeFirst();
  if (row === undefined) throw new NotFound('sim', normalized);
  return { id: row.id, iccid: row.iccid, accountId: row.account_id, msisdn: row.msisdn };
}
