import { useMemo } from 'react';
import { Link } from '@tanstack/react-router';
import { useQuery } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import type { FleetSummary } from '../../api/types';
import { QueryView, Empty } from '../../components/states';
import { UsageChart } from '../../components/UsageChart';
import { Meter } from '../../components/Meter';
import { formatBytes, formatDate, formatDateTime, formatNumber, formatPct, NOT_ON_A_NETWORK, relativeTime } from '../../lib/format';

/** The fleet at a glance: every figure from GET /api/v1/fleet/summary, refreshed live. */
export default function DashboardPage() {
  const summary = useQuery({
    queryKey: ['fleet', 'summary'],
    queryFn: () => ok(api.GET('/api/v1/fleet/summary')),
    refetchInterval: 60_000,
  });
  return (
    <>
      <h1>Fleet</h1>
      <QueryView query={summary} label="Loading the fleet summary…">
        {(data) => <Dashboard data={data} />}
      </QueryView>
    </>
  );
}

function Dashboard({ data }: { data: FleetSummary }) {
  const days = useMemo(() => data.usage.daily.map((d) => d.day), [data.usage.daily]);
  const series = useMemo(
    () => [
      { label: 'Received (rx)', values: data.usage.daily.map((d) => d.data_rx_bytes), color: '#2563eb' },
      { label: 'Sent (tx)', values: data.usage.daily.map((d) => d.data_tx_bytes), color: '#d97706' },
    ],
    [data.usage.daily],
  );
  const total30 = data.usage.daily.reduce((sum, d) => sum + d.data_total_bytes, 0);

  if (data.sims.total === 0) {
    return <Empty>No SIMs yet. The first sync from 1NCE fills the fleet within a minute of start-up.</Empty>;
  }

  return (
    <div className="dashboard" data-testid="dashboard">
      <section className="kpis" aria-label="Key figures">
        <Kpi label="SIMs" value={formatNumber(data.sims.total)} to="/sims" />
        <Kpi label={`Data since ${formatDate(data.usage.month_start)}`} value={formatBytes(data.usage.month_data_bytes)} />
        <Kpi label="SMS this month" value={formatNumber(data.usage.month_sms)} />
        <Kpi label="Open alerts" value={formatNumber(data.alerts.open)} to="/alerts" tone={data.alerts.open > 0 ? 'warn' : undefined} />
        <Kpi
          label={`Below ${data.quota.near_quota_threshold_pct} % data`}
          value={formatNumber(data.quota.near_quota)}
          to="/sims"
          search={{ quota_below: String(data.quota.near_quota_threshold_pct) }}
          tone={data.quota.near_quota > 0 ? 'warn' : undefined}
        />
        <Kpi label="Out of data" value={formatNumber(data.quota.exhausted)} to="/sims" search={{ quota_below: '0.0001' }} tone={data.quota.exhausted > 0 ? 'bad' : undefined} />
        <Kpi label="Quota expires ≤ 30 days" value={formatNumber(data.quota.near_expiry)} />
        <Kpi label="Forecast to run out ≤ 30 days" value={formatNumber(data.quota.forecast_exhaustions)} />
      </section>

      <section className="card span-2" aria-labelledby="usage-h">
        <h2 id="usage-h">Fleet data, last 30 days</h2>
        <p className="muted">
          {formatBytes(total30)} in 30 days · {formatNumber(data.usage.daily.reduce((s, d) => s + d.sms, 0))} SMS
        </p>
        <UsageChart days={days} series={series} title={`Fleet data per day over the last 30 days, ${formatBytes(total30)} in total`} />
      </section>

      <section className="card" aria-labelledby="status-h">
        <h2 id="status-h">By status</h2>
        <Breakdown rows={data.sims.by_status} total={data.sims.total} param="status" />
        <h2 id="conn-h">By connectivity</h2>
        <Breakdown rows={data.sims.by_connectivity} total={data.sims.total} param="connectivity" />
      </section>

      <section className="card" aria-labelledby="ops-h">
        <h2 id="ops-h">By network and country</h2>
        {data.operators.length === 0 ? (
          <Empty>No connectivity reported yet.</Empty>
        ) : (
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">Operator</th>
                <th scope="col">Country</th>
                <th scope="col" className="num">
                  SIMs
                </th>
              </tr>
            </thead>
            <tbody>
              {data.operators.map((o, i) => (
                <tr key={`${o.operator ?? '-'}-${o.country ?? '-'}-${i}`}>
                  <td>{o.operator ?? NOT_ON_A_NETWORK}</td>
                  <td>{o.country ?? '—'}</td>
                  <td className="num">{formatNumber(o.count)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="card" aria-labelledby="low-h">
        <h2 id="low-h">Lowest data remaining</h2>
        {data.quota.lowest.length === 0 ? (
          <Empty>No quota known yet.</Empty>
        ) : (
          <table className="table compact">
            <thead>
              <tr>
                <th scope="col">SIM</th>
                <th scope="col" className="num">
                  Left
                </th>
                <th scope="col">Runs out</th>
              </tr>
            </thead>
            <tbody>
              {data.quota.lowest.map((q) => (
                <tr key={q.iccid}>
                  <td>
                    <Link to="/sims/$iccid" params={{ iccid: q.iccid }}>
                      {q.label ?? q.iccid}
                    </Link>
                  </td>
                  <td className="num">{formatPct(q.data_remaining_pct)}</td>
                  <td>{q.forecast_exhaustion_date === null ? '—' : formatDate(q.forecast_exhaustion_date)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section className="card" aria-labelledby="alerts-h">
        <h2 id="alerts-h">Alerts</h2>
        <p>
          <Link to="/alerts">
            {formatNumber(data.alerts.open)} open, {formatNumber(data.alerts.acknowledged)} acknowledged
          </Link>
        </p>
        <ul className="plain">
          {data.alerts.by_severity.map((s) => (
            <li key={s.severity}>
              <span className={`badge sev-${s.severity}`}>{s.severity}</span> {formatNumber(s.count)}
            </li>
          ))}
        </ul>
      </section>

      <section className="card" aria-labelledby="events-h">
        <h2 id="events-h">Recent events</h2>
        {data.recent_events.length === 0 ? (
          <Empty>No events yet.</Empty>
        ) : (
          <ol className="timeline">
            {data.recent_events.map((e) => (
              <li key={e.id}>
                <time dateTime={e.occurred_at}>{relativeTime(e.occurred_at)}</time> <strong>{e.type}</strong>{' '}
                {e.iccid !== null && (
                  <Link to="/sims/$iccid" params={{ iccid: e.iccid }} className="mono">
                    {e.iccid}
                  </Link>
                )}{' '}
                <span className="muted">{e.description ?? ''}</span>
              </li>
            ))}
          </ol>
        )}
      </section>

      <section className="card" aria-labelledby="sync-h">
        <h2 id="sync-h">Sync health</h2>
        <dl className="facts">
          <dt>Last sweep</dt>
          <dd>
            {data.sync.last_sweep === null
              ? 'not run yet'
              : `${data.sync.last_sweep.status}, ${relativeTime(data.sync.last_sweep.finished_at ?? data.sync.last_sweep.started_at)}`}
          </dd>
          <dt>Data Streamer</dt>
          <dd>
            last batch {relativeTime(data.sync.streamer.last_batch_at)}, {formatNumber(data.sync.streamer.records_last_hour)} records in the last hour
          </dd>
        </dl>
        {data.sync.provider_budget.map((b) => (
          <Meter
            key={b.family}
            label={`1NCE ${b.family} budget`}
            value={b.used}
            max={b.limit}
            text={`${formatNumber(b.used)} / ${formatNumber(b.limit)} per ${b.window_seconds} s`}
            tone={b.used / Math.max(1, b.limit) > 0.8 ? 'warn' : 'ok'}
          />
        ))}
      </section>

      <section className="card" aria-labelledby="health-h">
        <h2 id="health-h">System health</h2>
        <dl className="facts">
          <dt>Database</dt>
          <dd className={data.health.database === 'ok' ? 'ok-text' : 'error-text'}>{data.health.database}</dd>
          <dt>Redis</dt>
          <dd>{data.health.redis.replace('_', ' ')}</dd>
          {Object.entries(data.health.checks).map(([name, check]) => (
            <FactRow key={name} name={name} text={`${check.status}, ${check.latency_ms.toFixed(0)} ms${check.error === undefined ? '' : ` (${check.error})`}`} />
          ))}
        </dl>
        <p className="muted">As of {formatDateTime(data.generated_at)}</p>
      </section>
    </div>
  );
}

function FactRow({ name, text }: { name: string; text: string }) {
  return (
    <>
      <dt>{name} check</dt>
      <dd>{text}</dd>
    </>
  );
}

function Kpi({ label, value, to, search, tone }: { label: string; value: string; to?: '/sims' | '/alerts'; search?: Record<string, string>; tone?: 'warn' | 'bad' | undefined }) {
  const body = (
    <>
      <span className="kpi-value">{value}</span>
      <span className="kpi-label">{label}</span>
    </>
  );
  return (
    <div className={`kpi${tone === undefined ? '' : ` tone-${tone}`}`}>
      {to === undefined ? (
        body
      ) : (
        <Link to={to} search={search ?? {}} className="kpi-link">
          {body}
        </Link>
      )}
    </div>
  );
}

function Breakdown({ rows, total, param }: { rows: Array<{ status: string | null; count: number }>; total: number; param: 'status' | 'connectivity' }) {
  if (rows.length === 0) return <Empty>Nothing reported yet.</Empty>;
  return (
    <ul className="breakdown">
      {rows.map((r) => (
        <li key={r.status ?? 'none'}>
          {r.status === null ? (
            <span>not reported</span>
          ) : (
            <Link to="/sims" search={{ [param]: r.status }}>
              {r.status}
            </Link>
          )}
          <span className="bar" aria-hidden="true">
            <span style={{ width: `${total > 0 ? (r.count / total) * 100 : 0}%` }} />
          </span>
          <span className="num">{formatNumber(r.count)}</span>
        </li>
      ))}
    </ul>
  );
}
