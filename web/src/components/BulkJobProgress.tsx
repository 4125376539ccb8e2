import { useEffect, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, fetchBlob, ok, saveBlob } from '../api/client';
import type { BulkJob } from '../api/types';
import { onLiveEvent } from '../live/live';
import { formatNumber } from '../lib/format';
import { ErrorState, Loading } from './states';

const FINISHED = new Set(['completed', 'failed', 'cancelled']);

/** A bulk job's live progress (stream events, polling as the fallback) and, when done, the per-SIM result. */
export function BulkJobProgress({ id }: { id: string }) {
  const queryClient = useQueryClient();
  const job = useQuery({
    queryKey: ['bulk-jobs', id],
    queryFn: () => ok(api.GET('/api/v1/bulk-jobs/{id}', { params: { path: { id } } })),
    refetchInterval: (q) => (q.state.data !== undefined && FINISHED.has(q.state.data.status) ? false : 2000),
  });

  useEffect(
    () =>
      onLiveEvent((event) => {
        if ((event.type === 'bulk.progress' || event.type === 'bulk.finished') && event.data.id === id) {
          queryClient.setQueryData<BulkJob>(['bulk-jobs', id], (old) => {
            if (old === undefined) return old;
            const done = typeof event.data.done === 'number' ? event.data.done : old.processed;
            const failed = typeof event.data.failed === 'number' ? event.data.failed : old.failed;
            const status = typeof event.data.status === 'string' ? (event.data.status as BulkJob['status']) : old.status;
            return { ...old, status, processed: Math.max(old.processed, done), failed, progress_percent: old.total > 0 ? (Math.max(old.processed, done) / old.total) * 100 : 100 };
          });
          if (event.type === 'bulk.finished') void queryClient.invalidateQueries({ queryKey: ['bulk-jobs', id] });
        }
      }),
    [id, queryClient],
  );

  if (job.isPending) return <Loading label="Starting the job…" />;
  if (job.data === undefined) return <ErrorState error={job.error} retry={() => void job.refetch()} />;
  const j = job.data;
  const finished = FINISHED.has(j.status);
  return (
    <div className="bulk-progress">
      <p role="status" aria-live="polite">
        {finished ? `Job ${j.status}: ` : `Running (${j.status}): `}
        {formatNumber(j.processed)} of {formatNumber(j.total)} processed, {formatNumber(j.succeeded)} succeeded, {formatNumber(j.failed)} failed
        {j.skipped > 0 ? `, ${formatNumber(j.skipped)} skipped` : ''}.
      </p>
      <div className="progress" role="progressbar" aria-label="Bulk job progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(j.progress_percent)}>
        <div style={{ width: `${j.progress_percent}%` }} className={j.failed > 0 ? 'tone-warn' : 'tone-ok'} />
      </div>
      {j.error !== null && <p className="error-text">{j.error}</p>}
      {finished && <BulkItems id={id} />}
    </div>
  );
}

function BulkItems({ id }: { id: string }) {
  const [onlyFailed, setOnlyFailed] = useState(false);
  const items = useQuery({
    queryKey: ['bulk-jobs', id, 'items', onlyFailed],
    queryFn: () => ok(api.GET('/api/v1/bulk-jobs/{id}/items', { params: { path: { id }, query: { page_size: 200, ...(onlyFailed && { status: 'failed' as const }) } } })),
  });
  return (
    <div className="bulk-items">
      <div className="toolbar">
        <label className="check">
          <input type="checkbox" checked={onlyFailed} onChange={(e) => setOnlyFailed(e.target.checked)} /> Only failures
        </label>
        <button type="button" onClick={() => void fetchBlob(`/api/v1/bulk-jobs/${id}/results.csv`).then((b) => saveBlob(b, `bulk-${id}.csv`))}>
          Download results CSV
        </button>
      </div>
      {items.data === undefined ? (
        items.isPending ? (
          <Loading />
        ) : (
          <ErrorState error={items.error} />
        )
      ) : (
        <div className="table-scroll short">
          <table className="table compact" aria-label="Per-SIM results">
            <thead>
              <tr>
                <th scope="col">ICCID</th>
                <th scope="col">Result</th>
                <th scope="col">Detail</th>
              </tr>
            </thead>
            <tbody>
              {items.data.items.map((item) => (
                <tr key={item.iccid}>
                  <td className="mono">{item.iccid}</td>
                  <td>
                    <span className={`badge res-${item.status}`}>{item.status}</span>
                  </td>
                  <td>{item.error ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {items.data.total > items.data.items.length && <p className="muted">First {items.data.items.length} of {formatNumber(items.data.total)}; the CSV has them all.</p>}
        </div>
      )}
    </div>
  );
}
