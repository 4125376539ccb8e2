/**
 * The SIM list filter: one definition shared by the paged list, the streamed export and (through
 * `simFilterWhere`) anything else that selects SIMs by filter, such as bulk actions. Every
 * condition is served by an index from 0002_fleet.sql or 0013_sim_search.sql, except those on the
 * stream-updated columns (docs/adr/0006); see docs/fleet-api.md and docs/adr/0012-sim-lists.md.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { DB } from '../../db/schema.js';
import { ValidationError } from '../../errors.js';
import { isUuid } from '../../lib/identifiers.js';

/** A parsed, validated SIM filter. Absent members do not filter. */
export interface SimFilter {
  /** Text search: any part (3+ characters) of ICCID, IMSI, MSISDN, IMEI or label; a prefix when shorter. */
  q?: string | undefined;
  /** Any of these raw provider statuses (given in any case, matched in 1NCE's capitalised form). */
  status?: string[] | undefined;
  /** Any of these tags. */
  tags?: string[] | undefined;
  /** Provider account ids. */
  accounts?: string[] | undefined;
  /** Any of these connectivity states. */
  connectivity?: string[] | undefined;
  /** Data remaining below this percentage. */
  quotaBelow?: number | undefined;
  lastSeenAfter?: Date | undefined;
  lastSeenBefore?: Date | undefined;
  /** Only SIMs of this origin. */
  source?: 'provider' | 'manual' | undefined;
}

/** Columns the list can be sorted by (`sort=field` or `sort=-field`). */
export const SORTABLE_FIELDS = [
  'iccid',
  'imsi',
  'msisdn',
  'label',
  'status',
  'connectivity_status',
  'last_seen_at',
  'last_synced_at',
  'data_remaining_pct',
  'data_remaining_bytes',
  'data_expiry_date',
  'activation_date',
  'created_at',
  'updated_at',
] as const;

export type SortField = (typeof SORTABLE_FIELDS)[number];

export interface SimSort {
  field: SortField;
  direction: 'asc' | 'desc';
}

export const DEFAULT_SORT: SimSort = { field: 'iccid', direction: 'asc' };

const CONNECTIVITY_STATES = ['ONLINE', 'ATTACHED', 'OFFLINE', 'BLOCKED', 'UNKNOWN'];

/** Raw query-string members, as the routes receive them (arrays from repeated keys or commas). */
export interface SimFilterQuery {
  q?: string | undefined;
  status?: string | string[] | undefined;
  tag?: string | string[] | undefined;
  account?: string | string[] | undefined;
  connectivity?: string | string[] | undefined;
  quota_below?: number | undefined;
  last_seen_after?: string | undefined;
  last_seen_before?: string | undefined;
  source?: 'provider' | 'manual' | undefined;
}

/** `a,b` and repeated keys both give a list; blanks are dropped. */
function listOf(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = (Array.isArray(value) ? value : [value]).flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
  return items.length === 0 ? undefined : [...new Set(items)];
}

function dateOf(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new ValidationError(`${field} is not a date`, [{ field: `querystring.${field}`, message: 'must be an ISO-8601 date or date-time' }]);
  return date;
}

/** Validates and normalises the query-string filter (400 naming the field on bad input). */
export function parseSimFilter(query: SimFilterQuery): SimFilter {
  const connectivity = listOf(query.connectivity)?.map((c) => c.toUpperCase());
  const bad = connectivity?.find((c) => !CONNECTIVITY_STATES.includes(c));
  if (bad !== undefined) {
    throw new ValidationError(`unknown connectivity state ${bad}`, [
      { field: 'querystring.connectivity', message: `must be one of ${CONNECTIVITY_STATES.join(', ')}` },
    ]);
  }
  const accounts = listOf(query.account);
  if (accounts?.some((a) => !isUuid(a))) {
    throw new ValidationError('account must be a provider account id', [{ field: 'querystring.account', message: 'must be a UUID' }]);
  }
  const filter: SimFilter = {
    q: query.q?.trim() === '' ? undefined : query.q?.trim(),
    status: listOf(query.status)?.map(canonicalStatus),
    tags: listOf(query.tag),
    accounts,
    connectivity,
    quotaBelow: query.quota_below,
    lastSeenAfter: dateOf(query.last_seen_after, 'last_seen_after'),
    lastSeenBefore: dateOf(query.last_seen_before, 'last_seen_before'),
    source: query.source,
  };
  return filter;
}

/** Parses `sort=field` / `sort=-field` against the whitelist. */
export function parseSort(value: string | undefined): SimSort {
  if (value === undefined || value === '') return DEFAULT_SORT;
  const direction = value.startsWith('-') ? 'desc' : 'asc';
  const field = value.replace(/^[-+]/, '');
  if (!(SORTABLE_FIELDS as readonly string[]).includes(field)) {
    throw new ValidationError(`cannot sort by ${field}`, [{ field: 'querystring.sort', message: `must be one of ${SORTABLE_FIELDS.join(', ')}, optionally prefixed with -` }]);
  }
  return { field: field as SortField, direction };
}

/** A keyset position in a sorted list, and the number of the page that starts there. */
export interface ListCursor {
  value: string | null;
  iccid: string;
  page: number;
}

/** The longest sort value a cursor carries (labels: 255 through the API, more from 1NCE). */
const CURSOR_VALUE_MAX_LENGTH = 1_000;

/** An opaque `next_cursor`: the position, the page number and the sort it belongs to. */
export function encodeCursor(cursor: ListCursor, sort: SimSort): string {
  const order = `${sort.direction === 'desc' ? '-' : ''}${sort.field}`;
  return Buffer.from(JSON.stringify([order, cursor.page, cursor.iccid, cursor.value])).toString('base64url');
}

