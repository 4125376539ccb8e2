import { useMemo, useRef, useState } from 'react';
import { Link, useNavigate } from '@tanstack/react-router';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { getCoreRowModel, useReactTable, type ColumnDef, type RowSelectionState } from '@tanstack/react-table';
import { useVirtualizer } from '@tanstack/react-virtual';
import { api, fetchBlob, ok, saveBlob } from '../../api/client';
import type { Sim } from '../../api/types';
import { useCan } from '../../auth/useSession';
import { Empty, ErrorState, Loading } from '../../components/states';
import { formatNumber } from '../../lib/format';
import { simsRoute } from '../../router';
import { BulkDialog } from './BulkDialog';
import type { BulkSelection } from './bulk';
import { SIM_COLUMNS, loadColumns, saveColumns } from './columns';
import { FilterBar, Pager } from './FilterBar';
import { ImportDialog } from './ImportDialog';
import { apiFilter, filtersFromSearch, isFiltered, nextSort, searchFromFilters, type SimFilters } from './filters';

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
  // The selection the open bulk dialog acts on, fixed when it opens: starting the job clears the
  // table's selection, and the dialog must stay to show the job's progress and per-SIM result.
  const [bulkTarget, setBulkTarget] = useState<BulkSelection | null>(null);
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
          <button type="button" className="primary" disabled={bulkSelection === null} onClick={() => setBulkTarget(bulkSelection)}>
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

      {bulkTarget !== null && (
        <BulkDialog
          open
          onOpenChange={(open) => {
            if (!open) setBulkTarget(null);
          }}
          selection={bulkTarget}
          onDone={() => (setSelection({}), setWholeFilter(false))}
        />
      )}
      <ImportDialog open={importOpen} onOpenChange={setImportOpen} />
    </>
  );
}
