import { Type } from 'typebox';
import { BulkJobIdParam, CreateBulkJobBody } from '../../modules/bulk/bulk.schemas.js';
import type { BulkService } from '../../modules/bulk/bulk.service.js';
import { defineTool, type Tool } from '../tool.js';

/** A bulk request as a tool takes it: the REST body without `dry_run` (the tool name says which) and without CSV text. */
const { dry_run: _dryRun, csv: _csv, ...bulkProperties } = CreateBulkJobBody.properties;
const BulkArgs = Type.Object(bulkProperties, { additionalProperties: false });

const SELECTION = 'Select SIMs by iccids (a list) or filter (the find_sims filters).';

/** Bulk actions: POST /bulk-jobs (dry run or run) and GET /bulk-jobs/{id}. */
export function bulkTools(bulk: BulkService): Tool[] {
  return [
    defineTool({
      name: 'bulk_dry_run',
      title: 'Preview a bulk action',
      description: `Resolve a bulk action's selection and report which SIMs it would touch, changing nothing. ${SELECTION} Same as POST /api/v1/bulk-jobs with dry_run.`,
      policy: 'operator',
      readOnly: true,
      input: BulkArgs,
      run: async (args, caller) => (await bulk.create({ ...args, dry_run: true }, caller.ctx)).body,
    }),
    defineTool({
      name: 'bulk_run',
      title: 'Run a bulk action',
      description:
        `Start one action (enable, disable, label, add_tag, remove_tag, imei_lock, imei_unlock, topup, sms, reset) on many SIMs as a tracked, resumable job. ` +
        `${SELECTION} Returns the job; follow it with get_bulk_job. Run bulk_dry_run first.`,
      policy: 'operator',
      readOnly: false,
      destructive: true,
      input: BulkArgs,
      run: async (args, caller) => (await bulk.create({ ...args, dry_run: false }, caller.ctx)).body,
    }),
    defineTool({
      name: 'get_bulk_job',
      title: 'Bulk job progress',
      description: 'A bulk job with its progress (processed, succeeded, failed, skipped, pending, percent). Same as GET /api/v1/bulk-jobs/{id}.',
      policy: 'viewer',
      readOnly: true,
      input: Type.Object(BulkJobIdParam.properties, { additionalProperties: false }),
      run: async ({ id }) => bulk.get(id),
    }),
  ];
}
