import type { PublicAuditEntry } from './audit.service.js';

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

/** Cells a spreadsheet would run as a formula; user agents and usernames are attacker-controlled. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** RFC 4180 quoting, with formula-looking text prefixed by `'` (CSV injection). */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text =
    typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line (CRLF-terminated) for an entry. */
export function toCsvRow(entry: PublicAuditEntry): string {
  return `${AUDIT_CSV_COLUMNS.map((column) => csvCell(entry[column])).join(',')}\r\n`;
}
