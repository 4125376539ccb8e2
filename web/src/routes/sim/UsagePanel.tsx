import { useMemo, useState } from 'react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import { UsageChart } from '../../components/UsageChart';
import { Empty, ErrorState, Loading } from '../../components/states';
import { formatBytes, formatDate, formatNumber, isoDay } from '../../lib/format';

const RANGES = [7, 30, 90, 180] as const;

/** The inclusive day range of "the last n days" ending today (UTC). */
export function lastDays(n: number, today = new Date()): { start: string; end: string } {
  const end = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate()));
  const start = new Date(end.getTime() - (n - 1) * 86_400_000);
  return { start: isoDay(start), end: isoDay(end) };
}

/** Daily usage of one SIM (rx and tx) over 7/30/90/180 days or a custom range, with the summary. */
export function UsagePanel({ iccid }: { iccid: string }) {
  const [range, setRange] = useState<number | 'custom'>(30);
  const [custom, setCustom] = useState(() => lastDays(30));
  const period = range === 'custom' ? custom : lastDays(range);
  const usage = useQuery({
    queryKey: ['usage', iccid, period.start, period.end],
    queryFn: () => ok(api.GET('/api/v1/sims/{iccid}/usage', { params: { path: { iccid }, query: { start_date: period.start, end_date: period.end, granularity: 'day' } } })),
    placeholderData: keepPreviousData,
    enabled: period.start <= period.end,
  });

  const chart = useMemo(() => {
    if (usage.data === undefined) return null;
    const byDay = new Map(usage.data.items.map((i) => [i.period_start.slice(0, 10), i]));
    const days: string[] = [];
    for (let t = Date.parse(`${period.start}T00:00:00Z`); t <= Date.parse(`${period.end}T00:00:00Z`); t += 86_400_000) days.push(isoDay(new Date(t)));
    return {
      days,
      series: [
        { label: 'Received (rx)', values: days.map((d) => byDay.get(d)?.data_rx_bytes ?? 0), color: '#2563eb' },
        { label: 'Sent (tx)', values: days.map((d) => byDay.get(d)?.data_tx_bytes ?? 0), color: '#d97706' },
      ],
    };
  }, [usage.data, period.start, period.end]);

  const summary = usage.data?.summary;
  return (
    <section className="card span-2" aria-labelledby="usage-h">
      <h2 id="usage-h">Usage</h2>
      <div className="segmented" role="group" aria-label="Period">
        {RANGES.map((n) => (
          <button key={n} type="button" aria-pressed={range === n} onClick={() => setRange(n)}>
            {n} days
          </button>
        ))}
        <button type="button" aria-pressed={range === 'custom'} onClick={() => setRange('custom')}>
          Custom
        </button>
      </div>
      {range === 'custom' && (
        <div className="form-row">
          <label>
            <span>From</span>
            <input type="date" value={custom.start} max={custom.end} onChange={(e) => e.target.value !== '' && setCustom({ ...custom, start: e.target.value })} />
          </label>
          <label>
            <span>To</span>
            <input type="date" value={custom.end} min={custom.start} onChange={(e) => e.target.value !== '' && setCustom({ ...custom, end: e.target.value })} />
          </label>
        </div>
      )}
      {usage.isPending ? (
        <Loading label="Loading usage…" />
      ) : usage.data === undefined ? (
        <ErrorState error={usage.error} retry={() => void usage.refetch()} />
      ) : (
        <>
          {summary !== undefined && (
            <dl className="facts inline" aria-label="Usage summary">
              <dt>Total</dt>
              <dd>{formatBytes(summary.data_total_bytes)}</dd>
              <dt>Received</dt>
              <dd>{formatBytes(summary.data_rx_bytes)}</dd>
              <dt>Sent</dt>
              <dd>{formatBytes(summary.data_tx_bytes)}</dd>
              <dt>Daily average</dt>
              <dd>{formatBytes(summary.daily_average_bytes)}</dd>
              <dt>Peak</dt>
              <dd>{summary.peak === null ? '—' : `${formatBytes(summary.peak.data_total_bytes)} on ${formatDate(summary.peak.day)}`}</dd>
              <dt>SMS</dt>
              <dd>
                {formatNumber(summary.sms_total)} ({formatNumber(summary.sms_mo)} sent by the device, {formatNumber(summary.sms_mt)} to it)
              </dd>
            </dl>
          )}
          {usage.data.items.length === 0 ? (
            <Empty>No usage in this period.</Empty>
          ) : (
            chart !== null && <UsageChart days={chart.days} series={chart.series} title={`Daily data from ${period.start} to ${period.end}: ${formatBytes(summary?.data_total_bytes ?? 0)}`} />
          )}
        </>
      )}
    </section>
  );
}
