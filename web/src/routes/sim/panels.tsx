import { useEffect, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import { describeError } from '../../api/problem';
import type { Quota, SimDetail } from '../../api/types';
import { useCan } from '../../auth/useSession';
import { Confirm } from '../../components/Dialog';
import { Meter } from '../../components/Meter';
import { Empty, ErrorState, Loading, QueryView } from '../../components/states';
import { formatBytes, formatDate, formatDateTime, formatNumber, relativeTime } from '../../lib/format';

/** Data and SMS quota gauges with the alert threshold and the exhaustion forecast. */
export function QuotaPanel({ iccid }: { iccid: string }) {
  const data = useQuery({ queryKey: ['quota', iccid, 'data'], queryFn: () => ok(api.GET('/api/v1/sims/{iccid}/quota/{service}', { params: { path: { iccid, service: 'data' } } })) });
  const sms = useQuery({ queryKey: ['quota', iccid, 'sms'], queryFn: () => ok(api.GET('/api/v1/sims/{iccid}/quota/{service}', { params: { path: { iccid, service: 'sms' } } })) });
  return (
    <section className="card" aria-labelledby="quota-h">
      <h2 id="quota-h">Quotas</h2>
      <QueryView query={data} label="Loading the data quota…">
        {(q) => <Gauge quota={q} name="Data" format={formatBytes} />}
      </QueryView>
      <QueryView query={sms} label="Loading the SMS quota…">
        {(q) => <Gauge quota={q} name="SMS" format={(n) => formatNumber(n)} />}
      </QueryView>
    </section>
  );
}

function Gauge({ quota, name, format }: { quota: Quota; name: string; format: (n: number) => string }) {
  if (quota.volume_total === null || quota.volume_remaining === null) return <Empty>{name}: no quota reported yet.</Empty>;
  const remainingPct = quota.volume_total > 0 ? (quota.volume_remaining / quota.volume_total) * 100 : 0;
  const threshold = quota.threshold_percentage;
  return (
    <div className="gauge">
      <Meter
        label={`${name} left`}
        value={quota.volume_remaining}
        max={quota.volume_total}
        text={`${format(quota.volume_remaining)} of ${format(quota.volume_total)} (${remainingPct.toFixed(1)} %)`}
        tone={remainingPct <= 0 ? 'bad' : remainingPct < 20 ? 'warn' : 'ok'}
        {...(threshold !== null && { marker: 100 - threshold })}
      />
      <p className="muted small">
        {threshold !== null ? `1NCE warns at ${threshold} % used. ` : ''}
        Expires {formatDate(quota.expiry_date)}.{' '}
        {quota.forecast_exhaustion_date !== null
          ? `At ${format(Math.round(quota.burn_rate_per_day ?? 0))}/day it runs out on ${formatDate(quota.forecast_exhaustion_date)}.`
          : 'No exhaustion forecast (too little recent use).'}{' '}
        Snapshot {relativeTime(quota.captured_at)}.
      </p>
    </div>
  );
}

/** Top-up with a confirmation; the Idempotency-Key is fixed per dialog, so a retried click never orders twice. */
export function TopUp({ iccid }: { iccid: string }) {
  const queryClient = useQueryClient();
  const key = useRef(crypto.randomUUID());
  const topup = useMutation({
    mutationFn: () =>
      ok(api.POST('/api/v1/sims/{iccid}/topup', { params: { path: { iccid }, header: { 'idempotency-key': key.current } }, body: {} })),
    onSuccess: () => {
      key.current = crypto.randomUUID();
      void queryClient.invalidateQueries({ queryKey: ['quota', iccid] });
    },
  });
  return (
    <>
      <Confirm
        trigger={topup.isPending ? 'Ordering…' : 'Top up'}
        title="Order a top-up?"
        description="1NCE adds the product's data and SMS volume to this SIM and invoices the order."
        confirmLabel="Order top-up"
        disabled={topup.isPending}
        onConfirm={() => topup.mutate()}
      />
      {topup.isError && (
        <p className="error-text" role="alert">
          Top-up: {describeError(topup.error)}
        </p>
      )}
      {topup.isSuccess && (
        <p className="ok-text" role="status">
          Top-up ordered (order {topup.data.order.order_number ?? topup.data.order.id}, {topup.data.order.status ?? 'submitted'}).
        </p>
      )}
    </>
  );
}

/** The latest connectivity and a reset with its outcome (tracked until the device re-attaches). */
export function ConnectivityPanel({ iccid }: { iccid: string }) {
  const canOperate = useCan('operator');
  const queryClient = useQueryClient();
  const [resetId, setResetId] = useState<string | null>(null);
  const conn = useQuery({ queryKey: ['sim', iccid, 'connectivity'], queryFn: () => ok(api.GET('/api/v1/sims/{iccid}/connectivity', { params: { path: { iccid } } })) });
  const reset = useMutation({
    mutationFn: () => ok(api.POST('/api/v1/sims/{iccid}/connectivity/reset', { params: { path: { iccid } } })),
    onSuccess: (r) => setResetId(r.id),
  });
  const outcome = useQuery({
    queryKey: ['sim', iccid, 'reset', resetId],
    queryFn: () => ok(api.GET('/api/v1/sims/{iccid}/connectivity/resets/{id}', { params: { path: { iccid, id: resetId ?? '' } } })),
    enabled: resetId !== null,
    refetchInterval: (q) => (q.state.data?.completed_at != null ? false : 3000),
  });
  if (outcome.data?.completed_at != null && conn.dataUpdatedAt < Date.parse(outcome.data.completed_at)) void queryClient.invalidateQueries({ queryKey: ['sim', iccid, 'connectivity'] });
  // Reading the connectivity refreshes the SIM's stored status: keep the page header's badge in step
  // with this card instead of showing the status of the last sweep beside a newer one.
  const liveStatus = conn.data?.status;
  useEffect(() => {
    if (liveStatus === undefined) return;
    queryClient.setQueryData<SimDetail>(['sim', iccid], (current) =>
      current === undefined || current.connectivity_status === liveStatus ? current : { ...current, connectivity_status: liveStatus },
    );
  }, [liveStatus, iccid, queryClient]);

  return (
    <section className="card" aria-labelledby="conn-h">
      <h2 id="conn-h">Connectivity</h2>
      {conn.isPending ? (
        <Loading />
      ) : conn.data === undefined ? (
        <ErrorState error={conn.error} retry={() => void conn.refetch()} />
      ) : (
        <dl className="facts">
          <dt>Status</dt>
          <dd>
            <span className={`badge st-${conn.data.status.toLowerCase()}`}>{conn.data.status}</span>
          </dd>
          <dt>Network</dt>
          <dd>
            {conn.data.operator?.name ?? '—'} {conn.data.country?.name != null ? `(${conn.data.country.name})` : ''}
          </dd>
          <dt>Radio</dt>
          <dd>{conn.data.rat ?? '—'}</dd>
          <dt>Observed</dt>
          <dd>{formatDateTime(conn.data.observed_at)}</dd>
        </dl>
      )}
      {canOperate && (
        <Confirm
          trigger={reset.isPending ? 'Resetting…' : 'Reset connectivity'}
          title="Reset the connectivity?"
          description="The network detaches the device; it re-attaches within a minute or two. Use it when a device is stuck."
          confirmLabel="Reset"
          disabled={reset.isPending}
          onConfirm={() => reset.mutate()}
        />
      )}
      {reset.isError && (
        <p className="error-text" role="alert">
          {describeError(reset.error)}
        </p>
      )}
      {outcome.data !== undefined && (
        <p role="status" className={outcome.data.status === 'failed' ? 'error-text' : 'muted'}>
          Reset {outcome.data.status}
          {outcome.data.completed_at !== null ? ` at ${formatDateTime(outcome.data.completed_at)}` : ' (waiting for the re-attach)'}
          {outcome.data.detail !== null ? `: ${outcome.data.detail}` : ''}
        </p>
      )}
    </section>
  );
}

/** The SIM's events, newest first. */
export function EventsPanel({ iccid }: { iccid: string }) {
  const [page, setPage] = useState(1);
  const events = useQuery({
    queryKey: ['sim', iccid, 'events', page],
    queryFn: () => ok(api.GET('/api/v1/sims/{iccid}/events', { params: { path: { iccid }, query: { page, page_size: 20 } } })),
  });
  return (
    <section className="card span-2" aria-labelledby="events-h">
      <h2 id="events-h">Events</h2>
      <QueryView query={events} isEmpty={(d) => d.items.length === 0} empty="No events recorded for this SIM.">
        {(d) => (
          <>
            <ol className="timeline">
              {d.items.map((e) => (
                <li key={e.id}>
                  <time dateTime={e.occurred_at}>{formatDateTime(e.occurred_at)}</time> <strong>{e.type ?? 'event'}</strong>{' '}
                  {e.severity !== null && <span className={`badge sev-${e.severity.toLowerCase()}`}>{e.severity}</span>} <span className="muted">{e.description ?? ''}</span>
                </li>
              ))}
            </ol>
            {d.total_pages > 1 && (
              <div className="pager">
                <button type="button" disabled={page <= 1} onClick={() => setPage(page - 1)}>
                  Newer
                </button>
                <span>
                  Page {page} of {d.total_pages}
                </span>
                <button type="button" disabled={page >= d.total_pages} onClick={() => setPage(page + 1)}>
                  Older
                </button>
              </div>
            )}
          </>
        )}
      </QueryView>
    </section>
  );
}
