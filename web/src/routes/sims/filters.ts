/**
 * The SIM list's state lives in the URL (shareable, the back button works). The URL holds plain
 * strings (`SimSearch`); `SimFilters` is the typed form the screen and the API calls use. Invalid
 * or unknown parameters are dropped rather than sent to the server.
 */

export const SORTABLE = [
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
export const STATUSES = ['Enabled', 'Disabled', 'Activated', 'Deactivated', 'Suspended'] as const;
export const CONNECTIVITY = ['ONLINE', 'ATTACHED', 'OFFLINE', 'BLOCKED', 'UNKNOWN'] as const;
export const PAGE_SIZES = [25, 50, 100, 200, 500] as const;
export const DEFAULT_PAGE_SIZE = 50;
export const DEFAULT_SORT = 'iccid';

export interface SimSearch {
  q?: string;
  status?: string;
  tag?: string;
  account?: string;
  connectivity?: string;
  quota_below?: string;
  sort?: string;
  page?: string;
  page_size?: string;
}

export interface SimFilters {
  q: string;
  status: string[];
  tag: string[];
  account: string;
  connectivity: string[];
  quota_below: number | undefined;
  sort: string;
  page: number;
  page_size: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const list = (value: unknown): string[] =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '')
    : [];

const text = (value: unknown, max: number): string | undefined => {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  // eslint-disable-next-line no-control-regex
  const s = String(value).replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return s === '' ? undefined : s.slice(0, max);
};

/** Keeps the valid, known parameters of a URL query (the router's validateSearch). */
export function parseSimSearch(raw: Record<string, unknown>): SimSearch {
  const out: SimSearch = {};
  const q = text(raw.q, 100);
  if (q !== undefined) out.q = q;
  const status = list(raw.status).filter((s) => /^[A-Za-z ]{1,40}$/.test(s));
  if (status.length > 0) out.status = status.join(',');
  const tag = list(raw.tag).filter((t) => t.length <= 64 && !/[;|]/.test(t));
  if (tag.length > 0) out.tag = tag.join(',');
  const account = text(raw.account, 36);
  if (account !== undefined && UUID.test(account)) out.account = account;
  const connectivity = list(raw.connectivity)
    .map((c) => c.toUpperCase())
    .filter((c) => (CONNECTIVITY as readonly string[]).includes(c));
  if (connectivity.length > 0) out.connectivity = connectivity.join(',');
  const below = Number(text(raw.quota_below, 12));
  if (raw.quota_below !== undefined && Number.isFinite(below) && below >= 0 && below <= 100) out.quota_below = String(below);
  const sort = text(raw.sort, 40);
  if (sort !== undefined && (SORTABLE as readonly string[]).includes(sort.replace(/^-/, '')) && sort !== DEFAULT_SORT) out.sort = sort;
  const page = Number(text(raw.page, 9));
  if (Number.isInteger(page) && page > 1) out.page = String(page);
  const size = Number(text(raw.page_size, 4));
  if ((PAGE_SIZES as readonly number[]).includes(size) && size !== DEFAULT_PAGE_SIZE) out.page_size = String(size);
  return out;
}

/** The typed filters of a (validated) URL query. */
export function filtersFromSearch(search: SimSearch): SimFilters {
  return {
    q: search.q ?? '',
    status: list(search.status),
    tag: list(search.tag),
    account: search.account ?? '',
    connectivity: list(search.connectivity),
    quota_below: search.quota_below === undefined ? undefined : Number(search.quota_below),
    sort: search.sort ?? DEFAULT_SORT,
    page: search.page === undefined ? 1 : Number(search.page),
    page_size: search.page_size === undefined ? DEFAULT_PAGE_SIZE : Number(search.page_size),
  };
}

/** The URL query of some filters: defaults and empty values are left out, so links stay short. */
export function searchFromFilters(filters: SimFilters): SimSearch {
  return parseSimSearch({
    q: filters.q,
    status: filters.status.join(','),
    tag: filters.tag.join(','),
    account: filters.account,
    connectivity: filters.connectivity.join(','),
    quota_below: filters.quota_below,
    sort: filters.sort,
    page: filters.page,
    page_size: filters.page_size,
  });
}

/** A change of filter starts again at page 1 (the old page may not exist any more). */
export function withFilter(filters: SimFilters, change: Partial<Omit<SimFilters, 'page' | 'page_size' | 'sort'>>): SimFilters {
  return { ...filters, ...change, page: 1 };
}

/** Clicking a column header: ascending first, then descending, then back to the default order. */
export function nextSort(current: string, field: string): string {
  if (current === field) return `-${field}`;
  if (current === `-${field}`) return DEFAULT_SORT;
  return field;
}

export interface SimFilterQuery {
  q?: string;
  status?: string;
  tag?: string;
  account?: string;
  connectivity?: string;
  quota_below?: number;
}

/** The filter part for GET /sims, GET /sims/export and a bulk job's `filter` (lists comma-joined). */
export function apiFilter(filters: SimFilters): SimFilterQuery {
  const out: SimFilterQuery = {};
  if (filters.q !== '') out.q = filters.q;
  if (filters.status.length > 0) out.status = filters.status.join(',');
  if (filters.tag.length > 0) out.tag = filters.tag.join(',');
  if (filters.account !== '') out.account = filters.account;
  if (filters.connectivity.length > 0) out.connectivity = filters.connectivity.join(',');
  if (filters.quota_below !== undefined) out.quota_below = filters.quota_below;
  return out;
}

/** True when any filter narrows the fleet. */
export function isFiltered(filters: SimFilters): boolean {
  return Object.keys(apiFilter(filters)).length > 0;
}
