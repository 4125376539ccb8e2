import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, ok } from '../../api/client';
import { describeError } from '../../api/problem';
import { useCan } from '../../auth/useSession';
import { QueryView } from '../../components/states';
import { formatDateTime } from '../../lib/format';
import { SmsCounter } from './SmsCounter';
import { countSms } from './sms-counter';

interface SmsRow {
  id: number;
  direction: string;
  status: string;
  message_group: string | null;
  part_number: number | null;
  part_total: number | null;
  payload: string | null;
  created_at: string;
  delivery_date: string | null;
  last_error: string | null;
}

interface Thread {
  key: string;
  direction: string;
  text: string;
  status: string;
  created_at: string;
  delivered: string | null;
  parts: number;
  error: string | null;
}

/** Joins the parts of concatenated messages into one bubble each, oldest first. */
export function toThread(rows: SmsRow[]): Thread[] {
  const groups = new Map<string, SmsRow[]>();
  for (const row of rows) {
    const key = row.message_group ?? `single-${row.id}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const statusOf = (parts: SmsRow[]) => {
    const statuses = new Set(parts.map((p) => p.status));
    if (statuses.size === 1) return parts[0]!.status;
    for (const s of ['failed', 'expired', 'cancelled', 'pending', 'buffered', 'submitted']) if (statuses.has(s)) return s;
    return [...statuses].join('/');
  };
  return [...groups.entries()]
    .map(([key, parts]) => {
      const sorted = [...parts].sort((a, b) => (a.part_number ?? 0) - (b.part_number ?? 0));
      const first = sorted[0]!;
      return {
        key,
        direction: first.direction,
        text: sorted.map((p) => p.payload ?? '').join(''),
        status: statusOf(sorted),
        created_at: first.created_at,
        delivered: sorted.every((p) => p.delivery_date !== null) ? (sorted[sorted.length - 1]!.delivery_date ?? null) : null,
        parts: first.part_total ?? sorted.length,
        error: sorted.find((p) => p.last_error !== null)?.last_error ?? null,
      };
    })
    .sort((a, b) => a.created_at.localeCompare(b.created_at));
}

/** The SMS thread with its delivery states, and the composer with the GSM-7 / UCS-2 counter. */
export function SmsPanel({ iccid }: { iccid: string }) {
  const canSend = useCan('operator');
  const queryClient = useQueryClient();
  const [text, setText] = useState('');
  const sms = useQuery({
    queryKey: ['sim', iccid, 'sms'],
    queryFn: () => ok(api.GET('/api/v1/sims/{iccid}/sms', { params: { path: { iccid }, query: { page_size: 100 } } })),
    refetchInterval: (q) => (q.state.data?.items.some((m) => ['pending', 'submitted', 'buffered'].includes(m.status)) === true ? 5000 : false),
  });
  const send = useMutation({
    mutationFn: (message: string) => ok(api.POST('/api/v1/sims/{iccid}/sms', { params: { path: { iccid } }, body: { message } })),
    onSuccess: () => {
      setText('');
      void queryClient.invalidateQueries({ queryKey: ['sim', iccid, 'sms'] });
    },
  });
  const count = countSms(text);

  return (
    <section className="card" aria-labelledby="sms-h">
      <h2 id="sms-h">SMS</h2>
      <QueryView query={sms} isEmpty={(d) => d.items.length === 0} empty="No SMS with this SIM yet.">
        {(d) => (
          <ol className="sms-thread" aria-label="SMS thread">
            {toThread(d.items).map((m) => (
              <li key={m.key} className={m.direction === 'MT' ? 'sms out' : 'sms in'}>
                <span className="sr-only">{m.direction === 'MT' ? 'Sent to the device:' : 'From the device:'}</span>
                <p>{m.text}</p>
                <span className="small muted">
                  {formatDateTime(m.created_at)} · {m.parts > 1 ? `${m.parts} parts · ` : ''}
                  <span className={`badge sms-${m.status}`}>{m.status}</span>
                  {m.delivered !== null ? ` · delivered ${formatDateTime(m.delivered)}` : ''}
                  {m.error !== null ? ` · ${m.error}` : ''}
                </span>
              </li>
            ))}
          </ol>
        )}
      </QueryView>
      {canSend && (
        <form
          className="sms-compose"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim() !== '' && !count.tooLong) send.mutate(text);
          }}
        >
          <label htmlFor="sms-text">Message to the device</label>
          <textarea id="sms-text" rows={3} value={text} onChange={(e) => setText(e.target.value)} aria-describedby="sms-count" />
          <SmsCounter text={text} id="sms-count" />
          {send.isError && (
            <p className="error-text" role="alert">
              {describeError(send.error)}
            </p>
          )}
          {send.isSuccess && (
            <p className="ok-text" role="status">
              Sent as {send.data.part_total} part{send.data.part_total === 1 ? '' : 's'} ({send.data.encoding}), {send.data.status}.
            </p>
          )}
          <button type="submit" className="primary" disabled={text.trim() === '' || count.tooLong || send.isPending}>
            {send.isPending ? 'Sending…' : 'Send SMS'}
          </button>
        </form>
      )}
    </section>
  );
}