/** Reads a cursor back: 400 when it is not one of ours or was made for another sort. */
export function decodeCursor(text: string, sort: SimSort): ListCursor {
  const invalid = (message: string) =>
    new ValidationError(`cursor ${message}`, [{ field: 'querystring.cursor', message }], 'invalid_cursor');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid('is not a cursor from this API');
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw invalid('is not a cursor from this API');
  const [order, page, iccid, value] = parsed as unknown[];
  if (
    typeof order !== 'string' ||
    !(SORTABLE_FIELDS as readonly string[]).includes(order.replace(/^-/, '')) ||
    typeof page !== 'number' ||
    !Number.isSafeInteger(page) ||
    page < 1 ||
    typeof iccid !== 'string' ||
    !/^[0-9]{19}$/.test(iccid) ||
    // Any stored sort value, as the cursor was made from one: labels reach 255 characters through the
    // API and come from 1NCE with whatever it holds; only NUL, which no text column can hold, is out.
    !(value === null || (typeof value === 'string' && value.length <= CURSOR_VALUE_MAX_LENGTH && !value.includes('\u0000')))
  ) {
    throw invalid('is not a cursor from this API');
  }
  if (order !== `${sort.direction === 'desc' ? '-' : ''}${sort.field}`) throw invalid(`was made for sort=${order}; pass the same sort`);
  return { page, iccid, value };
}

/** 1NCE writes statuses as capitalised words (`Enabled`); matching that form keeps the status index usable. */
export function canonicalStatus(status: string): string {
  return status.charAt(0).toUpperCase() + status.slice(1).toLowerCase();
}

/** Escapes LIKE wildcards so user text matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

/** Shortest `q` searched as a substring: trigrams need three characters to narrow anything down. */
export const SUBSTRING_MIN_LENGTH = 3;

/**
 * Every searchable field of a SIM in one string, fields joined by a newline (which `q` cannot
 * contain, so a match never spans two fields). Byte for byte the expression of the trigram index
 * `sims_search_trgm_idx` (migration 0013): the planner uses the index only for this exact text.
 * The ICCID with its Luhn digit contains the 19-digit form, so both forms are found.
 */
export const SEARCH_TEXT = sql<string>`(coalesce(iccid_with_luhn, iccid) || E'\\n' || coalesce(imsi, '') || E'\\n' || coalesce(msisdn, '') || E'\\n' || coalesce(imei, '') || E'\\n' || coalesce(label, ''))`;

/**
 * What `q` searches for: the text itself, plus its digits alone when it is a number written with
 * separators or a leading + (`+49 151-2345` finds MSISDN 491512345).
 */
export function searchTerms(q: string): string[] {
  const digits = /^\+?[\d\s-]*\d[\d\s-]*$/.test(q) ? q.replace(/[^\d]/g, '') : undefined;
  return digits === undefined || digits === q ? [q] : [...new Set([q, digits])];
}

/**
 * The `q` condition. Three characters or more: a case-insensitive substring of the ICCID (either
 * form), IMSI, MSISDN, IMEI or label, served by the trigram index where pg_trgm is installed.
 * One or two characters: a prefix of any of them (btree indexes), since a substring that short
 * matches most of a fleet and no index narrows it.
 */
function searchCondition(eb: ExpressionBuilder<DB, 'sims'>, q: string): Expression<SqlBool> {
  const terms = searchTerms(q);
  if (terms.every((term) => term.length >= SUBSTRING_MIN_LENGTH)) {
    return eb.or(terms.map((term) => eb(SEARCH_TEXT, 'ilike', `%${escapeLike(term)}%`)));
  }
  return eb.or(
    terms.flatMap((term) => {
      const prefix = `${escapeLike(term)}%`;
      return [
        eb('iccid', 'like', prefix),
        eb('iccid_with_luhn', 'like', prefix),
        eb('imsi', 'like', prefix),
        eb('msisdn', 'like', prefix),
        eb('imei', 'like', prefix),
        eb(sql`lower(label)`, 'like', `${escapeLike(term.toLowerCase())}%`),
      ];
    }),
  );
}

/** The WHERE condition of a filter (text search: see `searchCondition`). */
export function simFilterWhere(filter: SimFilter) {
  return (eb: ExpressionBuilder<DB, 'sims'>): Expression<SqlBool> => {
    const conditions: Array<Expression<SqlBool>> = [];
    if (filter.q !== undefined) conditions.push(searchCondition(eb, filter.q));
    if (filter.status !== undefined) conditions.push(eb('status', 'in', filter.status));
    if (filter.tags !== undefined) conditions.push(sql<SqlBool>`tags && ${sql.val(filter.tags)}::text[]`);
    if (filter.accounts !== undefined) conditions.push(eb('account_id', 'in', filter.accounts));
    if (filter.connectivity !== undefined) {
      conditions.push(eb('connectivity_status', 'in', filter.connectivity as Array<'ONLINE'>));
    }
    if (filter.quotaBelow !== undefined) conditions.push(eb('data_remaining_pct', '<', String(filter.quotaBelow)));
    if (filter.lastSeenAfter !== undefined) conditions.push(eb('last_seen_at', '>=', filter.lastSeenAfter));
    if (filter.lastSeenBefore !== undefined) conditions.push(eb('last_seen_at', '<', filter.lastSeenBefore));
    if (filter.source !== undefined) conditions.push(eb('source', '=', filter.source));
    return eb.and(conditions);
  };
}
