/**
 * The SIM list filter: one definition shared by the paged list, the streamed export and (through
 * `simFilterWhere`) anything else that selects SIMs by filter, such as bulk actions. Every
 * condition is served by an index from 0002_fleet.sql (see docs/fleet-api.md).
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { DB } from '../../db/schema.js';
import { ValidationError } from '../../errors.js';

/** A parsed, validated SIM filter. Absent members do not filter. */
export interface SimFilter {
  /** Text search: ICCID / IMSI / MSISDN / IMEI prefix, or label. */
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
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  if (accounts?.some((a) => !UUID.test(a))) {
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

/** 1NCE writes statuses as capitalised words (`Enabled`); matching that form keeps the status index usable. */
export function canonicalStatus(status: string): string {
  return status.charAt(0).toUpperCase() + status.slice(1).toLowerCase();
}

/** Escapes LIKE wildcards so user text matches literally. */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, '\\$&');
}

/**
 * The WHERE condition of a filter. Digit-like text searches identifiers by prefix (text_pattern_ops
 * indexes) and labels by prefix; other text searches labels by substring (the optional trigram index
 * serves it when pg_trgm is installed).
 */
export function simFilterWhere(filter: SimFilter) {
  return (eb: ExpressionBuilder<DB, 'sims'>): Expression<SqlBool> => {
    const conditions: Array<Expression<SqlBool>> = [];
    if (filter.q !== undefined) {
      const lowered = filter.q.toLowerCase();
      const identifier = /^\+?\d+$/.test(filter.q) ? filter.q.replace(/^\+/, '') : undefined;
      if (identifier !== undefined) {
        const prefix = `${escapeLike(identifier)}%`;
        conditions.push(
          eb.or([
            eb('iccid', 'like', prefix),
            eb('iccid_with_luhn', 'like', prefix),
            eb('imsi', 'like', prefix),
            eb('msisdn', 'like', prefix),
            eb('imei', 'like', prefix),
            eb(sql`lower(label)`, 'like', `${escapeLike(lowered)}%`),
          ]),
        );
      } else {
        conditions.push(eb(sql`lower(label)`, 'like', `%${escapeLike(lowered)}%`));
      }
    }
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
