import { field } from '../../lib/form';
import { useState, type FormEvent } from 'react';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { api, fetchBlob, ok, saveBlob } from '../../api/client';
import { QueryView, ErrorState } from '../../components/states';
import { formatDateTime } from '../../lib/format';
import { SimplePager } from '../alerts/AlertsPage';

interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  outcome?: 'success' | 'failure' | 'denied';
  from?: string;
  to?: string;
}

/** The append-only audit log: filters and CSV export of the same filter. */
export default function AuditPage() {
  const [filter, setFilter] = useState<AuditFilter>({});
  const [page, setPage] = useState(1);
  const audit = useQuery({
    queryKey: ['audit', filter, page],
    queryFn: () => ok(api.GET('/api/v1/audit', { params: { query: { ...filter, page, page_size: 50 } } })),
    placeholderData: keepPreviousData,
  });
  const exporter = useMutation({
    mutationFn: async () => {
      const params = new URLSearchParams(Object.entries(filter).filter(([, v]) => v !== undefined) as Array<[string, string]>);
      saveBlob(await fetchBlob(`/api/v1/audit/export?${params.toString()}`), 'audit.csv');
    },
  });
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const next: AuditFilter = {};
    for (const key of ['actor', 'action', 'target'] as const) {
      const v = field(f, key).trim();
      if (v !== '') next[key] = v;
    }
    const outcome = field(f, 'outcome');
    if (outcome === 'success' || outcome === 'failure' || outcome === 'denied') next.outcome = outcome;
    const from = field(f, 'from');
    const to = field(f, 'to');
    if (from !== '') next.from = new Date(`${from}T00:00:00Z`).toISOString();
    if (to !== '') next.to = new Date(`${to}T23:59:59Z`).toISOString();
    setFilter(next);
    setPage(1);
  };
  return (
    <>
      <div className="page-head">
        <h1>Audit log</h1>
        <button type="button" onClick={() => exporter.mutate()} disabled={exporter.isPending}>
          Export CSV
        </button>
      </div>
      {exporter.isError && <ErrorState error={exporter.error} />}
      <form className="filters" onSubmit={submit} aria-label="Filter the audit log">
        <label>
          <span>Actor</span>
          <input name="actor" placeholder="username" />
        </label>
        <label>
          <span>Action</span>
          <input name="action" placeholder="e.g. sim.update" />
        </label>
        <label>
          <span>Target</span>
          <input name="target" placeholder="e.g. an ICCID" />
        </label>
        <label>
          <span>Outcome</span>
          <select name="outcome" defaultValue="">
            <option value="">Any</option>
            <option value="success">success</option>
            <option value="failure">failure</option>
            <option value="denied">denied</option>
          </select>
        </label>
        <label>
          <span>From</span>
          <input name="from" type="date" />
        </label>
        <label>
          <span>To</span>
          <input name="to" type="date" />
        </label>
        <button type="submit" className="primary">
          Apply
        </button>
      </form>
      <QueryView query={audit} isEmpty={(d) => d.items.length === 0} empty="No audit entries match.">
        {(d) => (
          <>
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">Actor</th>
                    <th scope="col">Action</th>
                    <th scope="col">Target</th>
                    <th scope="col">Outcome</th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((a) => (
                    <tr key={a.id}>
                      <td>{formatDateTime(a.occurred_at)}</td>
                      <td>
                        {a.actor_username ?? a.actor_type}
                        {a.actor_role !== null && <span className="muted small"> ({a.actor_role})</span>}
                      </td>
                      <td className="mono">{a.action}</td>
                      <td className="mono">{[a.target_type, a.target_id].filter(Boolean).join(' ')}</td>
                      <td>
                        <span className={`badge out-${a.outcome}`}>{a.outcome}</span> {a.status_code ?? ''}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <SimplePager page={page} totalPages={d.total_pages} total={d.total} onPage={setPage} />
          </>
        )}
      </QueryView>
    </>
  );
}
