/**
 * The one CSV cell writer of every export (SIMs, audit, bulk results, reports): RFC 4180 quoting,
 * and formula injection neutralised in every cell. A cell a spreadsheet would run as a formula
 * (text beginning with =, +, -, @, tab or CR) is prefixed with a single quote; {@link unguardCell}
 * undoes it, so an exported file imports back unchanged. Numbers and booleans are written as they
 * are (a negative number is data, not a formula).
 */

const FORMULA_START = /^[=+\-@\t\r]/;
const GUARDED = /^'[=+\-@\t\r]/;

/** Text with a formula guard when it needs one. */
export function guardFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/** Undoes {@link guardFormula} (for the import of an exported file). */
export function unguardCell(text: string): string {
  return GUARDED.test(text) ? text.slice(1) : text;
}

/** One CSV cell: null and undefined empty, objects as JSON, every text guarded, quoted when it must be. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text =
    typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
      ? String(value)
      : guardFormula(typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : JSON.stringify(value));
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line (CRLF-terminated). */
export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}
