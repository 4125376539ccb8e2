import { readFile } from 'node:fs/promises';
import { FILTER_HELP, FILTER_OPTIONS, FORMAT_OPTIONS, filterObject, outputFormat, parse, requirePositional } from './args.js';
import { CliError, EXIT } from './exit-codes.js';
import { createProgress, formatRecord } from './output.js';
import type { CliIo } from './io.js';

/** `sims bulk <action> ...`: one action on many SIMs as a bulk job (POST /api/v1/bulk-jobs), followed to its end. */

const ACTIONS = ['enable', 'disable', 'label', 'add_tag', 'remove_tag', 'imei_lock', 'imei_unlock', 'topup', 'sms', 'reset'] as const;
/** Actions that take one value: the label, the tag or the SMS text. */
const VALUE_OF: Partial<Record<(typeof ACTIONS)[number], 'label' | 'tag' | 'message'>> = { label: 'label', add_tag: 'tag', remove_tag: 'tag', sms: 'message' };
const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const DEFAULT_POLL_MS = 1_000;

export const BULK_HELP = `Usage: npm run cli -- sims bulk <action> [<value>] <selection> [--dry-run] [--no-wait] [--format table|json]
       npm run cli -- sims bulk status <job-id> [--wait] [--format table|json]

Actions: enable, disable, imei_lock, imei_unlock, reset, topup [--payment-method <m>],
         label <text>, add_tag <tag>, remove_tag <tag>, sms <text>
Selection: --iccid <iccid> (repeat, or comma-separated) | --file <csv with an iccid column> | filters
${FILTER_HELP}

Without --no-wait the command follows the job with a progress bar (on a terminal) and exits 6
when any SIM failed or the job failed or was cancelled.
`;

interface BulkJob {
  id: string;
  action: string;
  status: string;
  total: number;
  processed: number;
  succeeded: number;
  failed: number;
  skipped: number;
  pending: number;
  progress_percent: number;
  error: string | null;
}

/** Polls the job until it ends, drawing its progress; returns the final state. */
async function follow(job: BulkJob, io: CliIo): Promise<BulkJob> {
  const api = io.api();
  const progress = createProgress(io.stderr, `bulk ${job.action}`);
  let current = job;
  while (!TERMINAL.has(current.status)) {
    progress.update(current.processed, current.total, `${current.succeeded} ok, ${current.failed} failed`);
    await new Promise((resolve) => setTimeout(resolve, io.pollMs ?? DEFAULT_POLL_MS));
    current = await api.json<BulkJob>('GET', `/bulk-jobs/${encodeURIComponent(current.id)}`);
  }
  progress.update(current.processed, current.total, `${current.succeeded} ok, ${current.failed} failed`);
  progress.finish(current.status);
  return current;
}

function outcome(job: BulkJob): number {
  return job.status === 'completed' && job.failed === 0 ? EXIT.ok : EXIT.partial;
}

async function status(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { ...FORMAT_OPTIONS, wait: { type: 'boolean' } }, BULK_HELP);
  const id = requirePositional(positionals, 0, 'the job id', BULK_HELP);
  let job = await io.api().json<BulkJob>('GET', `/bulk-jobs/${encodeURIComponent(id)}`);
  if (values.wait === true) job = await follow(job, io);
  io.stdout.write(formatRecord(outputFormat(values), job as unknown as Record<string, unknown>));
  return TERMINAL.has(job.status) ? outcome(job) : EXIT.ok;
}

/** Runs `sims bulk ...`. */
export async function bulkCommand(args: string[], io: CliIo): Promise<number> {
  if (args[0] === 'status') return status(args.slice(1), io);
  const { values, positionals } = parse(
    args,
    {
      ...FILTER_OPTIONS,
      ...FORMAT_OPTIONS,
      iccid: { type: 'string', multiple: true },
      file: { type: 'string' },
      'payment-method': { type: 'string' },
      'dry-run': { type: 'boolean' },
      'no-wait': { type: 'boolean' },
    },
    BULK_HELP,
  );
  const action = requirePositional(positionals, 0, 'the action', BULK_HELP);
  if (!(ACTIONS as readonly string[]).includes(action)) throw new CliError(EXIT.usage, `unknown bulk action "${action}"; one of ${ACTIONS.join(', ')}`);
  const valueName = VALUE_OF[action as (typeof ACTIONS)[number]];
  const params: Record<string, string> = {};
  if (valueName !== undefined) params[valueName] = requirePositional(positionals, 1, `the ${valueName} of ${action}`, BULK_HELP);
  if (values['payment-method'] !== undefined) params.payment_method = values['payment-method'];

  const { iccid, file, ...rest } = values;
  const filter = filterObject(rest);
  const selections = [iccid !== undefined, file !== undefined, filter !== undefined].filter(Boolean).length;
  if (selections !== 1) throw new CliError(EXIT.usage, `choose the SIMs with exactly one of --iccid, --file or filters\n\n${BULK_HELP}`);
  const body: Record<string, unknown> = { action, dry_run: values['dry-run'] === true, ...(Object.keys(params).length > 0 && { params }) };
  if (iccid !== undefined) body.iccids = iccid.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  if (filter !== undefined) body.filter = filter;
  if (file !== undefined) {
    try {
      body.csv = await readFile(file, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliError(code === 'ENOENT' ? EXIT.notFound : EXIT.usage, `cannot read ${file}: ${code ?? 'error'}`);
    }
  }

  const format = outputFormat(values);
  const answer = await io.api().json<Record<string, unknown>>('POST', '/bulk-jobs', { body });
  if (body.dry_run === true || values['no-wait'] === true) {
    io.stdout.write(formatRecord(format, answer));
    return EXIT.ok;
  }
  const job = await follow(answer as unknown as BulkJob, io);
  io.stdout.write(formatRecord(format, job as unknown as Record<string, unknown>));
  return outcome(job);
}
