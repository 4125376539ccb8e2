import { useState } from 'react';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import { describeError } from '../../api/problem';
import { useCan } from '../../auth/useSession';
import { BulkJobProgress } from '../../components/BulkJobProgress';
import { Dialog } from '../../components/Dialog';
import { QueryView } from '../../components/states';
import { formatDateTime, formatNumber } from '../../lib/format';
import { SimplePager } from '../alerts/AlertsPage';

/** Every bulk job: progress (live), results, cancel. New jobs start from the SIM list. */
export default function BulkJobsPage() {
  const canOperate = useCan('operator');
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const jobs = useQuery({
    queryKey: ['bulk-jobs', 'list', page],
    queryFn: () => ok(api.GET('/api/v1/bulk-jobs', { params: { query: { page, page_size: 50 } } })),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((j) => j.status === 'queued' || j.status === 'running') === true ? 3000 : false),
  });
  const cancel = useMutation({
    mutationFn: (id: string) => ok(api.POST('/api/v1/bulk-jobs/{id}/cancel', { params: { path: { id } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['bulk-jobs'] }),
  });
  return (
    <>
      <h1>Bulk jobs</h1>
      <p className="muted">Start a bulk action from the SIM list: select SIMs (or the whole filter), then “Bulk action…”.</p>
      {cancel.isError && (
        <p className="error-text" role="alert">
          {describeError(cancel.error)}
        </p>
      )}
      <QueryView query={jobs} isEmpty={(d) => d.items.length === 0} empty="No bulk jobs yet.">
        {(d) => (
          <>
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Created</th>
                    <th scope="col">Action</th>
                    <th scope="col">Status</th>
                    <th scope="col" className="num">
                      Progress
                    </th>
                    <th scope="col" className="num">
                      Failed
                    </th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((j) => (
                    <tr key={j.id}>
                      <td>{formatDateTime(j.created_at)}</td>
                      <td>
                        {j.action}
                        {Object.keys(j.params).length > 0 && <span className="muted small"> {JSON.stringify(j.params)}</span>}
                      </td>
                      <td>
                        <span className={`badge job-${j.status}`}>{j.status}</span>
                      </td>
                      <td className="num">
                        {formatNumber(j.processed)} / {formatNumber(j.total)} ({j.progress_percent.toFixed(0)} %)
                      </td>
                      <td className="num">{formatNumber(j.failed)}</td>
                      <td className="actions">
                        <button type="button" onClick={() => setOpen(j.id)}>
                          Details
                        </button>
                        {canOperate && (j.status === 'queued' || j.status === 'running') && (
                          <button type="button" className="danger" onClick={() => cancel.mutate(j.id)}>
                            Cancel
                          </button>
                        )}
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
      <Dialog open={open !== null} onOpenChange={(o) => !o && setOpen(null)} title="Bulk job" wide>
        {open !== null && <BulkJobProgress id={open} />}
      </Dialog>
    </>
  );
}
