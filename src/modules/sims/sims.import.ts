/**
 * CSV import of labels and tags. Every row is validated first; if any row is invalid nothing is
 * written. Labels are 1NCE's, so changed labels go to 1NCE first (bulk update, chunked); only when
 * 1NCE accepted them are all rows stored, in one transaction. An exported CSV imports unchanged.
 */
import type { Kysely } from 'kysely';
import type { Cache } from '../../cache.js';
import type { DB } from '../../db/schema.js';
import type { ProviderClient } from '../../provider/client.js';
import type { AuditService } from '../audit/audit.service.js';
import { AppError, ValidationError, type FieldError } from '../../errors.js';
import { isValidIccid, normalizeIccid } from '../../lib/identifiers.js';
import { invalidateSim, type ActorContext } from './sim-ref.js';
import { createSimsRepo } from './sims.repo.js';
import { simWrites } from './sims.writes.js';
import { parseCsv, TAG_SEPARATOR, unguardCell } from './sims.csv.js';
import type { ImportReport, ImportRow } from './sims.schemas.js';
import type { SimRow } from './sims.view.js';

/** Labels per 1NCE bulk update request. */
const PROVIDER_CHUNK = 500;
const MAX_ROWS = 100_000;
const TAG_PATTERN = /^[^,;|\s][^,;|]{0,63}$/;

export type ImportOutcome = ImportRow['outcome'];
export type { ImportReport } from './sims.schemas.js';

/** 422 carrying the per-row report (as the problem document's `report` member). */
export class ImportRejected extends AppError {
  constructor(detail: string, errors: FieldError[], report: ImportReport) {
    super('import_invalid_rows', 422, 'Unprocessable request', { detail, errors, extensions: { report } });
  }
}

interface Planned {
  row: ImportRow;
  sim?: SimRow;
  label?: string | null;
  tags?: string[];
}

