import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CliError, EXIT } from './exit-codes.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Strict option parsing: an unknown or malformed option is a usage error (exit 2) naming it. */
export function parse<O extends Options>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new CliError(EXIT.usage, `${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
  }
}

/** The list filters of GET /sims as options (repeatable ones may also be comma-separated). */
export const FILTER_OPTIONS = {
  q: { type: 'string' },
  status: { type: 'string', multiple: true },
  tag: { type: 'string', multiple: true },
  account: { type: 'string', multiple: true },
  connectivity: { type: 'string', multiple: true },
  'quota-below': { type: 'string' },
  'last-seen-after': { type: 'string' },
  'last-seen-before': { type: 'string' },
  source: { type: 'string' },
} as const satisfies Options;

export const FILTER_HELP = `Filters (as GET /api/v1/sims; repeat an option or separate values with commas for any-of):
  --q <text>  --status <s>  --tag <t>  --account <id>  --connectivity ONLINE|ATTACHED|OFFLINE|BLOCKED|UNKNOWN
  --quota-below <percent>  --last-seen-after <iso>  --last-seen-before <iso>  --source provider|manual`;

type FilterValues = { [K in keyof typeof FILTER_OPTIONS]?: (typeof FILTER_OPTIONS)[K] extends { multiple: true } ? string[] : string };

/** The filter options as query parameters (option `quota-below` -> `quota_below`). */
export function filterQuery(values: FilterValues, query = new URLSearchParams()): URLSearchParams {
  for (const name of Object.keys(FILTER_OPTIONS) as Array<keyof typeof FILTER_OPTIONS>) {
    const value = values[name];
    if (value === undefined) continue;
    const key = name.replace(/-/g, '_');
    for (const v of Array.isArray(value) ? value : [value]) query.append(key, v);
  }
  return query;
}

/** The filter options as the JSON filter of a bulk job (numbers as numbers, lists as lists). */
export function filterObject(values: FilterValues): Record<string, unknown> | undefined {
  const filter: Record<string, unknown> = {};
  for (const name of Object.keys(FILTER_OPTIONS) as Array<keyof typeof FILTER_OPTIONS>) {
    const value = values[name];
    if (value === undefined) continue;
    const key = name.replace(/-/g, '_');
    if (key === 'quota_below') filter[key] = numberOption(value as string, '--quota-below', 0, 100);
    else filter[key] = Array.isArray(value) ? value.flatMap((v) => v.split(',')).filter((v) => v !== '') : value;
  }
  return Object.keys(filter).length === 0 ? undefined : filter;
}

/** A numeric option within bounds; a usage error otherwise. */
export function numberOption(value: string, name: string, min: number, max: number, integer = false): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new CliError(EXIT.usage, `${name} must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return n;
}

/** `--format` (alias `--output`): table, csv or json. */
export const FORMAT_OPTIONS = {
  format: { type: 'string', short: 'f' },
  output: { type: 'string', short: 'o' },
} as const satisfies Options;

export function outputFormat(values: { format?: string | undefined; output?: string | undefined }, fallback: OutputFormat = 'table'): OutputFormat {
  const chosen = values.format ?? values.output ?? fallback;
  if (!(OUTPUT_FORMATS as readonly string[]).includes(chosen)) throw new CliError(EXIT.usage, `--format must be one of ${OUTPUT_FORMATS.join(', ')}`);
  return chosen as OutputFormat;
}

/** The one positional argument a command needs, or a usage error. */
export function requirePositional(positionals: string[], index: number, what: string, usage: string): string {
  const value = positionals[index];
  if (value === undefined || value === '') throw new CliError(EXIT.usage, `missing ${what}\n\n${usage}`);
  return value;
}
