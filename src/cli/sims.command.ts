import { readFile } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { CliIo } from './io.js';
import { FILTER_HELP, FILTER_OPTIONS, FORMAT_OPTIONS, filterQuery, numberOption, outputFormat, parse, requirePositional } from './args.js';
import { bulkCommand, BULK_HELP } from './bulk.command.js';
import { CliError, EXIT } from './exit-codes.js';
import { createProgress, formatRecord, formatRecords, type Column } from './output.js';
import type { ImportReport } from '../modules/sims/sims.import.js';

/** `npm run cli -- sims ...`: the fleet through a running platform's REST API. */

export type { CliIo };

interface SimRow {
  iccid: string;
  label: string | null;
  status: string | null;
  connectivity_status: string | null;
  data_remaining_pct: number | null;
  data_remaining_bytes: number | null;
  tags: string[];
  last_seen_at: string | null;
}

interface SimPage {
  items: SimRow[];
  total: number;
  page: number;
  page_size: number;
  total_pages: number;
  next_cursor: string | null;
}

const SIM_COLUMNS: Column<SimRow>[] = [
  { header: 'iccid', value: (s) => s.iccid },
  { header: 'label', value: (s) => s.label },
  { header: 'status', value: (s) => s.status },
  { header: 'connectivity', value: (s) => s.connectivity_status },
  { header: 'data_left_pct', value: (s) => s.data_remaining_pct },
  { header: 'data_left_bytes', value: (s) => s.data_remaining_bytes },
  { header: 'tags', value: (s) => s.tags },
  { header: 'last_seen_at', value: (s) => s.last_seen_at },
];

export const SIMS_HELP = `Usage: npm run cli -- sims <command> [options]

Commands (talk to the platform at SIMFLEET_URL with SIMFLEET_API_KEY):
  list [filters] [--sort <field|-field>] [--page N] [--page-size N] [--all] [--format table|csv|json]
  show <iccid> [--format table|csv|json]
  export [filters] [--sort ...] [--format csv|ndjson] [--file <path>]    (progress on a terminal)
  import <file.csv> [--dry-run] [--format table|json]                    (columns iccid,label,tags)
  sync [<iccid>] [--account <id>]    one SIM now, or queue a full sync of the fleet
  bulk <action> ...                  see "sims bulk help"

${FILTER_HELP}
`;

/** Pages of the list read per request with --all (the API's maximum). */
const ALL_PAGE_SIZE = 500;

async function list(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(
    args,
    { ...FILTER_OPTIONS, ...FORMAT_OPTIONS, sort: { type: 'string' }, page: { type: 'string' }, 'page-size': { type: 'string' }, all: { type: 'boolean' } },
    SIMS_HELP,
  );
  const format = outputFormat(values);
  const query = filterQuery(values);
  if (values.sort !== undefined) query.set('sort', values.sort);
  const api = io.api();
  if (values.all !== true) {
    if (values.page !== undefined) query.set('page', String(numberOption(values.page, '--page', 1, 1_000_000, true)));
    query.set('page_size', String(values['page-size'] === undefined ? 50 : numberOption(values['page-size'], '--page-size', 1, 500, true)));
    const page = await api.json<SimPage>('GET', '/sims', { query });
    io.stdout.write(formatRecords(format, page.items, SIM_COLUMNS, page));
    if (format === 'table' && page.total > page.items.length) io.stderr.write(`page ${page.page} of ${page.total_pages} (${page.total} SIMs); --all for every page\n`);
    return EXIT.ok;
  }
  // Every page, following the keyset cursor (deep pages cost what the first does).
  query.set('page_size', String(ALL_PAGE_SIZE));
  const progress = createProgress(io.stderr, 'listing');
  const items: SimRow[] = [];
  let cursor: string | null = null;
  do {
    if (cursor !== null) query.set('cursor', cursor);
    const page: SimPage = await api.json<SimPage>('GET', '/sims', { query });
    items.push(...page.items);
    progress.update(items.length, page.total);
    cursor = page.next_cursor;
  } while (cursor !== null);
  progress.finish();
  io.stdout.write(formatRecords(format, items, SIM_COLUMNS));
  return EXIT.ok;
}

async function show(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { ...FORMAT_OPTIONS }, SIMS_HELP);
  const iccid = requirePositional(positionals, 0, 'the ICCID', SIMS_HELP);
  const sim = await io.api().json<Record<string, unknown>>('GET', `/sims/${encodeURIComponent(iccid)}`);
  io.stdout.write(formatRecord(outputFormat(values), sim));
  return EXIT.ok;
}