function sameTags(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** Creates the importer. */
/** What the import needs: the database, the SIM cache, 1NCE for labels, the audit trail. */
export interface SimImportDeps {
  db: Kysely<DB>;
  cache: Cache;
  provider: { get(accountId: string): Promise<ProviderClient> };
  audit: Pick<AuditService, 'recordSafely'>;
}

export function createSimImport(deps: SimImportDeps) {
  const sims = createSimsRepo(deps.db);
  return {
    /** Validates and applies a CSV with an `iccid` column and `label` and/or `tags` columns. */
    async importCsv(text: string, options: { dryRun: boolean; ctx: ActorContext }): Promise<ImportReport> {
      let records;
      try {
        records = parseCsv(text);
      } catch (error) {
        throw new ValidationError(error instanceof Error ? error.message : 'malformed CSV', [{ field: 'body', message: 'malformed CSV' }], 'invalid_csv');
      }
      const header = records.shift();
      if (header === undefined) throw new ValidationError('the CSV is empty', [{ field: 'body', message: 'needs a header row' }], 'invalid_csv');
      const columns = header.cells.map((c) => c.trim().toLowerCase());
      const iccidAt = columns.indexOf('iccid');
      const labelAt = columns.indexOf('label');
      const tagsAt = columns.indexOf('tags');
      if (iccidAt < 0 || (labelAt < 0 && tagsAt < 0)) {
        throw new ValidationError('the header must name an iccid column and a label and/or tags column', [{ field: 'body', message: 'header: iccid, label, tags' }], 'invalid_csv');
      }
      if (records.length > MAX_ROWS) throw new ValidationError(`at most ${MAX_ROWS} rows per import`, [{ field: 'body', message: 'too many rows' }], 'invalid_csv');

      const planned: Planned[] = [];
      const seen = new Map<string, number>();
      for (const record of records) {
        const rawIccid = (record.cells[iccidAt] ?? '').trim();
        const errors: string[] = [];
        let iccid: string | null = null;
        if (!/^\d{19,20}$/.test(rawIccid)) errors.push('iccid must be 19 or 20 digits');
        else if (!isValidIccid(rawIccid)) errors.push('iccid fails the Luhn check');
        else iccid = normalizeIccid(rawIccid);
        if (iccid !== null) {
          const first = seen.get(iccid);
          if (first !== undefined) errors.push(`duplicate of line ${first}`);
          else seen.set(iccid, record.line);
        }
        const item: Planned = { row: { line: record.line, iccid: iccid ?? (rawIccid === '' ? null : rawIccid), outcome: 'invalid', errors } };
        if (labelAt >= 0) {
          const label = unguardCell(record.cells[labelAt] ?? '').trim();
          if (label.length > 255) errors.push('label is longer than 255 characters');
          item.label = label === '' ? null : label;
        }
        if (tagsAt >= 0) {
          const tags = [...new Set(unguardCell(record.cells[tagsAt] ?? '').split(TAG_SEPARATOR).map((t) => unguardCell(t.trim())).filter((t) => t !== ''))];
          const bad = tags.find((t) => !TAG_PATTERN.test(t));
          if (bad !== undefined) errors.push(`tag "${bad.slice(0, 70)}" is invalid (1-64 characters, no , ; |)`);
          if (tags.length > 50) errors.push('at most 50 tags');
          item.tags = tags;
        }
        planned.push(item);
      }

      const iccids = planned.flatMap((p) => (p.row.errors.length === 0 && p.row.iccid !== null ? [p.row.iccid] : []));
      const existing = new Map<string, SimRow>();
      for (let i = 0; i < iccids.length; i += 5_000) {
        const rows = await sims.findManyByIccid(iccids.slice(i, i + 5_000));
        for (const row of rows) existing.set(row.iccid, row);
      }
      for (const item of planned) {
        if (item.row.errors.length > 0) continue;
        const sim = existing.get(item.row.iccid!);
        if (sim === undefined) {
          item.row.outcome = 'not_found';
          item.row.errors.push('no such SIM');
          continue;
        }
        item.sim = sim;
        const labelChanged = item.label !== undefined && item.label !== sim.label;
        const tagsChanged = item.tags !== undefined && !sameTags(item.tags, sim.tags);
        item.row.outcome = labelChanged || tagsChanged ? 'updated' : 'unchanged';
      }

      const count = (outcome: ImportOutcome) => planned.filter((p) => p.row.outcome === outcome).length;
      const failed = planned.filter((p) => p.row.outcome === 'invalid' || p.row.outcome === 'not_found');
      const toUpdate = planned.filter((p) => p.row.outcome === 'updated');
      const labelsForProvider = toUpdate.filter((p) => p.sim!.source === 'provider' && p.label !== undefined && p.label !== p.sim!.label);
      const report: ImportReport = {
        applied: false,
        total: planned.length,
        updated: toUpdate.length,
        unchanged: count('unchanged'),
        invalid: failed.length,
        labels_sent_to_provider: 0,
        rows: planned.map((p) => p.row),
      };
      if (failed.length > 0) {
        throw new ImportRejected(
          `${failed.length} of ${planned.length} rows are invalid; nothing was written`,
          failed.slice(0, 100).map((p) => ({ field: `line ${p.row.line}`, message: p.row.errors.join('; ') })),
          report,
        );
      }
      if (options.dryRun) return report;
      if (toUpdate.length === 0) return { ...report, applied: true };

      // 1NCE first, grouped by account; a rejection stops the import before anything is stored.
      const byAccount = new Map<string, Planned[]>();
      for (const p of labelsForProvider) byAccount.set(p.sim!.account_id, [...(byAccount.get(p.sim!.account_id) ?? []), p]);
      for (const [accountId, items] of byAccount) {
        const client = await deps.provider.get(accountId);
        for (let i = 0; i < items.length; i += PROVIDER_CHUNK) {
          const chunk = items.slice(i, i + PROVIDER_CHUNK);
          const target = { type: 'sims', id: `${chunk.length} SIMs` };
          try {
            await client.bulkUpdateSims(chunk.map((p) => ({ iccid: p.sim!.iccid, label: p.label ?? '' })), { priority: 'bulk' });
            await deps.audit.recordSafely({ ...options.ctx, action: 'provider.bulk_update_sims', target, outcome: 'success', detail: { fields: ['label'], iccids: chunk.map((p) => p.sim!.iccid) } });
          } catch (error) {
            await deps.audit.recordSafely({ ...options.ctx, action: 'provider.bulk_update_sims', target, outcome: 'failure', detail: { error: error instanceof AppError ? error.code : 'error' } });
            throw error;
          }
          report.labels_sent_to_provider += chunk.length;
        }
      }

      await deps.db.transaction().execute(async (trx) => {
        for (const p of toUpdate) {
          await simWrites.setLabelAndTags(trx, p.sim!.id, { ...(p.label !== undefined && { label: p.label }), ...(p.tags !== undefined && { tags: p.tags }) });
        }
      });
      await Promise.all(toUpdate.map((p) => invalidateSim(deps.cache, p.sim!.iccid)));
      return { ...report, applied: true };
    },
  };
}
