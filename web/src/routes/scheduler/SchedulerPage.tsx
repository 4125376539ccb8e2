import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import { describeError } from '../../api/problem';
import { useCan } from '../../auth/useSession';
import { QueryView } from '../../components/states';
import { formatDateTime } from '../../lib/format';

interface LastRun {
  started_at: string;
  finished_at: string | null;
  duration_ms: number | null;
  outcome: string;
  items: number | null;
  error: string | null;
}

interface SweepStatus {
  mode: 'scheduled' | 'continuous';
  detail: string;
  accounts: Array<{ account_id: string; pass_under_way: boolean; next_page: number; total_pages: number | null; last_pass_seconds: number | null }>;
}

/** Scheduled jobs: schedule, next and last run, failures; admins can run one now. */
export default function SchedulerPage() {
  const isAdmin = useCan('admin');
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: ['scheduler'], queryFn: () => ok(api.GET('/api/v1/scheduler/status')), refetchInterval: 10_000 });
  const run = useMutation({
    mutationFn: (name: string) => ok(api.POST('/api/v1/scheduler/jobs/{name}/run', { params: { path: { name } } })),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: ['scheduler'] }),
  });
  return (
    <>
      <h1>Scheduler</h1>
      {run.isError && (
        <p className="error-text" role="alert">
          {describeError(run.error)}
        </p>
      )}
      {run.isSuccess && (
        <p className="ok-text" role="status">
          Queued {run.data.name} (job {run.data.job_id}).
        </p>
      )}
      <QueryView query={status} isEmpty={(d) => d.jobs.length === 0} empty="No scheduled jobs on this process.">
        {(d) => (
          <>
            <p className="muted">
              Worker {d.worker_id} · engine {d.engine_started ? 'running' : 'not started on this replica (role api)'}
            </p>
            <SweepLine sweep={(d as { sweep?: SweepStatus }).sweep} />
            <div className="table-scroll">
              <table className="table">
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">Schedule (UTC)</th>
                    <th scope="col">Next run</th>
                    <th scope="col">Last run</th>
                    <th scope="col">Queued</th>
                    {isAdmin && <th scope="col">Actions</th>}
                  </tr>
                </thead>
                <tbody>
                  {d.jobs.map((j) => {
                    const last = j.last_run as LastRun | null;
                    return (
                      <tr key={j.name}>
                        <td>{j.name}</td>
                        <td className="mono">{j.cron ?? 'on demand'}</td>
                        <td>{formatDateTime(j.next_run_at)}</td>
                        <td>
                          {last === null ? (
                            'never'
                          ) : (
                            <>
                              <span className={`badge run-${last.outcome}`}>{last.outcome}</span> {formatDateTime(last.started_at)}
                              {last.duration_ms !== null && ` · ${(last.duration_ms / 1000).toFixed(1)} s`}
                              {last.items !== null && ` · ${last.items} items`}
                              {last.error !== null && <div className="error-text small">{last.error}</div>}
                            </>
                          )}
                          {j.recent_failures.length > 0 && <div className="warn-text small">{j.recent_failures.length} recent failures</div>}
                        </td>
                        <td>{j.queue_depth ?? '—'}</td>
                        {isAdmin && (
                          <td>
                            <button type="button" disabled={run.isPending} onClick={() => run.mutate(j.name)}>
                              Run now
                            </button>
                          </td>
                        )}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          </>
        )}
      </QueryView>
    </>
  );
}

/** How the list sweep keeps up: on schedule, or continuous (passes back to back, each resumable). */
function SweepLine({ sweep }: { sweep: SweepStatus | undefined }) {
  if (sweep === undefined) return null;
  const under = sweep.accounts.filter((a) => a.pass_under_way && a.total_pages !== null);
  return (
    <p data-testid="sweep-mode">
      <span className={`badge ${sweep.mode === 'continuous' ? 'tone-warn' : 'tone-ok'}`}>sweep: {sweep.mode}</span> {sweep.detail}
      {under.map((a) => (
        <span key={a.account_id} className="muted small">
          {' '}
          · pass at page {a.next_page} of {a.total_pages}
        </span>
      ))}
    </p>
  );
}