async function exportSims(args: string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { ...FILTER_OPTIONS, sort: { type: 'string' }, format: { type: 'string', short: 'f' }, file: { type: 'string' } }, SIMS_HELP);
  const format = values.format ?? 'csv';
  if (format !== 'csv' && format !== 'ndjson') throw new CliError(EXIT.usage, '--format of an export must be csv or ndjson');
  const query = filterQuery(values);
  if (values.sort !== undefined) query.set('sort', values.sort);
  const api = io.api();
  // The total first, for the progress bar (a page of one costs one count).
  const total = (await api.json<SimPage>('GET', '/sims', { query: new URLSearchParams([...query, ['page_size', '1']]) })).total;
  query.set('format', format);
  const body = await api.stream('/sims/export', query);
  let out: NodeJS.WritableStream = io.stdout;
  let writeError: Error | undefined;
  if (values.file !== undefined) {
    const handle = await open(values.file, 'w').catch((error: NodeJS.ErrnoException) => {
      throw new CliError(error.code === 'ENOENT' ? EXIT.notFound : EXIT.usage, `cannot write ${values.file}: ${error.code ?? 'error'}`);
    });
    out = handle.createWriteStream().on('error', (error) => {
      writeError = error;
    });
  }
  const progress = createProgress(io.stderr, 'exporting');
  let lines = 0;
  try {
    for await (const chunk of Readable.fromWeb(body as never) as AsyncIterable<Buffer>) {
      if (writeError !== undefined) throw new CliError(EXIT.internal, `cannot write ${values.file}: ${writeError.message}`);
      for (const byte of chunk) if (byte === 0x0a) lines += 1;
      if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      progress.update(format === 'csv' ? Math.max(0, lines - 1) : lines, total);
    }
  } finally {
    if (out !== io.stdout) await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  const exported = format === 'csv' ? Math.max(0, lines - 1) : lines;
  progress.finish(`${exported} SIMs`);
  if (values.file !== undefined) io.stderr.write(`exported ${exported} SIMs to ${values.file}\n`);
  return EXIT.ok;
}

async function importSims(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { ...FORMAT_OPTIONS, 'dry-run': { type: 'boolean' } }, SIMS_HELP);
  const file = requirePositional(positionals, 0, 'the CSV file', SIMS_HELP);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? EXIT.notFound : EXIT.usage, `cannot read ${file}: ${code ?? 'error'}`);
  }
  const query = new URLSearchParams(values['dry-run'] === true ? { dry_run: 'true' } : {});
  const report = await io.api().json<ImportReport>('POST', '/sims/import', { query, text });
  const format = outputFormat(values);
  const { rows: _rows, ...summary } = report;
  io.stdout.write(format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : formatRecord(format, summary));
  return EXIT.ok;
}

async function sync(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { ...FORMAT_OPTIONS, account: { type: 'string' } }, SIMS_HELP);
  const format = outputFormat(values);
  const iccid = positionals[0];
  if (iccid !== undefined) {
    const result = await io.api().json<{ sim: SimRow; synced: string[] }>('POST', `/sims/${encodeURIComponent(iccid)}/sync`);
    io.stdout.write(format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : formatRecords(format, [result.sim], SIM_COLUMNS));
    if (format === 'table') io.stderr.write(`synced from 1NCE: ${result.synced.join(', ')}\n`);
    return EXIT.ok;
  }
  const query = new URLSearchParams(values.account === undefined ? {} : { account: values.account });
  const job = await io.api().json<Record<string, unknown>>('POST', '/sims/sync-all', { query });
  io.stdout.write(formatRecord(format, job));
  return EXIT.ok;
}

const COMMANDS: Record<string, (args: string[], io: CliIo) => Promise<number>> = {
  list,
  show,
  export: exportSims,
  import: importSims,
  sync,
  bulk: bulkCommand,
};

/** Runs `sims <command> ...`. */
export async function simsCommand(args: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    io.stdout.write(SIMS_HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS[name];
  if (command === undefined) throw new CliError(EXIT.usage, `unknown sims command "${name}"\n\n${SIMS_HELP}`);
  if (name === 'bulk' && (rest[0] === undefined || rest[0] === 'help')) {
    io.stdout.write(BULK_HELP);
    return rest[0] === undefined ? EXIT.usage : EXIT.ok;
  }
  return command(rest, io);
}
