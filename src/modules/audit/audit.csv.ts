import { csvLine } from '../../lib/csv.js';
import type { PublicAuditEntry } from './audit.schemas.js';

/** Column order of the CSV export. */
export const AUDIT_CSV_COLUMNS = [
  'id',
  'occurred_at',
  'actor_type',
  'actor_user_id',
  'actor_username',
  'actor_api_key_id',
  'actor_role',
  'ip',
  'user_agent',
  'action',
  'target_type',
  'target_id',
  'outcome',
  'status_code',
  'request_id',
  'before',
  'after',
  'detail',
] as const satisfies ReadonlyArray<keyof PublicAuditEntry>;

/** One CSV line (CRLF-terminated) for an entry; user agents and usernames are attacker-controlled, every cell is guarded. */
export function toCsvRow(entry: PublicAuditEntry): string {
  return csvLine(AUDIT_CSV_COLUMNS.map((column) => entry[column]));
}
