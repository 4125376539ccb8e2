import { useMemo, useRef, useState, type ChangeEvent } from 'react';
import { Link, useNavigate } from '@tanstack/react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getCoreRowModel, useReactTable, type ColumnDef, type RowSelectionState } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { api, authFetch, fetchBlob, ok, saveBlob } from '../../api/client';
import { describeError, errorFromResponse } from '../../api/problem';
import type { Sim } from '../../api/types';
import { useCan } from '../../auth/useSession';
import { Empty, ErrorState, Loading } from '../../components/states';
import { Dialog } from '../../components/Dialog';
import { formatNumber } from '../../lib/format';
import { simsRoute } from '../../router';
import { BulkDialog } from './BulkDialog';
import type { BulkSelection } from './bulk';
import { SIM_COLUMNS, loadColumns, saveColumns } from './columns';
import { CONNECTIVITY, PAGE_SIZES, STATUSES, apiFilter, filtersFromSearch, isFiltered, nextSort, searchFromFilters, withFilter, type SimFilters } from './filters';

const ROW_HEIGHT = 41;

/** The fleet list: server-side filters, sorting and paging, all in the URL; selection into bulk actions. */
export default function SimsPage() {
  const search = simsRoute.useSearch();
  const navigate = useNavigate();
  const filters = useMemo(() => filtersFromSearch(search), [search]);
  const canOperate = useCan('operator');
  const [columns, setColumns] = useState(loadColumns);
  const [selection, setSelection] = useState<RowSelectionState>({});
  const [wholeFilter, setWholeFilter] = useState(false);
  const [bulkOpen, setBulkOpen] = useState(false);
  const [importOpen, setImportOpen] = useState(false);

  const setFilters = (next: SimFilters) => {
    setSelection({});
    setWholeFilter(false);
    void navigate({ to: '/sims', search: searchFromFilters(next) });
  };

  const page = useQuery({
    queryKey: ['sims', 'list', filters],
    queryFn: () =>
      ok(api.GET('/api/v1/sims', { params: { query: { ...apiFilter(filters), sort: filters.sort, page: filters.page, page_size: filters.page_size } } })),
    placeholderData: keepPreviousData,
  });

  const visible = SIM_COLUMNS.filter((c) => columns.includes(c.id));
  const columnDefs = useMemo<Array<ColumnDef<Sim>>>(
    () => [{ id: 'iccid', accessorFn: (s) => s.iccid }, ...visible.map((c) => ({ id: c.id, accessorFn: (s: Sim) => c.value(s) }))],
    [visible],
  );
  const table = useReactTable({
    data: page.data?.items ?? [],
    columns: columnDefs,
    getCoreRowModel: getCoreRowModel(),
    getRowId: (s) => s.iccid,
    manualPagination: true,
    manualSorting: true,
    enableRowSelection: canOperate,
    state: { rowSelection: selection },
    onRowSelectionChange: (updater) => {
      setWholeFilter(false);
      setSelection(updater);
    },
  });
  const rows = table.getRowModel().rows;
  const scroller = useRef<HTMLDivElement>(null);
  const virtual = useVirtualizer({ count: rows.length, getScrollElement: () => scroller.current, estimateSize: () => ROW_HEIGHT, overscan: 12 });

  const selectedIccids = Object.keys(selection).filter((k) => selection[k] === true);
  const total = page.data?.total ?? 0;
  const bulkSelection: BulkSelection | null = wholeFilter
    ? { kind: 'filter', filter: apiFilter(filters), total }
    : selectedIccids.length > 0
      ? { kind: 'iccids', iccids: selectedIccids }
      : null;

  const exporter = useMutation({
    mutationFn: async () => {
      const params = new URLSearchParams({ format: 'csv', sort: filters.sort });
      for (const [k, v] of Object.entries(apiFilter(filters))) params.set(k, String(v));
      saveBlob(await fetchBlob(`/api/v1/sims/export?${params.toString()}`), `sims-${new Date().toISOString().slice(0, 10)}.csv`);
    },
  });

  const sortHeader = (id: string, header: string, sortable: boolean) => {
    if (!sortable) return header;
    const dir = filters.sort === id ? 'ascending' : filters.sort === `-${id}` ? 'descending' : undefined;
    return (
      <button type="button" className="sort" onClick={() => setFilters({ ...filters, sort: nextSort(filters.sort, id), page: 1 })} aria-label={`Sort by ${header}`}>
        {header} <span aria-hidden="true">{dir === 'ascending' ? '▲' : dir === 'descending' ? '▼' : '↕'}</span>
      </button>
    );
  };
  const ariaSort = (id: string): 'ascending' | 'descending' | 'none' => (filters.sort === id ? 'ascending' : filters.sort === `-${id}` ? 'descending' : 'none');

  const items = virtual.getVirtualItems();
  const padTop = items[0]?.start ?? 0;
  const padBottom = virtual.getTotalSize() - (items[items.length - 1]?.end ?? 0);

  return (
    <>
      <div className="page-head">
        <h1>SIMs</h1>
        <div className="actions">
          <button type="button" onClick={() => exporter.mutate()} disabled={exporter.isPending}>
            {exporter.isPending ? 'Exporting…' : 'Export CSV'}
          </button>
          {canOperate && (
            <button type="button" onClick={() => setImportOpen(true)}>
              Import CSV
            </button>
          )}
        </div>
      </div>
      {exporter.isError && <ErrorState error={exporter.error} />}

      <FilterBar filters={filters} onChange={setFilters} columns={columns} onColumns={(c) => (setColumns(c), saveColumns(c))} />

      <div className="toolbar" aria-live="polite">
        <span>
          {page.data === undefined ? '' : `${formatNumber(total)} SIM${total === 1 ? '' : 's'}${isFiltered(filters) ? ' match' : ''}`}
          {page.isFetching && page.data !== undefined ? ' · updating…' : ''}
        </span>
        {canOperate && selectedIccids.length > 0 && (
          <span className="selection-note">
            {wholeFilter ? `All ${formatNumber(total)} matching SIMs selected.` : `${selectedIccids.length} selected on this page.`}{' '}
            {!wholeFilter && table.getIsAllPageRowsSelected() && total > rows.length && (
              <button type="button" className="link" onClick={() => setWholeFilter(true)}>
                Select all {formatNumber(total)} matching
              </button>
            )}
            <button type="button" className="link" onClick={() => (setSelection({}), setWholeFilter(false))}>
              Clear
            </button>
          </span>
        )}
        {canOperate && (
          <button type="button" className="primary" disabled={bulkSelection === null} onClick={() => setBulkOpen(true)}>
            Bulk action…
          </button>
        )}
      </div>

      {page.isPending ? (
        <Loading label="Loading SIMs…" />
      ) : page.data === undefined ? (
        <ErrorState error={page.error} retry={() => void page.refetch()} />
      ) : rows.length === 0 ? (
        <Empty>
          {isFiltered(filters) ? 'No SIM matches these filters. ' : 'No SIMs yet. '}
          {isFiltered(filters) && (
            <button type="button" className="link" onClick={() => setFilters(filtersFromSearch({}))}>
              Clear the filters
            </button>
          )}
        </Empty>
      ) : (
        <div className="table-scroll" ref={scroller} tabIndex={0} aria-label="SIM list">
          <table className="table sims-table" aria-rowcount={total + 1}>
            <thead>
              <tr>
                {canOperate && (
                  <th scope="col" className="select">
                    <input
                      type="checkbox"
                      aria-label="Select all SIMs on this page"
                      checked={table.getIsAllPageRowsSelected()}
                      onChange={table.getToggleAllPageRowsSelectedHandler()}
                    />
                  </th>
                )}
                <th scope="col" aria-sort={ariaSort('iccid')}>
                  {sortHeader('iccid', 'ICCID', true)}
                </th>
                {visible.map((c) => (
                  <th key={c.id} scope="col" aria-sort={c.sortable ? ariaSort(c.id) : undefined} className={c.numeric === true ? 'num' : undefined}>
                    {sortHeader(c.id, c.header, c.sortable)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {padTop > 0 && (
                <tr aria-hidden="true">
                  <td style={{ height: padTop }} colSpan={visible.length + 2} />
                </tr>
              )}
              {items.map((item) => {
                const row = rows[item.index]!;
                const sim = row.original;
                return (
                  <tr key={row.id} aria-rowindex={(filters.page - 1) * filters.page_size + item.index + 2} className={row.getIsSelected() ? 'selected' : undefined} style={{ height: ROW_HEIGHT }}>
                    {canOperate && (
                      <td className="select">
                        <input type="checkbox" aria-label={`Select ${sim.iccid}`} checked={row.getIsSelected()} onChange={row.getToggleSelectedHandler()} />
                      </td>
                    )}
                    <td className="mono">
                      <Link to="/sims/$iccid" params={{ iccid: sim.iccid }}>
                        {sim.iccid}
                      </Link>
                    </td>
                    {visible.map((c) => (
                      <td key={c.id} className={c.numeric === true ? 'num' : undefined}>
                        {c.id === 'status' || c.id === 'connectivity_status' ? <span className={`badge st-${c.value(sim).toLowerCase()}`}>{c.value(sim)}</span> : c.value(sim)}
                      </td>
                    ))}
                  </tr>
                );
              })}
              {padBottom > 0 && (
                <tr aria-hidden="true">
                  <td style={{ height: padBottom }} colSpan={visible.length + 2} />
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}

      {page.data !== undefined && page.data.total_pages > 0 && (
        <Pager filters={filters} totalPages={page.data.total_pages} onChange={setFilters} />
      )}

      {bulkSelection !== null && (
        <BulkDialog
          open={bulkOpen}
          onOpenChange={setBulkOpen}
          selection={bulkSelection}
          onDone={() => (setSelection({}), setWholeFilter(false))}
        />
      )}
      <ImportDialog open={importOpen} onOpenChange={setImportOpen} />
    </>
  );
}

function FilterBar({ filters, onChange, columns, onColumns }: { filters: SimFilters; onChange: (f: SimFilters) => void; columns: string[]; onColumns: (c: string[]) => void }) {
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

function Pager({ filters, totalPages, onChange }: { filters: SimFilters; totalPages: number; onChange: (f: SimFilters) => void }) {
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

interface ImportReport {
  applied: boolean;
  total: number;
  updated: number;
  unchanged: number;
  invalid: number;
  rows?: Array<{ line: number; iccid: string | null; outcome: string; errors: string[] }>;
}

/** CSV import of labels and tags: validated first (dry run), then applied all or nothing. */
function ImportDialog({ open, onOpenChange }: { open: boolean; onOpenChange: (open: boolean) => void }) {
  const queryClient = useQueryClient();
  const [csv, setCsv] = useState<string | null>(null);
  const [report, setReport] = useState<ImportReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const send = async (dryRun: boolean) => {
    if (csv === null) return;
    setBusy(true);
    setError(null);
    try {
      const response = await authFetch(
        new Request(`/api/v1/sims/import?dry_run=${dryRun}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv }),
      );
      const body = response.headers.get('content-type')?.includes('json') === true ? ((await response.clone().json()) as ImportReport & { detail?: string }) : null;
      if (!response.ok && body?.total === undefined) throw await errorFromResponse(response);
      setReport(body);
      if (!dryRun && response.ok) await queryClient.invalidateQueries({ queryKey: ['sims'] });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog
      open={open}
      onOpenChange={(o) => {
        onOpenChange(o);
        if (!o) {
          setCsv(null);
          setReport(null);
          setError(null);
        }
      }}
      title="Import labels and tags"
      description="A CSV with the columns iccid, label, tags (tags separated by ;). An exported CSV imports unchanged. Every row is checked first; nothing is written if any row is invalid."
    >
      <label>
        <span>CSV file</span>
        <input
          type="file"
          accept=".csv,text/csv"
          onChange={(e) => {
            const file = e.target.files?.[0];
            setReport(null);
            if (file !== undefined) void file.text().then(setCsv);
          }}
        />
      </label>
      {error !== null && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
      {report !== null && (
        <div role="status" className="report">
          <p>
            {report.applied ? 'Imported: ' : 'Checked: '}
            {report.total} rows, {report.updated} {report.applied ? 'updated' : 'to update'}, {report.unchanged} unchanged, {report.invalid} invalid.
          </p>
          {(report.rows ?? [])
            .filter((r) => r.errors.length > 0 || r.outcome === 'not_found')
            .slice(0, 20)
            .map((r) => (
              <p key={r.line} className="error-text">
                Line {r.line} ({r.iccid ?? 'no ICCID'}): {r.outcome} {r.errors.join('; ')}
              </p>
            ))}
        </div>
      )}
      <div className="actions">
        <button type="button" disabled={csv === null || busy} onClick={() => void send(true)}>
          Check
        </button>
        <button type="button" className="primary" disabled={csv === null || busy || report === null || report.invalid > 0 || report.applied} onClick={() => void send(false)}>
          Import
        </button>
      </div>
    </Dialog>
  );
}
