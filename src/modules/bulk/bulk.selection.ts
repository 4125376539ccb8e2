import type { Kysely } from 'kysely';
import type { DB } from '../../db/schema.js';
import { UnprocessableError, ValidationError } from '../../errors.js';
import { isValidIccid, normalizeIccid } from '../../lib/identifiers.js';
import { parseSimFilter } from '../sims/sims.filter.js';
import { simLookups } from '../sims/sims.repo.js';
import { MAX_SELECTION, type CreateBulkJobBody } from './bulk.schemas.js';

/** One selected ICCID: a stored SIM, or an input that will fail at once (and why). */
export interface SelectedItem {
  iccid: string;
  simId: number | null;
  error: string | null;
}

export interface Selection {
  /** What the job records about how SIMs were chosen (never the whole list). */
  describe: Record<string, unknown>;
  items: SelectedItem[];
}

const LOOKUP_BATCH = 1_000;

/** Splits one CSV line on commas or semicolons, honouring double quotes. */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        current += '"';
        i++;
      } else if (c === '"') quoted = false;
      else current += c;
    } else if (c === '"') quoted = true;
    else if (c === ',' || c === ';') {
      fields.push(current.trim());
      current = '';
    } else current += c;
  }
  fields.push(current.trim());
  return fields;
}

/** ICCIDs from CSV text: the `iccid` column when a header names one, else the first column. */
export function iccidsFromCsv(text: string): string[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = csvFields(lines[0]!).map((h) => h.toLowerCase());
  const named = header.indexOf('iccid');
  const hasHeader = named >= 0 || !/^\d+$/.test(header[0] ?? '');
  const column = Math.max(named, 0);
  return lines.slice(hasHeader ? 1 : 0).map((line) => csvFields(line)[column] ?? '');
}

/** Resolves explicit ICCIDs against stored SIMs: duplicates collapse, bad ones become failing items. */
async function resolveIccids(db: Kysely<DB>, inputs: string[]): Promise<SelectedItem[]> {
  const items = new Map<string, SelectedItem>();
  for (const raw of inputs) {
    const input = raw.trim();
    if (!isValidIccid(input)) {
      // Stored under what was sent (bounded by the schema), so the result CSV names the bad line.
      const key = input === '' ? '(empty)' : input.slice(0, 40);
      items.set(key, { iccid: key, simId: null, error: 'invalid ICCID (19 digits, or 20 with a Luhn check digit)' });
      continue;
    }
    const iccid = normalizeIccid(input);
    if (!items.has(iccid)) items.set(iccid, { iccid, simId: null, error: 'unknown SIM' });
  }
  const valid = [...items.values()].filter((i) => i.error === 'unknown SIM').map((i) => i.iccid);
  for (let start = 0; start < valid.length; start += LOOKUP_BATCH) {
    const rows = await simLookups.idsByIccid(db, valid.slice(start, start + LOOKUP_BATCH));
    for (const row of rows) items.set(row.iccid, { iccid: row.iccid, simId: row.id, error: null });
  }
  return [...items.values()];
}

/**
 * The SIMs a bulk request names: exactly one of `iccids`, `csv` or `filter` (400 otherwise);
 * more than MAX_SELECTION items is a 422.
 */
export async function resolveSelection(db: Kysely<DB>, body: Pick<CreateBulkJobBody, 'iccids' | 'csv' | 'filter'>): Promise<Selection> {
  const given = (['iccids', 'csv', 'filter'] as const).filter((k) => body[k] !== undefined);
  if (given.length !== 1) {
    throw new ValidationError('Give exactly one selection: iccids, csv or filter', [{ field: 'body', message: 'needs exactly one of iccids, csv, filter' }]);
  }
  let selection: Selection;
  if (body.iccids !== undefined) {
    selection = { describe: { kind: 'iccids', count: body.iccids.length }, items: await resolveIccids(db, body.iccids) };
  } else if (body.csv !== undefined) {
    const iccids = iccidsFromCsv(body.csv);
    if (iccids.length === 0) throw new ValidationError('The CSV contains no ICCIDs', [{ field: 'body.csv', message: 'has no data rows' }]);
    selection = { describe: { kind: 'csv', rows: iccids.length }, items: await resolveIccids(db, iccids) };
  } else {
    const filter = parseSimFilter(body.filter ?? {});
    const rows = await simLookups.idsMatching(db, filter, MAX_SELECTION + 1);
    selection = { describe: { kind: 'filter', filter: body.filter ?? {} }, items: rows.map((r) => ({ iccid: r.iccid, simId: r.id, error: null })) };
  }
  if (selection.items.length > MAX_SELECTION) {
    throw new UnprocessableError(`The selection has more than ${MAX_SELECTION} SIMs; narrow it down`, undefined, 'selection_too_large');
  }
  return selection;
}
