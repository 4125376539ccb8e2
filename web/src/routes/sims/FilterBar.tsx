import { useState, type ChangeEvent } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import { useCan } from '../../auth/useSession';
import { formatNumber } from '../../lib/format';
import { SIM_COLUMNS } from './columns';
import { CONNECTIVITY, PAGE_SIZES, STATUSES, filtersFromSearch, isFiltered, withFilter, type SimFilters } from './filters';

/** The SIM list's filters: search, status, connectivity, tag, quota, and the visible columns. */
export function FilterBar({ filters, onChange, columns, onColumns }: { filters: SimFilters; onChange: (f: SimFilters) => void; columns: string[]; onColumns: (c: string[]) => void }) {
  const [q, setQ] = useState(filters.q);
  const [tag, setTag] = useState(filters.tag.join(','));
  const [below, setBelow] = useState(filters.quota_below === undefined ? '' : String(filters.quota_below));
  const isAdmin = useCan('admin');
  const accounts = useQuery({ queryKey: ['accounts'], queryFn: () => ok(api.GET('/api/v1/accounts')), enabled: isAdmin, staleTime: 300_000 });
  // The URL is the truth: when it changes (back button, a link), the inputs follow.
  const [seen, setSeen] = useState(filters);
  if (seen !== filters) {
    setSeen(filters);
    setQ(filters.q);
    setTag(filters.tag.join(','));
    setBelow(filters.quota_below === undefined ? '' : String(filters.quota_below));
  }

  const apply = () => {
    const n = below.trim() === '' ? undefined : Number(below);
    onChange(
      withFilter(filters, {
        q: q.trim(),
        tag: tag
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
        quota_below: n !== undefined && Number.isFinite(n) && n >= 0 && n <= 100 ? n : undefined,
      }),
    );
  };
  const toggle = (key: 'status' | 'connectivity', value: string) => (e: ChangeEvent<HTMLInputElement>) =>
    onChange(withFilter(filters, { [key]: e.target.checked ? [...filters[key], value] : filters[key].filter((v) => v !== value) }));

  return (
    <form
      className="filters"
      aria-label="Filter SIMs"
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
    >
      <label>
        <span>Search SIMs</span>
        <input type="search" name="q" value={q} onChange={(e) => setQ(e.target.value)} placeholder="ICCID, IMSI, MSISDN, IMEI or label" maxLength={100} />
      </label>
      <label>
        <span>Tags</span>
        <input name="tag" value={tag} onChange={(e) => setTag(e.target.value)} placeholder="any of, comma-separated" />
      </label>
      <label>
        <span>Data left below %</span>
        <input name="quota_below" type="number" min={0} max={100} step="any" value={below} onChange={(e) => setBelow(e.target.value)} className="narrow" />
      </label>
      <details className="multi">
        <summary>Status{filters.status.length > 0 ? ` (${filters.status.length})` : ''}</summary>
        <fieldset>
          <legend className="sr-only">Status</legend>
          {[...new Set([...STATUSES, ...filters.status])].map((s) => (
            <label key={s} className="check">
              <input type="checkbox" checked={filters.status.includes(s)} onChange={toggle('status', s)} /> {s}
            </label>
          ))}
        </fieldset>
      </details>
      <details className="multi">
        <summary>Connectivity{filters.connectivity.length > 0 ? ` (${filters.connectivity.length})` : ''}</summary>
        <fieldset>
          <legend className="sr-only">Connectivity</legend>
          {CONNECTIVITY.map((c) => (
            <label key={c} className="check">
              <input type="checkbox" checked={filters.connectivity.includes(c)} onChange={toggle('connectivity', c)} /> {c}
            </label>
          ))}
        </fieldset>
      </details>
      {isAdmin && (accounts.data?.items.length ?? 0) > 1 && (
        <label>
          <span>Account</span>
          <select value={filters.account} onChange={(e) => onChange(withFilter(filters, { account: e.target.value }))}>
            <option value="">All accounts</option>
            {accounts.data?.items.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </label>
      )}
      <details className="multi">
        <summary>Columns</summary>
        <fieldset>
          <legend className="sr-only">Visible columns</legend>
          {SIM_COLUMNS.map((c) => (
            <label key={c.id} className="check">
              <input
                type="checkbox"
                checked={columns.includes(c.id)}
                onChange={(e) => onColumns(e.target.checked ? SIM_COLUMNS.map((x) => x.id).filter((id) => id === c.id || columns.includes(id)) : columns.filter((id) => id !== c.id))}
              />{' '}
              {c.header}
            </label>
          ))}
        </fieldset>
      </details>
      <button type="submit" className="primary">
        Apply
      </button>
      {isFiltered(filters) && (
        <button type="button" onClick={() => onChange(filtersFromSearch({ ...(filters.sort !== 'iccid' && { sort: filters.sort }) }))}>
          Clear filters
        </button>
      )}
    </form>
  );
}

/** Page navigation and page size of the SIM list. */
export function Pager({ filters, totalPages, onChange }: { filters: SimFilters; totalPages: number; onChange: (f: SimFilters) => void }) {
  const go = (page: number) => onChange({ ...filters, page: Math.max(1, Math.min(totalPages, page)) });
  return (
    <nav className="pager" aria-label="Pages">
      <button type="button" onClick={() => go(1)} disabled={filters.page <= 1}>
        First
      </button>
      <button type="button" onClick={() => go(filters.page - 1)} disabled={filters.page <= 1}>
        Previous
      </button>
      <span>
        Page {formatNumber(filters.page)} of {formatNumber(totalPages)}
      </span>
      <button type="button" onClick={() => go(filters.page + 1)} disabled={filters.page >= totalPages}>
        Next
      </button>
      <button type="button" onClick={() => go(totalPages)} disabled={filters.page >= totalPages}>
        Last
      </button>
      <label>
        <span>Rows per page</span>
        <select value={filters.page_size} onChange={(e) => onChange({ ...filters, page_size: Number(e.target.value), page: 1 })}>
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
    </nav>
  );
}
