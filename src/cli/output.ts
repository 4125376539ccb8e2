import { csvLine } from '../lib/csv.js';

/** How a command prints records: an aligned table for people, CSV or JSON for scripts. */
export type OutputFormat = 'table' | 'csv' | 'json';

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'csv', 'json'];

/** A column: its heading and how to read it from a record. */
export interface Column<T> {
  header: string;
  value: (row: T) => unknown;
}

/** A value as one line of text: null as empty, arrays joined by `;`, objects as JSON, control characters dropped. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = Array.isArray(value)
    ? value.map((v) => cellText(v)).join(';')
    : typeof value === 'string'
      ? value
      : typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
        ? String(value)
        : JSON.stringify(value);
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
}

/** An aligned text table (the last column is not padded). */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => cellText(c.value(row))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

/** CSV with a header row (RFC 4180 quoting, formula-leading cells neutralised). */
export function formatCsv<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const raw = (value: unknown) => (Array.isArray(value) ? value.map((v) => cellText(v)).join(';') : value);
  return csvLine(columns.map((c) => c.header)) + rows.map((row) => csvLine(columns.map((c) => raw(c.value(row))))).join('');
}

/** Records in the chosen format; JSON prints `json` (the full answer) rather than the columns. */
export function formatRecords<T>(format: OutputFormat, rows: readonly T[], columns: readonly Column<T>[], json: unknown = rows): string {
  if (format === 'json') return `${JSON.stringify(json, null, 2)}\n`;
  if (format === 'csv') return formatCsv(rows, columns);
  return rows.length === 0 ? 'no results\n' : formatTable(rows, columns);
}

/** One record as `field  value` lines (table), a one-row CSV, or JSON. */
export function formatRecord(format: OutputFormat, record: Record<string, unknown>): string {
  if (format === 'json') return `${JSON.stringify(record, null, 2)}\n`;
  const keys = Object.keys(record);
  if (format === 'csv') return formatCsv([record], keys.map((k) => ({ header: k, value: (r: Record<string, unknown>) => r[k] })));
  const width = Math.max(...keys.map((k) => k.length));
  return keys.map((k) => `${k.padEnd(width)}  ${cellText(record[k])}`.trimEnd()).join('\n') + '\n';
}

/** A progress bar on stderr, drawn only on a terminal (scripts and pipes see nothing). */
export interface Progress {
  update(done: number, total: number | undefined, note?: string): void;
  finish(note?: string): void;
}

const BAR_WIDTH = 30;

/** Hand-rolled: one line rewritten in place with `\r`, at most ten times a second. */
export function createProgress(stream: NodeJS.WriteStream, label: string): Progress {
  const enabled = stream.isTTY === true;
  let last = 0;
  let drawn = false;
  const draw = (done: number, total: number | undefined, note: string | undefined, force: boolean) => {
    if (!enabled) return;
    const now = Date.now();
    if (!force && now - last < 100) return;
    last = now;
    drawn = true;
    const tail = note === undefined ? '' : `  ${note}`;
    if (total === undefined || total <= 0) {
      stream.write(`\r\x1b[K${label} ${done}${tail}`);
      return;
    }
    const ratio = Math.min(1, done / total);
    const filled = Math.round(ratio * BAR_WIDTH);
    stream.write(`\r\x1b[K${label} [${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${Math.floor(ratio * 100)}% ${done}/${total}${tail}`);
  };
  return {
    update: (done, total, note) => draw(done, total, note, false),
    finish(note) {
      if (!enabled || !drawn) return;
      stream.write(`\r\x1b[K${note === undefined ? '' : `${label} ${note}\n`}`);
    },
  };
}
