/**
 * CSV in and out (RFC 4180): the SIM export writes it, the label/tag import reads it. Free-text
 * cells that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with a single
 * quote on export, and the import strips that prefix again, so an export can be edited and
 * imported back unchanged.
 */
import type { PublicSim } from './sims.schemas.js';

import { csvCell, guardFormula, unguardCell } from '../../lib/csv.js';

export { unguardCell };

/** Columns of the SIM export, in order. */
export const SIM_CSV_COLUMNS = [
  'iccid',
  'iccid_with_luhn',
  'imsi',
  'msisdn',
  'imei',
  'status',
  'label',
  'tags',
  'account_id',
  'source',
  'connectivity_status',
  'last_seen_at',
  'data_total_bytes',
  'data_remaining_bytes',
  'data_remaining_pct',
  'data_expiry_date',
  'sms_total',
  'sms_remaining',
  'quota_status_id',
  'imei_lock',
  'ip_address',
  'activation_date',
  'last_synced_at',
  'custom_fields',
] as const;

/** Tags are joined with `;` in one cell (tags may not contain it). */
export const TAG_SEPARATOR = ';';

/** One SIM as a CSV line (CRLF-terminated). */
export function simCsvLine(sim: PublicSim): string {
  return `${SIM_CSV_COLUMNS.map((column) => {
    switch (column) {
      case 'label':
        return csvCell(sim.label);
      case 'tags':
        // Each tag guarded on its own: `ok;=1+1` would otherwise carry a formula past the first character.
        return csvCell(sim.tags.map(guardFormula).join(TAG_SEPARATOR));
      case 'custom_fields':
        return csvCell(Object.keys(sim.custom_fields).length === 0 ? '' : sim.custom_fields);
      case 'iccid':
      case 'iccid_with_luhn':
      case 'imsi':
      case 'msisdn':
      case 'imei':
      case 'status':
      case 'account_id':
      case 'source':
      case 'connectivity_status':
      case 'last_seen_at':
      case 'data_total_bytes':
      case 'data_remaining_bytes':
      case 'data_remaining_pct':
      case 'data_expiry_date':
      case 'sms_total':
      case 'sms_remaining':
      case 'quota_status_id':
      case 'imei_lock':
      case 'ip_address':
      case 'activation_date':
      case 'last_synced_at':
        return csvCell(sim[column]);
    }
  }).join(',')}\r\n`;
}

/** The header line of the SIM export. */
export function simCsvHeader(): string {
  return `${SIM_CSV_COLUMNS.join(',')}\r\n`;
}

/** A parsed record with its 1-based line number (of the record's first line). */
export interface CsvRecord {
  line: number;
  cells: string[];
}

/** Parses CSV text (quoted cells, doubled quotes, CRLF or LF, embedded newlines). Throws on an unterminated quote. */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRecord = () => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === '')) records.push({ line: recordLine, cells });
    cells = [];
    cell = '';
  };
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
      continue;
    }
    if (ch === '"' && cell === '') quoted = true;
    else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else cell += ch;
  }
  if (quoted) throw new Error(`unterminated quoted cell starting on line ${recordLine}`);
  if (cell !== '' || cells.length > 0) endRecord();
  return records;
}

